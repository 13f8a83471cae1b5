-- 0003: workers own their attempts (see sqlite/0003): queued_by, and the `restarting` state.
ALTER TABLE task_instance ADD COLUMN queued_by TEXT;
ALTER TABLE task_instance DROP CONSTRAINT task_instance_state_check;
ALTER TABLE task_instance ADD CONSTRAINT task_instance_state_check CHECK (state IS NULL OR state IN ('scheduled', 'queued', 'running',
  'success', 'failed', 'up_for_retry', 'up_for_reschedule', 'upstream_failed', 'skipped', 'removed', 'restarting'));
