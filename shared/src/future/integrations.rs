//! **integrations.** The real service delivers signed webhooks for scan and page events (with
//! retries and a delivery log) and runs connectors to Zapier, Google Sheets and CRMs.
//!
//! Stand-in ("coming soon"): with the flag on it lists the connectors (none yet) and checks a
//! webhook URL the way the real service will (https, no credentials, not a local or private
//! address); nothing is delivered. Flag: `integrations`.

use std::net::IpAddr;

use crate::error::ApiError;
use crate::features::{Feature, Features};

pub trait Integrations: Send + Sync {
    /// The connectors a user can turn on.
    fn connectors(&self) -> Result<Vec<&'static str>, ApiError>;
    /// A webhook URL the service would accept.
    fn check_webhook(&self, url: &str) -> Result<url::Url, ApiError>;
}

pub struct ComingSoon {
    pub features: Features,
}

impl Integrations for ComingSoon {
    fn connectors(&self) -> Result<Vec<&'static str>, ApiError> {
        self.features.require(Feature::Integrations)?;
        Ok(Vec::new())
    }

    fn check_webhook(&self, raw: &str) -> Result<url::Url, ApiError> {
        self.features.require(Feature::Integrations)?;
        let bad = |why: &'static str| ApiError::invalid("url", why);
        let url = url::Url::parse(raw.trim()).map_err(|_| bad("Enter a full https:// URL."))?;
        if url.scheme() != "https" {
            return Err(bad("Webhooks are sent over https only."));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "Put no credentials in the URL; webhooks are signed instead.",
            ));
        }
        let local = match url.host() {
            None => true,
            Some(url::Host::Domain(d)) => {
                d == "localhost" || d.ends_with(".localhost") || !d.contains('.')
            }
            Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
        };
        if local {
            return Err(bad("Webhooks go to public hosts only."));
        }
        Ok(url)
    }
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_answers_feature_not_enabled() {
        let off = ComingSoon {
            features: Features::default(),
        };
        assert_eq!(off.connectors().unwrap_err().code(), "feature_not_enabled");
        assert_eq!(
            off.check_webhook("https://hooks.example.com/x")
                .unwrap_err()
                .code(),
            "feature_not_enabled"
        );
    }

    #[test]
    fn on_lists_no_connectors_and_checks_webhook_urls() {
        let on = ComingSoon {
            features: Features::default().with(Feature::Integrations),
        };
        assert!(on.connectors().unwrap().is_empty());
        assert!(
            on.check_webhook("https://hooks.example.com/scanpage")
                .is_ok()
        );
        for bad in [
            "http://hooks.example.com/x",
            "https://user:pw@hooks.example.com/x",
            "https://localhost/x",
            "https://10.0.0.5/x",
            "https://[::1]/x",
            "https://intranet/x",
            "not a url",
        ] {
            let err = on.check_webhook(bad).unwrap_err();
            assert_eq!(err.field(), Some("url"), "{bad}");
        }
    }
}
