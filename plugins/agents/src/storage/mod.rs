//! Storage of the agents domain: sea-orm entities and their [`migration`].
//!
//! Tables (all prefixed `agents_`):
//! - [`skill_group`] (`agents_skill_groups`): skill groups (seed 004 §8).
//! - [`user`] (`agents_users`): users of an instance (§9), [`user_role`] their roles (§5.1),
//!   [`skill_level`] their skill-group memberships with levels (§8.1, §9.9).
//! - [`skill_group_number`]: the outbound numbers of a skill group (§8.8).
//! - [`groups`]: the skill-group reads and writes the §8 actions share (no table of its own).
//! - [`agent_state`]: each agent's current state; [`state_log`]: every transition, append-only;
//!   [`counter`]: per-instance counters (log `seq`, extensions). See `crate::state`.
//!
//! Times are UTC epoch milliseconds in BIGINT columns; indexed strings are bounded VARCHARs so
//! the same schema works on SQLite, PostgreSQL and MySQL/MariaDB.

pub mod agent_state;
pub mod counter;
pub mod groups;
pub mod migration;
pub mod service_extension;
pub mod skill_group;
pub mod skill_group_number;
pub mod skill_level;
pub mod state_log;
pub mod user;
pub mod user_role;
pub mod users;

/// Longest accepted id (`UserId`, `SkillGroupId`, `InstanceId`), in characters.
pub const ID_MAX: usize = 64;

/// Most values bound in one `IN (...)` list (SQLite allows 32766 variables per statement).
pub const IN_LIST_MAX: usize = 1000;

pub use ccgate_plugin_sdk::storage::is_unique_violation;
