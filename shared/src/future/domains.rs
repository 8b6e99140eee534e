//! The mark a custom domain leaves on a request, read where codes and pages are served (qr's
//! redirect, microsite's public page). Web owns custom domains (`web::custom_domains`: their
//! table, API and the `Host` routing layer that sets this mark); this is only the shared
//! vocabulary between that layer and the services it routes to.

/// Set on requests that arrived through a custom domain: whose codes and pages it may serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomDomain {
    pub owner_id: String,
}

/// Whether a code or page owned by `owner_id` may answer this request: always on our own host,
/// and on a custom domain only when it is the domain owner's.
pub fn may_serve(extensions: &axum::http::Extensions, owner_id: &str) -> bool {
    extensions
        .get::<CustomDomain>()
        .is_none_or(|domain| domain.owner_id == owner_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_domain_owner_is_served_on_it() {
        let mut ext = axum::http::Extensions::new();
        assert!(may_serve(&ext, "anyone"));
        ext.insert(CustomDomain {
            owner_id: "u1".into(),
        });
        assert!(may_serve(&ext, "u1"));
        assert!(!may_serve(&ext, "u2"));
    }
}
