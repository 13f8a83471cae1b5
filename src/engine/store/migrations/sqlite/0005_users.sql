-- 0005: the web server's state. Users of `dagctl webserver` (Airflow's ab_user, one role each: Viewer, Op or
-- Admin); the password is stored only as a salted scrypt hash (see src/engine/store/sql-users.ts).
CREATE TABLE ab_user (
  username TEXT PRIMARY KEY,
  email TEXT NOT NULL DEFAULT '',
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('Viewer', 'Op', 'Admin')),
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
-- Airflow's DAG run note (REST API `note`, set when a run is triggered or with setNote).
ALTER TABLE dag_run ADD COLUMN note TEXT;
