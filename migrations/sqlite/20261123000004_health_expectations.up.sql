-- What a good answer looks like per endpoint (expected status codes,
-- headers to send, body text, latency threshold), as JSON; and which
-- services the public status page shows.
ALTER TABLE health_endpoints ADD COLUMN expect TEXT NOT NULL DEFAULT '{}';
ALTER TABLE services ADD COLUMN public BIGINT NOT NULL DEFAULT 0;
