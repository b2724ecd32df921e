-- The event journal and alerting. Every change of state that matters is
-- written to `events` in the transaction that makes the change; delivery
-- (alert channels, webhook subscribers) reads the journal through the
-- `deliveries` outbox, so a restart loses nothing that is pending.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 'health.changed', 'incident.opened', 'alert.firing', ...
    type         TEXT   NOT NULL,
    -- Kept as text (not a foreign key): the journal outlives services.
    service_slug TEXT,
    team         TEXT,
    at_ms        BIGINT NOT NULL,
    -- JSON object; its shape depends on the type.
    payload      TEXT   NOT NULL
);

CREATE INDEX events_type ON events (type, id);
CREATE INDEX events_service ON events (service_slug, id);
CREATE INDEX events_team ON events (team, id);

-- Consecutive failing checks of an endpoint (rules "unhealthy for N checks").
ALTER TABLE health_status ADD COLUMN failing_checks BIGINT NOT NULL DEFAULT 0;

-- One row per (rule, service) episode: opened when the rule's condition
-- starts holding, resolved when it stops. History is the resolved rows.
CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    rule             TEXT   NOT NULL,
    service_slug     TEXT   NOT NULL,
    team             TEXT   NOT NULL,
    severity         TEXT   NOT NULL,
    -- 'firing' or 'resolved'.
    state            TEXT   NOT NULL,
    summary          TEXT   NOT NULL,
    started_ms       BIGINT NOT NULL,
    resolved_ms      BIGINT,
    -- The journal event that recorded the firing.
    firing_event     BIGINT NOT NULL,
    -- When owners were last told (firing or reminder); NULL: not yet.
    notified_ms      BIGINT,
    -- Why no notification went out yet (silence, maintenance, inhibition).
    held_reason      TEXT
);

CREATE UNIQUE INDEX alerts_one_firing ON alerts (rule, service_slug) WHERE state = 'firing';
CREATE INDEX alerts_started ON alerts (started_ms);

-- Mute notifications (never recording) until ends_ms. An empty matcher
-- matches everything of that kind.
CREATE TABLE silences (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    rule         TEXT,
    service_slug TEXT,
    team         TEXT,
    comment      TEXT   NOT NULL,
    created_ms   BIGINT NOT NULL,
    ends_ms      BIGINT NOT NULL
);

CREATE INDEX silences_ends ON silences (ends_ms);

-- Webhook subscribers of the raw event stream. The secret signs bodies and
-- is never read back out through the API.
CREATE TABLE subscriptions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    url         TEXT   NOT NULL,
    secret      TEXT,
    -- Comma-separated event types; empty: every type.
    types       TEXT   NOT NULL,
    created_ms  BIGINT NOT NULL,
    -- The last journal event handed to the outbox for this subscriber.
    cursor      BIGINT NOT NULL,
    deleted_ms  BIGINT
);

-- The outbox: one row per (target, event) still to deliver or delivered.
-- target is 'channel:NAME' or 'subscription:ID'; rows of one target and
-- group (a team, for alerts) go out together in one message.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    target          TEXT   NOT NULL,
    group_key       TEXT   NOT NULL,
    event_id        BIGINT NOT NULL REFERENCES events (id),
    -- 'firing', 'reminder', 'resolved' or 'event' (raw stream).
    kind            TEXT   NOT NULL,
    created_ms      BIGINT NOT NULL,
    next_attempt_ms BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    delivered_ms    BIGINT
);

CREATE INDEX deliveries_pending ON deliveries (delivered_ms, target, next_attempt_ms);

-- Each delivery target's health, and its circuit breaker.
CREATE TABLE delivery_targets (
    target               TEXT   PRIMARY KEY,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    open_until_ms        BIGINT,
    last_attempt_ms      BIGINT,
    last_success_ms      BIGINT,
    last_failure_ms      BIGINT,
    last_error           TEXT,
    delivered            BIGINT NOT NULL DEFAULT 0,
    failed               BIGINT NOT NULL DEFAULT 0
);
