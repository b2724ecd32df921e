-- Managing accounts: an admin can disable an account (it keeps its name in
-- the audit trail but cannot sign in), and sees when each account last
-- signed in and from where each of its sessions is used.
ALTER TABLE users ADD COLUMN disabled_ms BIGINT;
ALTER TABLE users ADD COLUMN last_sign_in_ms BIGINT;
ALTER TABLE sessions ADD COLUMN address TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_ms BIGINT;
