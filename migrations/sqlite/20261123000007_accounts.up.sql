-- Local accounts, their sessions, API tokens and the audit trail.
-- Passwords are stored as Argon2id PHC strings; session ids and tokens only
-- as SHA-256 digests, so a copy of the database signs nobody in.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    role          TEXT   NOT NULL,
    created_ms    BIGINT NOT NULL
);

CREATE TABLE sessions (
    digest      TEXT   PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_ms  BIGINT NOT NULL,
    expires_ms  BIGINT NOT NULL,
    revoked_ms  BIGINT
);

CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT   NOT NULL,
    digest       TEXT   NOT NULL UNIQUE,
    role         TEXT   NOT NULL,
    created_by   TEXT   NOT NULL,
    created_ms   BIGINT NOT NULL,
    last_used_ms BIGINT,
    revoked_ms   BIGINT
);

-- Who changed what, when: one row per write that was carried out.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms      BIGINT NOT NULL,
    actor      TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    target     TEXT   NOT NULL,
    status     BIGINT NOT NULL
);

CREATE INDEX audit_log_at ON audit_log (at_ms);
