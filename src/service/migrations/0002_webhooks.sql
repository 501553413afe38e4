-- Webhooks and their outbox: an event is stored with the change that caused it, then
-- delivered (and retried) from here, so a restart loses none.

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    -- Signs every delivery (HMAC-SHA256); shown once when the webhook is added.
    secret TEXT NOT NULL,
    -- Comma-separated event names.
    events TEXT NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT
);

CREATE TABLE outbox (
    -- The event id: the same on every attempt, for the receiver's idempotency.
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    -- pending, delivered or failed (gave up)
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

CREATE TABLE webhook_attempts (
    event_id TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    at TEXT NOT NULL,
    -- The receiver's HTTP status, or none when it could not be reached.
    status BIGINT,
    error TEXT,
    PRIMARY KEY (event_id, attempt)
);
