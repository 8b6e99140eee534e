//! The referrer reduced to its domain: the path and query of where someone came from can carry
//! personal data (search terms, ids), the domain is what a dashboard needs.

/// `https://www.Instagram.com/p/xyz?igsh=..` → `instagram.com`; `None` when absent or not a URL.
pub fn domain(referrer: Option<&str>) -> Option<String> {
    let parsed = url::Url::parse(referrer?.trim()).ok()?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    (!host.is_empty()).then(|| host.to_owned())
}
