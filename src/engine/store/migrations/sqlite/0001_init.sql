-- 0001: the whole initial schema. Dates are ISO-8601 UTC strings (sortable); JSON columns hold JSON text.
CREATE TABLE dag (
  dag_id TEXT PRIMARY KEY,
  fileloc TEXT NOT NULL,
  owners TEXT NOT NULL DEFAULT '[]',
  is_paused INTEGER NOT NULL DEFAULT 1,
  is_active INTEGER NOT NULL DEFAULT 1,
  schedule_interval TEXT,
  tags TEXT NOT NULL DEFAULT '[]',
  description TEXT,
  max_active_runs INTEGER NOT NULL DEFAULT 16,
  max_active_tasks INTEGER NOT NULL DEFAULT 16,
  last_parsed_time TEXT,
  next_dagrun TEXT,
  next_dagrun_data_interval_start TEXT,
  next_dagrun_data_interval_end TEXT,
  next_dagrun_create_after TEXT
);

CREATE TABLE dag_run (
  id INTEGER PRIMARY KEY,
  dag_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'success', 'failed')),
  run_type TEXT NOT NULL CHECK (run_type IN ('scheduled', 'manual', 'backfill')),
  logical_date TEXT NOT NULL,
  data_interval_start TEXT,
  data_interval_end TEXT,
  queued_at TEXT,
  start_date TEXT,
  end_date TEXT,
  external_trigger INTEGER NOT NULL DEFAULT 0,
  conf TEXT NOT NULL DEFAULT '{}',
  last_scheduling_decision TEXT,
  UNIQUE (dag_id, run_id),
  UNIQUE (dag_id, logical_date)
);
CREATE INDEX dag_run_state ON dag_run (state, dag_id, logical_date);

CREATE TABLE task_instance (
  dag_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  state TEXT CHECK (state IS NULL OR state IN ('scheduled', 'queued', 'running', 'success', 'failed', 'up_for_retry',
    'up_for_reschedule', 'upstream_failed', 'skipped', 'removed')),
  try_number INTEGER NOT NULL DEFAULT 0,
  max_tries INTEGER NOT NULL DEFAULT 0,
  start_date TEXT,
  end_date TEXT,
  duration REAL,
  operator TEXT,
  pool TEXT NOT NULL DEFAULT 'default_pool',
  priority_weight INTEGER NOT NULL DEFAULT 1,
  queued_when TEXT,
  pid INTEGER,
  hostname TEXT,
  next_retry_at TEXT,
  heartbeat_at TEXT,
  PRIMARY KEY (dag_id, run_id, task_id)
) WITHOUT ROWID;
CREATE INDEX ti_run_state ON task_instance (dag_id, run_id, state);
CREATE INDEX ti_state ON task_instance (state, priority_weight);

CREATE TABLE xcom (
  dag_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  PRIMARY KEY (dag_id, run_id, task_id, key)
) WITHOUT ROWID;

CREATE TABLE import_error (
  filename TEXT PRIMARY KEY,
  stack_trace TEXT NOT NULL,
  timestamp TEXT NOT NULL
);

-- At most one process drives this database (SQLite: one scheduler). Row id 1 is the lock.
CREATE TABLE scheduler_lock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  token TEXT NOT NULL,
  kind TEXT NOT NULL,
  pid INTEGER NOT NULL,
  hostname TEXT NOT NULL,
  started_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL
);
