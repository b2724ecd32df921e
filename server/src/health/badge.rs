//! Shields-style SVG badges (`health | up`, `uptime 30d | 99.95%`) for
//! READMEs. Pure.

use shipshape_types::health::{HealthLevel, percent};

/// Colours of shields.io's palette, so badges sit well beside others.
const GREEN: &str = "#4c1";
const LIGHT_GREEN: &str = "#97ca00";
const YELLOW: &str = "#dfb317";
const ORANGE: &str = "#fe7d37";
const RED: &str = "#e05d44";
const GREY: &str = "#9f9f9f";

/// `health | up`, coloured by level.
pub fn health_badge(level: Option<HealthLevel>) -> String {
    let (message, colour) = match level {
        Some(HealthLevel::Up) => ("up", GREEN),
        Some(HealthLevel::Degraded) => ("degraded", YELLOW),
        Some(HealthLevel::Down) => ("down", RED),
        Some(HealthLevel::Unknown) => ("unknown", GREY),
        Some(HealthLevel::NoData) => ("no data", GREY),
        None => ("no healthcheck", GREY),
    };
    badge("health", message, colour)
}

/// `uptime 30d | 99.95%`, coloured by how good it is.
pub fn uptime_badge(period: &str, uptime: Option<f64>) -> String {
    let colour = match uptime {
        None => GREY,
        Some(u) if u >= 0.999 => GREEN,
        Some(u) if u >= 0.99 => LIGHT_GREEN,
        Some(u) if u >= 0.95 => YELLOW,
        Some(u) if u >= 0.9 => ORANGE,
        Some(_) => RED,
    };
    let message = match uptime {
        None => "no data".to_string(),
        some => percent(some),
    };
    badge(&format!("uptime {period}"), &message, colour)
}

/// A badge for a slug Shipshape does not know.
pub fn not_found_badge(label: &str) -> String {
    badge(label, "unknown service", GREY)
}

/// Width of a text in Verdana 11px, near enough: narrow letters, wide
/// letters and the rest.
fn text_width(text: &str) -> u32 {
    let tenths: u32 = text
        .chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ':' | '\'' | '|' | '!' => 35,
            'f' | 't' | 'r' | ' ' | '(' | ')' => 45,
            'm' | 'w' | 'M' | 'W' | '%' => 105,
            c if c.is_ascii_uppercase() || c.is_ascii_digit() => 75,
            _ => 68,
        })
        .sum();
    tenths.div_ceil(10)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The flat shields.io layout: grey label on the left, coloured message
/// on the right, text with a faint shadow.
pub fn badge(label: &str, message: &str, colour: &str) -> String {
    let (label_w, message_w) = (text_width(label) + 10, text_width(message) + 10);
    let total = label_w + message_w;
    let (label_x, message_x) = (label_w * 5, label_w * 10 + message_w * 5);
    let (label, message) = (escape(label), escape(message));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{label}: {message}"><title>{label}: {message}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{label_w}" height="20" fill="#555"/><rect x="{label_w}" width="{message_w}" height="20" fill="{colour}"/><rect width="{total}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110"><text x="{label_x}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)">{label}</text><text x="{label_x}" y="140" transform="scale(.1)">{label}</text><text x="{message_x}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)">{message}</text><text x="{message_x}" y="140" transform="scale(.1)">{message}</text></g></svg>"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_badges_say_the_level_in_words_and_colour() {
        let up = health_badge(Some(HealthLevel::Up));
        assert!(up.contains("aria-label=\"health: up\""), "{up}");
        assert!(up.contains("fill=\"#4c1\""));
        let down = health_badge(Some(HealthLevel::Down));
        assert!(down.contains(">down</text>") && down.contains("#e05d44"));
        assert!(health_badge(None).contains("no healthcheck"));
    }

    #[test]
    fn uptime_badges_are_coloured_by_the_figure() {
        let good = uptime_badge("30d", Some(0.9996));
        assert!(
            good.contains("uptime 30d: 99.96%") && good.contains("#4c1"),
            "{good}"
        );
        assert!(uptime_badge("30d", Some(0.993)).contains("#97ca00"));
        assert!(uptime_badge("24h", Some(0.5)).contains("#e05d44"));
        assert!(uptime_badge("90d", None).contains("no data"));
    }

    #[test]
    fn the_message_box_grows_with_its_text_and_text_is_escaped() {
        let short = badge("health", "up", GREEN);
        let long = badge("health", "no healthcheck", GREY);
        let width = |svg: &str| -> u32 {
            svg.split("width=\"")
                .nth(1)
                .and_then(|w| w.split('"').next())
                .and_then(|w| w.parse().ok())
                .expect("width")
        };
        assert!(width(&long) > width(&short) + 40);
        assert!(badge("a<b", "c&d", GREY).contains("a&lt;b: c&amp;d"));
    }
}
