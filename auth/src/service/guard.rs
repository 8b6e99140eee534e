//! Guessing defences and privileges: the throttle in front of passwords and second-factor codes,
//! the founder role that waits for a verified address, recovery codes, and the device label of a
//! session. Kept apart from `service.rs` so each policy reads in one place.

use std::net::IpAddr;

use shared::identity::Role;

use super::Auth;
use crate::error::AuthError;
use crate::limits::{self, Backoff, Rule};
use crate::secrets::sha256_hex;
use crate::store::users;

/// The counters one guess (a password or a code) is checked against; see `limits` for the
/// numbers and why.
pub(super) struct Guess {
    /// Per (account, client): the growing delay.
    pair: String,
    /// Per client address, across accounts (none when the address is unknown).
    client: Option<String>,
    /// Per account, across clients: the generous ceiling.
    account: String,
    account_rule: Rule,
    backoff: Backoff,
}

impl Auth {
    /// A password guess for `email` (normalised; empty for an unparseable one) from `ip`.
    pub(super) fn password_guess(&self, email: &str, ip: Option<IpAddr>) -> Guess {
        let account = sha256_hex(email);
        let client = self.ip_key(ip);
        Guess {
            pair: format!("login:pair:{account}:{}", client.as_deref().unwrap_or("-")),
            client: client.map(|c| format!("login:ip:{c}")),
            account: format!("login:account:{account}"),
            account_rule: limits::LOGIN_PER_ACCOUNT,
            backoff: limits::LOGIN_BACKOFF,
        }
    }

    /// A second-factor code (TOTP or recovery) for `user_id` from `ip`.
    fn code_guess(&self, user_id: &str, ip: Option<IpAddr>) -> Guess {
        let client = self.ip_key(ip);
        Guess {
            pair: format!("mfa:pair:{user_id}:{}", client.as_deref().unwrap_or("-")),
            client: client.map(|c| format!("mfa:ip:{c}")),
            account: format!("mfa:account:{user_id}"),
            account_rule: limits::MFA_PER_ACCOUNT,
            backoff: limits::LOGIN_BACKOFF,
        }
    }

    /// 429 with Retry-After while this guess must wait; checks before any hashing.
    pub(super) async fn before_guess(&self, guess: &Guess) -> Result<(), AuthError> {
        self.limiter
            .check_backoff(&guess.pair, guess.backoff)
            .await?;
        if let Some(client) = &guess.client {
            self.limiter.check(client, limits::LOGIN_PER_IP).await?;
        }
        self.limiter.check(&guess.account, guess.account_rule).await
    }

    pub(super) async fn failed_guess(&self, guess: &Guess) -> Result<(), AuthError> {
        self.limiter
            .record_backoff(&guess.pair, guess.backoff)
            .await?;
        if let Some(client) = &guess.client {
            self.limiter.record(client, limits::LOGIN_PER_IP).await?;
        }
        self.limiter
            .record(&guess.account, guess.account_rule)
            .await
    }

    /// The right answer: this pair's typos are forgotten (the ceilings keep counting, so a
    /// success cannot be used to launder an attack's count).
    pub(super) async fn good_guess(&self, guess: &Guess) -> Result<(), AuthError> {
        self.limiter.reset_backoff(&guess.pair).await
    }

    /// After a password reset: the account's ceiling starts again.
    pub(super) async fn clear_password_guesses(&self, email: &str) -> Result<(), AuthError> {
        let guess = self.password_guess(email, None);
        self.limiter.reset(&guess.account).await?;
        self.limiter.reset_backoff(&guess.pair).await
    }

    /// A second-factor code, throttled like a password: `InvalidCode` when wrong.
    pub(super) async fn guarded_second_factor(
        &self,
        user_id: &str,
        code: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), AuthError> {
        let guess = self.code_guess(user_id, ip);
        self.before_guess(&guess).await?;
        if !self.check_second_factor(user_id, code).await? {
            self.failed_guess(&guess).await?;
            return Err(AuthError::InvalidCode);
        }
        self.good_guess(&guess).await
    }

    /// The one place the founder role is granted from FOUNDER_EMAILS: only once the address is
    /// verified (at verification, or at the next login or refresh after it). `scanpage users
    /// promote` grants it directly; an unverified account with a founder address stays a user.
    pub async fn founder_role_if_verified(&self, user: &mut users::User) -> Result<(), AuthError> {
        if user.role == Role::Founder
            || !user.email_verified
            || !self.founder_emails.contains(&user.email)
        {
            return Ok(());
        }
        users::set_role_by_email(&self.db, &user.email, Role::Founder).await?;
        user.role = Role::Founder;
        tracing::info!(user_id = %user.id, "founder role granted to a verified founder address");
        Ok(())
    }
}

/// How many recovery codes a user gets.
pub(super) const RECOVERY_CODES: usize = 10;

/// Letters and digits that cannot be mistaken for one another when read off paper: no 0/o,
/// 1/i/l. 31 symbols, so a 10-symbol code carries 49 bits.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// One recovery code, `xxxxx-xxxxx`.
pub(super) fn recovery_code() -> String {
    let mut code = String::with_capacity(11);
    while code.len() < 11 {
        if code.len() == 5 {
            code.push('-');
        }
        // Rejection sampling keeps every symbol equally likely (256 is not a multiple of 31).
        let byte: u8 = rand::random();
        let n = RECOVERY_ALPHABET.len();
        if usize::from(byte) < 256 - 256 % n {
            code.push(char::from(RECOVERY_ALPHABET[usize::from(byte) % n]));
        }
    }
    code
}

/// A recovery code as typed, in the form its hash is kept: lower case, no dash or spaces.
pub(super) fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A coarse, human label for a User-Agent ("Firefox on Windows") for the sessions list. Not a
/// fingerprint: only the browser family and the operating system, and the raw header is never
/// stored. Hand-matched rather than with analytics' ua-parser data set: auth must not reach into
/// analytics, and two dozen words are enough for a label.
pub fn device_label(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = if ua.contains("Edg/") || ua.contains("EdgA/") || ua.contains("EdgiOS/") {
        Some("Edge")
    } else if ua.contains("OPR/") || ua.contains("Opera") {
        Some("Opera")
    } else if ua.contains("Firefox/") || ua.contains("FxiOS/") {
        Some("Firefox")
    } else if ua.contains("SamsungBrowser/") {
        Some("Samsung Internet")
    } else if ua.contains("Chrome/") || ua.contains("CriOS/") || ua.contains("Chromium/") {
        Some("Chrome")
    } else if ua.contains("Safari/") {
        Some("Safari")
    } else if ua.starts_with("curl/") {
        Some("curl")
    } else {
        None
    };
    // iPads and iPhones also say "like Mac OS X": look for them first.
    let os = if ua.contains("iPhone") || ua.contains("iPad") || ua.contains("iPod") {
        Some("iOS")
    } else if ua.contains("Android") {
        Some("Android")
    } else if ua.contains("Windows") {
        Some("Windows")
    } else if ua.contains("CrOS") {
        Some("ChromeOS")
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        Some("macOS")
    } else if ua.contains("Linux") {
        Some("Linux")
    } else {
        None
    };
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => format!("A browser on {o}"),
        (None, None) => "Unknown device".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_use_the_unambiguous_alphabet() {
        for _ in 0..200 {
            let code = recovery_code();
            assert_eq!(code.len(), 11, "{code}");
            assert_eq!(code.as_bytes()[5], b'-', "{code}");
            assert!(
                code.chars()
                    .filter(|c| *c != '-')
                    .all(|c| !"0o1il".contains(c) && RECOVERY_ALPHABET.contains(&(c as u8))),
                "{code}"
            );
        }
        assert_ne!(recovery_code(), recovery_code());
    }

    #[test]
    fn recovery_codes_are_read_in_any_case_with_or_without_the_dash() {
        assert_eq!(normalise_recovery("abcde-fghjk"), "abcdefghjk");
        assert_eq!(normalise_recovery(" ABCDE fghjk "), "abcdefghjk");
        assert_eq!(normalise_recovery("ABCDEFGHJK"), "abcdefghjk");
    }

    #[test]
    fn device_labels_are_coarse() {
        let firefox_windows =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(device_label(firefox_windows), "Firefox on Windows");
        let safari_iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
        assert_eq!(device_label(safari_iphone), "Safari on iOS");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(device_label(edge), "Edge on Windows");
        let chrome_android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
        assert_eq!(device_label(chrome_android), "Chrome on Android");
        let chrome_mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(device_label(chrome_mac), "Chrome on macOS");
        assert_eq!(device_label("curl/8.5.0"), "curl");
        assert_eq!(device_label(""), "Unknown device");
    }
}
