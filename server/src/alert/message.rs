//! What each kind of channel is sent for a batch of deliveries, pure:
//! the generic webhook's JSON (also what subscribers receive), a Slack
//! message people can read at a glance, and an e-mail. Every message
//! carries the ids of its events, so receivers can drop repeats (delivery
//! is at least once).

use serde_json::{Value, json};

use crate::store::StoredEvent;
use shipshape_types::journal::EventType;

/// One event in a message, and why it is sent (`firing`, `reminder`,
/// `resolved`, or `event` for subscribers).
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: String,
    pub event: StoredEvent,
}

/// A message to one target: events of one group (a team, for alerts).
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub target: String,
    pub group_key: String,
    pub items: Vec<Item>,
    pub dashboard_url: Option<String>,
}

impl Outgoing {
    pub fn event_ids(&self) -> String {
        self.items
            .iter()
            .map(|i| i.event.id.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    fn team(&self) -> Option<&str> {
        (!self.group_key.is_empty()).then_some(self.group_key.as_str())
    }
}

pub fn rfc3339(unix_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(unix_ms)
        .map_or_else(|_| unix_ms.to_string(), |t| t.to_string())
}

/// The generic webhook body.
pub fn webhook_body(message: &Outgoing) -> String {
    let events: Vec<Value> = message
        .items
        .iter()
        .map(|item| {
            json!({
                "id": item.event.id,
                "type": item.event.event_type,
                "notification": item.kind,
                "service": item.event.service,
                "team": item.event.team,
                "at": rfc3339(item.event.at_ms),
                "payload": item.event.payload,
            })
        })
        .collect();
    json!({ "team": message.team(), "events": events }).to_string()
}

/// What an alert event says, in a few words and a mark.
struct AlertLine {
    mark: &'static str,
    word: &'static str,
    service: String,
    rule: String,
    severity: String,
    summary: String,
    link: Option<String>,
}

fn alert_line(item: &Item) -> AlertLine {
    let payload = &item.event.payload;
    let text = |key: &str| payload[key].as_str().unwrap_or_default().to_string();
    let (mark, word) = match (item.event.event_type, item.kind.as_str()) {
        (EventType::AlertResolved, _) => ("✅", "RESOLVED"),
        (_, "reminder") | (EventType::AlertReminder, _) => ("🔁", "STILL FIRING"),
        (EventType::AlertFiring, _) => ("🔴", "FIRING"),
        _ => ("•", "EVENT"),
    };
    AlertLine {
        mark,
        word,
        service: item.event.service.clone().unwrap_or_default(),
        rule: text("rule"),
        severity: text("severity"),
        summary: text("summary"),
        link: payload["link"].as_str().map(str::to_string),
    }
}

/// `2 firing, 1 resolved`.
fn tally(message: &Outgoing) -> String {
    let mut firing = 0;
    let mut reminders = 0;
    let mut resolved = 0;
    for item in &message.items {
        match alert_line(item).word {
            "FIRING" => firing += 1,
            "STILL FIRING" => reminders += 1,
            "RESOLVED" => resolved += 1,
            _ => {}
        }
    }
    let mut parts = Vec::new();
    if firing > 0 {
        parts.push(format!("{firing} firing"));
    }
    if reminders > 0 {
        parts.push(format!("{reminders} still firing"));
    }
    if resolved > 0 {
        parts.push(format!("{resolved} resolved"));
    }
    if parts.is_empty() {
        parts.push(format!("{} events", message.items.len()));
    }
    parts.join(", ")
}

fn title(message: &Outgoing) -> String {
    match message.team() {
        Some(team) => format!("Shipshape — team {team}: {}", tally(message)),
        None => format!("Shipshape: {}", tally(message)),
    }
}

/// Slack's mrkdwn treats `&`, `<` and `>` as markup.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack-compatible incoming-webhook message: a header, one section per
/// alert with a link to the service on the dashboard, and the event ids.
pub fn slack_message(message: &Outgoing) -> Value {
    let mut blocks = vec![json!({
        "type": "header",
        "text": { "type": "plain_text", "text": title(message) },
    })];
    for item in &message.items {
        let line = alert_line(item);
        let service = match &line.link {
            Some(link) => format!("<{}|{}>", slack_escape(link), slack_escape(&line.service)),
            None => format!("*{}*", slack_escape(&line.service)),
        };
        blocks.push(json!({
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": format!(
                    "{} *{}* {service} — {} ({})\n{}",
                    line.mark,
                    line.word,
                    slack_escape(&line.rule),
                    slack_escape(&line.severity),
                    slack_escape(&line.summary)
                ),
            },
        }));
    }
    let mut context = format!("Shipshape event ids: {}", message.event_ids());
    if let Some(url) = &message.dashboard_url {
        context.push_str(&format!(" · <{}/alerts|all alerts>", slack_escape(url)));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{ "type": "mrkdwn", "text": context }],
    }));
    json!({ "text": title(message), "blocks": blocks })
}

/// Subject and plain-text body of an e-mail.
pub fn email(message: &Outgoing) -> (String, String) {
    let mut body = String::new();
    for item in &message.items {
        let line = alert_line(item);
        body.push_str(&format!(
            "{} {}: {} — rule {} ({}), since {}\n    {}\n",
            line.mark,
            line.word,
            line.service,
            line.rule,
            line.severity,
            rfc3339(
                item.event.payload["started_ms"]
                    .as_i64()
                    .unwrap_or(item.event.at_ms)
            ),
            line.summary
        ));
        if let Some(link) = &line.link {
            body.push_str(&format!("    {link}\n"));
        }
        body.push('\n');
    }
    if let Some(url) = &message.dashboard_url {
        body.push_str(&format!("All alerts: {url}/alerts\n"));
    }
    body.push_str(&format!("Shipshape event ids: {}\n", message.event_ids()));
    (format!("[{}]", title(message)), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert_event(id: i64, event_type: EventType, service: &str) -> StoredEvent {
        StoredEvent {
            id,
            event_type,
            service: Some(service.into()),
            team: Some("payments".into()),
            at_ms: 1_795_400_000_000,
            payload: json!({
                "rule": "down",
                "severity": "critical",
                "summary": "http://x/health failed 3 checks in a row <&>",
                "started_ms": 1_795_400_000_000_i64,
                "link": format!("https://shipshape.example/services/{service}"),
            }),
        }
    }

    fn outgoing() -> Outgoing {
        Outgoing {
            target: "channel:payments".into(),
            group_key: "payments".into(),
            items: vec![
                Item {
                    kind: "firing".into(),
                    event: alert_event(7, EventType::AlertFiring, "checkout"),
                },
                Item {
                    kind: "resolved".into(),
                    event: alert_event(9, EventType::AlertResolved, "ledger"),
                },
            ],
            dashboard_url: Some("https://shipshape.example".into()),
        }
    }

    #[test]
    fn the_webhook_body_carries_every_event_with_its_id() {
        let body: Value = serde_json::from_str(&webhook_body(&outgoing())).unwrap();
        assert_eq!(body["team"], "payments");
        assert_eq!(body["events"][0]["id"], 7);
        assert_eq!(body["events"][0]["type"], "alert.firing");
        assert_eq!(body["events"][0]["notification"], "firing");
        assert_eq!(body["events"][1]["service"], "ledger");
        assert_eq!(body["events"][1]["at"], "2026-11-23T02:13:20Z");
    }

    #[test]
    fn slack_reads_as_a_sentence_and_links_back() {
        let message = slack_message(&outgoing());
        assert_eq!(
            message["text"],
            "Shipshape — team payments: 1 firing, 1 resolved"
        );
        let first = message["blocks"][1]["text"]["text"].as_str().unwrap();
        assert_eq!(
            first,
            "🔴 *FIRING* <https://shipshape.example/services/checkout|checkout> — down (critical)\nhttp://x/health failed 3 checks in a row &lt;&amp;&gt;"
        );
        let context = message["blocks"][3]["elements"][0]["text"]
            .as_str()
            .unwrap();
        assert!(context.starts_with("Shipshape event ids: 7,9"), "{context}");
        assert!(context.contains("<https://shipshape.example/alerts|all alerts>"));
    }

    #[test]
    fn the_email_names_team_services_and_events() {
        let (subject, body) = email(&outgoing());
        assert_eq!(subject, "[Shipshape — team payments: 1 firing, 1 resolved]");
        assert!(
            body.contains("🔴 FIRING: checkout — rule down (critical), since 2026-11-23T02:13:20Z"),
            "{body}"
        );
        assert!(body.contains("✅ RESOLVED: ledger"), "{body}");
        assert!(body.contains("https://shipshape.example/services/checkout"));
        assert!(body.ends_with("Shipshape event ids: 7,9\n"));
    }
}
