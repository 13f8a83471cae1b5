-- 0004: pools (see sqlite/0004).
CREATE TABLE slot_pool (
  pool TEXT PRIMARY KEY,
  slots INTEGER NOT NULL CHECK (slots >= 0),
  description TEXT NOT NULL DEFAULT ''
);
INSERT INTO slot_pool (pool, slots, description) VALUES ('default_pool', 128, 'Default pool');
ALTER TABLE task_instance ADD COLUMN pool_slots INTEGER NOT NULL DEFAULT 1;
DROP INDEX ti_state;
CREATE INDEX ti_state ON task_instance (state, pool, priority_weight);
DROP INDEX ti_run_state;
CREATE INDEX ti_run_state ON task_instance (dag_id, run_id, state, pool, priority_weight);
