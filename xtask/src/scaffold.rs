//! `cargo xtask new-plugin <name>`: scaffolds `plugins/<name>/`, a plugin crate with one example
//! action (spec, handler, tests), settings, state, an empty migration and a README, then runs
//! `cargo xtask codegen`, which makes the crate a workspace member, a gateway feature, a
//! built-in plugin enabled by default and a dynamic library with its export
//! (`codegen/plugins.rs`). Nothing outside `plugins/<name>/` is edited by hand.
//!
//! The example action is `<Camel>Ping` 2020-07-01 (`HelloPing` for `hello`): no Alibaba action
//! is named like that, and its spec says `example = true`, so `tools/check_specs.py` does not look
//! for it in `shared/reference/actions.md`. It answers `Data.InstanceId` and `Data.Message` (the
//! request's `Message`, or the `default_message` setting), for every role.
//!
//! The templates are below, with `@name@` (plugin name), `@snake@` (name with `_`),
//! `@NAME@` (name in capitals), `@Camel@`, `@Action@` (the example action), `@module@` (its Rust module) and `@Struct@` (the
//! plugin struct) filled in.

use std::path::Path;

use anyhow::{Context, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};

use crate::codegen;

/// The names a plugin's files use, all derived from its folder name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// Folder and config name: `hello`, `satisfaction-sms`.
    pub name: String,
    /// `hello`, `satisfaction_sms` (Rust identifiers, table names).
    pub snake: String,
    /// `Hello`, `SatisfactionSms`.
    pub camel: String,
    /// The example action: `HelloPing`.
    pub action: String,
    /// Its generated module: `hello_ping_v2020`.
    pub module: String,
    /// The plugin struct: `HelloPlugin`.
    pub plugin_struct: String,
}

/// Packages of the workspace that are not plugins: `ccgate-<name>` must not be one of them.
const NOT_PLUGIN_NAMES: &[&str] = &["gateway", "plugin-sdk", "plugin-abi", "test-plugin"];

impl Names {
    /// The names of plugin `name`.
    ///
    /// Errors: a name that is not `[a-z][a-z0-9-]*` (without a trailing or doubled `-`), or
    /// whose package would be one of the workspace's own crates.
    pub fn new(name: &str) -> anyhow::Result<Self> {
        let shape_ok = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !name.ends_with('-')
            && !name.contains("--");
        if !shape_ok {
            bail!(
                "plugin name {name:?}: use [a-z][a-z0-9-]* (a letter first, no trailing or doubled '-'), e.g. `agents`, `satisfaction-sms`"
            );
        }
        if NOT_PLUGIN_NAMES.contains(&name) {
            bail!("plugin name {name:?}: ccgate-{name} is already a crate of the workspace");
        }
        let camel = name.to_upper_camel_case();
        let action = format!("{camel}Ping");
        Ok(Self {
            name: name.to_string(),
            snake: name.replace('-', "_"),
            module: format!("{}_v2020", action.to_snake_case()),
            plugin_struct: codegen::plugins::plugin_struct(name),
            action,
            camel,
        })
    }

    fn fill(&self, template: &str) -> String {
        template
            .replace("@name@", &self.name)
            .replace("@snake@", &self.snake)
            .replace("@Camel@", &self.camel)
            .replace("@Action@", &self.action)
            .replace("@module@", &self.module)
            .replace("@Struct@", &self.plugin_struct)
            .replace("@NAME@", &self.name.to_uppercase())
    }

    /// Every file of the scaffold: path relative to `plugins/<name>/` → content.
    pub fn files(&self) -> Vec<(String, String)> {
        [
            ("Cargo.toml".to_string(), CARGO_TOML),
            ("README.md".to_string(), README_MD),
            (format!("api/{}.2020-07-01.toml", self.action), SPEC_TOML),
            ("src/lib.rs".to_string(), LIB_RS),
            ("src/actions/mod.rs".to_string(), ACTIONS_MOD_RS),
            (format!("src/actions/{}.rs", self.module), ACTION_RS),
            ("src/storage/mod.rs".to_string(), STORAGE_MOD_RS),
            ("src/storage/migration.rs".to_string(), MIGRATION_RS),
        ]
        .into_iter()
        .map(|(path, template)| (path, self.fill(template)))
        .collect()
    }
}

/// `cargo xtask new-plugin <name>` in repository `root`: writes `plugins/<name>/` and runs
/// codegen.
///
/// A spec-only folder (`plugins/<name>/api/` and nothing else, like the domains not written
/// yet) becomes the crate's: its specs are kept, each marked `implemented = false` (the
/// gateway keeps answering them 501 `NotImplemented`) until its handler is written and the mark
/// deleted.
///
/// Errors: a bad name ([`Names::new`]), a `plugins/<name>` that is a crate or holds more than
/// `api/`, and codegen's errors.
pub fn new_plugin(root: &Path, name: &str) -> anyhow::Result<()> {
    let names = Names::new(name)?;
    let dir = root.join("plugins").join(name);
    let mut adopted = 0;
    if dir.exists() {
        if dir.join("Cargo.toml").exists() {
            bail!("plugins/{name} already exists: a plugin crate");
        }
        let others: Vec<String> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "api")
            .collect();
        if !others.is_empty() || !dir.join("api").is_dir() {
            bail!(
                "plugins/{name} already exists and is not a spec-only folder (api/ alone): {others:?}"
            );
        }
        adopted = mark_unimplemented(&dir.join("api"))?;
    }
    for (rel, content) in names.files() {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if path.exists() {
            bail!("plugins/{name}/{rel} exists already");
        }
        std::fs::write(&path, content).with_context(|| format!("write {}", path.display()))?;
        eprintln!("created plugins/{name}/{rel}");
    }
    if adopted > 0 {
        eprintln!(
            "kept the {adopted} specs of plugins/{name}/api/, marked `implemented = false` until their handlers exist"
        );
    }
    codegen::run(root, &[])?;
    eprintln!(
        "\nplugins/{name} is a workspace member, the gateway feature plugin-{name} (built in and enabled by default)\nand a dynamic library. Next:\n  cargo test -p ccgate-{name}\n  cargo run -p ccgate -- serve   # then: ccgate call {action} --api-version 2020-07-01 InstanceId=ccc-test\nWrite a new plugin: plugins/README.md.",
        action = names.action
    );
    Ok(())
}

/// Marks every action spec of `api` (`*.toml` but `uses.toml`) that has no `implemented` key
/// `implemented = false`, on the line after its `plugin = ...` line; returns how many specs
/// the folder has.
///
/// Errors: a spec without a `plugin = ` line.
fn mark_unimplemented(api: &Path) -> anyhow::Result<usize> {
    let mut count = 0;
    for entry in std::fs::read_dir(api)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "toml")
            || path.file_name().is_some_and(|n| n == "uses.toml")
        {
            continue;
        }
        count += 1;
        let text = std::fs::read_to_string(&path)?;
        let marked = with_unimplemented_mark(&text)
            .with_context(|| format!("{}: no `plugin = ` line", path.display()))?;
        if marked != text {
            std::fs::write(&path, marked)?;
        }
    }
    Ok(count)
}

/// `spec` with `implemented = false` after its `plugin = ...` line, unless it has an
/// `implemented` key already; `None` without a `plugin = ` line.
fn with_unimplemented_mark(spec: &str) -> Option<String> {
    let key = |l: &str, k: &str| {
        l.strip_prefix(k)
            .is_some_and(|r| r.trim_start().starts_with('='))
    };
    if spec.lines().any(|l| key(l, "implemented")) {
        return Some(spec.to_string());
    }
    let mut out = String::with_capacity(spec.len() + 24);
    let mut done = false;
    for line in spec.split_inclusive('\n') {
        out.push_str(line);
        if !done && key(line, "plugin") {
            if !line.ends_with('\n') {
                out.push('\n');
            }
            out.push_str("implemented = false\n");
            done = true;
        }
    }
    done.then_some(out)
}

/// `cargo xtask remove-plugin <name>`: moves `plugins/<name>/` out of the repository (to
/// `<target>/removed-plugins/<name>`, replacing an earlier one of that name) and runs codegen, so
/// that the workspace, the gateway and the config no longer name it. (Deleting the folder by
/// hand leaves manifests naming a crate that is gone, and cargo can then build nothing, xtask
/// included, until codegen runs: `target/debug/xtask codegen` still can.)
///
/// Errors: a name that is not a plugin crate; codegen's (the folder is then put back).
pub fn remove_plugin(root: &Path, name: &str) -> anyhow::Result<()> {
    Names::new(name)?;
    let dir = root.join("plugins").join(name);
    if !dir.join("Cargo.toml").is_file() {
        bail!("plugins/{name} is not a plugin crate");
    }
    let aside_dir = crate::target_dir(root).join("removed-plugins");
    std::fs::create_dir_all(&aside_dir)?;
    let aside = aside_dir.join(name);
    if aside.exists() {
        std::fs::remove_dir_all(&aside)?;
    }
    std::fs::rename(&dir, &aside)
        .with_context(|| format!("move plugins/{name} to {}", aside.display()))?;
    if let Err(e) = codegen::run(root, &[]) {
        std::fs::rename(&aside, &dir)?;
        return Err(e.context(format!("plugins/{name} put back")));
    }
    eprintln!(
        "removed plugins/{name} (moved to {}) and every generated mention of it",
        aside.display()
    );
    Ok(())
}

const CARGO_TOML: &str = r#"[package]
name = "ccgate-@name@"
description = "The @name@ domain."
version.workspace = true
edition.workspace = true
license.workspace = true

[dependencies]
ccgate-plugin-sdk.workspace = true
# Only for the `dynamic` feature: the C-ABI export (src/api/export.rs, generated).
ccgate-plugin-abi = { workspace = true, optional = true }
serde.workspace = true
serde_json.workspace = true
tracing.workspace = true

[dev-dependencies]
ccgate-plugin-sdk = { workspace = true, features = ["testing"] }
tokio.workspace = true
sea-orm = { workspace = true, features = ["sqlx-sqlite", "runtime-tokio-rustls"] }

[features]
## Export the plugin from a `cdylib` for ccgate to load at run time. Build it in its own cargo
## invocation: `cargo rustc -p ccgate-@name@ --lib --crate-type cdylib --features dynamic --release`.
dynamic = ["dep:ccgate-plugin-abi", "ccgate-plugin-abi/guest"]

[lints]
workspace = true
"#;

const README_MD: &str = r#"# plugins/@name@

The `@name@` domain of ccgate, scaffolded by `cargo xtask new-plugin @name@`. How a plugin is
put together, and how to grow this one: `plugins/README.md`, "Write a new plugin".

| path | what |
|---|---|
| `api/*.toml` | the action specs (format: `plugins/README.md`); `@Action@.2020-07-01.toml` is the example action (`example = true`) |
| `src/api/` | generated by `cargo xtask codegen` from `api/`: never edit |
| `src/actions/<module>.rs` | one handler per action, with its tests |
| `src/storage/` | sea-orm entities and the migrations (bookkeeping table `ccgate_migrations_@snake@`) |
| `src/lib.rs` | `@Struct@`, its `State` and `Settings` (`[plugins.@name@]`) |

Test: `cargo test -p ccgate-@name@`. Serve: built in (`plugin-@name@` feature of the gateway,
enabled by `[plugins] enabled`), or as a library:
`cargo rustc -p ccgate-@name@ --lib --crate-type cdylib --features dynamic`.
"#;

const SPEC_TOML: &str = r#"# @Action@ 2020-07-01 — the example action `cargo xtask new-plugin @name@` scaffolded. It is no
# Alibaba action (`example = true`: no [source], and tools/check_specs.py does not look for it in
# shared/reference/actions.md). Keep it while it helps, then delete it (and its handler) once the
# plugin serves its real actions.
action = "@Action@"
version = "2020-07-01"
dialect = "aliyun-rpc"
plugin = "@name@"
auth = ["ak", "bearer"]
summary = "Answers the caller's instance and a message: shows that the @name@ plugin is served."
example = true
roles = ["admin", "skill-group-leader", "agent"]
instance = "InstanceId"
envelope = ["RequestId", "Code", "Message", "HttpStatusCode"]

[[param]]
name = "InstanceId"
type = "string"
required = true
location = "query"
description = "The instance to answer for."
example = "ccc-test"

[[param]]
name = "Message"
type = "string"
required = false
location = "query"
max_length = 64
description = "Echoed back in Data.Message; absent or empty: the plugin's `default_message` setting."
example = "hello"

[[response]]
path = "Data"
type = "object"
description = "The answer."

[[response]]
path = "Data.InstanceId"
type = "string"
description = "The instance the call was made on."

[[response]]
path = "Data.Message"
type = "string"
description = "The request's Message, or the `default_message` setting."

[[error]]
status = 400
code = "Parameter.Null"
message = "The parameter %s may not be null."

[[error]]
status = 400
code = "Parameter.Empty"
message = "The parameter %s may not be null or empty."

[[error]]
status = 400
code = "Parameter.Maximum"
message = "The parameter %s must be less than or equal to %s."

[[error]]
status = 404
code = "NotExists.InstanceId"
message = "The specified instance %s does not exist."
"#;

const LIB_RS: &str = r#"//! # ccgate-@name@: the @name@ domain
//!
//! Scaffolded by `cargo xtask new-plugin @name@` (`plugins/README.md`, "Write a new plugin").
//!
//! How a request flows through the crate:
//! - the contracts live in `plugins/@name@/api/`: one spec per action
//!   (`<Action>.<version>.toml`), the response shapes several actions share (`shapes/`), the
//!   queries this plugin offers other plugins (`queries/`) and those it calls (`uses.toml`);
//! - [`api`] is generated from them by `cargo xtask codegen` (never edit it): per action its
//!   `SPEC`, typed `Request` parser and `Response` structs, [`api::ACTIONS`], [`api::errors`]
//!   (one constructor per error code the specs list), [`api::dispatch`], which parses a request
//!   and calls its handler, and the export of the dynamic library;
//! - [`@Struct@`] implements [`Plugin`]: `handle` hands the request to [`api::dispatch`] with
//!   the plugin's [`State`];
//! - [`actions`]: one module per action, each with
//!   `handle(&api::Ctx<'_>, Request) -> ApiResult<Response>` and its tests;
//! - [`storage`]: sea-orm entities and the migrations (tracked in `ccgate_migrations_@snake@`).
//!
//! The plugin is built into ccgate (gateway feature `plugin-@name@`, enabled by
//! `[plugins] enabled`) and can be loaded as a library instead (feature `dynamic`).

#![deny(missing_docs)]

pub mod actions;
pub mod api;
pub mod storage;

use std::sync::OnceLock;

use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, DbErr};
use ccgate_plugin_sdk::sea_orm_migration::MigratorTrait;
use ccgate_plugin_sdk::serde_json::Value;
use ccgate_plugin_sdk::{ActionSpec, ApiResult, Context, Params, Plugin, Reply, async_trait};
use serde::Deserialize;

/// The @name@ plugin's settings: `[plugins.@name@]` in the config file
/// (`CCGATE__PLUGINS__@NAME@__<KEY>` in the environment), read by [`Plugin::init`]. An unknown
/// key or a bad value stops start-up with a line naming it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// What @Action@ answers in `Data.Message` when the caller sends no `Message`.
    /// Default `"pong"`.
    pub default_message: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            default_message: "pong".to_string(),
        }
    }
}

/// What every handler of this plugin is given with the request (`ctx.state()`): the settings,
/// and whatever the plugin keeps between requests (caches, clients).
#[derive(Debug, Default)]
pub struct State {
    /// The settings read at start-up.
    pub settings: Settings,
}

/// The @name@ plugin (config name `@name@`): `@Struct@::default()`.
#[derive(Debug, Default)]
pub struct @Struct@ {
    state: OnceLock<State>,
}

impl @Struct@ {
    /// The plugin with `settings`, whatever [`Plugin::init`] is given later; for tests.
    pub fn with_settings(settings: Settings) -> Self {
        let plugin = Self::default();
        let _ = plugin.state.set(State { settings });
        plugin
    }

    /// The state handlers see (default settings until [`Plugin::init`] ran).
    pub fn state(&self) -> &State {
        self.state.get_or_init(State::default)
    }
}

#[async_trait]
impl Plugin for @Struct@ {
    fn name(&self) -> &'static str {
        "@name@"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// [`api::ACTIONS`], generated from `plugins/@name@/api/*.toml`.
    fn actions(&self) -> Vec<ActionSpec> {
        api::ACTIONS.to_vec()
    }

    /// Runs this plugin's migrations (bookkeeping table `ccgate_migrations_@snake@`).
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        storage::migration::Migrator::up(db, None).await
    }

    /// Reads `[plugins.@name@]` ([`Settings`]).
    ///
    /// Errors: a bad or unknown key, named (`plugins.@name@.default_message: ...`).
    async fn init(&self, settings: &Value) -> Result<(), String> {
        let settings: Settings = ccgate_plugin_sdk::settings::parse("@name@", settings)?;
        // Built with explicit settings (`with_settings`, tests): those win.
        let _ = self.state.set(State { settings });
        Ok(())
    }

    /// [`api::dispatch`]: the generated parser of the action, its handler in
    /// `actions::<module>`, and (debug builds) the reply checked against the spec.
    async fn handle(&self, ctx: &Context, action: usize, params: &Params) -> ApiResult<Reply> {
        api::dispatch(self.state(), ctx, action, params).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ccgate_plugin_sdk::sea_orm::ConnectionTrait;
    use ccgate_plugin_sdk::serde_json::json;
    use ccgate_plugin_sdk::testing::TestEnv;

    use super::*;

    #[test]
    fn serves_the_actions_of_its_specs() {
        let plugin = @Struct@::default();
        assert_eq!(plugin.name(), "@name@");
        assert_eq!(plugin.actions(), api::ACTIONS.to_vec());
        assert!(
            api::ACTIONS
                .iter()
                .any(|a| (a.version, a.action) == ("2020-07-01", "@Action@"))
        );
    }

    #[tokio::test]
    async fn settings_are_read_and_bad_keys_refused() {
        let plugin = @Struct@::default();
        let e = plugin.init(&json!({"nope": 1})).await.unwrap_err();
        assert!(e.starts_with("plugins.@name@"), "{e}");
        assert!(e.contains("nope"), "{e}");
        plugin
            .init(&json!({"default_message": "hi"}))
            .await
            .unwrap();
        assert_eq!(plugin.state().settings.default_message, "hi");
        // No settings at all: the defaults.
        let plugin = @Struct@::default();
        plugin.init(&Value::Null).await.unwrap();
        assert_eq!(plugin.state().settings, Settings::default());
    }

    #[tokio::test]
    async fn migrations_are_tracked_in_their_own_table_and_run_twice_harmlessly() {
        let plugin = Arc::new(@Struct@::default());
        let env = TestEnv::new(vec![plugin.clone() as Arc<dyn Plugin>]).await;
        plugin.migrate(&env.db).await.unwrap();
        env.db
            .execute_unprepared("SELECT COUNT(*) FROM ccgate_migrations_@snake@")
            .await
            .unwrap();
    }
}
"#;

const ACTIONS_MOD_RS: &str = r#"//! One module per action of `plugins/@name@/api/`, each with
//! `pub async fn handle(ctx: &api::Ctx<'_>, req: Request) -> ApiResult<Response>` and its tests.
//! The generated `api::dispatch` calls them with the request parsed and validated by the spec
//! (presence, emptiness, types, enumerations, lengths); a handler checks the rest.

pub mod @module@;
"#;

const ACTION_RS: &str = r#"//! 2020-07-01 @Action@, the example action of the scaffold
//! (`plugins/@name@/api/@Action@.2020-07-01.toml`): answers the instance it was called on and a
//! message.
//!
//! Request ([`crate::api::@module@::Request`]): `InstanceId` (required; the gateway has checked
//! that it is an instance of the caller's account), `Message` (optional, at most 64 characters).
//! Response ([`crate::api::@module@::Response`]): `Data {InstanceId, Message}`.
//! Errors: the parameter errors of the generated parser (`Parameter.Null`, `Parameter.Empty`,
//! `Parameter.Maximum`); 404 `NotExists.InstanceId` comes from the gateway.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::@module@::{Data, Request, Response};

/// Serves @Action@: `Data.Message` is the request's `Message`, or the `default_message`
/// setting when it is absent or empty.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let message = req
        .message
        .unwrap_or_else(|| ctx.state().settings.default_message.clone());
    Ok(Response {
        data: Data {
            instance_id: ctx.instance().to_string(),
            message,
        },
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ccgate_plugin_sdk::ApiResult;
    use ccgate_plugin_sdk::serde_json::{Value, json};
    use ccgate_plugin_sdk::testing::TestEnv;

    use crate::api::@module@::SPEC;
    use crate::{@Struct@, Settings};

    /// Calls @Action@ on instance `ccc-test` through the real dispatch (parser, handler, reply
    /// check), as the gateway would. Add fakes of the plugins this one queries to the
    /// environment with `ccgate_plugin_sdk::testing::FakePlugin`.
    async fn call(plugin: @Struct@, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        let env = TestEnv::new(vec![Arc::new(plugin)]).await;
        env.call(SPEC, "ccc-test", pairs).await
    }

    #[tokio::test]
    async fn echoes_the_message_and_the_instance() {
        let reply = call(@Struct@::default(), &[("Message", "hello")])
            .await
            .unwrap();
        assert_eq!(
            reply,
            json!({"Data": {"InstanceId": "ccc-test", "Message": "hello"}})
        );
    }

    #[tokio::test]
    async fn answers_the_default_message_of_the_settings_without_one() {
        let reply = call(@Struct@::default(), &[]).await.unwrap();
        assert_eq!(reply["Data"]["Message"], "pong");
        let plugin = @Struct@::with_settings(Settings {
            default_message: "configured".into(),
        });
        let reply = call(plugin, &[("Message", "")]).await.unwrap();
        assert_eq!(reply["Data"]["Message"], "configured");
    }

    #[tokio::test]
    async fn refuses_a_message_over_64_characters() {
        let long = "x".repeat(65);
        let e = call(@Struct@::default(), &[("Message", &long)])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Maximum"));
        let exact = "x".repeat(64);
        let reply = call(@Struct@::default(), &[("Message", &exact)])
            .await
            .unwrap();
        assert_eq!(reply["Data"]["Message"], exact.as_str());
    }
}
"#;

const STORAGE_MOD_RS: &str = r#"//! Storage of the @name@ domain: its sea-orm entities and [`migration`]. No tables yet.
//!
//! To add a table: an entity in its own module file, `src/storage/<table>.rs`
//! (`#[derive(DeriveEntityModel)] #[sea_orm(table_name = "@snake@_<table>")] pub struct Model`),
//! declared here as `pub mod <table>;`; a migration creating it in [`migration`]; then
//! `cargo xtask codegen`, which lists the entity in the generated `src/api/export.rs` (a plugin
//! loaded as a library tells the host the column types of its entities). Prefix tables with
//! `@snake@_`, keep ids and indexed strings bounded `VARCHAR`s and times `BIGINT` epoch
//! milliseconds, so the schema works on SQLite, PostgreSQL and MySQL/MariaDB alike
//! (`ccgate_plugin_sdk::storage` has the shared helpers: paging, LIKE escaping,
//! unique-violation detection).

pub mod migration;
"#;

const MIGRATION_RS: &str = r#"//! Schema migrations of the @name@ plugin (sea-orm-migration), recorded in their own
//! bookkeeping table [`MIGRATION_TABLE`] so that plugins never share migration state.
//!
//! None yet. The first one: a `struct M0001CreateTables;` with `MigrationName` (a name that never
//! changes, e.g. `m0001_create_@snake@_tables`) and `MigrationTrait` (`up` creates the tables
//! and indexes, `down` drops them), added to [`Migrator::migrations`]. Migrations run in order
//! at start-up and on `ccgate migrate`; never edit one that has shipped, add the next.

use ccgate_plugin_sdk::sea_orm::DynIden;
use ccgate_plugin_sdk::sea_orm_migration::prelude::*;

/// Name of this plugin's migration bookkeeping table.
pub const MIGRATION_TABLE: &str = "ccgate_migrations_@snake@";

/// The @name@ plugin's migrator; run with `Migrator::up(db, None)`.
pub struct Migrator;

#[ccgate_plugin_sdk::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        Vec::new()
    }

    fn migration_table_name() -> DynIden {
        Alias::new(MIGRATION_TABLE).into_iden()
    }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_derive_from_the_folder_name() {
        let n = Names::new("satisfaction-sms").unwrap();
        assert_eq!(n.snake, "satisfaction_sms");
        assert_eq!(n.camel, "SatisfactionSms");
        assert_eq!(n.action, "SatisfactionSmsPing");
        assert_eq!(n.module, "satisfaction_sms_ping_v2020");
        assert_eq!(n.plugin_struct, "SatisfactionSmsPlugin");
        let n = Names::new("hello").unwrap();
        assert_eq!(
            (n.action.as_str(), n.module.as_str()),
            ("HelloPing", "hello_ping_v2020")
        );
    }

    #[test]
    fn bad_names_are_refused() {
        for bad in [
            "",
            "Hello",
            "1abc",
            "-abc",
            "abc-",
            "a--b",
            "a_b",
            "a b",
            "gateway",
            "plugin-sdk",
        ] {
            assert!(Names::new(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["a", "agents", "device-diagnostics", "v2-calls"] {
            assert!(Names::new(good).is_ok(), "{good:?} refused");
        }
    }

    #[test]
    fn adopted_specs_are_marked_unimplemented_once() {
        let spec = "action = \"GetUser\"\nplugin = \"agents\"\nauth = [\"ak\"]\n";
        let marked = with_unimplemented_mark(spec).unwrap();
        assert_eq!(
            marked,
            "action = \"GetUser\"\nplugin = \"agents\"\nimplemented = false\nauth = [\"ak\"]\n"
        );
        assert_eq!(with_unimplemented_mark(&marked).unwrap(), marked);
        // A spec that says `implemented = true` (or false) is left as it is.
        let told = "plugin = \"agents\"\nimplemented = true\n";
        assert_eq!(with_unimplemented_mark(told).unwrap(), told);
        // `plugins = ...` is not `plugin = ...`.
        assert_eq!(with_unimplemented_mark("plugins = 1\n"), None);
    }

    #[test]
    fn every_placeholder_is_filled() {
        for (path, content) in Names::new("device-diagnostics").unwrap().files() {
            for token in [
                "@name@", "@NAME@", "@snake@", "@Camel@", "@Action@", "@module@", "@Struct@",
            ] {
                assert!(!content.contains(token), "{path} keeps {token}");
            }
        }
    }
}
