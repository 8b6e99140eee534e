//! The plans shown on /pricing, from `PRICING_PLANS` (`Name:price`, comma-separated).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub name: String,
    pub price: String,
    /// What the plan is for, in one line (known names get a description; others none).
    pub blurb: &'static str,
}

/// Parses the setting; entries without a name or price are skipped, and at most 3 are kept.
pub fn parse(entries: &[String]) -> Vec<Plan> {
    entries
        .iter()
        .filter_map(|entry| {
            let (name, price) = entry.split_once(':')?;
            let (name, price) = (name.trim(), price.trim());
            let fits = |s: &str, max: usize| !s.is_empty() && s.chars().count() <= max;
            (fits(name, 30) && fits(price, 30)).then(|| Plan {
                name: name.to_owned(),
                price: price.to_owned(),
                blurb: blurb(name),
            })
        })
        .take(3)
        .collect()
}

fn blurb(name: &str) -> &'static str {
    match name.to_ascii_lowercase().as_str() {
        "creator" => "For one creator: unlimited dynamic codes, a microsite, scan analytics.",
        "pro" => "For small businesses: saved brand styles, bulk codes, CSV exports.",
        "business" => "For teams: several workspaces, custom domains, priority support.",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_prices_and_skips_junk() {
        let plans = parse(&[
            "Creator:$9/month".into(),
            "broken".into(),
            " Pro : $19/month ".into(),
            ":$1".into(),
            "Business:$49/month".into(),
            "Extra:$99".into(),
        ]);
        let names: Vec<&str> = plans.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Creator", "Pro", "Business"]);
        assert_eq!(plans[1].price, "$19/month");
        assert!(!plans[0].blurb.is_empty());
    }
}
