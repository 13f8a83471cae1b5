-- 0007: `dagctl worker` processes serving the job queue (PostgreSQL's queue executor), each with a heartbeat.
-- `id` is the graphile-worker pool id its jobs are locked by: when its heartbeat stops, a scheduler fails those
-- jobs and puts their task instances back to scheduled, so an attempt a dead worker took but never started is
-- queued again rather than stuck. (The table exists on SQLite too, where it stays empty: the numbers match.)
CREATE TABLE queue_worker (
  id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL,
  pid INTEGER NOT NULL,
  queues TEXT NOT NULL,
  started_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL
);
