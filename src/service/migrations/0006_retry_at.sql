-- A grade the harness failed is tried again after a wait that doubles: not before this time.
ALTER TABLE submissions ADD COLUMN retry_at TEXT;
