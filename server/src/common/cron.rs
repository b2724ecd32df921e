//! Cron schedules in a time zone: the five fields people know (minute,
//! hour, day of month, month, day of week) with lists, ranges, steps and
//! names, plus `@hourly`, `@daily`, `@weekly` and `@monthly`. The next run
//! is found in the zone's wall-clock time, so "Monday 06:00 Europe/Berlin"
//! stays at 06:00 across daylight saving changes. Pure.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

pub const DEFAULT_CRON: &str = "0 6 * * MON";
pub const DEFAULT_TIME_ZONE: &str = "UTC";

#[derive(Clone, Debug)]
pub struct CronSchedule {
    pub expression: String,
    pub time_zone: String,
    zone: TimeZone,
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// Day of month or day of week written as `*`: cron's rule is that when
    /// both are restricted, either may match.
    any_day: bool,
    any_weekday: bool,
}

impl Eq for CronSchedule {}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression && self.time_zone == other.time_zone
    }
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Reads one field into a bit set of the values it allows.
fn field(text: &str, what: &str, low: u32, high: u32, names: &[&str]) -> Result<u64, String> {
    let value = |part: &str| -> Result<u32, String> {
        let upper = part.to_ascii_uppercase();
        if let Some(i) = names.iter().position(|n| *n == upper) {
            return Ok(low + u32::try_from(i).unwrap_or(0));
        }
        let number: u32 = part
            .parse()
            .map_err(|_| format!("the {what} field: `{part}` is not a number"))?;
        if number < low || number > high {
            return Err(format!(
                "the {what} field: {number} is outside {low}-{high}"
            ));
        }
        Ok(number)
    };
    let mut bits = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                    format!("the {what} field: step `{step}` is not a positive number")
                })?;
                (range, step)
            }
            None => (item, 1),
        };
        let (start, end) = if range == "*" {
            (low, high)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let single = value(range)?;
            (single, if item.contains('/') { high } else { single })
        };
        if start > end {
            return Err(format!("the {what} field: `{range}` goes backwards"));
        }
        let mut n = start;
        while n <= end {
            bits |= 1 << n;
            n += step;
        }
    }
    Ok(bits)
}

impl CronSchedule {
    /// Reads `expression` in the IANA zone `time_zone` (`UTC`, `Europe/Berlin`).
    pub fn parse(expression: &str, time_zone: &str) -> Result<CronSchedule, String> {
        let zone = if time_zone == "UTC" {
            TimeZone::UTC
        } else {
            TimeZone::get(time_zone)
                .map_err(|_| format!("`{time_zone}` is not a time zone this machine knows (use an IANA name such as Europe/Berlin)"))?
        };
        let expanded = match expression.trim() {
            "@hourly" => "0 * * * *",
            "@daily" | "@midnight" => "0 0 * * *",
            "@weekly" => "0 0 * * SUN",
            "@monthly" => "0 0 1 * *",
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields[..] else {
            return Err(format!(
                "`{expression}` has {} fields; a cron expression has 5 (minute hour day-of-month month day-of-week)",
                fields.len()
            ));
        };
        let bits32 = |bits: u64| u32::try_from(bits).unwrap_or(u32::MAX);
        Ok(CronSchedule {
            expression: expression.trim().to_string(),
            time_zone: time_zone.to_string(),
            zone,
            minutes: field(minute, "minute", 0, 59, &[])?,
            hours: bits32(field(hour, "hour", 0, 23, &[])?),
            days: bits32(field(day, "day-of-month", 1, 31, &[])?),
            months: u16::try_from(field(month, "month", 1, 12, &MONTHS)?).unwrap_or(u16::MAX),
            weekdays: {
                // Day of week 7 is Sunday too.
                let bits = field(weekday, "day-of-week", 0, 7, &WEEKDAYS)?;
                u8::try_from((bits | (bits >> 7)) & 0x7f).unwrap_or(u8::MAX)
            },
            any_day: day == "*",
            any_weekday: weekday == "*",
        })
    }

    fn day_matches(&self, date: Date) -> bool {
        let day = self.days & (1 << date.day()) != 0;
        let weekday = self.weekdays & (1 << date.weekday().to_sunday_zero_offset()) != 0;
        let month = self.months & (1 << date.month()) != 0;
        month
            && match (self.any_day, self.any_weekday) {
                (true, true) => true,
                (true, false) => weekday,
                (false, true) => day,
                (false, false) => day || weekday,
            }
    }

    /// The first run strictly after `after_ms` (Unix milliseconds), looking
    /// up to five years ahead (`None` for an expression that never runs,
    /// such as 31 February).
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let after = Timestamp::from_millisecond(after_ms).ok()?;
        let mut date = after.to_zoned(self.zone.clone()).date();
        for _ in 0..(5 * 366) {
            if self.day_matches(date) {
                for hour in (0..24).filter(|h| self.hours & (1 << h) != 0) {
                    for minute in (0..60).filter(|m| self.minutes & (1u64 << m) != 0) {
                        let at = date
                            .at(i8::try_from(hour).ok()?, i8::try_from(minute).ok()?, 0, 0)
                            .to_zoned(self.zone.clone())
                            .ok()?
                            .timestamp()
                            .as_millisecond();
                        if at > after_ms {
                            return Some(at);
                        }
                    }
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>()
            .expect("a timestamp")
            .as_millisecond()
    }

    fn next(expression: &str, zone: &str, after: &str) -> String {
        let schedule = CronSchedule::parse(expression, zone).expect("parses");
        let at = schedule.next_after(ms(after)).expect("runs");
        Timestamp::from_millisecond(at).expect("valid").to_string()
    }

    #[test]
    fn the_default_is_monday_six_in_the_morning_utc() {
        // 2026-11-23 is a Monday.
        assert_eq!(
            next(DEFAULT_CRON, "UTC", "2026-11-23T05:59:00Z"),
            "2026-11-23T06:00:00Z"
        );
        assert_eq!(
            next(DEFAULT_CRON, "UTC", "2026-11-23T06:00:00Z"),
            "2026-11-30T06:00:00Z"
        );
    }

    #[test]
    fn wall_clock_time_holds_across_daylight_saving() {
        // Berlin is UTC+2 in summer and UTC+1 from 25 October 2026.
        assert_eq!(
            next("0 6 * * MON", "Europe/Berlin", "2026-10-13T00:00:00Z"),
            "2026-10-19T04:00:00Z"
        );
        assert_eq!(
            next("0 6 * * MON", "Europe/Berlin", "2026-10-20T00:00:00Z"),
            "2026-10-26T05:00:00Z"
        );
    }

    #[test]
    fn lists_ranges_steps_and_names() {
        assert_eq!(
            next("*/15 9-17 * * 1-5", "UTC", "2026-11-27T17:50:00Z"),
            "2026-11-30T09:00:00Z"
        );
        assert_eq!(
            next("30 2 1,15 * *", "UTC", "2026-11-02T00:00:00Z"),
            "2026-11-15T02:30:00Z"
        );
        assert_eq!(
            next("0 0 * DEC sun", "UTC", "2026-11-23T00:00:00Z"),
            "2026-12-06T00:00:00Z"
        );
        assert_eq!(
            next("@monthly", "UTC", "2026-11-23T00:00:00Z"),
            "2026-12-01T00:00:00Z"
        );
        // Both days restricted: either matches (1 December is a Tuesday).
        assert_eq!(
            next("0 0 1 * FRI", "UTC", "2026-11-28T00:00:00Z"),
            "2026-12-01T00:00:00Z"
        );
    }

    #[test]
    fn mistakes_are_named() {
        let error = |e: &str, z: &str| CronSchedule::parse(e, z).expect_err("invalid");
        assert!(error("0 6 * *", "UTC").contains("has 4 fields"));
        assert!(error("0 25 * * *", "UTC").contains("hour field: 25 is outside 0-23"));
        assert!(error("0 6 * * FUNDAY", "UTC").contains("`FUNDAY` is not a number"));
        assert!(error("*/0 6 * * *", "UTC").contains("step `0`"));
        assert!(error("0 6 * * MON", "Mars/Olympus").contains("`Mars/Olympus` is not a time zone"));
        let never = CronSchedule::parse("0 0 31 2 *", "UTC").expect("parses");
        assert_eq!(never.next_after(0), None);
    }
}
