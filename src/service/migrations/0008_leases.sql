-- Grading on many machines: a grade is held under a lease that its worker renews; a lease
-- that runs out puts the grade back in the queue. Every claim raises the lease token, and a
-- result is written only with the token of the claim it came from (fencing), so a worker that
-- lost its lease cannot overwrite the grade of the one that took over.
ALTER TABLE submissions ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN lease_expires_at TEXT;
ALTER TABLE submissions ADD COLUMN worker_id TEXT;
-- Attempts lost to the infrastructure (a worker gone, a server killed): never counted against
-- the candidate.
ALTER TABLE submissions ADD COLUMN lost_attempts BIGINT NOT NULL DEFAULT 0;
-- Where the grade that stands was written, under the data folder: each claim grades into a
-- folder of its own, so a late worker's files are never the ones read.
ALTER TABLE submissions ADD COLUMN report_dir TEXT;
-- The sandbox image (its id, a content digest) the server graded this assignment with when the
-- upload came: a worker whose engine holds another image under that name does not grade it.
ALTER TABLE submissions ADD COLUMN image_id TEXT;

CREATE INDEX submissions_by_lease ON submissions (status, lease_expires_at);

CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The Docker engine it grades on: its address and version.
    engine TEXT NOT NULL,
    concurrency BIGINT NOT NULL,
    -- Grades it holds now.
    load BIGINT NOT NULL,
    started_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
);

-- Every claim of a grade: who took it, and how it ended (graded, requeued, lost, refused).
CREATE TABLE grade_attempts (
    submission_id TEXT NOT NULL,
    lease_token BIGINT NOT NULL,
    worker_id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    outcome TEXT,
    PRIMARY KEY (submission_id, lease_token)
);
