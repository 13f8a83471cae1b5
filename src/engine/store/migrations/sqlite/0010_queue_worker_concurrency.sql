-- 0010: how many worker processes each `dagctl worker` runs (its --concurrency). The queue executor packs a
-- step's attempts into about one job per live worker process when more are queued than those processes run at
-- once (fewer, larger jobs: the queue's cost is per job); when fewer are queued, each attempt is a job of its own.
ALTER TABLE queue_worker ADD COLUMN concurrency INTEGER NOT NULL DEFAULT 1;
