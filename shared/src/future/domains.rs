//! **domains.** The real service lets users bring their own short-link domain: DNS TXT
//! verification, automatic certificates, and `Host`-based routing of `/r/{code}` and `/m/{slug}`.
//!
//! Not built here: it changes how the redirect resolves codes, so it comes with the qr and
//! microsite work (issue #8, later step): a founder-approved domain first, DNS verification as
//! the documented next step. Flag: `domains`. This file only names the boundary.

use super::BoxFuture;
use crate::error::ApiError;

/// Which user an approved custom domain belongs to (`None`: not ours, answer 404).
pub trait DomainDirectory: Send + Sync {
    fn owner_of<'a>(&'a self, host: &'a str) -> BoxFuture<'a, Result<Option<String>, ApiError>>;
}
