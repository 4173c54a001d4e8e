//! Test support: the agents plugin over an in-memory SQLite database through the real generated
//! dispatch. Stand-ins for the plugins it queries (roles, numbers) are added with
//! [`Harness::with`]; without them those plugins count as disabled.

use std::sync::Arc;

use ccgate_plugin_sdk::serde_json::Value;
use ccgate_plugin_sdk::testing::TestEnv;
use ccgate_plugin_sdk::{ActionSpec, ApiResult, Plugin};

use crate::AgentsPlugin;

/// The instance most tests work on.
pub const INSTANCE: &str = "ccc-test";
/// A second instance of the same account.
pub const OTHER_INSTANCE: &str = "ccc-other";

/// The agents plugin and its neighbours.
pub struct Harness {
    /// The environment (database, clock, published events).
    pub env: TestEnv,
    /// The plugin under test.
    pub agents: Arc<dyn Plugin>,
}

impl Harness {
    /// Agents alone.
    pub async fn new() -> Self {
        Self::with(vec![]).await
    }

    /// Agents plus `others` (fakes or real plugins).
    pub async fn with(others: Vec<Arc<dyn Plugin>>) -> Self {
        let agents: Arc<dyn Plugin> = Arc::new(AgentsPlugin::default());
        let mut plugins = vec![agents.clone()];
        plugins.extend(others);
        let env = TestEnv::new(plugins).await;
        Self { env, agents }
    }

    /// The spec of `action` in `version` (`"2017-07-05"`, `"2020-07-01"`).
    pub fn spec(version: &str, action: &str) -> ActionSpec {
        *crate::api::ACTIONS
            .iter()
            .find(|a| a.version == version && a.action == action)
            .unwrap_or_else(|| panic!("no served spec {action} {version}"))
    }

    /// Calls 2017 `action` on [`INSTANCE`] as an AccessKey caller; the reply as JSON.
    pub async fn call(&self, action: &str, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        self.env
            .call(Self::spec("2017-07-05", action), INSTANCE, pairs)
            .await
    }

    /// Calls 2020 `action` on [`INSTANCE`] as an AccessKey caller; the reply as JSON.
    pub async fn call_2020(&self, action: &str, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        self.env
            .call(Self::spec("2020-07-01", action), INSTANCE, pairs)
            .await
    }
}
