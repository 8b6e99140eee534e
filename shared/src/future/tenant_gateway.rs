//! **tenant-gateway.** The real service puts workspaces (tenants) in front of every request:
//! which tenant a caller acts for, its quotas and rate limits, and isolation between tenants,
//! enforced once at the edge instead of in each service.
//!
//! Stand-in ("coming soon"): today every user is their own tenant. With the flag on,
//! [`Tenants::tenant_for`] answers exactly that, with no quota; this trait is where workspaces
//! will plug in. Flag: `tenant-gateway`.

use serde::Serialize;

use crate::error::ApiError;
use crate::features::{Feature, Features};
use crate::identity::Principal;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    pub id: String,
    /// Requests per minute allowed, `None` for no quota.
    pub quota_per_minute: Option<u32>,
}

pub trait Tenants: Send + Sync {
    fn tenant_for(&self, principal: &Principal) -> Result<Tenant, ApiError>;
}

pub struct ComingSoon {
    pub features: Features,
}

impl Tenants for ComingSoon {
    fn tenant_for(&self, principal: &Principal) -> Result<Tenant, ApiError> {
        self.features.require(Feature::TenantGateway)?;
        Ok(Tenant {
            id: principal.user_id.clone(),
            quota_per_minute: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Role, Via};

    #[test]
    fn off_answers_feature_not_enabled_and_on_every_user_is_a_tenant() {
        let p = Principal {
            user_id: "u9".into(),
            role: Role::User,
            scopes: vec![],
            via: Via::ApiKey { key_id: "k".into() },
        };
        let off = ComingSoon {
            features: Features::default(),
        };
        assert_eq!(
            off.tenant_for(&p).unwrap_err().code(),
            "feature_not_enabled"
        );
        let on = ComingSoon {
            features: Features::default().with(Feature::TenantGateway),
        };
        assert_eq!(
            on.tenant_for(&p).unwrap(),
            Tenant {
                id: "u9".into(),
                quota_per_minute: None
            }
        );
    }
}
