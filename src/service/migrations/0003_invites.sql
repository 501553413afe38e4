-- Invites: a signed, expiring, single-use upload link for one candidate and one assignment.

CREATE TABLE invites (
    id TEXT PRIMARY KEY,
    assignment TEXT NOT NULL,
    candidate TEXT NOT NULL,
    email TEXT,
    external_id TEXT,
    expires_at TEXT NOT NULL,
    -- Set once, when the candidate's upload is accepted; the link is used up then.
    used_at TEXT,
    submission_id TEXT,
    created_at TEXT NOT NULL
);
