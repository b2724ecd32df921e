-- Health. Raw check results are kept for 48 h, then only their rollups
-- per minute, hour and day (bounded per endpoint); state changes and
-- incidents are kept for good. Times are Unix milliseconds.
CREATE TABLE health_results (
    endpoint_id  BIGINT NOT NULL REFERENCES health_endpoints (id) ON DELETE CASCADE,
    checked_ms   BIGINT NOT NULL,
    -- What this check alone pointed to: up, degraded, down or unknown.
    state        TEXT   NOT NULL,
    latency_ms   BIGINT NOT NULL,
    status_code  BIGINT,
    reason       TEXT
);

CREATE INDEX health_results_endpoint ON health_results (endpoint_id, checked_ms);
CREATE INDEX health_results_time ON health_results (checked_ms);

-- One row per endpoint, width and start: counts by state and a latency
-- histogram (comma-separated bin counts, bounds in the code).
CREATE TABLE health_rollups (
    endpoint_id    BIGINT NOT NULL REFERENCES health_endpoints (id) ON DELETE CASCADE,
    width_ms       BIGINT NOT NULL,
    start_ms       BIGINT NOT NULL,
    up             BIGINT NOT NULL,
    degraded       BIGINT NOT NULL,
    down           BIGINT NOT NULL,
    unknown        BIGINT NOT NULL,
    no_data        BIGINT NOT NULL,
    latency_bins   TEXT   NOT NULL,
    latency_max_ms BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, width_ms, start_ms)
);

-- How far each rollup width has been computed.
CREATE TABLE health_rollup_marks (
    width_ms      BIGINT PRIMARY KEY,
    done_until_ms BIGINT NOT NULL
);

-- The current state of each endpoint and what its last check said.
CREATE TABLE health_status (
    endpoint_id     BIGINT PRIMARY KEY REFERENCES health_endpoints (id) ON DELETE CASCADE,
    state           TEXT   NOT NULL,
    since_ms        BIGINT NOT NULL,
    last_checked_ms BIGINT NOT NULL,
    last_latency_ms BIGINT NOT NULL,
    last_status     BIGINT,
    last_format     TEXT,
    last_reason     TEXT,
    last_excerpt    TEXT,
    -- JSON array of {"name","verdict","detail"}.
    last_components TEXT   NOT NULL,
    conforming      BIGINT NOT NULL
);

CREATE TABLE health_transitions (
    endpoint_id BIGINT NOT NULL REFERENCES health_endpoints (id) ON DELETE CASCADE,
    at_ms       BIGINT NOT NULL,
    from_state  TEXT   NOT NULL,
    to_state    TEXT   NOT NULL,
    detail      TEXT
);

CREATE INDEX health_transitions_endpoint ON health_transitions (endpoint_id, at_ms);

CREATE TABLE health_incidents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id  BIGINT NOT NULL REFERENCES health_endpoints (id) ON DELETE CASCADE,
    started_ms   BIGINT NOT NULL,
    ended_ms     BIGINT,
    first_detail TEXT
);

CREATE INDEX health_incidents_endpoint ON health_incidents (endpoint_id, started_ms);
