-- 0004: pools (Airflow's slot_pool). A task instance occupies `pool_slots` slots of its pool while it is
-- queued, running or restarting; default_pool has 128 slots, as Airflow's.
CREATE TABLE slot_pool (
  pool TEXT PRIMARY KEY,
  slots INTEGER NOT NULL CHECK (slots >= 0),
  description TEXT NOT NULL DEFAULT ''
);
INSERT INTO slot_pool (pool, slots, description) VALUES ('default_pool', 128, 'Default pool');
ALTER TABLE task_instance ADD COLUMN pool_slots INTEGER NOT NULL DEFAULT 1;
