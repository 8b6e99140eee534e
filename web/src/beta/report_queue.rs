//! The abuse-report queue's rules, without HTTP or SQL: what a report names (one of our codes,
//! one of our pages, or something else), which reports are about the same thing (grouped so a
//! code reported ten times is one decision), and which actions make sense for which kind.

use std::collections::HashMap;

use microsite::slug::Slug;

use super::REPORT_REASONS;
use super::report_store::{Report, ReportStatus};

/// What a report is about, normalised so that every spelling of one target groups together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReportTarget {
    /// A short code (`AbC123x`, `https://…/r/AbC123x`), lowercased.
    Code(String),
    /// A page's slug (`https://…/m/my-page`).
    Microsite(String),
    /// Anything else (a URL that is not one of ours), as the reporter typed it.
    Other(String),
}

impl ReportTarget {
    /// What `raw` (a report's target as stored) names. Any host is accepted: a code or page is
    /// reached through custom domains too, and the owning service is asked whether it exists.
    pub fn of(raw: &str) -> ReportTarget {
        let raw = raw.trim();
        match url::Url::parse(raw) {
            Ok(url) => {
                let mut segments = url.path().trim_matches('/').split('/');
                match (segments.next(), segments.next(), segments.next()) {
                    (Some("r"), Some(code), None) if is_code(code) => {
                        ReportTarget::Code(code.to_ascii_lowercase())
                    }
                    // `/m/{slug}` and its link hops `/m/{slug}/l/{block}`.
                    (Some("m"), Some(slug), _) if Slug::parse(slug).is_ok() => {
                        ReportTarget::Microsite(slug.to_owned())
                    }
                    _ => ReportTarget::Other(raw.to_owned()),
                }
            }
            Err(_) if is_code(raw) => ReportTarget::Code(raw.to_ascii_lowercase()),
            Err(_) => ReportTarget::Other(raw.to_owned()),
        }
    }

    /// The form value naming this target (`code:abc123`), read back by [`ReportTarget::parse_key`].
    pub fn key(&self) -> String {
        match self {
            ReportTarget::Code(code) => format!("code:{code}"),
            ReportTarget::Microsite(slug) => format!("microsite:{slug}"),
            ReportTarget::Other(raw) => format!("other:{raw}"),
        }
    }

    pub fn parse_key(key: &str) -> Option<ReportTarget> {
        let (kind, value) = key.split_once(':')?;
        let target = match kind {
            "code" => ReportTarget::Code(value.to_owned()),
            "microsite" => ReportTarget::Microsite(value.to_owned()),
            "other" => ReportTarget::Other(value.to_owned()),
            _ => return None,
        };
        // Only a key this module made names a target: it must read back to itself.
        (ReportTarget::of(&target.sample()) == target).then_some(target)
    }

    /// A report target that classifies as this one.
    fn sample(&self) -> String {
        match self {
            ReportTarget::Code(code) => code.clone(),
            ReportTarget::Microsite(slug) => format!("https://x.invalid/m/{slug}"),
            ReportTarget::Other(raw) => raw.clone(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ReportTarget::Code(_) => "Code",
            ReportTarget::Microsite(_) => "Page",
            ReportTarget::Other(_) => "Other",
        }
    }

    /// The code, slug or text, for display.
    pub fn value(&self) -> &str {
        match self {
            ReportTarget::Code(v) | ReportTarget::Microsite(v) | ReportTarget::Other(v) => v,
        }
    }
}

fn is_code(candidate: &str) -> bool {
    (3..=64).contains(&candidate.len())
        && candidate
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// What the founder can do about a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportAction {
    DisableCode,
    UnpublishPage,
    /// Disables the owner's account (of the code or page): no sign-in, every code disabled.
    DisableAccount,
    /// Nothing wrong, or nothing to do.
    Dismiss,
}

impl ReportAction {
    pub const ALL: [ReportAction; 4] = [
        Self::DisableCode,
        Self::UnpublishPage,
        Self::DisableAccount,
        Self::Dismiss,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DisableCode => "disable_code",
            Self::UnpublishPage => "unpublish_page",
            Self::DisableAccount => "disable_account",
            Self::Dismiss => "dismiss",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    /// The button that does it.
    pub fn button(self) -> &'static str {
        match self {
            Self::DisableCode => "Disable code",
            Self::UnpublishPage => "Unpublish page",
            Self::DisableAccount => "Disable account",
            Self::Dismiss => "Dismiss",
        }
    }

    pub fn button_class(self) -> &'static str {
        match self {
            Self::Dismiss => "btn-ghost",
            _ => "btn-danger",
        }
    }

    /// Disabling a code tells its owner why (qr requires a reason).
    pub fn needs_reason(self) -> bool {
        self == Self::DisableCode
    }

    /// What the closed reports say was done.
    pub fn done(self) -> &'static str {
        match self {
            Self::DisableCode => "Code disabled",
            Self::UnpublishPage => "Page unpublished",
            Self::DisableAccount => "Account disabled",
            Self::Dismiss => "Dismissed",
        }
    }

    /// Dismissing is the one decision that does nothing.
    pub fn status(self) -> ReportStatus {
        match self {
            Self::Dismiss => ReportStatus::Dismissed,
            _ => ReportStatus::Acted,
        }
    }

    /// Whether this action means anything for `target` (an account has an owner only through a
    /// code or page of ours).
    pub fn applies_to(self, target: &ReportTarget) -> bool {
        matches!(
            (self, target),
            (Self::DisableCode, ReportTarget::Code(_))
                | (Self::UnpublishPage, ReportTarget::Microsite(_))
                | (
                    Self::DisableAccount,
                    ReportTarget::Code(_) | ReportTarget::Microsite(_)
                )
                | (Self::Dismiss, _)
        )
    }
}

/// The reports about one target (open ones), or one decision about it (closed ones).
#[derive(Debug, Clone)]
pub struct ReportGroup {
    pub target: ReportTarget,
    /// Newest first.
    pub reports: Vec<Report>,
}

impl ReportGroup {
    pub fn count(&self) -> usize {
        self.reports.len()
    }

    pub fn latest(&self) -> &Report {
        &self.reports[0]
    }

    pub fn first_at(&self) -> i64 {
        self.reports.iter().map(|r| r.created_at).min().unwrap_or(0)
    }

    /// Each reason given, as the form names it, with how many reports gave it; most given first.
    pub fn reasons(&self) -> Vec<(&'static str, usize)> {
        let mut counts: Vec<(&'static str, usize)> = Vec::new();
        for report in &self.reports {
            let label = reason_label(&report.reason);
            match counts.iter_mut().find(|(l, _)| *l == label) {
                Some((_, n)) => *n += 1,
                None => counts.push((label, 1)),
            }
        }
        counts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        counts
    }

    /// The details reporters wrote, newest first.
    pub fn details(&self) -> impl Iterator<Item = &str> {
        self.reports.iter().filter_map(|r| r.details.as_deref())
    }

    /// The decision that closed these reports, as "Code disabled".
    pub fn done(&self) -> Option<&'static str> {
        let action = self.latest().action.as_deref()?;
        ReportAction::parse(action).map(ReportAction::done)
    }
}

fn reason_label(reason: &str) -> &'static str {
    REPORT_REASONS
        .iter()
        .find(|(value, _)| *value == reason)
        .map_or("Something else", |(_, label)| label)
}

/// Groups reports (newest first) by target and, once closed, by the decision that closed them
/// (one founder action closes a group at one instant); the most recently reported group first.
pub fn group(reports: Vec<Report>) -> Vec<ReportGroup> {
    type Key = (ReportTarget, Option<String>, Option<i64>);
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut groups: Vec<ReportGroup> = Vec::new();
    for report in reports {
        let target = ReportTarget::of(&report.target);
        let key = (target.clone(), report.action.clone(), report.acted_at);
        if let Some(&at) = index.get(&key) {
            groups[at].reports.push(report);
        } else {
            index.insert(key, groups.len());
            groups.push(ReportGroup {
                target,
                reports: vec![report],
            });
        }
    }
    groups
}

/// The ids of the reports in `reports` about `target`.
pub fn ids_about(reports: &[Report], target: &ReportTarget) -> Vec<String> {
    reports
        .iter()
        .filter(|r| ReportTarget::of(&r.target) == *target)
        .map(|r| r.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: &str, target: &str, reason: &str, at: i64) -> Report {
        Report {
            id: id.into(),
            target: target.into(),
            reason: reason.into(),
            details: None,
            created_at: at,
            status: "open".into(),
            action: None,
            acted_by: None,
            acted_by_email: None,
            acted_at: None,
        }
    }

    #[test]
    fn targets_are_codes_pages_or_other() {
        use ReportTarget::*;
        for (raw, want) in [
            (" AbC123x ", Code("abc123x".into())),
            ("https://scan.example/r/AbC123x/", Code("abc123x".into())),
            (
                "https://scan.example/m/spring-menu",
                Microsite("spring-menu".into()),
            ),
            (
                "http://localhost:3000/m/spring-menu/l/0192",
                Microsite("spring-menu".into()),
            ),
            (
                "https://evil.example/login",
                Other("https://evil.example/login".into()),
            ),
            (
                "https://scan.example/r/a/b",
                Other("https://scan.example/r/a/b".into()),
            ),
            // A slug must be a valid one (lowercase, not reserved).
            (
                "https://scan.example/m/Admin",
                Other("https://scan.example/m/Admin".into()),
            ),
            ("<script>", Other("<script>".into())),
        ] {
            assert_eq!(ReportTarget::of(raw), want, "{raw}");
        }
    }

    #[test]
    fn keys_read_back_only_to_what_they_name() {
        for raw in [
            "abc123",
            "https://x.example/m/my-page",
            "https://evil.example/x",
        ] {
            let target = ReportTarget::of(raw);
            assert_eq!(ReportTarget::parse_key(&target.key()), Some(target));
        }
        assert_eq!(ReportTarget::parse_key("code:https://evil.example"), None);
        assert_eq!(ReportTarget::parse_key("microsite:Admin"), None);
        assert_eq!(ReportTarget::parse_key("other:abc123"), None);
        assert_eq!(ReportTarget::parse_key("nonsense"), None);
    }

    #[test]
    fn actions_fit_their_kinds() {
        let code = ReportTarget::Code("abc123".into());
        let page = ReportTarget::Microsite("my-page".into());
        let other = ReportTarget::Other("https://evil.example".into());
        let fits = |t: &ReportTarget| {
            ReportAction::ALL
                .into_iter()
                .filter(|a| a.applies_to(t))
                .map(ReportAction::as_str)
                .collect::<Vec<_>>()
        };
        assert_eq!(fits(&code), ["disable_code", "disable_account", "dismiss"]);
        assert_eq!(
            fits(&page),
            ["unpublish_page", "disable_account", "dismiss"]
        );
        assert_eq!(fits(&other), ["dismiss"]);
        assert_eq!(ReportAction::Dismiss.status(), ReportStatus::Dismissed);
        assert_eq!(ReportAction::UnpublishPage.status(), ReportStatus::Acted);
    }

    #[test]
    fn reports_about_one_target_are_one_group() {
        let groups = group(vec![
            report("4", "https://s.example/r/ABC123", "phishing", 40),
            report("3", "https://s.example/m/my-page", "spam", 30),
            report("2", "abc123", "malware", 20),
            report("1", "abc123", "phishing", 10),
        ]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].target, ReportTarget::Code("abc123".into()));
        assert_eq!(groups[0].count(), 3);
        assert_eq!(groups[0].latest().id, "4");
        assert_eq!(groups[0].first_at(), 10);
        assert_eq!(
            groups[0].reasons(),
            [
                ("Phishing or a scam", 2),
                ("Malware or a harmful download", 1)
            ]
        );
        assert_eq!(groups[1].count(), 1);
        let all = [
            report("4", "https://s.example/r/ABC123", "phishing", 40),
            report("3", "https://s.example/m/my-page", "spam", 30),
        ];
        assert_eq!(ids_about(&all, &groups[0].target), ["4"]);
    }
}
