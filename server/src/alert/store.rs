//! Alerts, silences, webhook subscriptions and the delivery outbox. Each
//! change of an alert is written with its journal event and the outbox
//! rows that carry it to its channels, in one transaction: an alert that
//! fired is never without its event, nor its event without its deliveries.

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::alert::engine::Silence;
use crate::alert::outbox::Pending;
use crate::alert::records::{
    EndpointHealthFacts, NewAlert, PendingDelivery, StoredAlert, Subscription, TargetState,
};
use crate::store::events::{EventType, Journal, Subject, event_from_row};
use crate::store::{QueryContext, Store, StoreError};

const ALERT_COLUMNS: &str = "id, rule, service_slug, team, severity, state, summary, started_ms, resolved_ms, firing_event, notified_ms, held_reason";

fn alert_from_row(row: &AnyRow) -> Result<StoredAlert, sqlx::Error> {
    Ok(StoredAlert {
        id: row.try_get("id")?,
        rule: row.try_get("rule")?,
        service: row.try_get("service_slug")?,
        team: row.try_get("team")?,
        severity: row.try_get("severity")?,
        state: row.try_get("state")?,
        summary: row.try_get("summary")?,
        started_ms: row.try_get("started_ms")?,
        resolved_ms: row.try_get("resolved_ms")?,
        firing_event: row.try_get("firing_event")?,
        notified_ms: row.try_get("notified_ms")?,
        held_reason: row.try_get("held_reason")?,
    })
}

fn silence_from_row(row: &AnyRow) -> Result<Silence, sqlx::Error> {
    Ok(Silence {
        id: row.try_get("id")?,
        rule: row.try_get("rule")?,
        service: row.try_get("service_slug")?,
        team: row.try_get("team")?,
        comment: row.try_get("comment")?,
        created_ms: row.try_get("created_ms")?,
        ends_ms: row.try_get("ends_ms")?,
    })
}

/// Queues `event_id` for each of `targets`.
async fn enqueue(
    tx: &mut AnyConnection,
    targets: &[String],
    group_key: &str,
    event_id: i64,
    kind: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    for target in targets {
        sqlx::query(
            "INSERT INTO deliveries (target, group_key, event_id, kind, created_ms, next_attempt_ms)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(target)
        .bind(group_key)
        .bind(event_id)
        .bind(kind)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .during("queueing a notification")?;
    }
    Ok(())
}

fn alert_payload(alert: &StoredAlert, link: Option<&str>) -> serde_json::Value {
    json!({
        "alert_id": alert.id,
        "rule": alert.rule,
        "severity": alert.severity,
        "summary": alert.summary,
        "started_ms": alert.started_ms,
        "resolved_ms": alert.resolved_ms,
        "held_reason": alert.held_reason,
        "link": link,
    })
}

impl Store {
    async fn alerts_where(
        &self,
        condition: &str,
        limit: i64,
    ) -> Result<Vec<StoredAlert>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE {condition} ORDER BY started_ms DESC, id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .during("reading alerts")?;
        rows.iter()
            .map(alert_from_row)
            .collect::<Result<_, _>>()
            .during("reading alerts")
    }

    pub async fn firing_alerts(&self) -> Result<Vec<StoredAlert>, StoreError> {
        self.alerts_where("state = 'firing'", i64::MAX).await
    }

    /// Resolved alerts, newest first.
    pub async fn resolved_alerts(&self, limit: i64) -> Result<Vec<StoredAlert>, StoreError> {
        self.alerts_where("state = 'resolved'", limit).await
    }

    /// Records a firing with its event; queues it for `targets` (empty
    /// when the firing is held).
    pub async fn fire_alert(
        &self,
        new: &NewAlert<'_>,
        targets: &[String],
        now_ms: i64,
    ) -> Result<StoredAlert, StoreError> {
        let mut tx = self.begin_write().await.during("starting a transaction")?;
        let mut journal = Journal::new(self.backend());
        let id: i64 = sqlx::query(
            "INSERT INTO alerts (rule, service_slug, team, severity, state, summary, started_ms, firing_event, notified_ms, held_reason)
             VALUES ($1, $2, $3, $4, 'firing', $5, $6, 0, $7, $8) RETURNING id",
        )
        .bind(new.rule)
        .bind(new.service)
        .bind(new.team)
        .bind(new.severity)
        .bind(new.summary)
        .bind(now_ms)
        .bind(new.held_reason.is_none().then_some(now_ms))
        .bind(new.held_reason)
        .fetch_one(&mut *tx)
        .await
        .during("recording a firing alert")?
        .try_get("id")
        .during("recording a firing alert")?;
        let mut alert = StoredAlert {
            id,
            rule: new.rule.into(),
            service: new.service.into(),
            team: new.team.into(),
            severity: new.severity.into(),
            state: "firing".into(),
            summary: new.summary.into(),
            started_ms: now_ms,
            resolved_ms: None,
            firing_event: 0,
            notified_ms: new.held_reason.is_none().then_some(now_ms),
            held_reason: new.held_reason.map(str::to_string),
        };
        let subject = Subject::Service {
            slug: new.service,
            team: new.team,
        };
        let event = journal
            .append(
                &mut tx,
                EventType::AlertFiring,
                subject,
                now_ms,
                &alert_payload(&alert, new.link),
            )
            .await?;
        alert.firing_event = event;
        sqlx::query("UPDATE alerts SET firing_event = $1 WHERE id = $2")
            .bind(event)
            .bind(id)
            .execute(&mut *tx)
            .await
            .during("recording a firing alert")?;
        enqueue(&mut tx, targets, new.team, event, "firing", now_ms).await?;
        tx.commit().await.during("committing a firing alert")?;
        Ok(alert)
    }

    /// Tells the owners of a firing alert now: the firing itself (after a
    /// hold ended) or a reminder, which is an event of its own.
    pub async fn notify_alert(
        &self,
        alert: &StoredAlert,
        reminder: bool,
        targets: &[String],
        link: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await.during("starting a transaction")?;
        let event = if reminder {
            Journal::new(self.backend())
                .append(
                    &mut tx,
                    EventType::AlertReminder,
                    Subject::Service {
                        slug: &alert.service,
                        team: &alert.team,
                    },
                    now_ms,
                    &alert_payload(alert, link),
                )
                .await?
        } else {
            alert.firing_event
        };
        let kind = if reminder { "reminder" } else { "firing" };
        enqueue(&mut tx, targets, &alert.team, event, kind, now_ms).await?;
        sqlx::query("UPDATE alerts SET notified_ms = $1, held_reason = NULL WHERE id = $2")
            .bind(now_ms)
            .bind(alert.id)
            .execute(&mut *tx)
            .await
            .during("recording a notification")?;
        tx.commit().await.during("committing a notification")?;
        Ok(())
    }

    pub async fn hold_alert(&self, alert_id: i64, reason: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("UPDATE alerts SET held_reason = $1 WHERE id = $2")
            .bind(reason)
            .bind(alert_id)
            .execute(self.pool())
            .await
            .during("recording why an alert is held")?;
        Ok(())
    }

    /// Records the resolution with its event; queues it for `targets`
    /// (the caller passes none when the owners never heard of the firing).
    pub async fn resolve_alert(
        &self,
        alert: &StoredAlert,
        targets: &[String],
        link: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await.during("starting a transaction")?;
        let updated = sqlx::query(
            "UPDATE alerts SET state = 'resolved', resolved_ms = $1 WHERE id = $2 AND state = 'firing'",
        )
        .bind(now_ms)
        .bind(alert.id)
        .execute(&mut *tx)
        .await
        .during("resolving an alert")?;
        if updated.rows_affected() == 1 {
            let mut resolved = alert.clone();
            resolved.state = "resolved".into();
            resolved.resolved_ms = Some(now_ms);
            let event = Journal::new(self.backend())
                .append(
                    &mut tx,
                    EventType::AlertResolved,
                    Subject::Service {
                        slug: &alert.service,
                        team: &alert.team,
                    },
                    now_ms,
                    &alert_payload(&resolved, link),
                )
                .await?;
            enqueue(&mut tx, targets, &alert.team, event, "resolved", now_ms).await?;
        }
        tx.commit().await.during("committing a resolution")?;
        Ok(())
    }

    /// Every endpoint of the active services with what alert rules read.
    pub async fn endpoint_health_facts(&self) -> Result<Vec<EndpointHealthFacts>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.slug AS slug, e.url AS url, h.state AS state, h.since_ms AS since_ms,
                    h.failing_checks AS failing_checks
             FROM health_endpoints e
             JOIN services s ON s.id = e.service_id
             LEFT JOIN health_status h ON h.endpoint_id = e.id
             WHERE s.retired_ms IS NULL
             ORDER BY s.slug, e.position",
        )
        .fetch_all(self.pool())
        .await
        .during("reading endpoint health for alerts")?;
        rows.iter()
            .map(|row| {
                Ok(EndpointHealthFacts {
                    service: row.try_get("slug")?,
                    url: row.try_get("url")?,
                    state: row.try_get("state")?,
                    since_ms: row.try_get("since_ms")?,
                    failing_checks: row
                        .try_get::<Option<i64>, _>("failing_checks")?
                        .unwrap_or(0),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .during("reading endpoint health for alerts")
    }

    pub async fn create_silence(&self, silence: &Silence) -> Result<i64, StoreError> {
        sqlx::query(
            "INSERT INTO silences (rule, service_slug, team, comment, created_ms, ends_ms)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&silence.rule)
        .bind(&silence.service)
        .bind(&silence.team)
        .bind(&silence.comment)
        .bind(silence.created_ms)
        .bind(silence.ends_ms)
        .fetch_one(self.pool())
        .await
        .during("creating a silence")?
        .try_get("id")
        .during("creating a silence")
    }

    /// Silences that end after `since_ms` (active ones and those that
    /// ended since then), newest first.
    pub async fn silences(&self, since_ms: i64) -> Result<Vec<Silence>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, rule, service_slug, team, comment, created_ms, ends_ms FROM silences
             WHERE ends_ms > $1 ORDER BY created_ms DESC, id DESC",
        )
        .bind(since_ms)
        .fetch_all(self.pool())
        .await
        .during("reading silences")?;
        rows.iter()
            .map(silence_from_row)
            .collect::<Result<_, _>>()
            .during("reading silences")
    }

    /// Ends a silence now; false when there is no such silence still active.
    pub async fn expire_silence(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE silences SET ends_ms = $1 WHERE id = $2 AND ends_ms > $1")
            .bind(now_ms)
            .bind(id)
            .execute(self.pool())
            .await
            .during("expiring a silence")?;
        Ok(done.rows_affected() == 1)
    }

    /// A subscriber receives the events journaled from now on.
    pub async fn create_subscription(
        &self,
        url: &str,
        secret: Option<&str>,
        types: &[EventType],
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        sqlx::query(
            "INSERT INTO subscriptions (url, secret, types, created_ms, cursor)
             VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(id), 0) FROM events)) RETURNING id",
        )
        .bind(url)
        .bind(secret)
        .bind(types.iter().map(|t| t.name()).collect::<Vec<_>>().join(","))
        .bind(now_ms)
        .fetch_one(self.pool())
        .await
        .during("creating a subscription")?
        .try_get("id")
        .during("creating a subscription")
    }

    pub async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, url, secret, types, created_ms, cursor FROM subscriptions
             WHERE deleted_ms IS NULL ORDER BY id",
        )
        .fetch_all(self.pool())
        .await
        .during("reading subscriptions")?;
        rows.iter()
            .map(|row| {
                let types: String = row.try_get("types")?;
                Ok(Subscription {
                    id: row.try_get("id")?,
                    url: row.try_get("url")?,
                    secret: row.try_get("secret")?,
                    types: types
                        .split(',')
                        .filter(|t| !t.is_empty())
                        .map(|t| {
                            crate::store::decode_named(t.to_string(), EventType::parse, "types")
                        })
                        .collect::<Result<_, _>>()?,
                    created_ms: row.try_get("created_ms")?,
                    cursor: row.try_get("cursor")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .during("reading subscriptions")
    }

    /// Stops a subscription and drops what it had still to receive.
    pub async fn delete_subscription(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await.during("starting a transaction")?;
        let done = sqlx::query(
            "UPDATE subscriptions SET deleted_ms = $1 WHERE id = $2 AND deleted_ms IS NULL",
        )
        .bind(now_ms)
        .bind(id)
        .execute(&mut *tx)
        .await
        .during("deleting a subscription")?;
        sqlx::query("DELETE FROM deliveries WHERE target = $1 AND delivered_ms IS NULL")
            .bind(format!("subscription:{id}"))
            .execute(&mut *tx)
            .await
            .during("deleting a subscription")?;
        tx.commit().await.during("deleting a subscription")?;
        Ok(done.rows_affected() == 1)
    }

    /// Moves up to `limit` journal events past a subscriber's cursor into
    /// the outbox, and the cursor past them, in one transaction. Returns
    /// how many events were queued.
    pub async fn fan_out(
        &self,
        subscription: &Subscription,
        limit: i64,
        now_ms: i64,
    ) -> Result<usize, StoreError> {
        let events = self
            .events(&crate::store::EventFilter {
                after: subscription.cursor,
                limit,
                types: subscription.types.clone(),
                service: None,
                team: None,
            })
            .await?;
        // Only as far as what was read: jumping to the journal's end could
        // pass an event committed between the two reads.
        let Some(last_seen) = events.last().map(|e| e.id) else {
            return Ok(0);
        };
        let mut tx = self.begin_write().await.during("starting a transaction")?;
        let moved =
            sqlx::query("UPDATE subscriptions SET cursor = $1 WHERE id = $2 AND cursor = $3")
                .bind(last_seen)
                .bind(subscription.id)
                .bind(subscription.cursor)
                .execute(&mut *tx)
                .await
                .during("moving a subscription's cursor")?;
        if moved.rows_affected() == 0 {
            // Another replica (or pass) moved it first.
            return Ok(0);
        }
        let target = vec![format!("subscription:{}", subscription.id)];
        for event in &events {
            enqueue(&mut tx, &target, "", event.id, "event", now_ms).await?;
        }
        tx.commit()
            .await
            .during("queueing events for a subscriber")?;
        Ok(events.len())
    }

    /// Deliveries due by `now_ms`, with their events, oldest first: at
    /// most `per_target` of each target, so that one target's backlog (a
    /// dead webhook, thousands of rows) never hides another's.
    pub async fn pending_deliveries(
        &self,
        per_target: i64,
        now_ms: i64,
    ) -> Result<Vec<PendingDelivery>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.id AS delivery_id, d.target AS target, d.group_key AS group_key, d.kind AS kind,
                    d.created_ms AS created_ms, d.next_attempt_ms AS next_attempt_ms, d.attempts AS attempts,
                    e.id AS id, e.type AS type, e.service_slug AS service_slug, e.team AS team,
                    e.at_ms AS at_ms, e.payload AS payload
             FROM (SELECT id, target, group_key, kind, created_ms, next_attempt_ms, attempts, event_id,
                          ROW_NUMBER() OVER (PARTITION BY target ORDER BY id) AS place
                   FROM deliveries
                   WHERE delivered_ms IS NULL AND next_attempt_ms <= $2) d
             JOIN events e ON e.id = d.event_id
             WHERE d.place <= $1 ORDER BY d.id",
        )
        .bind(per_target)
        .bind(now_ms)
        .fetch_all(self.pool())
        .await
        .during("reading the outbox")?;
        let mut pending = Vec::with_capacity(rows.len());
        for row in &rows {
            let event = event_from_row(row)?;
            let read = || -> Result<PendingDelivery, sqlx::Error> {
                Ok(PendingDelivery {
                    pending: Pending {
                        id: row.try_get("delivery_id")?,
                        target: row.try_get("target")?,
                        group_key: row.try_get("group_key")?,
                        event_id: event.id,
                        created_ms: row.try_get("created_ms")?,
                        next_attempt_ms: row.try_get("next_attempt_ms")?,
                        attempts: row.try_get("attempts")?,
                    },
                    kind: row.try_get("kind")?,
                    event: event.clone(),
                })
            };
            pending.push(read().during("reading the outbox")?);
        }
        Ok(pending)
    }

    /// When each target's oldest undelivered message was queued.
    pub async fn oldest_waiting(&self) -> Result<BTreeMap<String, i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT target, MIN(created_ms) AS oldest FROM deliveries WHERE delivered_ms IS NULL GROUP BY target",
        )
        .fetch_all(self.pool())
        .await
        .during("reading the outbox's oldest messages")?;
        rows.iter()
            .map(|row| Ok((row.try_get("target")?, row.try_get("oldest")?)))
            .collect::<Result<_, sqlx::Error>>()
            .during("reading the outbox's oldest messages")
    }

    /// Ends every undelivered row of a target that no longer exists (a
    /// channel removed from the config, a deleted subscription): they are
    /// kept, with `reason`, but never tried again. Returns how many.
    pub async fn end_deliveries(
        &self,
        target: &str,
        reason: &str,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let ended = sqlx::query(
            "UPDATE deliveries SET delivered_ms = $1, last_error = $2 WHERE target = $3 AND delivered_ms IS NULL",
        )
        .bind(now_ms)
        .bind(reason)
        .bind(target)
        .execute(self.pool())
        .await
        .during("ending the deliveries of a removed target")?;
        Ok(ended.rows_affected())
    }

    /// Records a message that went out: its deliveries are done and the
    /// target's breaker closes.
    pub async fn record_delivered(
        &self,
        target: &str,
        delivery_ids: &[i64],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await.during("starting a transaction")?;
        for id in delivery_ids {
            sqlx::query("UPDATE deliveries SET delivered_ms = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2")
                .bind(now_ms)
                .bind(*id)
                .execute(&mut *tx)
                .await
                .during("recording a delivery")?;
        }
        sqlx::query(
            "INSERT INTO delivery_targets (target, consecutive_failures, open_until_ms, last_attempt_ms, last_success_ms, delivered)
             VALUES ($1, 0, NULL, $2, $2, $3)
             ON CONFLICT (target) DO UPDATE SET consecutive_failures = 0, open_until_ms = NULL,
                 last_attempt_ms = $2, last_success_ms = $2,
                 delivered = delivery_targets.delivered + $3",
        )
        .bind(target)
        .bind(now_ms)
        .bind(i64::try_from(delivery_ids.len()).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await
        .during("recording a delivery")?;
        tx.commit().await.during("recording a delivery")?;
        Ok(())
    }

    /// Records a failed attempt: each delivery is tried again at its own
    /// time; the target counts one more failure in a row, and its breaker
    /// opens until `open_until_ms` when given. Returns the failures in a row.
    pub async fn record_failed(
        &self,
        target: &str,
        retries: &[(i64, i64)],
        error: &str,
        now_ms: i64,
        breaker: impl Fn(i64) -> Option<i64>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await.during("starting a transaction")?;
        for (id, next_attempt_ms) in retries {
            sqlx::query(
                "UPDATE deliveries SET attempts = attempts + 1, next_attempt_ms = $1, last_error = $2 WHERE id = $3",
            )
            .bind(*next_attempt_ms)
            .bind(error)
            .bind(*id)
            .execute(&mut *tx)
            .await
            .during("recording a failed delivery")?;
        }
        let failures: i64 = sqlx::query(
            "INSERT INTO delivery_targets (target, consecutive_failures, last_attempt_ms, last_failure_ms, last_error, failed)
             VALUES ($1, 1, $2, $2, $3, 1)
             ON CONFLICT (target) DO UPDATE SET consecutive_failures = delivery_targets.consecutive_failures + 1,
                 last_attempt_ms = $2, last_failure_ms = $2, last_error = $3,
                 failed = delivery_targets.failed + 1
             RETURNING consecutive_failures",
        )
        .bind(target)
        .bind(now_ms)
        .bind(error)
        .fetch_one(&mut *tx)
        .await
        .during("recording a failed delivery")?
        .try_get("consecutive_failures")
        .during("recording a failed delivery")?;
        if let Some(open_for) = breaker(failures) {
            sqlx::query("UPDATE delivery_targets SET open_until_ms = $1 WHERE target = $2")
                .bind(now_ms + open_for)
                .bind(target)
                .execute(&mut *tx)
                .await
                .during("opening a circuit breaker")?;
        }
        tx.commit().await.during("recording a failed delivery")?;
        Ok(failures)
    }

    /// Every target that was ever tried or has deliveries waiting.
    pub async fn delivery_targets(&self) -> Result<BTreeMap<String, TargetState>, StoreError> {
        let rows = sqlx::query(
            "SELECT target, consecutive_failures, open_until_ms, last_attempt_ms, last_success_ms,
                    last_failure_ms, last_error, delivered, failed FROM delivery_targets",
        )
        .fetch_all(self.pool())
        .await
        .during("reading delivery targets")?;
        let mut targets = BTreeMap::new();
        for row in &rows {
            let read = || -> Result<TargetState, sqlx::Error> {
                Ok(TargetState {
                    target: row.try_get("target")?,
                    consecutive_failures: row.try_get("consecutive_failures")?,
                    open_until_ms: row.try_get("open_until_ms")?,
                    last_attempt_ms: row.try_get("last_attempt_ms")?,
                    last_success_ms: row.try_get("last_success_ms")?,
                    last_failure_ms: row.try_get("last_failure_ms")?,
                    last_error: row.try_get("last_error")?,
                    delivered: row.try_get("delivered")?,
                    failed: row.try_get("failed")?,
                    pending: 0,
                })
            };
            let state = read().during("reading delivery targets")?;
            targets.insert(state.target.clone(), state);
        }
        let waiting = sqlx::query(
            "SELECT target, COUNT(*) AS waiting FROM deliveries WHERE delivered_ms IS NULL GROUP BY target",
        )
        .fetch_all(self.pool())
        .await
        .during("counting waiting deliveries")?;
        for row in &waiting {
            let target: String = row
                .try_get("target")
                .during("counting waiting deliveries")?;
            let count: i64 = row
                .try_get("waiting")
                .during("counting waiting deliveries")?;
            targets
                .entry(target.clone())
                .or_insert_with(|| TargetState {
                    target,
                    ..TargetState::default()
                })
                .pending = count;
        }
        Ok(targets)
    }
}
