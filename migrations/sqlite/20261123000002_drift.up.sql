-- Dependency drift: one snapshot per refresh of a service's repository.
-- A snapshot whose dependencies did not change points at the rows of the
-- one that holds them (dependencies_of), so history stays small.
CREATE TABLE drift_snapshots (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id       BIGINT  NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    taken_ms         BIGINT  NOT NULL,
    revision         TEXT    NOT NULL,
    dependencies_of  BIGINT,
    dependency_count BIGINT  NOT NULL,
    libyears         DOUBLE PRECISION NOT NULL,
    up_to_date       BIGINT  NOT NULL,
    patch            BIGINT  NOT NULL,
    minor            BIGINT  NOT NULL,
    major            BIGINT  NOT NULL,
    unknown          BIGINT  NOT NULL,
    -- JSON array of problems found while reading ({"file","line","message"}).
    problems         TEXT    NOT NULL
);

CREATE INDEX drift_snapshots_service ON drift_snapshots (service_id, taken_ms);

CREATE TABLE drift_dependencies (
    snapshot_id     BIGINT  NOT NULL REFERENCES drift_snapshots (id) ON DELETE CASCADE,
    ecosystem       TEXT    NOT NULL,
    manifest        TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    requirement     TEXT,
    kind            TEXT    NOT NULL,
    optional        BIGINT  NOT NULL,
    source          TEXT,
    -- Versions the lock file pins for the name, comma-separated.
    locked          TEXT    NOT NULL,
    current_version TEXT,
    wanted          TEXT,
    latest          TEXT,
    gap             TEXT,
    releases_behind BIGINT,
    libyears        DOUBLE PRECISION,
    age_days        BIGINT,
    yanked          BIGINT  NOT NULL,
    deprecated      TEXT,
    -- JSON array of advisory ids that affect the version in use.
    advisories      TEXT    NOT NULL,
    -- Why drift could not be measured, when it could not.
    note            TEXT
);

CREATE INDEX drift_dependencies_snapshot ON drift_dependencies (snapshot_id);
CREATE INDEX drift_dependencies_name ON drift_dependencies (ecosystem, name);

-- The last refresh of each service: when, and why it failed if it did.
CREATE TABLE drift_refreshes (
    service_id  BIGINT PRIMARY KEY REFERENCES services (id) ON DELETE CASCADE,
    started_ms  BIGINT NOT NULL,
    finished_ms BIGINT,
    error       TEXT
);
