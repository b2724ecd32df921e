//! Formatting shared by server rendering and the browser.

/// Formats Unix milliseconds as `YYYY-MM-DD HH:MM UTC`.
pub fn utc_timestamp(unix_ms: i64) -> String {
    let secs_of_day = unix_ms.div_euclid(1000).rem_euclid(86_400);
    format!(
        "{} {:02}:{:02} UTC",
        utc_date(unix_ms),
        secs_of_day / 3600,
        (secs_of_day % 3600) / 60
    )
}

/// The UTC day of Unix milliseconds, as `YYYY-MM-DD`.
pub fn utc_date(unix_ms: i64) -> String {
    let (year, month, day) = civil_from_days(unix_ms.div_euclid(86_400_000));
    format!("{year:04}-{month:02}-{day:02}")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`), so that no date crate has to ship in the wasm bundle.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// "1 service", "3 services".
pub fn plural(count: usize, singular: &str, plural: &str) -> String {
    if count == 1 {
        format!("1 {singular}")
    } else {
        format!("{count} {plural}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(utc_timestamp(0), "1970-01-01 00:00 UTC");
        // 2026-11-23 08:53:20 UTC
        assert_eq!(utc_timestamp(1_795_424_000_000), "2026-11-23 08:53 UTC");
        // A leap day.
        assert_eq!(utc_timestamp(1_709_208_000_000), "2024-02-29 12:00 UTC");
        // Before the epoch.
        assert_eq!(utc_timestamp(-86_400_000), "1969-12-31 00:00 UTC");
    }

    #[test]
    fn pluralises() {
        assert_eq!(plural(1, "service", "services"), "1 service");
        assert_eq!(plural(0, "service", "services"), "0 services");
    }
}
