-- 0009: nothing to change on SQLite (julianday() is built in); PostgreSQL's own julianday() becomes STABLE so
-- that it is inlined. Kept so that both dialects number their migrations alike.
SELECT 1;
