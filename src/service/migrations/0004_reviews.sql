-- Reviewers in the browser: their sessions, who reviews what, and their rubric scores.

CREATE TABLE sessions (
    -- sha256 of the cookie's value; the value itself is never stored.
    hash TEXT PRIMARY KEY,
    -- The name of the token the reviewer logged in with.
    reviewer TEXT NOT NULL,
    -- review or admin
    scope TEXT NOT NULL,
    -- Every form of the session carries this; a post without it is refused.
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE review_assignments (
    submission_id TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (submission_id, reviewer)
);

CREATE INDEX review_assignments_by_reviewer ON review_assignments (reviewer);

CREATE TABLE reviews (
    submission_id TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    -- draft or submitted; a submitted review is final.
    state TEXT NOT NULL,
    -- JSON: [{"criterion": ..., "level": ..., "comment": ...}]
    ratings TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT,
    PRIMARY KEY (submission_id, reviewer)
);

-- What the round page shows of each grade, so it never reads thousands of report.json files:
-- the reproducibility status, and the hidden test groups as JSON [{"name": ..., "passed": ...}].
ALTER TABLE submissions ADD COLUMN reproducibility TEXT;
ALTER TABLE submissions ADD COLUMN test_groups TEXT;
