//! `ccgate reports ...`: the reports plugin's admin commands.
//!
//! - `rebuild`: recomputes the daily rollups from the plugin's records of calls and
//!   agent-state periods (`ccgate_reports::rebuild`), e.g. after an instance's
//!   `[plugins.reports] time_zones` entry changed. Safe to run while the gateway serves: each
//!   instance is rebuilt in one transaction.
//! - `export`: writes the calls of an instance that started in a time range to a CSV or
//!   Parquet file, in-process (`ccgate_reports::export`), with a progress bar; the same file
//!   the API's `/v1/instances/{id}/cdr-exports` resource produces.

use std::io::BufWriter;
use std::path::PathBuf;

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
    /// Export the calls of an instance that started in [FROM, TO) as CSV or Parquet.
    Export {
        /// The instance.
        #[arg(long)]
        instance: String,
        /// Start of the range (inclusive): `yyyy-MM-dd HH:mm:ss` in the instance's time zone,
        /// or UTC epoch milliseconds.
        #[arg(long)]
        from: String,
        /// End of the range (exclusive), in the same forms.
        #[arg(long)]
        to: String,
        /// `csv` or `parquet`.
        #[arg(long, default_value = "csv")]
        format: String,
        /// The file to write (replaced if it exists).
        #[arg(long)]
        out: PathBuf,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

fn settings(core: &Core) -> anyhow::Result<ccgate_reports::Settings> {
    let table = core
        .settings
        .plugins
        .tables
        .get("reports")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    ccgate_gateway::sdk::settings::parse("reports", &table).map_err(anyhow::Error::msg)
}

/// `text` as UTC epoch ms: digits are epoch ms, anything else a local time of `tz`.
fn instant(tz: chrono_tz::Tz, name: &str, text: &str) -> anyhow::Result<i64> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<i64>()
            .map_err(|e| anyhow::anyhow!("--{name} {t}: {e}"));
    }
    ccgate_reports::clock::parse_local(tz, t).ok_or_else(|| {
        anyhow::anyhow!("--{name} {t:?}: expected `yyyy-MM-dd HH:mm:ss` (local time of the instance, {tz}) or epoch milliseconds")
    })
}

pub async fn run(core: &Core, cmd: ReportsCmd) -> anyhow::Result<()> {
    match cmd {
        ReportsCmd::Rebuild { instance } => {
            let zones = settings(core)?.zones().map_err(anyhow::Error::msg)?;
            let done =
                ccgate_reports::rebuild::rebuild(&core.db, &zones, instance.as_deref()).await?;
            println!(
                "rebuilt {} instance(s): {} calls, {} state fragments read, {} daily rows written",
                done.instances, done.calls, done.fragments, done.rows
            );
            Ok(())
        }
        ReportsCmd::Export {
            instance,
            from,
            to,
            format,
            out,
            quiet,
        } => {
            let zones = settings(core)?.zones().map_err(anyhow::Error::msg)?;
            let tz = zones.of(&instance);
            let from_ms = instant(tz, "from", &from)?;
            let to_ms = instant(tz, "to", &to)?;
            anyhow::ensure!(to_ms > from_ms, "--to must be after --from");
            let format = ccgate_reports::export::Format::parse(&format)
                .ok_or_else(|| anyhow::anyhow!("--format {format:?}: expected csv or parquet"))?;
            let file = std::fs::File::create(&out)
                .map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
            let bar = if quiet {
                indicatif::ProgressBar::hidden()
            } else {
                indicatif::ProgressBar::new(0)
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} calls ({percent}%, {per_sec}, eta {eta})",
                )
                .expect("a valid template"),
            );
            let written = ccgate_reports::export::export_all(
                &core.db,
                &instance,
                from_ms,
                to_ms,
                format,
                BufWriter::with_capacity(256 * 1024, file),
                |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                },
            )
            .await;
            bar.finish_and_clear();
            let (file, rows) = match written {
                Ok(w) => w,
                Err(e) => {
                    let _ = std::fs::remove_file(&out);
                    return Err(anyhow::anyhow!("export failed: {e}"));
                }
            };
            file.into_inner()
                .map_err(|e| anyhow::anyhow!("{}: {}", out.display(), e.error()))?
                .sync_all()?;
            println!(
                "exported {rows} calls of {instance} started in [{}, {}) ({tz}) to {} ({})",
                ccgate_reports::clock::format_local(tz, from_ms),
                ccgate_reports::clock::format_local(tz, to_ms),
                out.display(),
                format.as_str()
            );
            Ok(())
        }
    }
}
