-- 0008: every `dagctl scheduler` records itself with a heartbeat (Airflow's job table, SchedulerJob rows).
-- `id` is what the task instances it queues carry in queued_by. With the job queue, where several schedulers
-- share one database, a live one deletes the row of one that stopped heartbeating and adopts what it had
-- queued; the rows also answer `dagctl jobs check` and /health. (On SQLite one scheduler holds scheduler_lock;
-- its row is kept the same way.)
CREATE TABLE scheduler_job (
  id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL,
  pid INTEGER NOT NULL,
  executor TEXT NOT NULL,
  started_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL
);
