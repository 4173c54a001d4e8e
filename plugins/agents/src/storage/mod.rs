//! Storage of the agents domain: its sea-orm entities and [`migration`]. No tables yet.
//!
//! To add a table: an entity in its own module file, `src/storage/<table>.rs`
//! (`#[derive(DeriveEntityModel)] #[sea_orm(table_name = "agents_<table>")] pub struct Model`),
//! declared here as `pub mod <table>;`; a migration creating it in [`migration`]; then
//! `cargo xtask codegen`, which lists the entity in the generated `src/api/export.rs` (a plugin
//! loaded as a library tells the host the column types of its entities). Prefix tables with
//! `agents_`, keep ids and indexed strings bounded `VARCHAR`s and times `BIGINT` epoch
//! milliseconds, so the schema works on SQLite, PostgreSQL and MySQL/MariaDB alike
//! (`ccgate_plugin_sdk::storage` has the shared helpers: paging, LIKE escaping,
//! unique-violation detection).

pub mod migration;
