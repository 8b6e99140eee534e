//! Validated inputs. Parsed once at the edge; everything past a handler holds these types.

use crate::error::AuthError;

/// A normalised email address: trimmed and lower-cased, so `A@B.c` and `a@b.c ` are one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, AuthError> {
        let email = raw.trim().to_lowercase();
        let bad = || AuthError::invalid("email", "Enter a valid email address.");
        if email.is_empty() || email.len() > 254 {
            return Err(bad());
        }
        let (local, domain) = email.split_once('@').ok_or_else(bad)?;
        let plain = |s: &str| {
            !s.is_empty()
                && s.chars().all(|c| {
                    !c.is_whitespace() && !c.is_control() && c != '@' && c != '<' && c != '>'
                })
        };
        if !plain(local) || !plain(domain) || local.len() > 64 {
            return Err(bad());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
            return Err(bad());
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that is long enough, not absurdly long, and not guessable. Kept exactly as typed:
/// never trimmed, truncated or case-folded.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 256;

impl Password {
    /// Checks a new password. `field` names it in the 422 (`password`, `new_password`); `context`
    /// holds words the estimator should treat as guessable (the email).
    pub fn parse(raw: &str, field: &'static str, context: &[&str]) -> Result<Password, AuthError> {
        let chars = raw.chars().count();
        if chars < PASSWORD_MIN {
            return Err(AuthError::invalid(
                field,
                format!("Use at least {PASSWORD_MIN} characters."),
            ));
        }
        if chars > PASSWORD_MAX {
            return Err(AuthError::invalid(
                field,
                format!("Use at most {PASSWORD_MAX} characters."),
            ));
        }
        // zxcvbn knows common passwords, names, keyboard walks and dates; score 3 means more
        // than 10^10 guesses, out of reach of online guessing and costly offline.
        let score: u8 = zxcvbn::zxcvbn(raw, context).score().into();
        if score < 3 {
            return Err(AuthError::invalid(
                field,
                "This password is too easy to guess; add more words or characters.",
            ));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_validated() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.io",
            "a b@x.io",
            "ada@localhost",
            "a@@x.io",
            "a@x..io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_length_and_strength() {
        assert!(Password::parse("short", "password", &[]).is_err());
        assert!(Password::parse("password123", "password", &[]).is_err());
        assert!(Password::parse("qwertyuiop", "password", &[]).is_err());
        assert!(Password::parse(&"x".repeat(257), "password", &[]).is_err());
        let ok = Password::parse("correct horse battery staple", "password", &[]).unwrap();
        // Never trimmed or case-folded.
        let spaced = Password::parse(" Tr0ub4dor&3 purple ", "password", &[]).unwrap();
        assert_eq!(spaced.expose(), " Tr0ub4dor&3 purple ");
        assert_eq!(format!("{ok:?}"), "Password(***)");
    }

    #[test]
    fn the_email_itself_is_a_weak_password() {
        let err = Password::parse("ada.lovelace1815", "password", &["ada.lovelace1815"]);
        assert!(err.is_err());
    }

    #[test]
    fn errors_name_the_field() {
        let err = Password::parse("short", "new_password", &[]).unwrap_err();
        assert!(matches!(
            err,
            AuthError::Invalid {
                field: "new_password",
                ..
            }
        ));
    }
}

/// Where a new user came from, for the founder's console: the signup URL's `utm_source` and the
/// domain of the page that linked to the signup page. These are hints carried through a form,
/// not something the user typed, so a malformed value is dropped rather than refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attribution {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
}

impl Attribution {
    /// Keeps only well-formed values: `utm_source` as up to 40 of `[a-z0-9._-]` (lower-cased),
    /// `referrer` as a bare host name (from a URL or a host), without `www.`.
    pub fn clean(utm_source: Option<&str>, referrer: Option<&str>) -> Attribution {
        let utm_source = utm_source
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| {
                (1..=40).contains(&s.len())
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            });
        let referrer = referrer.and_then(referrer_host);
        Attribution {
            utm_source,
            referrer,
        }
    }

    /// The source label: `utm:<source>`, else `invite` when an invite code was used, else
    /// `ref:<domain>`, else `direct`.
    pub fn label(&self, used_invite: bool) -> String {
        match (&self.utm_source, used_invite, &self.referrer) {
            (Some(utm), _, _) => format!("utm:{utm}"),
            (None, true, _) => "invite".to_owned(),
            (None, false, Some(host)) => format!("ref:{host}"),
            (None, false, None) => "direct".to_owned(),
        }
    }
}

fn referrer_host(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let host = match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u.host_str()?.to_owned(),
        Ok(_) => return None,
        // A bare host ("news.ycombinator.com") parses as a relative URL: accept it as a host.
        Err(_) => raw.to_owned(),
    };
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    let valid = (1..=100).contains(&host.len())
        && host.contains('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
    valid.then_some(host)
}

#[cfg(test)]
mod attribution_tests {
    use super::Attribution;

    #[test]
    fn keeps_clean_hints_and_drops_the_rest() {
        let a = Attribution::clean(
            Some(" Newsletter "),
            Some("https://www.Example.com/post?x=1"),
        );
        assert_eq!(a.utm_source.as_deref(), Some("newsletter"));
        assert_eq!(a.referrer.as_deref(), Some("example.com"));
        assert_eq!(a.label(true), "utm:newsletter");

        let a = Attribution::clean(Some("<script>"), Some("javascript:alert(1)"));
        assert_eq!(a, Attribution::default());
        assert_eq!(a.label(false), "direct");
        assert_eq!(a.label(true), "invite");

        let a = Attribution::clean(None, Some("news.ycombinator.com"));
        assert_eq!(a.label(false), "ref:news.ycombinator.com");
        assert_eq!(
            Attribution::clean(Some(&"x".repeat(41)), None).utm_source,
            None
        );
    }
}
