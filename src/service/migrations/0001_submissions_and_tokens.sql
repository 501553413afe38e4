-- The queue and records of `assay serve`. Written for both SQLite and PostgreSQL: TEXT ids and
-- RFC 3339 times, BIGINT counters, DOUBLE PRECISION scores.

CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    -- Upload order; the queue and the list's cursor follow it.
    seq BIGINT NOT NULL UNIQUE,
    assignment TEXT NOT NULL,
    candidate TEXT NOT NULL,
    email TEXT,
    external_id TEXT,
    idempotency_key TEXT UNIQUE,
    -- The archive as received, under the data folder.
    upload TEXT NOT NULL,
    upload_bytes BIGINT NOT NULL,
    -- queued, grading, graded, invalid_submission, harness_error
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    verdict TEXT,
    score DOUBLE PRECISION,
    max_score DOUBLE PRECISION,
    sha256 TEXT,
    summary TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX submissions_by_status ON submissions (status, seq);
CREATE INDEX submissions_by_assignment ON submissions (assignment, seq);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- submit, read, review or admin
    scope TEXT NOT NULL,
    -- sha256 of the token; the token itself is shown once and never stored.
    hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
