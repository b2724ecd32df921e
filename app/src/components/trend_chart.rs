//! The drift trend of one service as SVG: for each snapshot a bar of its
//! dependencies stacked by gap, and a line of its total libyears on its own
//! scale. The geometry is computed by a pure function so that it is tested
//! without a browser; the component only draws it.

use leptos::prelude::*;

use shipshape_types::drift::DriftSummary;
use shipshape_types::format::utc_timestamp;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 48.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// `major`, `minor`, `patch` or `up-to-date`.
    pub gap: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SnapshotMark {
    pub bars: Vec<Bar>,
    /// Where the libyears line passes for this snapshot.
    pub point: (f64, f64),
    /// What a pointer over it reads.
    pub title: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrendLayout {
    pub snapshots: Vec<SnapshotMark>,
    /// The SVG path of the libyears line.
    pub libyears_path: String,
    pub most_dependencies: i64,
    pub most_libyears: f64,
    pub first_label: String,
    pub last_label: String,
}

/// Lays out `history` (oldest first) in the chart's plot area.
pub fn layout(history: &[DriftSummary]) -> Option<TrendLayout> {
    if history.is_empty() {
        return None;
    }
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let slot = plot_width / history.len() as f64;
    let bar_width = (slot * 0.7).clamp(1.0, 28.0);
    let most_dependencies = history
        .iter()
        .map(|s| s.up_to_date + s.patch + s.minor + s.major)
        .max()
        .unwrap_or(0)
        .max(1);
    let most_libyears = history
        .iter()
        .map(|s| s.libyears)
        .fold(0.0_f64, f64::max)
        .max(0.01);
    let bottom = TOP + plot_height;
    let mut snapshots = Vec::with_capacity(history.len());
    let mut path = String::new();
    for (index, snapshot) in history.iter().enumerate() {
        let centre = LEFT + slot * (index as f64 + 0.5);
        let mut y = bottom;
        let mut bars = Vec::new();
        // Stacked from the bottom: up to date, then patch, minor, major on top.
        for (gap, count) in [
            ("up-to-date", snapshot.up_to_date),
            ("patch", snapshot.patch),
            ("minor", snapshot.minor),
            ("major", snapshot.major),
        ] {
            if count <= 0 {
                continue;
            }
            let height = plot_height * count as f64 / most_dependencies as f64;
            y -= height;
            bars.push(Bar {
                x: round(centre - bar_width / 2.0),
                y: round(y),
                width: round(bar_width),
                height: round(height),
                gap,
            });
        }
        let point = (
            round(centre),
            round(bottom - plot_height * snapshot.libyears / most_libyears),
        );
        path.push_str(&format!(
            "{}{},{}",
            if index == 0 { "M" } else { " L" },
            point.0,
            point.1
        ));
        snapshots.push(SnapshotMark {
            bars,
            point,
            title: format!(
                "{}: {:.2} libyears; {} major, {} minor, {} patch, {} up to date, {} unknown",
                utc_timestamp(snapshot.taken_ms),
                snapshot.libyears,
                snapshot.major,
                snapshot.minor,
                snapshot.patch,
                snapshot.up_to_date,
                snapshot.unknown
            ),
        });
    }
    let date = |ms: i64| utc_timestamp(ms).chars().take(10).collect::<String>();
    Some(TrendLayout {
        snapshots,
        libyears_path: path,
        most_dependencies,
        most_libyears,
        first_label: date(history[0].taken_ms),
        last_label: date(history[history.len() - 1].taken_ms),
    })
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[component]
pub fn TrendChart(history: Vec<DriftSummary>) -> impl IntoView {
    let count = history.len();
    let Some(chart) = layout(&history) else {
        return view! { <p class="muted">"No snapshot yet, so no trend."</p> }.into_any();
    };
    let bottom = HEIGHT - BOTTOM;
    let description = format!(
        "Drift over the last {count} snapshots: dependencies by gap as stacked bars, total libyears as a line."
    );
    let label = description.clone();
    let marks = chart
        .snapshots
        .into_iter()
        .map(|mark| {
            let bars = mark
                .bars
                .into_iter()
                .map(|bar| {
                    view! {
                        <rect
                            class=format!("bar-{}", bar.gap)
                            x=bar.x
                            y=bar.y
                            width=bar.width
                            height=bar.height
                        />
                    }
                })
                .collect_view();
            view! {
                <g class="snapshot" data-testid="trend-snapshot">
                    <title>{mark.title}</title>
                    {bars}
                    <circle class="point" cx=mark.point.0 cy=mark.point.1 r="3" />
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="trend" data-testid="drift-trend">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label>
                <desc>{description}</desc>
                <line class="axis" x1=LEFT y1=bottom x2=WIDTH - RIGHT y2=bottom />
                <line class="axis" x1=LEFT y1=TOP x2=LEFT y2=bottom />
                <line class="axis" x1=WIDTH - RIGHT y1=TOP x2=WIDTH - RIGHT y2=bottom />
                <text class="axis-label" x=LEFT - 4.0 y=TOP + 8.0 text-anchor="end">{chart.most_dependencies}</text>
                <text class="axis-label" x=LEFT - 4.0 y=bottom text-anchor="end">"0"</text>
                <text class="axis-label" x=WIDTH - RIGHT + 4.0 y=TOP + 8.0>{format!("{:.1}y", chart.most_libyears)}</text>
                <text class="axis-label" x=LEFT y=HEIGHT - 6.0>{chart.first_label}</text>
                <text class="axis-label" x=WIDTH - RIGHT y=HEIGHT - 6.0 text-anchor="end">{chart.last_label}</text>
                {marks}
                <path class="libyears" d=chart.libyears_path data-testid="trend-libyears" />
            </svg>
            <ul class="legend">
                <li><span class="swatch bar-major"></span>"major"</li>
                <li><span class="swatch bar-minor"></span>"minor"</li>
                <li><span class="swatch bar-patch"></span>"patch"</li>
                <li><span class="swatch bar-up-to-date"></span>"up to date"</li>
                <li><span class="swatch point"></span>"libyears (right scale)"</li>
            </ul>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(taken_ms: i64, libyears: f64, counts: [i64; 4]) -> DriftSummary {
        let [up_to_date, patch, minor, major] = counts;
        DriftSummary {
            taken_ms,
            revision: "r".into(),
            dependency_count: up_to_date + patch + minor + major,
            libyears,
            up_to_date,
            patch,
            minor,
            major,
            unknown: 0,
            range_only: 0,
        }
    }

    #[test]
    fn no_history_draws_nothing() {
        assert_eq!(layout(&[]), None);
    }

    #[test]
    fn bars_stack_by_gap_and_scale_to_the_largest_snapshot() {
        let day = 86_400_000;
        let chart = layout(&[
            snapshot(1_795_424_000_000, 2.0, [10, 0, 0, 0]),
            snapshot(1_795_424_000_000 + day, 4.0, [5, 5, 5, 5]),
        ])
        .expect("a chart");
        assert_eq!(chart.most_dependencies, 20);
        let bottom = HEIGHT - BOTTOM;
        let plot = HEIGHT - TOP - BOTTOM;
        let first = &chart.snapshots[0];
        assert_eq!(first.bars.len(), 1, "empty gaps draw no bar");
        assert_eq!(first.bars[0].height, round(plot / 2.0));
        let second = &chart.snapshots[1];
        let gaps: Vec<&str> = second.bars.iter().map(|b| b.gap).collect();
        assert_eq!(gaps, ["up-to-date", "patch", "minor", "major"]);
        let top = second.bars.last().expect("major bar");
        assert!(
            (top.y - TOP).abs() < 0.2,
            "the fullest bar reaches the top: {top:?}"
        );
        assert!(second.bars[0].y + second.bars[0].height <= bottom + 0.1);
        // The libyears line: the larger value is higher (smaller y).
        assert!(second.point.1 < first.point.1);
        assert!((second.point.1 - TOP).abs() < 0.2);
        assert!(chart.libyears_path.starts_with('M') && chart.libyears_path.contains(" L"));
        assert_eq!(chart.first_label, "2026-11-23");
        assert_eq!(chart.last_label, "2026-11-24");
        assert!(second.title.contains("4.00 libyears; 5 major"));
    }

    #[test]
    fn a_single_empty_snapshot_still_lays_out_inside_the_plot() {
        let chart = layout(&[snapshot(0, 0.0, [0, 0, 0, 0])]).expect("a chart");
        let (x, y) = chart.snapshots[0].point;
        assert!((LEFT..=WIDTH - RIGHT).contains(&x));
        assert_eq!(y, HEIGHT - BOTTOM);
        assert!(chart.snapshots[0].bars.is_empty());
    }
}
