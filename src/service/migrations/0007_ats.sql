-- Applicant tracking systems: the integrations, the tests each offers, the interviews they
-- started (one invite each), and an audit of every call in and every attempt out.

CREATE TABLE ats_integrations (
    id TEXT PRIMARY KEY,
    -- greenhouse or ashby
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- sha256 of the key the ATS sends us; the key itself is shown once.
    key_hash TEXT NOT NULL UNIQUE,
    -- What assay sends the ATS (Greenhouse: the same key; Ashby: the customer's Ashby API
    -- key), sealed with DATA/ats.key (XChaCha20-Poly1305), hex.
    outbound_sealed TEXT NOT NULL,
    -- Ashby: the API's base URL. Greenhouse: the only origin callbacks may go to, when set.
    api_url TEXT,
    -- Seconds an invite made for this ATS stays open.
    link_seconds BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT
);

CREATE UNIQUE INDEX ats_integrations_by_name ON ats_integrations (name);

CREATE TABLE ats_tests (
    integration_id TEXT NOT NULL,
    -- The id the ATS knows the test by (partner_test_id, assessment_type_id).
    test_id TEXT NOT NULL,
    assignment TEXT NOT NULL,
    PRIMARY KEY (integration_id, test_id)
);

CREATE TABLE ats_interviews (
    -- partner_interview_id (Greenhouse) or assessment_id (Ashby).
    id TEXT PRIMARY KEY,
    integration_id TEXT NOT NULL,
    test_id TEXT NOT NULL,
    invite_id TEXT NOT NULL,
    -- The candidate as the ATS sent them (JSON), kept whole.
    candidate TEXT NOT NULL,
    -- Greenhouse: where to PATCH when the test is done.
    callback_url TEXT,
    -- Integration, test and candidate while the interview is live: a repeated start finds it.
    -- Cleared when it ends (expired or cancelled), so the next start makes a new one.
    live_key TEXT UNIQUE,
    cancelled_at TEXT,
    -- The last status the ATS was told, and the next try at telling it the current one.
    reported TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    -- Set when nothing more will be told: a final status told, or given up.
    settled_at TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX ats_interviews_open ON ats_interviews (settled_at, next_attempt_at);
CREATE INDEX ats_interviews_by_invite ON ats_interviews (invite_id);

CREATE TABLE ats_audit (
    id TEXT PRIMARY KEY,
    integration_id TEXT NOT NULL,
    -- in (the ATS called us) or out (we called the ATS)
    direction TEXT NOT NULL,
    -- list_tests, send_test, test_status, response_error, completed (the PATCH),
    -- assessment.list, assessment.start, assessment.cancel, assessment.update
    call TEXT NOT NULL,
    interview_id TEXT,
    -- The HTTP status answered or received; none when the ATS could not be reached.
    status BIGINT,
    -- ok, or what went wrong, in a sentence.
    outcome TEXT NOT NULL,
    at TEXT NOT NULL
);

CREATE INDEX ats_audit_by_integration ON ats_audit (integration_id, at);

-- Invites: when the candidate first opened the link, and when the ATS cancelled it.
ALTER TABLE invites ADD COLUMN opened_at TEXT;
ALTER TABLE invites ADD COLUMN cancelled_at TEXT;
