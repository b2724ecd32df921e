//! Alerts and the event journal: the Alerts page's data, silences
//! (operators), and webhook subscriptions to the journal (admins).

use serde::{Deserialize, Serialize};
use shipshape_types::alerts::{
    AlertView, AlertsOverview, NewSilence, NewSubscription, SilenceView, SubscriptionView,
};
use shipshape_types::auth::{Caller, Role};
use shipshape_types::page::{DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest};
use utoipa::{IntoParams, ToSchema};

use super::{OperationError, Operations, Result};
use crate::alert::message::rfc3339;
use crate::alert::service::event_types_from;
use crate::store::{EventFilter, StoredEvent};

/// Which journal events to read.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// The cursor: the `next_cursor` of the page before (an event id);
    /// absent or `0` for the start of the journal.
    pub after: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    /// Events per page, 1 to 1000 (default 100).
    pub limit: Option<usize>,
    /// Comma-separated event types (`alert.firing,alert.resolved`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub types: Option<String>,
    pub service: Option<String>,
    pub team: Option<String>,
}

/// A journal event as the API gives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JournalEvent {
    pub id: i64,
    /// `health.changed`, `incident.opened`, `alert.firing`, …
    #[serde(rename = "type")]
    pub event_type: shipshape_types::journal::EventType,
    pub service: Option<String>,
    pub team: Option<String>,
    /// RFC 3339.
    pub at: String,
    pub at_ms: i64,
    /// What changed; its fields depend on the type.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

impl From<StoredEvent> for JournalEvent {
    fn from(event: StoredEvent) -> Self {
        JournalEvent {
            at: rfc3339(event.at_ms),
            id: event.id,
            event_type: event.event_type,
            service: event.service,
            team: event.team,
            at_ms: event.at_ms,
            payload: event.payload,
        }
    }
}

impl Operations {
    /// The journal after the cursor, oldest first. The journal never ends:
    /// `next_cursor` is always where to read on, the same when nothing new
    /// came.
    pub async fn events(&self, caller: &Caller, query: &EventQuery) -> Result<Page<JournalEvent>> {
        caller.require(Role::Viewer)?;
        let after = match query.after.as_deref().map(str::trim) {
            None | Some("") => 0,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|id| *id >= 0)
                .ok_or_else(|| {
                    OperationError::Invalid(format!("after: `{text}` is not an event id"))
                })?,
        };
        let limit = match query.limit {
            None => DEFAULT_LIMIT,
            Some(limit @ 1..=MAX_LIMIT) => limit,
            Some(other) => {
                return Err(OperationError::Invalid(format!(
                    "limit: must be from 1 to {MAX_LIMIT}, not {other}"
                )));
            }
        };
        let types = query
            .types
            .as_deref()
            .map(|types| event_types_from(&[types.to_string()]))
            .transpose()?
            .unwrap_or_default();
        let filter = EventFilter {
            after,
            limit: i64::try_from(limit).unwrap_or(i64::MAX),
            types,
            service: query.service.clone(),
            team: query.team.clone(),
        };
        let events = self.store.events(&filter).await?;
        let next = events.last().map_or(after, |e| e.id);
        Ok(Page {
            items: events.into_iter().map(JournalEvent::from).collect(),
            next_cursor: Some(next.to_string()),
        })
    }

    /// Firing and recently resolved alerts, rules, channels with their
    /// delivery health, silences, maintenance windows and the latest events.
    pub async fn alerts_overview(&self, caller: &Caller) -> Result<AlertsOverview> {
        caller.require(Role::Viewer)?;
        Ok(self.alerts.overview().await?)
    }

    /// The alerts firing now, of one service or of all.
    pub async fn firing_alerts(
        &self,
        caller: &Caller,
        service: Option<&str>,
    ) -> Result<Vec<AlertView>> {
        caller.require(Role::Viewer)?;
        Ok(self.alerts.firing(service).await?)
    }

    pub async fn silences(&self, caller: &Caller, page: &PageRequest) -> Result<Page<SilenceView>> {
        caller.require(Role::Viewer)?;
        Page::of(self.alerts.silences().await?, page).map_err(OperationError::Invalid)
    }

    pub async fn create_silence(&self, caller: &Caller, silence: &NewSilence) -> Result<i64> {
        caller.require(Role::Operator)?;
        Ok(self.alerts.create_silence(silence).await?)
    }

    pub async fn expire_silence(&self, caller: &Caller, id: i64) -> Result<()> {
        caller.require(Role::Operator)?;
        Ok(self.alerts.expire_silence(id).await?)
    }

    pub async fn subscriptions(
        &self,
        caller: &Caller,
        page: &PageRequest,
    ) -> Result<Page<SubscriptionView>> {
        caller.require(Role::Viewer)?;
        Page::of(self.alerts.subscriptions().await?, page).map_err(OperationError::Invalid)
    }

    /// Sends the journal to a URL: an admin's, since the URL may lead
    /// anywhere the outbound policy allows.
    pub async fn subscribe(
        &self,
        caller: &Caller,
        subscription: &NewSubscription,
    ) -> Result<SubscriptionView> {
        caller.require(Role::Admin)?;
        if crate::common::url::validate_http_url(subscription.url.trim()).is_ok() {
            self.outbound
                .check_url(subscription.url.trim())
                .await
                .map_err(|why| OperationError::Invalid(format!("url: {why}")))?;
        }
        Ok(self.alerts.subscribe(subscription).await?)
    }

    pub async fn unsubscribe(&self, caller: &Caller, id: i64) -> Result<()> {
        caller.require(Role::Admin)?;
        Ok(self.alerts.unsubscribe(id).await?)
    }
}
