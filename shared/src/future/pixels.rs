//! **pixels.** The real service fires retargeting pixels (Meta, Google, TikTok) for a QR code's
//! scans — server-side, after consent rules, never delaying the redirect.
//!
//! Stand-in ("coming soon"): with the flag on it checks a pixel id's format and reports that no
//! pixel is attached to any code; the redirect never calls it. Flag: `pixels`.

use crate::error::ApiError;
use crate::features::{Feature, Features};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pixel {
    pub network: &'static str,
    pub id: String,
}

pub trait Pixels: Send + Sync {
    /// The pixels a scan of `qr_id` would fire.
    fn pixels_for(&self, qr_id: &str) -> Result<Vec<Pixel>, ApiError>;
    /// Checks a pixel id for a network (`meta`: 15–16 digits, `google`: `G-` + 6–12
    /// letters/digits, `tiktok`: 20 letters/digits).
    fn check(&self, network: &str, id: &str) -> Result<Pixel, ApiError>;
}

pub struct ComingSoon {
    pub features: Features,
}

impl Pixels for ComingSoon {
    fn pixels_for(&self, _qr_id: &str) -> Result<Vec<Pixel>, ApiError> {
        self.features.require(Feature::Pixels)?;
        Ok(Vec::new())
    }

    fn check(&self, network: &str, id: &str) -> Result<Pixel, ApiError> {
        self.features.require(Feature::Pixels)?;
        let id = id.trim();
        let alnum = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric());
        let (network, ok) = match network {
            "meta" => (
                "meta",
                (15..=16).contains(&id.len()) && id.chars().all(|c| c.is_ascii_digit()),
            ),
            "google" => (
                "google",
                id.strip_prefix("G-")
                    .is_some_and(|r| (6..=12).contains(&r.len()) && alnum(r)),
            ),
            "tiktok" => ("tiktok", id.len() == 20 && alnum(id)),
            _ => {
                return Err(ApiError::invalid(
                    "network",
                    "Choose meta, google or tiktok.",
                ));
            }
        };
        if !ok {
            return Err(ApiError::invalid(
                "id",
                format!("That is not a {network} pixel id."),
            ));
        }
        Ok(Pixel {
            network,
            id: id.to_owned(),
        })
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
        assert_eq!(
            off.pixels_for("q").unwrap_err().code(),
            "feature_not_enabled"
        );
        assert_eq!(
            off.check("meta", "123456789012345").unwrap_err().code(),
            "feature_not_enabled"
        );
    }

    #[test]
    fn on_fires_nothing_and_checks_ids() {
        let on = ComingSoon {
            features: Features::default().with(Feature::Pixels),
        };
        assert!(on.pixels_for("q").unwrap().is_empty());
        assert_eq!(on.check("meta", "123456789012345").unwrap().network, "meta");
        assert!(on.check("google", "G-ABC123XYZ").is_ok());
        assert_eq!(
            on.check("meta", "12<script>").unwrap_err().field(),
            Some("id")
        );
        assert_eq!(
            on.check("myspace", "1").unwrap_err().field(),
            Some("network")
        );
    }
}
