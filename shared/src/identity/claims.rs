//! What an access token says ([`Claims`]) and what its holder may do ([`Role`], [`Scope`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub role: Role,
    /// The refresh-token family (the session) this token belongs to; revoking it ends the session.
    pub sid: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Founder,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Founder => "founder",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "user" => Some(Role::User),
            "founder" => Some(Role::Founder),
            _ => None,
        }
    }
}

/// What a caller may do. Sessions get every scope; API keys get the ones chosen at creation.
///
/// No scope implies another: `account:read` in particular is never granted by `qr:read` or by
/// holding every other scope, since the account export holds the email, every key and every
/// session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    QrRead,
    QrWrite,
    MicrositesRead,
    MicrositesWrite,
    AnalyticsRead,
    /// The account export and the list of API keys.
    AccountRead,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::QrRead,
        Scope::QrWrite,
        Scope::MicrositesRead,
        Scope::MicrositesWrite,
        Scope::AnalyticsRead,
        Scope::AccountRead,
    ];

    /// What an API key created without a list of scopes gets: everything about codes,
    /// microsites and analytics, but not the account's own data (`account:read` must be asked
    /// for by name, so a key made for a script never reads the account by accident).
    pub const KEY_DEFAULT: [Scope; 5] = [
        Scope::QrRead,
        Scope::QrWrite,
        Scope::MicrositesRead,
        Scope::MicrositesWrite,
        Scope::AnalyticsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::QrRead => "qr:read",
            Scope::QrWrite => "qr:write",
            Scope::MicrositesRead => "microsites:read",
            Scope::MicrositesWrite => "microsites:write",
            Scope::AnalyticsRead => "analytics:read",
            Scope::AccountRead => "account:read",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    pub fn all_strings() -> Vec<String> {
        Scope::ALL.iter().map(|s| s.as_str().to_owned()).collect()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("admin"), None);
    }
}
