-- Upgrade pull requests. A run is recorded before it writes anything to
-- GitHub, and each PR's progress (step) is saved after every write, so a
-- run killed at any point is finished by the next one, never repeated.
CREATE TABLE upgrade_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 'schedule', 'manual' or 'wave'.
    cause       TEXT    NOT NULL,
    -- The service slug a run was limited to; NULL for the whole fleet.
    scope       TEXT,
    dry_run     BIGINT  NOT NULL,
    started_ms  BIGINT  NOT NULL,
    finished_ms BIGINT,
    -- 'running', 'done', 'failed' or 'interrupted' (the server stopped).
    status      TEXT    NOT NULL,
    error       TEXT
);

CREATE INDEX upgrade_runs_started ON upgrade_runs (started_ms);

-- What a run did, service by service, in order.
CREATE TABLE upgrade_run_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id     BIGINT NOT NULL REFERENCES upgrade_runs (id) ON DELETE CASCADE,
    at_ms      BIGINT NOT NULL,
    service_id BIGINT REFERENCES services (id) ON DELETE CASCADE,
    -- 'info', 'warning' or 'error'.
    level      TEXT   NOT NULL,
    message    TEXT   NOT NULL
);

CREATE INDEX upgrade_run_events_run ON upgrade_run_events (run_id);

-- Campaigns that bump one package across the fleet, tier by tier.
CREATE TABLE upgrade_waves (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ecosystem   TEXT   NOT NULL,
    package     TEXT   NOT NULL,
    target      TEXT   NOT NULL,
    soak_ms     BIGINT NOT NULL,
    created_ms  BIGINT NOT NULL,
    -- 'active', 'done' or 'cancelled'.
    state       TEXT   NOT NULL,
    finished_ms BIGINT
);

CREATE TABLE upgrade_prs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id  BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    -- owner/name on GitHub.
    repository  TEXT   NOT NULL,
    group_key   TEXT   NOT NULL,
    branch      TEXT   NOT NULL,
    title       TEXT   NOT NULL,
    -- JSON array of the bumps ({ecosystem, manifest, name, from, to, gap, published_ms}).
    bumps       TEXT   NOT NULL,
    -- A digest of the bumps: the same key on a re-run means nothing to push.
    content_key TEXT   NOT NULL,
    -- 'planned', 'committed', 'pushed', 'opened', 'complete': the last step done.
    step        TEXT   NOT NULL,
    commit_sha  TEXT,
    number      BIGINT,
    url         TEXT,
    -- 'pending' (not on GitHub yet), 'open', 'merged', 'closed', 'superseded'.
    state       TEXT   NOT NULL,
    wave_id     BIGINT REFERENCES upgrade_waves (id) ON DELETE SET NULL,
    run_id      BIGINT,
    created_ms  BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL,
    opened_ms   BIGINT,
    closed_ms   BIGINT,
    merged_ms   BIGINT,
    -- Why it was closed by Shipshape, or the last error writing it.
    note        TEXT
);

-- One live PR per group of a service: a second run cannot add another.
CREATE UNIQUE INDEX upgrade_prs_live ON upgrade_prs (service_id, group_key)
    WHERE state IN ('pending', 'open');
CREATE INDEX upgrade_prs_state ON upgrade_prs (state);
CREATE INDEX upgrade_prs_wave ON upgrade_prs (wave_id);
