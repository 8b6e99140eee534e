//! **domains**, kept by web (its table is in web's database, web serves its API and applies the
//! `Host` layer). The real service lets users bring their own short-link domain: DNS TXT
//! verification, automatic certificates, and `Host`-based routing of `/r/{code}` and `/m/{slug}`.
//!
//! Stand-in (flag `domains`): a user registers a host name (`POST /api/v1/domains`), it waits as
//! `pending` until a founder approves it (`POST /api/v1/admin/domains/{id}/approve`), and then
//! requests whose `Host` is that name serve the owner's `/r/{code}` and `/m/{slug}` — nothing
//! else, and no other user's codes or pages. The table is `web_custom_domains` in the web database
//! (web serves the API); which hosts are approved is kept in memory ([`ApprovedHosts`]), loaded
//! at start and kept fresh by [`TOPIC`] events, so a request never reads the database to know its
//! host. The documented next step replaces the founder's approval by a DNS TXT record check.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shared::bus::{EventBus, Topic, consume, consume_in_every_instance};
use shared::error::{ApiError, Error};
use shared::events::USER_DELETED;
use shared::future::domains::CustomDomain;
use shared::shutdown::Shutdown;
use sqlx::AnyPool;

/// A host's owner changed (`owner_id` null: the host no longer routes). Every instance follows it.
pub const TOPIC: Topic<DomainChanged> = Topic::new("domains.changed");

pub const MAX_DOMAINS_PER_USER: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainChanged {
    pub host: String,
    pub owner_id: Option<String>,
}

/// A registered domain as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Domain {
    pub id: String,
    pub owner_id: String,
    pub host: String,
    /// `pending` or `approved`.
    pub status: String,
    pub created_at: i64,
    pub approved_at: Option<i64>,
}

/// A host name a user may register: lower-case letters, digits and hyphens in 2–10 labels of at
/// most 63, at most 253 in all, a letter in the last label (so no IP address), not ours.
pub fn normalise_host(raw: &str, public_host: &str) -> Result<String, ApiError> {
    let host = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let bad = || {
        ApiError::invalid(
            "host",
            "enter a domain name like links.example.com (no https://, no path)",
        )
    };
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if host.len() > 253 || !(2..=10).contains(&labels.len()) || !labels.iter().all(label_ok) {
        return Err(bad());
    }
    if !labels
        .last()
        .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_lowercase()))
    {
        return Err(bad());
    }
    let public_host = public_host.to_ascii_lowercase();
    if host == public_host
        || host.ends_with(&format!(".{public_host}"))
        || host == "localhost"
        || host.ends_with(".localhost")
    {
        return Err(ApiError::invalid("host", "that domain is not yours to use"));
    }
    Ok(host)
}

/// The stand-in's store: `web_custom_domains` in the web database.
#[derive(Clone)]
pub struct SqlDomains {
    pool: AnyPool,
}

const COLUMNS: &str = "id, owner_id, host, status, created_at, approved_at";

impl SqlDomains {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// A new pending domain; a host someone already registered is a 409.
    pub async fn register(&self, owner_id: &str, host: &str) -> Result<Domain, ApiError> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM web_custom_domains WHERE owner_id = $1")
                .bind(owner_id)
                .fetch_one(&self.pool)
                .await?;
        if count >= MAX_DOMAINS_PER_USER {
            return Err(ApiError::invalid(
                "host",
                format!("at most {MAX_DOMAINS_PER_USER} domains per account"),
            ));
        }
        let domain = Domain {
            id: shared::ids::new_id(),
            owner_id: owner_id.to_owned(),
            host: host.to_owned(),
            status: "pending".into(),
            created_at: shared::ids::now_ms(),
            approved_at: None,
        };
        let inserted = sqlx::query(
            "INSERT INTO web_custom_domains (id, owner_id, host, status, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (host) DO NOTHING",
        )
        .bind(&domain.id)
        .bind(&domain.owner_id)
        .bind(&domain.host)
        .bind(&domain.status)
        .bind(domain.created_at)
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(ApiError::conflict(
                "domain_taken",
                "That domain is already registered.",
            ));
        }
        Ok(domain)
    }

    pub async fn owned(&self, owner_id: &str) -> Result<Vec<Domain>, Error> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM web_custom_domains WHERE owner_id = $1 ORDER BY created_at, id"
        )))
        .bind(owner_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every domain, pending first (the founder's list).
    pub async fn all(&self, limit: u32) -> Result<Vec<Domain>, Error> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM web_custom_domains \
             ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END, created_at, id LIMIT $1"
        )))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Approves a domain; `None` when there is no such domain.
    pub async fn approve(&self, id: &str) -> Result<Option<Domain>, Error> {
        sqlx::query(
            "UPDATE web_custom_domains SET status = 'approved', approved_at = $1 \
             WHERE id = $2 AND status = 'pending'",
        )
        .bind(shared::ids::now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM web_custom_domains WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Deletes one of `owner_id`'s domains; `None` when they have no such domain.
    pub async fn delete(&self, owner_id: &str, id: &str) -> Result<Option<Domain>, Error> {
        let found: Option<Domain> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM web_custom_domains WHERE id = $1 AND owner_id = $2"
        )))
        .bind(id)
        .bind(owner_id)
        .fetch_optional(&self.pool)
        .await?;
        if found.is_some() {
            sqlx::query("DELETE FROM web_custom_domains WHERE id = $1")
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        Ok(found)
    }

    /// Deletes all of a user's domains (account deletion); their hosts.
    pub async fn delete_owner(&self, owner_id: &str) -> Result<Vec<String>, Error> {
        let hosts: Vec<(String,)> =
            sqlx::query_as("SELECT host FROM web_custom_domains WHERE owner_id = $1")
                .bind(owner_id)
                .fetch_all(&self.pool)
                .await?;
        sqlx::query("DELETE FROM web_custom_domains WHERE owner_id = $1")
            .bind(owner_id)
            .execute(&self.pool)
            .await?;
        Ok(hosts.into_iter().map(|(h,)| h).collect())
    }

    /// `(host, owner)` of every approved domain.
    pub async fn approved(&self) -> Result<Vec<(String, String)>, Error> {
        Ok(sqlx::query_as(
            "SELECT host, owner_id FROM web_custom_domains WHERE status = 'approved'",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Approved host → owner, in memory: what a request's `Host` is checked against.
#[derive(Clone, Default)]
pub struct ApprovedHosts(Arc<RwLock<HashMap<String, String>>>);

impl ApprovedHosts {
    pub fn owner(&self, host: &str) -> Option<String> {
        self.0.read().ok()?.get(host).cloned()
    }

    fn apply(&self, change: DomainChanged) {
        if let Ok(mut map) = self.0.write() {
            match change.owner_id {
                Some(owner) => map.insert(change.host, owner),
                None => map.remove(&change.host),
            };
        }
    }

    pub fn len(&self) -> usize {
        self.0.read().map(|m| m.len()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Tells every instance (this one included) that `host` now routes to `owner_id`, or not at all.
pub fn announce(bus: &EventBus, host: &str, owner_id: Option<&str>) {
    let change = DomainChanged {
        host: host.to_owned(),
        owner_id: owner_id.map(str::to_owned),
    };
    if let Err(err) = bus.emit(TOPIC, change) {
        tracing::warn!(%err, "a domain change could not be announced; instances catch up on restart");
    }
}

/// Loads the approved hosts and follows their changes (one consumer group per instance: each
/// needs every change), and removes a deleted user's domains.
pub async fn follow(
    bus: &EventBus,
    store: SqlDomains,
    shutdown: &Shutdown,
) -> Result<ApprovedHosts, Error> {
    let hosts = ApprovedHosts::default();
    for (host, owner_id) in store.approved().await? {
        hosts.apply(DomainChanged {
            host,
            owner_id: Some(owner_id),
        });
    }
    let live = hosts.clone();
    consume_in_every_instance(bus, TOPIC, "domains", shutdown, move |change| {
        live.apply(change);
        std::future::ready(true)
    })
    .await?;
    let publisher = bus.clone();
    consume(
        bus,
        USER_DELETED,
        "domains",
        "domains-1",
        shutdown,
        move |user| {
            let (store, bus) = (store.clone(), publisher.clone());
            async move {
                match store.delete_owner(&user.user_id).await {
                    Ok(removed) => {
                        for host in removed {
                            announce(&bus, &host, None);
                        }
                        true
                    }
                    Err(err) => {
                        tracing::warn!(%err, "could not delete a deleted user's domains yet");
                        false
                    }
                }
            }
        },
    )
    .await?;
    Ok(hosts)
}

/// The request's host name without port, lower-cased.
fn host_of(request: &Request) -> Option<String> {
    let raw = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().host())?;
    let host = match raw.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => raw,
    };
    Some(host.trim_end_matches('.').to_ascii_lowercase())
}

/// The `Host` routing guard: on an approved custom domain only `/r/…` and `/m/…` are served
/// (marked with [`CustomDomain`] so they serve its owner's codes and pages only); every other
/// host passes through unchanged. Memory only.
pub fn route_by_host(hosts: &ApprovedHosts, request: &mut Request) -> Option<Response> {
    if hosts.is_empty() {
        return None;
    }
    let owner_id = host_of(request).and_then(|host| hosts.owner(&host))?;
    let path = request.uri().path();
    if !(path.starts_with("/r/") || path.starts_with("/m/")) {
        return Some(StatusCode::NOT_FOUND.into_response());
    }
    request.extensions_mut().insert(CustomDomain { owner_id });
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_checked_and_normalised() {
        let ok = |raw| normalise_host(raw, "scanpage.example").unwrap();
        assert_eq!(ok(" Links.Example.COM. "), "links.example.com");
        assert_eq!(ok("go.my-shop.de"), "go.my-shop.de");
        for bad in [
            "",
            "example",
            "https://links.example.com",
            "links.example.com/path",
            "127.0.0.1",
            "-a.example.com",
            "a..example.com",
            "a b.example.com",
            "scanpage.example",
            "evil.scanpage.example",
            "foo.localhost",
            "<script>.example.com",
        ] {
            assert!(
                normalise_host(bad, "scanpage.example").is_err(),
                "{bad} was accepted"
            );
        }
        assert!(normalise_host(&format!("{}.example.com", "a".repeat(64)), "x.y").is_err());
    }

    #[test]
    fn approved_hosts_follow_changes() {
        let hosts = ApprovedHosts::default();
        assert!(hosts.is_empty());
        hosts.apply(DomainChanged {
            host: "go.example.com".into(),
            owner_id: Some("u1".into()),
        });
        assert_eq!(hosts.owner("go.example.com").as_deref(), Some("u1"));
        hosts.apply(DomainChanged {
            host: "go.example.com".into(),
            owner_id: None,
        });
        assert_eq!(hosts.owner("go.example.com"), None);
    }
}
