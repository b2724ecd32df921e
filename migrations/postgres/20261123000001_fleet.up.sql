-- The fleet: services, their tags and their health endpoints.
-- Times are Unix milliseconds (BIGINT), the portable type both backends share.
CREATE TABLE services (
    id            BIGSERIAL PRIMARY KEY,
    slug          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    team          TEXT    NOT NULL,
    tier          BIGINT  NOT NULL,
    repo_kind     TEXT,
    repo_location TEXT,
    -- 'fleet_file' or 'api': where the service was declared.
    origin        TEXT    NOT NULL,
    created_ms    BIGINT  NOT NULL,
    updated_ms    BIGINT  NOT NULL,
    -- Set when a service leaves the fleet; its history is kept.
    retired_ms    BIGINT
);

CREATE INDEX services_team ON services (team);

CREATE TABLE service_tags (
    service_id BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    tag        TEXT   NOT NULL,
    PRIMARY KEY (service_id, tag)
);

CREATE INDEX service_tags_tag ON service_tags (tag);

CREATE TABLE health_endpoints (
    id          BIGSERIAL PRIMARY KEY,
    service_id  BIGINT  NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    position    BIGINT  NOT NULL,
    url         TEXT    NOT NULL,
    method      TEXT    NOT NULL,
    interval_ms BIGINT  NOT NULL,
    timeout_ms  BIGINT  NOT NULL,
    UNIQUE (service_id, position)
);
