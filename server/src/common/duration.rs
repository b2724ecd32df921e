//! Durations as people write them in the config file, the API and forms:
//! `500ms`, `30s`, `5m`, `1h`, `3d`.

use std::time::Duration;

/// Parses `500ms`, `30s`, `5m` or `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let hint = || {
        format!(
            "`{text}` is not a duration; write it like \"500ms\", \"30s\", \"5m\", \"1h\" or \"3d\""
        )
    };
    let value: u64 = number.parse().map_err(|_| hint())?;
    let duration = match unit.trim() {
        "ms" => Duration::from_millis(value),
        "s" => Duration::from_secs(value),
        "m" => Duration::from_secs(value * 60),
        "h" => Duration::from_secs(value * 3600),
        "d" => Duration::from_secs(value * 86_400),
        _ => return Err(hint()),
    };
    if duration.is_zero() {
        return Err(format!("`{text}` is zero; a duration must be positive"));
    }
    Ok(duration)
}

/// The largest whole unit that writes `duration` exactly, as
/// [`parse_duration`] reads it (`90s`, `5m`, `250ms`).
pub fn format_duration(duration: Duration) -> String {
    let ms = duration.as_millis();
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms >= size && ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_as_they_are_read() {
        for text in ["250ms", "90s", "5m", "36h", "3d", "1500ms"] {
            assert_eq!(format_duration(parse_duration(text).expect(text)), text);
        }
    }

    #[test]
    fn every_unit_reads_and_zero_or_nonsense_is_refused() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration(" 30s "), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("3d"), Ok(Duration::from_secs(3 * 86_400)));
        assert!(parse_duration("0s").unwrap_err().contains("is zero"));
        assert!(
            parse_duration("10")
                .unwrap_err()
                .contains("is not a duration")
        );
        assert!(
            parse_duration("1 week")
                .unwrap_err()
                .contains("is not a duration")
        );
    }
}
