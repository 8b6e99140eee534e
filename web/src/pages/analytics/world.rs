//! The world map of human scans (or views) by country: a server-rendered SVG choropleth that reads
//! without JavaScript. Each country is a `<path>` with a `<title>` ("France: 12 scans"), a legend
//! gives the ranges of the colour steps, and the country table beside it carries the same numbers
//! for screen readers. Shapes: Natural Earth 1:110m (public domain), compiled in from
//! `world/countries.tsv` (see `world/LICENSE.md` and `world/convert.mjs`).

use std::collections::HashMap;
use std::sync::LazyLock;

use askama::Template;

use analytics::query::Count;

/// ISO code, English name and SVG path of each country, in code order.
const COUNTRIES_TSV: &str = include_str!("world/countries.tsv");

/// Colour steps of the map, besides "none".
const STEPS: i64 = 5;

struct Shape {
    code: &'static str,
    name: &'static str,
    path: &'static str,
}

static SHAPES: LazyLock<Vec<Shape>> = LazyLock::new(|| parse(COUNTRIES_TSV));

static NAMES: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| SHAPES.iter().map(|s| (s.code, s.name)).collect());

fn parse(tsv: &'static str) -> Vec<Shape> {
    tsv.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            Some(Shape {
                code: fields.next()?,
                name: fields.next()?,
                path: fields.next()?,
            })
        })
        .collect()
}

/// The English name of an ISO 3166-1 alpha-2 code the map knows (`FR` → `France`).
pub fn country_name(code: &str) -> Option<&'static str> {
    NAMES.get(code).copied()
}

/// One country on the map.
pub struct Country {
    pub name: &'static str,
    pub path: &'static str,
    /// 0 (none counted) to [`STEPS`].
    pub step: i64,
    pub title: String,
}

/// One colour step of the legend.
pub struct LegendStep {
    pub step: i64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "pages/app/analytics_map.html")]
pub struct WorldMap {
    /// What is counted, plural ("scans", "views").
    pub noun: &'static str,
    pub countries: Vec<Country>,
    pub legend: Vec<LegendStep>,
}

impl WorldMap {
    /// The map of `counts` (ISO code → people), as the API's `by_country` lists them.
    pub fn new(counts: &[Count], noun: &'static str) -> WorldMap {
        WorldMap::of(&SHAPES, counts, noun)
    }

    fn of(shapes: &[Shape], counts: &[Count], noun: &'static str) -> WorldMap {
        let by_code: HashMap<&str, i64> =
            counts.iter().map(|c| (c.key.as_str(), c.count)).collect();
        // The legend covers what the map draws: `unknown` and codes without a shape are only in
        // the table.
        let max = shapes
            .iter()
            .filter_map(|s| by_code.get(s.code).copied())
            .max()
            .unwrap_or(0);
        let width = step_width(max);
        let countries = shapes
            .iter()
            .map(|s| {
                let count = by_code.get(s.code).copied().unwrap_or(0);
                Country {
                    name: s.name,
                    path: s.path,
                    step: step_of(count, width),
                    title: match count {
                        0 => format!("{}: no {noun}", s.name),
                        1 => format!("{}: 1 {}", s.name, singular(noun)),
                        n => format!("{}: {n} {noun}", s.name),
                    },
                }
            })
            .collect();
        let legend = (1..=STEPS)
            .map(|step| (step, (step - 1) * width + 1, step * width))
            .take_while(|(_, low, _)| *low <= max)
            .map(|(step, low, high)| LegendStep {
                step,
                label: if low == high.min(max) {
                    low.to_string()
                } else {
                    format!("{low}–{}", high.min(max))
                },
            })
            .collect();
        WorldMap {
            noun,
            countries,
            legend,
        }
    }
}

/// Counts per colour step: the range 1..=max cut into [`STEPS`] equal whole-number parts.
fn step_width(max: i64) -> i64 {
    ((max + STEPS - 1) / STEPS).max(1)
}

fn step_of(count: i64, width: i64) -> i64 {
    if count <= 0 {
        0
    } else {
        ((count - 1) / width + 1).min(STEPS)
    }
}

fn singular(noun: &str) -> &str {
    noun.strip_suffix('s').unwrap_or(noun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(key: &str, count: i64) -> Count {
        Count {
            key: key.to_owned(),
            count,
        }
    }

    #[test]
    fn the_vendored_map_is_whole_and_small() {
        assert!(SHAPES.len() > 170, "{} countries", SHAPES.len());
        assert!(COUNTRIES_TSV.len() < 100_000);
        assert_eq!(country_name("FR"), Some("France"));
        assert_eq!(country_name("DE"), Some("Germany"));
        assert!(
            SHAPES
                .iter()
                .all(|s| s.path.starts_with('M') && s.path.ends_with('z'))
        );
    }

    #[test]
    fn a_country_gets_the_step_of_its_count() {
        let map = WorldMap::new(&[count("FR", 12), count("DE", 3), count("US", 1)], "scans");
        let find = |name: &str| map.countries.iter().find(|c| c.name == name).unwrap();
        // 1..=12 in five steps of 3: 1–3, 4–6, 7–9, 10–12.
        assert_eq!(find("France").step, 4);
        assert_eq!(find("France").title, "France: 12 scans");
        assert_eq!(find("Germany").step, 1);
        assert_eq!(
            find("United States of America").title,
            "United States of America: 1 scan"
        );
        assert_eq!(find("Spain").step, 0);
        assert_eq!(find("Spain").title, "Spain: no scans");
        let legend: Vec<&str> = map.legend.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(legend, ["1–3", "4–6", "7–9", "10–12"]);
    }

    #[test]
    fn small_counts_get_one_step_each() {
        let map = WorldMap::new(&[count("FR", 2), count("DE", 1)], "views");
        let legend: Vec<&str> = map.legend.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(legend, ["1", "2"]);
        assert!(WorldMap::new(&[], "scans").legend.is_empty());
        // Scans of unknown origin are in the table, not on the map or its legend.
        assert!(
            WorldMap::new(&[count("unknown", 7)], "scans")
                .legend
                .is_empty()
        );
    }

    #[test]
    fn the_svg_has_a_title_per_country_and_escapes_names() {
        let shapes = parse("XX\tA <b>&\"land\"\tM0 0l1 1z\nFR\tFrance\tM2 2l1 1z\n");
        let html = WorldMap::of(&shapes, &[count("FR", 5)], "scans")
            .render()
            .unwrap();
        assert!(html.contains("<title>France: 5 scans</title>"), "{html}");
        assert!(
            html.contains("<title>A &#60;b&#62;&#38;&#34;land&#34;: no scans</title>"),
            "{html}"
        );
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains(r#"class="map-step-5""#), "{html}");
        assert!(html.contains("<svg"), "{html}");
    }
}
