-- 0003: workers own their attempts. `queued_by` names the scheduler that queued the current try: a worker
-- may start the attempt only while it is still that scheduler's (a new scheduler that reset and re-queued it
-- fences the old hand-over out). `restarting` is Airflow's state for a running task instance that was cleared:
-- it stays there until its attempt has ended, then goes back to none. SQLite cannot alter a CHECK constraint,
-- so the table is rebuilt.
CREATE TABLE task_instance_new (
  dag_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  state TEXT CHECK (state IS NULL OR state IN ('scheduled', 'queued', 'running', 'success', 'failed', 'up_for_retry',
    'up_for_reschedule', 'upstream_failed', 'skipped', 'removed', 'restarting')),
  try_number INTEGER NOT NULL DEFAULT 0,
  max_tries INTEGER NOT NULL DEFAULT 0,
  start_date TEXT,
  end_date TEXT,
  duration REAL,
  operator TEXT,
  pool TEXT NOT NULL DEFAULT 'default_pool',
  priority_weight INTEGER NOT NULL DEFAULT 1,
  queued_when TEXT,
  queued_by TEXT,
  pid INTEGER,
  hostname TEXT,
  next_retry_at TEXT,
  heartbeat_at TEXT,
  PRIMARY KEY (dag_id, run_id, task_id)
) WITHOUT ROWID;
INSERT INTO task_instance_new (dag_id, run_id, task_id, state, try_number, max_tries, start_date, end_date, duration, operator, pool,
  priority_weight, queued_when, pid, hostname, next_retry_at, heartbeat_at)
  SELECT dag_id, run_id, task_id, state, try_number, max_tries, start_date, end_date, duration, operator, pool,
  priority_weight, queued_when, pid, hostname, next_retry_at, heartbeat_at FROM task_instance;
DROP TABLE task_instance;
ALTER TABLE task_instance_new RENAME TO task_instance;
CREATE INDEX ti_run_state ON task_instance (dag_id, run_id, state, priority_weight);
CREATE INDEX ti_state ON task_instance (state, priority_weight);
