DROP INDEX api_tokens_live_name;
ALTER TABLE api_tokens DROP COLUMN creator_id;
ALTER TABLE api_tokens DROP COLUMN expires_ms;
