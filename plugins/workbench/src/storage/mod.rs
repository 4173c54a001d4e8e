//! Storage of the workbench domain: its sea-orm entities, their reads and writes, and
//! [`migration`]. Tables are prefixed `workbench_`; ids are bounded `VARCHAR`s and times
//! `BIGINT` epoch milliseconds, so the schema works on SQLite, PostgreSQL and MySQL/MariaDB.

pub mod config_item;
pub mod config_items;
pub mod login_key;
pub mod migration;
