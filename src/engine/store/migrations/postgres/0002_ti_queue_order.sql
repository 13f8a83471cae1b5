-- 0002: per-run queue order (see sqlite/0002).
DROP INDEX ti_run_state;
CREATE INDEX ti_run_state ON task_instance (dag_id, run_id, state, priority_weight);
