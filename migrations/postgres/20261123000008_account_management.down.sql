ALTER TABLE sessions DROP COLUMN last_seen_ms;
ALTER TABLE sessions DROP COLUMN user_agent;
ALTER TABLE sessions DROP COLUMN address;
ALTER TABLE users DROP COLUMN last_sign_in_ms;
ALTER TABLE users DROP COLUMN disabled_ms;
