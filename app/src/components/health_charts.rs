//! Health drawn in SVG by the app: the level pill, the Overview's latency
//! sparkline, the 90-day uptime bar and the service page's latency chart.
//! Geometry comes from pure functions, tested without a browser.

use leptos::prelude::*;

use shipshape_types::format::{utc_date, utc_timestamp};
use shipshape_types::health::{DayCell, HealthLevel, LatencyPoint, day_class, percent};

/// A level in colour and words (never colour alone).
#[component]
pub fn HealthPill(level: HealthLevel) -> impl IntoView {
    let class = format!("health-pill health-{}", level.name());
    view! {
        <span class=class data-level=level.name()>
            <span class="dot" aria-hidden="true"></span>
            {level.label()}
        </span>
    }
}

/// SVG path data for a line through `values` across `width` × `height`,
/// broken where a value is missing; a value alone between gaps gets a
/// tiny stroke so that (with round caps) it shows as a dot. `None` when
/// nothing is to be drawn.
pub fn line_path(values: &[Option<u64>], width: f64, height: f64, most: u64) -> Option<String> {
    if values.is_empty() || most == 0 {
        return None;
    }
    let step = if values.len() > 1 {
        width / (values.len() - 1) as f64
    } else {
        0.0
    };
    let mut path = String::new();
    let mut run = 0;
    for (i, value) in values.iter().enumerate() {
        match value {
            Some(v) => {
                let x = i as f64 * step;
                let y = height - (*v as f64 / most as f64) * height;
                path.push_str(&format!(
                    "{}{x:.1},{y:.1} ",
                    if run > 0 { "L" } else { "M" }
                ));
                run += 1;
            }
            None => {
                if run == 1 {
                    path.push_str("h0.1 ");
                }
                run = 0;
            }
        }
    }
    if run == 1 {
        path.push_str("h0.1");
    }
    (!path.is_empty()).then(|| path.trim_end().to_string())
}

/// The last hour's median latency per minute, in a small SVG.
#[component]
pub fn Sparkline(values: Vec<Option<u64>>) -> impl IntoView {
    let most = values.iter().flatten().copied().max().unwrap_or(0);
    let last = values.iter().rev().flatten().next().copied();
    let label = match last {
        Some(ms) => format!("Latency over the last hour; latest median {ms} ms, slowest {most} ms"),
        None => "No latency measured in the last hour".to_string(),
    };
    let path = line_path(&values, 96.0, 20.0, most.max(1));
    let title = label.clone();
    view! {
        <svg class="sparkline" viewBox="0 -1 96 22" width="96" height="22" role="img" aria-label=label>
            <title>{title}</title>
            {path.map(|d| view! { <path d=d fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round" /> })}
        </svg>
        {last.map(|ms| view! { <span class="latency-now">{format!("{ms} ms")}</span> })}
    }
}

/// What a pointer over a day of the uptime bar reads.
pub fn day_title(day: &DayCell) -> String {
    let date = utc_date(day.start_ms);
    match day.uptime {
        None => format!("{date}: no data"),
        Some(_) => format!(
            "{date}: {} up, {} of {} checks down",
            percent(day.uptime),
            day.down_checks,
            day.checks
        ),
    }
}

/// One cell per day, coloured by the day's uptime, with its figures on hover.
#[component]
pub fn UptimeBar(days: Vec<DayCell>) -> impl IntoView {
    let width = days.len() as f64 * 6.0;
    let summary = {
        let (down_days, measured) = days.iter().fold((0, 0), |(down, measured), d| {
            (
                down + usize::from(d.down_checks > 0),
                measured + usize::from(d.uptime.is_some()),
            )
        });
        format!(
            "{} days: {measured} with data, {down_days} with failed checks",
            days.len()
        )
    };
    view! {
        <svg class="uptime-bar" viewBox=format!("0 0 {width} 28") preserveAspectRatio="none"
             role="img" aria-label=summary>
            {days
                .into_iter()
                .enumerate()
                .map(|(i, day)| {
                    let title = day_title(&day);
                    view! {
                        <rect class=day_class(day.uptime) x=format!("{}", i as f64 * 6.0) y="0"
                              width="4.5" height="28" rx="1">
                            <title>{title}</title>
                        </rect>
                    }
                })
                .collect_view()}
        </svg>
    }
}

/// The latency chart's lines and scale.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyLayout {
    pub p50: Option<String>,
    pub p95: Option<String>,
    pub p99: Option<String>,
    /// The top of the scale, a round number of ms.
    pub top_ms: u64,
}

const CHART_WIDTH: f64 = 600.0;
const CHART_HEIGHT: f64 = 140.0;

/// A round scale top at or above `most`: 1, 2 or 5 times a power of ten.
pub fn round_top(most: u64) -> u64 {
    let mut power = 1;
    loop {
        for step in [1, 2, 5] {
            if step * power >= most.max(1) {
                return step * power;
            }
        }
        power *= 10;
    }
}

pub fn latency_layout(points: &[LatencyPoint]) -> Option<LatencyLayout> {
    let most = points
        .iter()
        .filter_map(|p| p.p99_ms.or(p.p95_ms).or(p.p50_ms))
        .max()?;
    let top_ms = round_top(most);
    let line = |pick: fn(&LatencyPoint) -> Option<u64>| {
        let values: Vec<Option<u64>> = points.iter().map(pick).collect();
        line_path(&values, CHART_WIDTH, CHART_HEIGHT, top_ms)
    };
    Some(LatencyLayout {
        p50: line(|p| p.p50_ms),
        p95: line(|p| p.p95_ms),
        p99: line(|p| p.p99_ms),
        top_ms,
    })
}

/// p50, p95 and p99 latency over the last 24 hours.
#[component]
pub fn LatencyChart(points: Vec<LatencyPoint>) -> impl IntoView {
    let Some(layout) = latency_layout(&points) else {
        return view! { <p class="muted">"No latency measured in the last 24 hours."</p> }
            .into_any();
    };
    let first = points
        .first()
        .map(|p| utc_timestamp(p.start_ms))
        .unwrap_or_default();
    let top = layout.top_ms;
    view! {
        <figure class="latency-chart">
            <svg viewBox=format!("-44 -8 {} {}", CHART_WIDTH + 52.0, CHART_HEIGHT + 28.0)
                 role="img" aria-label=format!("Latency percentiles over the last 24 hours, scale up to {top} ms")>
                <line class="axis" x1="0" y1=CHART_HEIGHT.to_string() x2=CHART_WIDTH.to_string() y2=CHART_HEIGHT.to_string() />
                <line class="grid" x1="0" y1="0" x2=CHART_WIDTH.to_string() y2="0" />
                <line class="grid" x1="0" y1=(CHART_HEIGHT / 2.0).to_string() x2=CHART_WIDTH.to_string() y2=(CHART_HEIGHT / 2.0).to_string() />
                <text class="tick" x="-6" y="4" text-anchor="end">{format!("{top} ms")}</text>
                <text class="tick" x="-6" y=(CHART_HEIGHT / 2.0 + 4.0).to_string() text-anchor="end">{format!("{} ms", top / 2)}</text>
                <text class="tick" x="-6" y=(CHART_HEIGHT + 4.0).to_string() text-anchor="end">"0"</text>
                <text class="tick" x="0" y=(CHART_HEIGHT + 18.0).to_string()>{first}</text>
                <text class="tick" x=CHART_WIDTH.to_string() y=(CHART_HEIGHT + 18.0).to_string() text-anchor="end">"now"</text>
                {layout.p99.map(|d| view! { <path class="line-p99" d=d fill="none" /> })}
                {layout.p95.map(|d| view! { <path class="line-p95" d=d fill="none" /> })}
                {layout.p50.map(|d| view! { <path class="line-p50" d=d fill="none" /> })}
            </svg>
            <figcaption class="legend">
                <span class="key key-p50">"p50"</span>
                <span class="key key-p95">"p95"</span>
                <span class="key key-p99">"p99"</span>
                " per 15 minutes, last 24 hours"
            </figcaption>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_break_at_gaps_and_scale_to_the_top() {
        let path = line_path(&[Some(0), Some(50), None, Some(100)], 30.0, 10.0, 100).expect("path");
        assert_eq!(path, "M0.0,10.0 L10.0,5.0 M30.0,0.0 h0.1");
        assert_eq!(line_path(&[None, None], 30.0, 10.0, 100), None);
        assert_eq!(line_path(&[], 30.0, 10.0, 100), None);
    }

    #[test]
    fn scale_tops_are_round() {
        assert_eq!(round_top(0), 1);
        assert_eq!(round_top(7), 10);
        assert_eq!(round_top(130), 200);
        assert_eq!(round_top(2_001), 5_000);
        assert_eq!(round_top(500), 500);
    }

    #[test]
    fn latency_layout_scales_to_the_slowest_p99() {
        let point = |p50, p99| LatencyPoint {
            start_ms: 0,
            p50_ms: Some(p50),
            p95_ms: Some(p99),
            p99_ms: Some(p99),
        };
        let layout = latency_layout(&[point(10, 90), point(20, 180)]).expect("layout");
        assert_eq!(layout.top_ms, 200);
        assert_eq!(layout.p99.as_deref(), Some("M0.0,77.0 L600.0,14.0"));
        assert!(latency_layout(&[]).is_none());
    }

    #[test]
    fn day_titles_give_the_date_and_figures() {
        let day = DayCell {
            start_ms: 1_795_392_000_000,
            uptime: Some(0.99),
            down_checks: 3,
            checks: 300,
        };
        assert_eq!(
            day_title(&day),
            "2026-11-23: 99.00% up, 3 of 300 checks down"
        );
        let empty = DayCell {
            uptime: None,
            ..day
        };
        assert_eq!(day_title(&empty), "2026-11-23: no data");
    }
}
