-- 0006: dynamic task mapping (see sqlite/0006): map_index in the keys of task instances and XComs.
ALTER TABLE task_instance ADD COLUMN map_index INTEGER NOT NULL DEFAULT -1;
ALTER TABLE task_instance DROP CONSTRAINT task_instance_pkey;
ALTER TABLE task_instance ADD PRIMARY KEY (dag_id, run_id, task_id, map_index);
ALTER TABLE xcom ADD COLUMN map_index INTEGER NOT NULL DEFAULT -1;
ALTER TABLE xcom DROP CONSTRAINT xcom_pkey;
ALTER TABLE xcom ADD PRIMARY KEY (dag_id, run_id, task_id, map_index, key);
