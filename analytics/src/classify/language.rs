//! The visitor's preferred language from `Accept-Language`: the primary subtag of the entry with
//! the highest weight (`fr-CH, en;q=0.8` → `fr`). Regions are dropped: they add little to a
//! dashboard and a lot to fingerprinting.

pub fn preferred(accept_language: Option<&str>) -> Option<String> {
    let mut best: Option<(f32, &str)> = None;
    for entry in accept_language?.split(',') {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let weight = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok());
        let Some(weight) = weight.filter(|w| *w > 0.0) else {
            continue;
        };
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        let valid =
            (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
        if valid && best.is_none_or(|(w, _)| weight > w) {
            best = Some((weight, primary));
        }
    }
    best.map(|(_, tag)| tag.to_ascii_lowercase())
}
