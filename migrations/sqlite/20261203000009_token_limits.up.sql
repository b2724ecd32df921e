-- API tokens end with their creator's rights: the account that made one
-- (NULL when the command line did) must still exist and be enabled, and
-- the token acts with the lower of the two roles. A token may expire.
-- Live tokens have unique names (earlier duplicates get their id added).
ALTER TABLE api_tokens ADD COLUMN expires_ms BIGINT;
ALTER TABLE api_tokens ADD COLUMN creator_id BIGINT;
UPDATE api_tokens SET creator_id = (SELECT u.id FROM users u WHERE u.username = api_tokens.created_by);
UPDATE api_tokens SET name = name || '-' || CAST(id AS TEXT)
 WHERE revoked_ms IS NULL
   AND id NOT IN (SELECT MIN(id) FROM api_tokens WHERE revoked_ms IS NULL GROUP BY name);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_ms IS NULL;
