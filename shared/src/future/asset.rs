//! **asset.** The real service keeps a brand library per account — logos, colours, fonts,
//! frames — reused across QR styles and microsite themes, with versions.
//!
//! Stand-in ("coming soon"): with the flag on every library is empty (uploads are the media
//! crate's job; the library that names and reuses them is not built). Flag: `asset`.

use serde::Serialize;

use crate::error::ApiError;
use crate::features::{Feature, Features};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asset {
    pub id: String,
    pub kind: &'static str,
    pub name: String,
}

pub trait AssetLibrary: Send + Sync {
    fn list(&self, owner_id: &str) -> Result<Vec<Asset>, ApiError>;
}

pub struct ComingSoon {
    pub features: Features,
}

impl AssetLibrary for ComingSoon {
    fn list(&self, _owner_id: &str) -> Result<Vec<Asset>, ApiError> {
        self.features.require(Feature::Asset)?;
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_answers_feature_not_enabled_and_on_is_empty() {
        let off = ComingSoon {
            features: Features::default(),
        };
        assert_eq!(off.list("u").unwrap_err().code(), "feature_not_enabled");
        let on = ComingSoon {
            features: Features::default().with(Feature::Asset),
        };
        assert!(on.list("u").unwrap().is_empty());
    }
}
