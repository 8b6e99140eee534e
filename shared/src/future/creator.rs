//! **creator.** The real service gives creators public profiles, collaborators with roles on
//! shared codes and pages, and team billing.
//!
//! Stand-in ("coming soon"): with the flag on every user is a creator of one — a profile whose
//! only member is the user, as owner. Flag: `creator`.

use serde::Serialize;

use crate::error::ApiError;
use crate::features::{Feature, Features};
use crate::identity::Principal;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub user_id: String,
    pub role: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatorProfile {
    pub id: String,
    pub members: Vec<Member>,
}

pub trait Creators: Send + Sync {
    fn profile(&self, principal: &Principal) -> Result<CreatorProfile, ApiError>;
}

pub struct ComingSoon {
    pub features: Features,
}

impl Creators for ComingSoon {
    fn profile(&self, principal: &Principal) -> Result<CreatorProfile, ApiError> {
        self.features.require(Feature::Creator)?;
        Ok(CreatorProfile {
            id: principal.user_id.clone(),
            members: vec![Member {
                user_id: principal.user_id.clone(),
                role: "owner",
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Role, Via};

    fn alice() -> Principal {
        Principal {
            user_id: "u1".into(),
            role: Role::User,
            scopes: vec![],
            via: Via::Session { sid: "s".into() },
        }
    }

    #[test]
    fn off_answers_feature_not_enabled_and_on_is_a_team_of_one() {
        let off = ComingSoon {
            features: Features::default(),
        };
        assert_eq!(
            off.profile(&alice()).unwrap_err().code(),
            "feature_not_enabled"
        );
        let on = ComingSoon {
            features: Features::default().with(Feature::Creator),
        };
        let profile = on.profile(&alice()).unwrap();
        assert_eq!(profile.id, "u1");
        assert_eq!(
            profile.members,
            vec![Member {
                user_id: "u1".into(),
                role: "owner"
            }]
        );
    }
}
