//! `ccgate reports rebuild`: recomputes the reports plugin's daily rollups from its records
//! of calls and agent-state periods (`ccgate_reports::rebuild`), e.g. after an instance's
//! `[plugins.reports] time_zones` entry changed. Safe to run while the gateway serves: each
//! instance is rebuilt in one transaction.

use ccgate_gateway::runtime::Core;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum ReportsCmd {
    /// Rebuild the daily rollups of one instance, or of every instance with reports data.
    Rebuild {
        /// Only this instance.
        #[arg(long)]
        instance: Option<String>,
    },
}

pub async fn run(core: &Core, cmd: ReportsCmd) -> anyhow::Result<()> {
    match cmd {
        ReportsCmd::Rebuild { instance } => {
            let table = core
                .settings
                .plugins
                .tables
                .get("reports")
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            let settings: ccgate_reports::Settings =
                ccgate_gateway::sdk::settings::parse("reports", &table)
                    .map_err(anyhow::Error::msg)?;
            let zones = settings.zones().map_err(anyhow::Error::msg)?;
            let done =
                ccgate_reports::rebuild::rebuild(&core.db, &zones, instance.as_deref()).await?;
            println!(
                "rebuilt {} instance(s): {} calls, {} state fragments read, {} daily rows written",
                done.instances, done.calls, done.fragments, done.rows
            );
            Ok(())
        }
    }
}
