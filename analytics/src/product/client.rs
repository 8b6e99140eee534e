//! The founder console's client for `/api/v1/admin/*` (in-process or over HTTP), with the answer
//! shapes the web pages read.

use shared::client::{ClientError, ServiceClient, bearer};

use crate::contract::Retention;
pub use crate::contract::{
    Cohort, FunnelStep, PlanInterest, ProductOverview as Overview, SignupBucket, TargetHits,
    TimelineEntry, UserDetail, UserMetrics,
};

#[derive(Clone)]
pub struct ConsoleClient {
    inner: ServiceClient,
}

impl ConsoleClient {
    pub fn new(inner: ServiceClient) -> Self {
        Self { inner }
    }

    /// `query` is an already-encoded query string (`from=…&to=…`), possibly empty.
    pub async fn overview(&self, token: &str, query: &str) -> Result<Overview, ClientError> {
        self.get(token, &format!("/api/v1/admin/overview?{query}"))
            .await
    }

    pub async fn signups(
        &self,
        token: &str,
        query: &str,
    ) -> Result<Vec<SignupBucket>, ClientError> {
        self.get(token, &format!("/api/v1/admin/signups?{query}"))
            .await
    }

    /// `query` as for [`Self::overview`] (the exclusions; the window does not apply).
    pub async fn retention(
        &self,
        token: &str,
        weeks: usize,
        query: &str,
    ) -> Result<Vec<Cohort>, ClientError> {
        let answer: Retention = self
            .get(
                token,
                &format!("/api/v1/admin/retention?weeks={weeks}&{query}"),
            )
            .await?;
        Ok(answer.cohorts)
    }

    pub async fn users(&self, token: &str) -> Result<Vec<UserMetrics>, ClientError> {
        self.get(token, "/api/v1/admin/users").await
    }

    /// One user's codes, pages and lifecycle (`user_id` is an id auth gave, never free text).
    pub async fn user(&self, token: &str, user_id: &str) -> Result<UserDetail, ClientError> {
        let id: String = url::form_urlencoded::byte_serialize(user_id.as_bytes()).collect();
        self.get(token, &format!("/api/v1/admin/users/{id}")).await
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
    ) -> Result<T, ClientError> {
        self.inner.get(path, bearer(token)).await
    }
}
