//! analytics' wire: what its routes answer, in one place. The owners' routes (`crate::routes`)
//! and the founder's (`crate::product::routes`) answer these types, and
//! [`AnalyticsClient`](crate::client::AnalyticsClient) and
//! [`ConsoleClient`](crate::product::client::ConsoleClient) read the same ones back.

use serde::{Deserialize, Serialize};

pub use crate::live::{Live, LiveMinute};
pub use crate::product::metrics::{
    Cohort, FunnelStep, Overview as ProductOverview, PlanInterest, SignupBucket, TargetHits,
    UserDetail, UserMetrics,
};
pub use crate::product::store::TimelineEntry;
pub use crate::query::{MicrositeStats, Overview, QrStats, ScanTotals};

/// `GET /api/v1/admin/retention`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Retention {
    /// Epoch ms of each cohort's Monday (UTC); `active[k]` = users active k weeks later.
    pub cohorts: Vec<Cohort>,
}
