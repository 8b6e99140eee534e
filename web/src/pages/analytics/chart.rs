//! Chart geometry for the dashboards' server-rendered SVG. Everything computed here is a number
//! (coordinates, sizes) or a label the template escapes; the templates draw it, so the charts
//! read without JavaScript and carry a `<title>` per bar for screen readers and hover.

/// One bucket of a time series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// The bucket's start as the API labels it (RFC 3339).
    pub t: String,
    pub total: i64,
    pub human: i64,
    pub unique: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub x: f64,
    pub width: f64,
    /// The human part (bottom of the column).
    pub human_y: f64,
    pub human_height: f64,
    /// The bot part (stacked above).
    pub bot_y: f64,
    pub bot_height: f64,
    /// Spoken and hovered: "2026-11-20: 12 scans, 10 human, 8 daily unique".
    pub title: String,
}

impl Column {
    /// A column from `x` standing on `bottom`: `human_h` of people under `bot_h` of bots.
    pub fn stacked(
        x: f64,
        width: f64,
        bottom: f64,
        (human_h, bot_h): (f64, f64),
        title: String,
    ) -> Column {
        Column {
            x: round(x),
            width: round(width),
            human_y: round(bottom - human_h),
            human_height: round(human_h),
            bot_y: round(bottom - human_h - bot_h),
            bot_height: round(bot_h),
            title,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub y: f64,
    pub value: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct XLabel {
    pub x: f64,
    pub text: String,
    /// `start` for the first label, `end` for the last, so neither runs past the plot.
    pub anchor: &'static str,
}

/// A column chart of a series: human (solid) under bots (pale), uniques as a line.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesChart {
    pub width: f64,
    pub height: f64,
    pub plot_left: f64,
    pub plot_bottom: f64,
    pub columns: Vec<Column>,
    /// `points` of an SVG polyline (numbers only).
    pub unique_line: String,
    pub ticks: Vec<Tick>,
    pub labels: Vec<XLabel>,
    /// One sentence for `aria-label`/`<desc>`.
    pub summary: String,
    pub points: Vec<Point>,
    /// `wide`, or `narrow`: the same series drawn for phones.
    pub variant: &'static str,
    /// The phone drawing: 340 units wide, so its 14-unit labels stay >= 12 px in a 300 px card
    /// (the wide one's would shrink to 5 px). CSS shows one or the other.
    pub narrow: Option<Box<SeriesChart>>,
}

/// The sizes of one drawing.
struct Frame {
    width: f64,
    height: f64,
    labels: usize,
    variant: &'static str,
}

const WIDE: Frame = Frame {
    width: 720.0,
    height: 240.0,
    labels: 6,
    variant: "wide",
};
const NARROW: Frame = Frame {
    width: 340.0,
    height: 200.0,
    labels: 3,
    variant: "narrow",
};
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

impl SeriesChart {
    /// `noun` names what is counted ("scans", "views").
    pub fn new(mut points: Vec<Point>, noun: &str, trim_leading_empty: bool) -> SeriesChart {
        if trim_leading_empty {
            let first = points.iter().position(|p| p.total > 0).unwrap_or(0);
            points.drain(..first);
        }
        let narrow = SeriesChart::drawn(points.clone(), noun, &NARROW);
        SeriesChart {
            narrow: Some(Box::new(narrow)),
            ..SeriesChart::drawn(points, noun, &WIDE)
        }
    }

    /// Both drawings, wide first (the template draws each; CSS shows the one that fits).
    pub fn drawings(&self) -> Vec<&SeriesChart> {
        std::iter::once(self)
            .chain(self.narrow.as_deref())
            .collect()
    }

    fn drawn(points: Vec<Point>, noun: &str, frame: &Frame) -> SeriesChart {
        let (width, height) = (frame.width, frame.height);
        let max = points.iter().map(|p| p.total).max().unwrap_or(0);
        let top = nice_ceiling(max);
        let plot_w = width - LEFT - RIGHT;
        let plot_h = height - TOP - BOTTOM;
        let bottom = height - BOTTOM;
        let step = plot_w / points.len().max(1) as f64;
        let gap = (step * 0.15).min(4.0);
        let scale = |v: i64| v as f64 / top as f64 * plot_h;
        let mut columns = Vec::with_capacity(points.len());
        let mut line = Vec::with_capacity(points.len());
        for (i, p) in points.iter().enumerate() {
            let x = LEFT + i as f64 * step;
            let human_h = scale(p.human);
            let bot_h = scale((p.total - p.human).max(0));
            columns.push(Column::stacked(
                x + gap / 2.0,
                (step - gap).max(0.5),
                bottom,
                (human_h, bot_h),
                format!(
                    "{}: {} {noun}, {} human, {} daily unique",
                    short_label(&p.t),
                    p.total,
                    p.human,
                    p.unique
                ),
            ));
            line.push(format!(
                "{},{}",
                round(x + step / 2.0),
                round(bottom - scale(p.unique))
            ));
        }
        let ticks = (0..=4)
            .map(|i| Tick {
                y: round(bottom - plot_h * f64::from(i) / 4.0),
                value: top * i64::from(i) / 4,
            })
            .collect();
        let last = points.len().saturating_sub(1);
        let labels = label_positions(points.len(), frame.labels)
            .into_iter()
            .map(|i| {
                let (x, anchor) = match i {
                    0 if last > 0 => (LEFT + i as f64 * step, "start"),
                    _ if i == last && last > 0 => (LEFT + (i as f64 + 1.0) * step, "end"),
                    _ => (LEFT + (i as f64 + 0.5) * step, "middle"),
                };
                XLabel {
                    x: round(x),
                    text: short_label(&points[i].t),
                    anchor,
                }
            })
            .collect();
        let total: i64 = points.iter().map(|p| p.total).sum();
        let summary = match (points.first(), points.last()) {
            (Some(first), Some(last)) => format!(
                "{total} {noun} from {} to {}, at most {max} in one period",
                short_label(&first.t),
                short_label(&last.t)
            ),
            _ => format!("No {noun} in this range"),
        };
        SeriesChart {
            width,
            height,
            plot_left: LEFT,
            plot_bottom: bottom,
            columns,
            unique_line: line.join(" "),
            ticks,
            labels,
            summary,
            points,
            variant: frame.variant,
            narrow: None,
        }
    }

    pub fn plot_right(&self) -> f64 {
        self.width - RIGHT
    }
}

/// One row of a breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub key: String,
    pub count: i64,
    /// Share of the breakdown's total, in percent (one decimal).
    pub share: f64,
    pub y: f64,
    pub width: f64,
    /// The page filtered by this row (click-to-filter); `None` for "Other".
    pub href: Option<String>,
}

/// A horizontal bar chart of one breakdown (top rows, the rest as "Other").
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    /// Unique within the page (for `aria-labelledby`).
    pub id: &'static str,
    pub title: &'static str,
    pub rows: Vec<Bar>,
    pub total: i64,
    pub width: f64,
    pub height: f64,
    pub label_width: f64,
    pub bar_max: f64,
}

const BAR_ROWS: usize = 8;
const ROW_H: f64 = 26.0;
const BARS_WIDTH: f64 = 340.0;
const LABEL_W: f64 = 120.0;
const COUNT_W: f64 = 64.0;

impl Bars {
    /// `counts` as the API gives them: `(key, count)`, most first.
    pub fn new(id: &'static str, title: &'static str, counts: &[(String, i64)]) -> Bars {
        let total: i64 = counts.iter().map(|(_, c)| *c).sum();
        let mut rows: Vec<(String, i64)> = counts.iter().take(BAR_ROWS).cloned().collect();
        if counts.len() > BAR_ROWS {
            let rest: i64 = counts[BAR_ROWS..].iter().map(|(_, c)| *c).sum();
            rows.push(("Other".to_owned(), rest));
        }
        let max = rows.iter().map(|(_, c)| *c).max().unwrap_or(0).max(1);
        let bar_max = BARS_WIDTH - LABEL_W - COUNT_W;
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(i, (key, count))| Bar {
                share: share(count, total),
                y: i as f64 * ROW_H,
                width: round((count as f64 / max as f64 * bar_max).max(1.0)),
                // 16 characters of 13 px text fit the label column (names are longer than ids).
                key: truncate(&key, 16),
                count,
                href: None,
            })
            .collect::<Vec<_>>();
        Bars {
            id,
            title,
            height: (rows.len() as f64 * ROW_H).max(ROW_H),
            rows,
            total,
            width: BARS_WIDTH,
            label_width: LABEL_W,
            bar_max,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Each shown row (not "Other") links to `href(key)`; `keys` are the API's keys in the
    /// order the counts were given (the labels may be names).
    pub fn linked(mut self, keys: &[&str], href: impl Fn(&str) -> String) -> Bars {
        for (row, key) in self.rows.iter_mut().zip(keys).take(BAR_ROWS) {
            row.href = Some(href(key));
        }
        self
    }

    /// Whether the rows are links (the SVG is then a group of links rather than one image).
    pub fn is_linked(&self) -> bool {
        self.rows.iter().any(|r| r.href.is_some())
    }
}

/// Percent of `total`, one decimal.
pub fn share(count: i64, total: i64) -> f64 {
    if total <= 0 {
        0.0
    } else {
        (count as f64 * 1000.0 / total as f64).round() / 10.0
    }
}

/// A round number at or above `max` for the top of the axis (1, 2, 5 × 10ⁿ; at least 4 so the
/// four gridlines are whole numbers).
pub fn nice_ceiling(max: i64) -> i64 {
    if max <= 4 {
        return 4;
    }
    let mut magnitude = 1;
    while magnitude * 10 <= max {
        magnitude *= 10;
    }
    for step in [1, 2, 4, 5, 8, 10] {
        if step * magnitude >= max {
            let top = step * magnitude;
            // Keep quarters whole.
            return top + (4 - top % 4) % 4;
        }
    }
    10 * magnitude
}

/// Which buckets get an x-axis label: the first, the last and evenly between, `count` in all.
fn label_positions(n: usize, count: usize) -> Vec<usize> {
    match n {
        0 => Vec::new(),
        _ if n <= count => (0..n).collect(),
        _ => {
            let mut out: Vec<usize> = (0..count).map(|k| k * (n - 1) / (count - 1)).collect();
            out.dedup();
            out
        }
    }
}

/// `2026-11-20T00:00:00+00:00` → `2026-11-20`; hourly buckets keep the hour (`11-20 14:00`).
pub fn short_label(t: &str) -> String {
    match t.get(..16) {
        Some(head) if t.get(11..16) != Some("00:00") => {
            format!("{} {}", &head[5..10], &head[11..16])
        }
        _ => t.get(..10).unwrap_or(t).to_owned(),
    }
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(t: &str, total: i64, human: i64) -> Point {
        Point {
            t: t.into(),
            total,
            human,
            unique: human,
        }
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_ceiling(0), 4);
        assert_eq!(nice_ceiling(7), 8);
        assert_eq!(nice_ceiling(13), 20);
        assert_eq!(nice_ceiling(180), 200);
        assert_eq!(nice_ceiling(11_000), 20_000);
    }

    #[test]
    fn columns_stack_humans_under_bots_within_the_plot() {
        let chart = SeriesChart::new(
            vec![
                point("2026-11-20T00:00:00+00:00", 10, 6),
                point("2026-11-21T00:00:00+00:00", 0, 0),
            ],
            "scans",
            false,
        );
        let c = &chart.columns[0];
        assert!(c.human_height > 0.0 && c.bot_height > 0.0);
        assert!((c.bot_y + c.bot_height - c.human_y).abs() < 0.2, "stacked");
        assert!(c.bot_y >= TOP - 0.1, "inside the plot");
        assert_eq!(c.title, "2026-11-20: 10 scans, 6 human, 6 daily unique");
        assert_eq!(chart.columns[1].human_height, 0.0);
        assert!(
            chart
                .summary
                .starts_with("10 scans from 2026-11-20 to 2026-11-21")
        );
    }

    #[test]
    fn all_time_charts_start_at_the_first_activity() {
        let chart = SeriesChart::new(
            vec![
                point("2025-01-01T00:00:00+00:00", 0, 0),
                point("2025-02-01T00:00:00+00:00", 3, 3),
                point("2025-03-01T00:00:00+00:00", 0, 0),
            ],
            "scans",
            true,
        );
        assert_eq!(chart.columns.len(), 2);
    }

    #[test]
    fn phones_get_a_narrow_drawing_with_three_labels_inside_the_plot() {
        let points: Vec<Point> = (1..=30)
            .map(|d| point(&format!("2026-11-{d:02}T00:00:00+00:00"), d, d))
            .collect();
        let chart = SeriesChart::new(points, "scans", false);
        assert_eq!((chart.variant, chart.width), ("wide", 720.0));
        assert_eq!(chart.labels.len(), 6);
        let narrow = chart.narrow.as_deref().expect("a phone drawing");
        assert_eq!((narrow.variant, narrow.width), ("narrow", 340.0));
        let anchors: Vec<&str> = narrow.labels.iter().map(|l| l.anchor).collect();
        assert_eq!(anchors, ["start", "middle", "end"]);
        assert_eq!(narrow.labels[2].x, narrow.plot_right());
        assert_eq!(narrow.columns.len(), 30);
        assert_eq!(chart.drawings().len(), 2);
    }

    #[test]
    fn hourly_labels_keep_the_hour() {
        assert_eq!(short_label("2026-11-20T14:00:00+00:00"), "11-20 14:00");
        assert_eq!(short_label("2026-11-20T00:00:00+00:00"), "2026-11-20");
    }

    #[test]
    fn breakdowns_keep_the_top_rows_and_sum_the_rest() {
        let counts: Vec<(String, i64)> = (0..12).map(|i| (format!("k{i}"), 12 - i)).collect();
        let bars = Bars::new("os", "OS", &counts);
        assert_eq!(bars.rows.len(), 9);
        assert_eq!(bars.rows[8].key, "Other");
        assert_eq!(bars.rows[8].count, 4 + 3 + 2 + 1);
        assert_eq!(bars.total, 78);
        assert_eq!(bars.rows[0].width, bars.bar_max);
        assert_eq!(share(1, 3), 33.3);
    }
}
