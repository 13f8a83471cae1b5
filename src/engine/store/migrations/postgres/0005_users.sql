-- 0005: the web server's users and the DAG run note (see sqlite/0005).
CREATE TABLE ab_user (
  username TEXT PRIMARY KEY,
  email TEXT NOT NULL DEFAULT '',
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('Viewer', 'Op', 'Admin')),
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
ALTER TABLE dag_run ADD COLUMN note TEXT;
