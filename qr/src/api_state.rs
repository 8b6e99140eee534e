//! What every JSON route of qr is given: the service and the identity checker. Its own module so
//! that the code, bulk and founder routes need not depend on one another.

use std::sync::Arc;

use axum::extract::FromRef;
use shared::identity::Identity;

use crate::service::QrService;

#[derive(Clone)]
pub struct ApiState {
    pub service: Arc<QrService>,
    pub identity: Identity,
}

impl FromRef<ApiState> for Identity {
    fn from_ref(state: &ApiState) -> Identity {
        state.identity.clone()
    }
}
