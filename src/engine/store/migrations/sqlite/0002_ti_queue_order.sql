-- 0002: per-run queue order. Picking the next scheduled TIs of a run by priority reads the index in
-- order and stops at the LIMIT, instead of sorting every scheduled TI of a large run on each pick.
DROP INDEX ti_run_state;
CREATE INDEX ti_run_state ON task_instance (dag_id, run_id, state, priority_weight);
