//! Admin subcommands: accounts, instances, AccessKeys, tokens.

use anyhow::bail;
use ccgate_gateway::admin::{self, Demo};
use ccgate_gateway::auth::bearer::AUD_ALIYUN;
use ccgate_gateway::runtime::Core;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum AccountCmd {
    /// Create an account; prints its id.
    Create {
        #[arg(long)]
        name: String,
    },
    /// List accounts.
    List,
}

#[derive(Subcommand)]
pub enum InstanceCmd {
    /// Create an instance (its id is the InstanceId callers pass).
    Create {
        #[arg(long)]
        account: String,
        #[arg(long)]
        id: String,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List instances: id, account, name, Huawei VDN id (empty when none).
    List {
        #[arg(long)]
        account: Option<String>,
    },
    /// Set the Huawei VDN id (1-9999) by which CC-iSales (C2) callers of the instance's account
    /// name it (`vdnId`); without --vdn, clear it.
    SetVdn {
        /// The instance id.
        id: String,
        /// The VDN id, unique within the account.
        #[arg(long)]
        vdn: Option<i32>,
    },
}

#[derive(Subcommand)]
pub enum KeyCmd {
    /// Create an AccessKey pair; the secret is printed once and stored encrypted.
    Create {
        #[arg(long)]
        account: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Disable an AccessKey (effective within [security] cache_ttl_secs on running gateways).
    Disable { id: String },
    /// Enable a disabled AccessKey.
    Enable { id: String },
    /// List AccessKeys (never their secrets).
    List {
        #[arg(long)]
        account: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum UserCmd {
    /// Add a principal to the account's user directory; prints its RamId (16 digits).
    Add {
        #[arg(long)]
        account: String,
        /// Login name, unique within the account: 1-64 of [A-Za-z0-9._-].
        #[arg(long)]
        login: String,
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
    },
    /// List the account's directory: RamId, login name, display name, e-mail, phone.
    List {
        #[arg(long)]
        account: String,
    },
}

pub async fn user(core: &Core, cmd: UserCmd) -> anyhow::Result<()> {
    match cmd {
        UserCmd::Add {
            account,
            login,
            display_name,
            email,
            phone,
        } => {
            let user = admin::NewDirectoryUser {
                login_name: login,
                display_name,
                email,
                phone,
            };
            println!(
                "{}",
                admin::add_directory_user(&core.db, &account, &user).await?
            );
        }
        UserCmd::List { account } => {
            for u in admin::list_directory_users(&core.db, &account).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.ram_id, u.login_name, u.display_name, u.email, u.phone
                );
            }
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum DeviceCmd {
    /// Set (create or replace) the credentials an agent's SIP device REGISTERs with: AOR
    /// `sip:<device>@<instance>`, digest user `<device>`, realm `<instance>` (docs/telephony.md).
    Set {
        #[arg(long)]
        instance: String,
        /// DeviceId: 1-64 of [A-Za-z0-9._-], unique per instance.
        #[arg(long)]
        device: String,
        /// The agent's UserId, as CreateUser (2017) returned it.
        #[arg(long)]
        user: String,
        /// 6-64 printable ASCII characters.
        #[arg(long)]
        password: String,
    },
    /// List the instance's devices: DeviceId, UserId, last change (UTC ms).
    List {
        #[arg(long)]
        instance: String,
    },
}

pub async fn device(core: &Core, cmd: DeviceCmd) -> anyhow::Result<()> {
    use ccgate_gateway::telephony;
    match cmd {
        DeviceCmd::Set {
            instance,
            device,
            user,
            password,
        } => {
            ccgate_gateway::admin::require_instance(&core.db, &instance).await?;
            let req = ccgate_gateway::sdk::telephony::SetDevice {
                instance_id: instance,
                device_id: device,
                user_id: user,
                password,
            };
            let done = telephony::set_device(&core.db, &core.master, &req)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))?;
            println!("{}", if done.created { "created" } else { "replaced" });
        }
        DeviceCmd::List { instance } => {
            for (device, user, at) in telephony::list_devices(&core.db, &instance).await? {
                println!("{device}\t{user}\t{at}");
            }
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum TokenCmd {
    /// Issue a Bearer token acting for the account that owns --access-key-id (or --account).
    Issue {
        #[arg(long)]
        access_key_id: Option<String>,
        #[arg(long)]
        account: Option<String>,
        /// The login name of the user the token acts for, in the instances it calls (a user
        /// created in the agents plugin): the gateway resolves it per request and acts with the
        /// less privileged of --role and the user's role. Without it the token acts for the
        /// account or AccessKey as an administrator (subject "admin").
        #[arg(long)]
        subject: Option<String>,
        /// Lifetime in seconds (default: [security] token_ttl_secs).
        #[arg(long)]
        ttl: Option<u64>,
        /// The role the token acts with: admin (default), skill-group-leader or agent. Each
        /// action's spec says which roles may call it; others get 403 NoPermission.
        #[arg(long)]
        role: Option<String>,
    },
    /// Revoke Bearer tokens: one token (give the token), or every token issued under
    /// --access-key-id so far (the key itself stays usable). Running gateways refuse them
    /// within [security] cache_ttl_secs.
    Revoke {
        /// The token to revoke.
        token: Option<String>,
        #[arg(long)]
        access_key_id: Option<String>,
    },
}

pub async fn account(core: &Core, cmd: AccountCmd) -> anyhow::Result<()> {
    match cmd {
        AccountCmd::Create { name } => {
            println!("{}", admin::create_account(&core.db, &name).await?)
        }
        AccountCmd::List => {
            for a in admin::list_accounts(&core.db).await? {
                println!("{}\t{}", a.id, a.name);
            }
        }
    }
    Ok(())
}

pub async fn instance(core: &Core, cmd: InstanceCmd) -> anyhow::Result<()> {
    match cmd {
        InstanceCmd::Create { account, id, name } => {
            admin::create_instance(&core.db, &core.registry, &account, &id, &name).await?;
            println!("{id}");
        }
        InstanceCmd::List { account } => {
            for i in admin::list_instances(&core.db, account.as_deref()).await? {
                let vdn = i.vdn_id.map(|v| v.to_string()).unwrap_or_default();
                println!("{}\t{}\t{}\t{vdn}", i.id, i.account_id, i.name);
            }
        }
        InstanceCmd::SetVdn { id, vdn } => {
            admin::set_instance_vdn(&core.db, &id, vdn).await?;
            announce_auth_change(core).await;
        }
    }
    Ok(())
}

pub async fn key(core: &Core, cmd: KeyCmd) -> anyhow::Result<()> {
    match cmd {
        KeyCmd::Create {
            account,
            description,
        } => {
            let k =
                admin::create_access_key(&core.db, &core.master, &account, &description).await?;
            println!("AccessKeyId={}\nAccessKeySecret={}", k.id, k.secret);
        }
        KeyCmd::Disable { id } => {
            admin::set_access_key_active(&core.db, &id, false).await?;
            announce_auth_change(core).await;
        }
        KeyCmd::Enable { id } => {
            admin::set_access_key_active(&core.db, &id, true).await?;
            announce_auth_change(core).await;
        }
        KeyCmd::List { account } => {
            for k in admin::list_access_keys(&core.db, account.as_deref()).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    k.id, k.account_id, k.status, k.description
                );
            }
        }
    }
    Ok(())
}

pub async fn token(core: &Core, cmd: TokenCmd) -> anyhow::Result<()> {
    let (access_key_id, account, subject, ttl, role) = match cmd {
        TokenCmd::Issue {
            access_key_id,
            account,
            subject,
            ttl,
            role,
        } => (access_key_id, account, subject, ttl, role),
        TokenCmd::Revoke {
            token,
            access_key_id,
        } => return revoke(core, token, access_key_id).await,
    };
    // Bound to the key when issued under one: disabling the key or revoking its tokens ends it.
    let bound_key = access_key_id.clone().filter(|_| account.is_none());
    let account = match (access_key_id, account) {
        (_, Some(a)) => a,
        (Some(id), None) => match admin::list_access_keys(&core.db, None)
            .await?
            .into_iter()
            .find(|k| k.id == id)
        {
            Some(k) if k.status == "Active" => k.account_id,
            Some(_) => bail!("AccessKey {id} is disabled"),
            None => bail!("AccessKey {id} does not exist"),
        },
        (None, None) => bail!("give --access-key-id or --account"),
    };
    let role = match role.as_deref() {
        None | Some("admin") => None,
        Some(name) => Some(ccgate_gateway::sdk::Role::parse(name).ok_or_else(|| {
            anyhow::anyhow!("unknown role {name:?}: admin, skill-group-leader or agent")
        })?),
    };
    let tokens = core.tokens().await?;
    let ttl = ttl.unwrap_or(core.settings.security.token_ttl_secs);
    let (token, _) = match subject {
        Some(login) => tokens.issue_for_user(
            &login,
            &account,
            AUD_ALIYUN,
            ttl,
            bound_key.as_deref(),
            role,
        ),
        None => tokens.issue_as(
            "admin",
            &account,
            AUD_ALIYUN,
            ttl,
            bound_key.as_deref(),
            role,
        ),
    };
    println!("{token}");
    Ok(())
}

async fn revoke(
    core: &Core,
    token: Option<String>,
    access_key_id: Option<String>,
) -> anyhow::Result<()> {
    match (token, access_key_id) {
        (Some(token), None) => {
            let claims = core
                .tokens()
                .await?
                .inspect(&token)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            admin::revoke_token(&core.db, &claims.jti, claims.exp).await?;
            println!("revoked token {}", claims.jti);
        }
        (None, Some(id)) => {
            admin::revoke_key_tokens(&core.db, &id).await?;
            println!("revoked every token issued under {id} so far");
        }
        _ => bail!("give either a token or --access-key-id"),
    }
    announce_auth_change(core).await;
    Ok(())
}

/// Prints the demo credentials once, on first start.
pub fn print_demo(demo: &Demo, bind: &str) {
    println!(
        "\n=====================================================================\n\
         ccgate created a demo account on this empty database.\n\
         \x20 InstanceId:      {}\n\
         \x20 AccessKeyId:     {}\n\
         \x20 AccessKeySecret: {}\n\
         The secret is shown only now; it is stored encrypted. Try:\n\
         \x20 export CCGATE_ACCESS_KEY_ID={} CCGATE_ACCESS_KEY_SECRET={}\n\
         \x20 ccgate call ListContactFlows --api-version 2020-07-01 InstanceId={} PageNumber=1 PageSize=10\n\
         Endpoint for the Alibaba SDKs: {bind}\n\
         =====================================================================\n",
        demo.instance_id,
        demo.key.id,
        demo.key.secret,
        demo.key.id,
        demo.key.secret,
        demo.instance_id
    );
}

/// Tells running replicas (`[cluster] redis_url`) that AccessKeys, instances or tokens changed,
/// so that they empty their caches now instead of after `[security] cache_ttl_secs`. Without
/// a cluster it does nothing; when Redis cannot be reached it says so on stderr (the change is
/// stored, running gateways see it within the cache lifetime).
async fn announce_auth_change(core: &Core) {
    let announced = match ccgate_gateway::cluster::Cluster::connect(&core.settings.cluster).await {
        Ok(None) => return,
        Ok(Some(cluster)) => cluster
            .publish_now(&ccgate_gateway::cluster::Invalidation::Auth)
            .await
            .map_err(|e| anyhow::anyhow!(e.0)),
        Err(e) => Err(e),
    };
    if let Err(e) = announced {
        eprintln!(
            "warning: could not tell the running replicas ({e:#}); they see the change within [security] cache_ttl_secs"
        );
    }
}
