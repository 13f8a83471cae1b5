-- 0006: dynamic task mapping (Airflow 2.3+). A task instance is (dag_id, run_id, task_id, map_index): -1 for
-- an unmapped task and for a mapped task before it is expanded; 0..n-1 for its expanded instances. XComs are
-- keyed by map_index too. SQLite cannot change a primary key, so both tables are rebuilt.
CREATE TABLE task_instance_new (
  dag_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  map_index INTEGER NOT NULL DEFAULT -1,
  state TEXT CHECK (state IS NULL OR state IN ('scheduled', 'queued', 'running', 'success', 'failed', 'up_for_retry',
    'up_for_reschedule', 'upstream_failed', 'skipped', 'removed', 'restarting')),
  try_number INTEGER NOT NULL DEFAULT 0,
  max_tries INTEGER NOT NULL DEFAULT 0,
  start_date TEXT,
  end_date TEXT,
  duration REAL,
  operator TEXT,
  pool TEXT NOT NULL DEFAULT 'default_pool',
  pool_slots INTEGER NOT NULL DEFAULT 1,
  priority_weight INTEGER NOT NULL DEFAULT 1,
  queued_when TEXT,
  queued_by TEXT,
  pid INTEGER,
  hostname TEXT,
  next_retry_at TEXT,
  heartbeat_at TEXT,
  PRIMARY KEY (dag_id, run_id, task_id, map_index)
) WITHOUT ROWID;
INSERT INTO task_instance_new (dag_id, run_id, task_id, map_index, state, try_number, max_tries, start_date, end_date, duration, operator,
  pool, pool_slots, priority_weight, queued_when, queued_by, pid, hostname, next_retry_at, heartbeat_at)
  SELECT dag_id, run_id, task_id, -1, state, try_number, max_tries, start_date, end_date, duration, operator,
  pool, pool_slots, priority_weight, queued_when, queued_by, pid, hostname, next_retry_at, heartbeat_at FROM task_instance;
DROP TABLE task_instance;
ALTER TABLE task_instance_new RENAME TO task_instance;
CREATE INDEX ti_state ON task_instance (state, pool, priority_weight);
CREATE INDEX ti_run_state ON task_instance (dag_id, run_id, state, pool, priority_weight);

CREATE TABLE xcom_new (
  dag_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  map_index INTEGER NOT NULL DEFAULT -1,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  PRIMARY KEY (dag_id, run_id, task_id, map_index, key)
) WITHOUT ROWID;
INSERT INTO xcom_new (dag_id, run_id, task_id, map_index, key, value, timestamp)
  SELECT dag_id, run_id, task_id, -1, key, value, timestamp FROM xcom;
DROP TABLE xcom;
ALTER TABLE xcom_new RENAME TO xcom;
