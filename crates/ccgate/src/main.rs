//! `ccgate`: the contact-center gateway binary.
//!
//! `ccgate serve` starts the HTTP API; the other subcommands administer accounts,
//! instances, AccessKeys and tokens, list actions, or call the API as a signed client.

mod actions_cmd;
mod admin_cmd;
mod call;
mod logging;
mod plugins_cmd;
mod reports_cmd;

/// mimalloc instead of the platform's malloc: per-thread free lists without glibc's
/// consolidation passes (see docs/benchmarks.md for the measured effect).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ccgate_gateway::runtime::Core;
use ccgate_gateway::settings::Settings;
use clap::{Parser, Subcommand};

/// Self-hosted contact-center control plane speaking the Alibaba Cloud CCC and Huawei AICC APIs.
#[derive(Parser)]
#[command(name = "ccgate", version, about)]
struct Cli {
    /// Settings file layered over config/default.toml (environment CCGATE__SECTION__KEY wins over both).
    #[arg(long, global = true, env = "CCGATE_CONFIG")]
    config: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the gateway (migrates, and creates a demo account on an empty database).
    Serve,
    /// Run database migrations and exit.
    Migrate,
    /// Accounts (tenants).
    #[command(subcommand)]
    Account(admin_cmd::AccountCmd),
    /// Call center instances.
    #[command(subcommand)]
    Instance(admin_cmd::InstanceCmd),
    /// AccessKey pairs.
    #[command(subcommand)]
    Key(admin_cmd::KeyCmd),
    /// Bearer tokens for the Alibaba dialect (SignatureType=BEARERTOKEN).
    #[command(subcommand)]
    Token(admin_cmd::TokenCmd),
    /// The account's user directory (stand-in for RAM sub-users; AssignUsers imports from it).
    #[command(subcommand)]
    User(admin_cmd::UserCmd),
    /// Agent SIP devices: the credentials they REGISTER to ccgate's registrar with.
    #[command(subcommand)]
    Device(admin_cmd::DeviceCmd),
    /// The reports plugin: `ccgate reports rebuild [--instance ID]`, `ccgate reports export`.
    #[command(subcommand)]
    Reports(reports_cmd::ReportsCmd),
    /// List every specified action with its plugin and status in this deployment (served,
    /// plugin-not-loaded, not-implemented).
    Actions,
    /// List the plugins this configuration serves: kind (built-in/dynamic), version, library
    /// path and actions.
    Plugins,
    /// Call an action with a signed request: `ccgate call ListContactFlows InstanceId=ccc-test`.
    Call(call::CallArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Call(args) = cli.command {
        return call::run(args).await;
    }
    let settings = Settings::load(cli.config.as_deref())?;
    logging::init(&settings.log);
    // Listing what this configuration serves opens no database.
    if let Command::Plugins = cli.command {
        return plugins_cmd::run(&settings);
    }
    if let Command::Actions = cli.command {
        let registry =
            ccgate_gateway::registry::Registry::new(ccgate_gateway::plugin_set::plugins(
                ccgate_gateway::plugin_set::load(&settings.plugins)?,
            ))?;
        actions_cmd::run(&registry);
        return Ok(());
    }
    let core = Core::open(settings).await?;
    match cli.command {
        Command::Serve => {
            ccgate_gateway::runtime::serve(core, |demo, bind| {
                if let Some(demo) = demo {
                    admin_cmd::print_demo(&demo, bind);
                }
            })
            .await
        }
        Command::Migrate => {
            println!("migrations applied");
            Ok(())
        }
        Command::Account(c) => admin_cmd::account(&core, c).await,
        Command::Instance(c) => admin_cmd::instance(&core, c).await,
        Command::Key(c) => admin_cmd::key(&core, c).await,
        Command::Token(c) => admin_cmd::token(&core, c).await,
        Command::User(c) => admin_cmd::user(&core, c).await,
        Command::Device(c) => admin_cmd::device(&core, c).await,
        Command::Reports(c) => reports_cmd::run(&core, c).await,
        Command::Call(_) => unreachable!("handled before settings are loaded"),
        Command::Plugins | Command::Actions => {
            unreachable!("handled before the database is opened")
        }
    }
}
