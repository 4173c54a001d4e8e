//! # ccgate-numbers: the phone numbers domain
//!
//! Serves the phone-number actions of the Alibaba Cloud CCC API: seed 004 §6.1-§6.8
//! (2017-07-05: AddPhoneNumber, RemovePhoneNumber, ModifyPhoneNumber, ListPhoneNumbers,
//! CheckNumberAvaliable, GetNumberRegionInfo, PickGlobalOutboundNumbers, AddBulkPhoneNumbers),
//! PickLocalNumber from the seed 004 overview table, and the 2020-07-01 ListPhoneNumbers of
//! seed 002. It answers the cross-plugin query `by_contact_flow` (docs/plugin-contracts.md) and
//! reads contact flows through `flows`/`get`.
//!
//! Layout: [`actions`] has one module per action (with its tests), [`storage`] the tables and
//! migrations, [`region`] number attribution (libphonenumber data), [`render`] the shared
//! `PhoneNumber` shapes, [`rules`] number validation and the usage rules, [`flows`] the reads
//! from the flows domain, [`picking`] the caller-number ranking, [`queries`] the queries other
//! plugins call, [`cache`] the read cache of 2020 ListPhoneNumbers pages (its consistency
//! contract: every write action of this plugin invalidates its instance at once, anything else
//! is visible within a 1 s TTL).
//!
//! Choices where the seeds are silent are documented on the action modules; in short:
//! a number is bound to one instance at a time (409 `Conflict.PhoneNumber`); ModifyPhoneNumber
//! keeps bindings whose parameter is omitted and clears them when it is sent empty; skill groups
//! are stored by id (the agents domain does not exist yet) and rendered with the id as name.
#![deny(missing_docs)]

pub mod actions;
#[cfg(feature = "dynamic")]
mod dynamic;
pub mod api;
pub mod cache;
pub mod flows;
pub mod picking;
pub mod queries;
pub mod region;
pub mod render;
pub mod rules;
pub mod storage;

#[cfg(test)]
mod testutil;

use std::sync::Arc;
use std::time::Duration;

use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, DbErr};
use ccgate_plugin_sdk::sea_orm_migration::MigratorTrait;
use ccgate_plugin_sdk::serde_json::Value;
use ccgate_plugin_sdk::{
    ActionSpec, ApiError, ApiResult, Context, Params, Plugin, Reply, async_trait,
};

use crate::actions::*;
use crate::cache::ListCache;

/// Every action of the numbers domain, as the gateway routes them.
///
/// Auth per the seed 004 overview table (`shared/reference/actions.md`): GetNumberRegionInfo and
/// PickLocalNumber are `BEARERTOKEN` only; the others accept AccessKey signatures and Bearer
/// tokens. GetNumberRegionInfo (§6.6) and PickLocalNumber (SDK response models) have no
/// `HttpStatusCode` in their envelope.
pub const ACTIONS: &[ActionSpec] = &[
    add_phone_number::SPEC,
    add_bulk_phone_numbers::SPEC,
    remove_phone_number::SPEC,
    modify_phone_number::SPEC,
    list_phone_numbers::SPEC,
    check_number_avaliable::SPEC,
    get_number_region_info::SPEC,
    pick_local_number::SPEC,
    pick_global_outbound_numbers::SPEC,
    list_phone_numbers_v2020::SPEC,
];

/// The numbers domain plugin (config name `numbers`).
///
/// Holds the [`ListCache`] of 2020 ListPhoneNumbers pages; clones share it.
#[derive(Debug, Clone, Default)]
pub struct NumbersPlugin {
    list_cache: Arc<ListCache>,
}

impl NumbersPlugin {
    /// The plugin, caching list pages for [`cache::DEFAULT_TTL`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The plugin with list pages cached for `ttl`; `Duration::ZERO` disables the cache.
    pub fn with_list_cache_ttl(ttl: Duration) -> Self {
        Self {
            list_cache: Arc::new(ListCache::new(ttl)),
        }
    }

    /// The list cache.
    pub fn list_cache(&self) -> &ListCache {
        &self.list_cache
    }

    /// Runs a write action, then invalidates the instance's cached lists, whether the action
    /// succeeded, failed (a failure may follow a partial, non-transactional write) or was
    /// cancelled (the request dropped mid-way, possibly after its commit).
    async fn write(
        &self,
        ctx: &Context,
        action: impl Future<Output = ApiResult<Reply>>,
    ) -> ApiResult<Reply> {
        let _invalidate = InvalidateOnDrop {
            cache: &self.list_cache,
            instance: ctx.instance(),
        };
        action.await
    }
}

/// Invalidates an instance's cached lists when dropped: after the write action returned, or
/// when its request is cancelled.
struct InvalidateOnDrop<'a> {
    cache: &'a ListCache,
    instance: &'a str,
}

impl Drop for InvalidateOnDrop<'_> {
    fn drop(&mut self) {
        self.cache.invalidate(self.instance);
    }
}

#[async_trait]
impl Plugin for NumbersPlugin {
    fn name(&self) -> &'static str {
        "numbers"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    fn actions(&self) -> Vec<ActionSpec> {
        ACTIONS.to_vec()
    }

    /// Creates or upgrades `numbers_phone_numbers` and `numbers_skill_groups`; migrations are
    /// tracked in `ccgate_migrations_numbers`.
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        storage::migration::Migrator::up(db, None).await
    }

    async fn handle(&self, ctx: &Context, params: &Params) -> ApiResult<Reply> {
        match (ctx.spec.version, ctx.spec.action) {
            // Writes: each invalidates the instance's cached lists (crate::cache).
            ("2017-07-05", "AddPhoneNumber") => {
                self.write(ctx, add_phone_number::handle(ctx, params)).await
            }
            ("2017-07-05", "AddBulkPhoneNumbers") => {
                self.write(ctx, add_bulk_phone_numbers::handle(ctx, params))
                    .await
            }
            ("2017-07-05", "RemovePhoneNumber") => {
                self.write(ctx, remove_phone_number::handle(ctx, params))
                    .await
            }
            ("2017-07-05", "ModifyPhoneNumber") => {
                self.write(ctx, modify_phone_number::handle(ctx, params))
                    .await
            }
            // Reads.
            ("2017-07-05", "ListPhoneNumbers") => list_phone_numbers::handle(ctx, params).await,
            ("2017-07-05", "CheckNumberAvaliable") => {
                check_number_avaliable::handle(ctx, params).await
            }
            ("2017-07-05", "GetNumberRegionInfo") => {
                get_number_region_info::handle(ctx, params).await
            }
            ("2017-07-05", "PickLocalNumber") => pick_local_number::handle(ctx, params).await,
            ("2017-07-05", "PickGlobalOutboundNumbers") => {
                pick_global_outbound_numbers::handle(ctx, params).await
            }
            ("2020-07-01", "ListPhoneNumbers") => {
                list_phone_numbers_v2020::handle(ctx, params, &self.list_cache).await
            }
            (_, action) => Err(ApiError::not_implemented(action)),
        }
    }

    /// Queries: `by_contact_flow` (see [`queries::by_contact_flow`]).
    async fn query(&self, ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        match name {
            "by_contact_flow" => queries::by_contact_flow(ctx, args).await,
            other => Err(ApiError::new(
                500,
                "InternalError",
                format!("plugin numbers has no query {other}"),
            )),
        }
    }
}
