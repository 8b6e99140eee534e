//! The founder console's client for `/api/v1/admin/*` (in-process or over HTTP), with the answer
//! shapes the web pages read.

use shared::client::{ClientError, ServiceClient, bearer};

use crate::contract::Retention;
pub use crate::contract::{
    Cohort, FunnelStep, PlanInterest, ProductOverview as Overview, SignupBucket, UserMetrics,
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

    pub async fn retention(&self, token: &str, weeks: usize) -> Result<Vec<Cohort>, ClientError> {
        let answer: Retention = self
            .get(token, &format!("/api/v1/admin/retention?weeks={weeks}"))
            .await?;
        Ok(answer.cohorts)
    }

    pub async fn users(&self, token: &str) -> Result<Vec<UserMetrics>, ClientError> {
        self.get(token, "/api/v1/admin/users").await
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
    ) -> Result<T, ClientError> {
        self.inner.get(path, bearer(token)).await
    }
}
