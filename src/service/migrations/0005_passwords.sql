-- Reviewers who log in with a name and a password instead of a token: argon2id hashes only.

CREATE TABLE passwords (
    reviewer TEXT PRIMARY KEY,
    -- review or admin
    scope TEXT NOT NULL,
    -- The PHC string ($argon2id$...): salt and parameters included.
    hash TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
