//! The per-instance number counts (`numbers_instance_counts`, [`super::instance_count`]): kept
//! equal to `SELECT COUNT(*) FROM numbers_phone_numbers WHERE instance_id = ?` by every
//! transaction that inserts or deletes numbers ([`super::phone_numbers::insert`],
//! [`super::phone_numbers::insert_unless_taken`], [`super::phone_numbers::remove`]), which call
//! [`add`] before they commit; filled for the rows that existed before by migration
//! `m0003_numbers_instance_counts`.
//!
//! Why it stays right under concurrency: the change and the count move in one transaction, so
//! both commit or neither does, and the count moves in one atomic upsert ([`add`]): `INSERT
//! ... VALUES (instance, delta) ON CONFLICT (instance_id) DO UPDATE SET total =
//! numbers_instance_counts.total + delta` (MySQL/MariaDB: `ON DUPLICATE KEY UPDATE`). Two
//! transactions changing one instance both upsert its row; the second waits for the first's row
//! lock (PostgreSQL, InnoDB) or for the write lock (SQLite, `BEGIN IMMEDIATE`) and adds to the
//! committed value; two first writes of an instance at once are the same case (the second
//! insert conflicts with the first's row once it commits and becomes the update). No `UPDATE`
//! of a row that may not exist runs first: on InnoDB that takes a gap lock, and two first writes
//! holding the same gap would deadlock on their inserts. The statement is the transaction's
//! last before `COMMIT`, so the instance's row stays locked as briefly as possible.
//!
//! Not maintained by anything but this plugin's storage functions: rows written directly in the
//! database, or by a binary older than migration M0003 (a replica still running during an
//! upgrade), leave the count behind. The repair is M0003's fill, run by hand in one transaction:
//! `DELETE FROM numbers_instance_counts; INSERT INTO numbers_instance_counts (instance_id, total)
//! SELECT instance_id, COUNT(*) FROM numbers_phone_numbers GROUP BY instance_id`.

use ccgate_plugin_sdk::sea_orm::sea_query::{Expr, ExprTrait, InsertStatement, OnConflict, Query};
use ccgate_plugin_sdk::sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use super::instance_count;

/// Adds `delta` (negative: numbers deleted) to the count of `instance`, creating its row
/// (at `delta`) when it has none, in one statement (see the module docs). Run it in the
/// transaction that inserted or deleted the rows, last; a zero `delta` writes nothing.
///
/// Errors: the database's.
pub async fn add<C: ConnectionTrait>(db: &C, instance: &str, delta: i64) -> Result<(), DbErr> {
    if delta == 0 {
        return Ok(());
    }
    db.execute(&upsert(instance, delta)).await?;
    Ok(())
}

/// The statement of [`add`].
fn upsert(instance: &str, delta: i64) -> InsertStatement {
    Query::insert()
        .into_table(instance_count::Entity)
        .columns([
            instance_count::Column::InstanceId,
            instance_count::Column::Total,
        ])
        .values_panic([instance.into(), delta.into()])
        .on_conflict(
            OnConflict::column(instance_count::Column::InstanceId)
                .value(
                    instance_count::Column::Total,
                    // Qualified: PostgreSQL finds a bare `total` ambiguous (the existing row or
                    // `excluded`); SQLite and MySQL read the existing row either way.
                    Expr::col((instance_count::Entity, instance_count::Column::Total)).add(delta),
                )
                .to_owned(),
        )
        .to_owned()
}

/// The maintained count of `instance`: one primary-key read; 0 for an instance without a row
/// (it never had a number written through this plugin).
///
/// Errors: the database's.
pub async fn get<C: ConnectionTrait>(db: &C, instance: &str) -> Result<u64, DbErr> {
    let row = instance_count::Entity::find_by_id(instance.to_string())
        .one(db)
        .await?;
    Ok(row.map_or(0, |r| u64::try_from(r.total).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::sea_orm::{
        ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    };
    use ccgate_plugin_sdk::serde_json::Value;

    use crate::api::{add_bulk_phone_numbers, add_phone_number, remove_phone_number};
    use crate::storage::{instance_count, phone_number, phone_numbers};
    use crate::testutil::{Harness, INSTANCE, OTHER_INSTANCE};

    const THIRD_INSTANCE: &str = "ccc-third";

    /// The maintained count of `instance` and its `COUNT(*)`, asserted equal; the count.
    async fn counted(h: &Harness, instance: &str) -> u64 {
        let kept = super::get(&h.env.db, instance).await.unwrap();
        let rows = phone_number::Entity::find()
            .filter(phone_number::Column::InstanceId.eq(instance))
            .count(&h.env.db)
            .await
            .unwrap();
        assert_eq!(kept, rows, "{instance}: maintained count vs COUNT(*)");
        kept
    }

    async fn counts(h: &Harness) -> [u64; 3] {
        [
            counted(h, INSTANCE).await,
            counted(h, OTHER_INSTANCE).await,
            counted(h, THIRD_INSTANCE).await,
        ]
    }

    fn added_ids(v: &Value) -> Vec<String> {
        v["PhoneNumbers"]["PhoneNumber"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["PhoneNumberId"].as_str().unwrap().to_string())
            .collect()
    }

    #[tokio::test]
    async fn counts_follow_every_write() {
        let h = Harness::new().await;
        assert_eq!(counts(&h).await, [0, 0, 0]);
        assert!(
            instance_count::Entity::find()
                .all(&h.env.db)
                .await
                .unwrap()
                .is_empty(),
            "no row before an instance's first write"
        );

        // AddPhoneNumber: +1 in its instance only.
        let first = h.add("02160664656", "Inbound", None).await;
        h.add("01086394552", "Outbound", None).await;
        h.add_in(OTHER_INSTANCE, "05923293251", "Inbound", None)
            .await;
        assert_eq!(counts(&h).await, [2, 1, 0]);

        // A failed add (conflict, in this instance and from another one): no change.
        for instance in [INSTANCE, OTHER_INSTANCE] {
            let e = h
                .call_in(
                    add_phone_number::SPEC,
                    instance,
                    &[("PhoneNumber", "02160664656"), ("Usage", "Inbound")],
                )
                .await
                .unwrap_err();
            assert_eq!(e.code, "Conflict.PhoneNumber");
        }
        // ... nor an invalid one.
        let e = h
            .call(
                add_phone_number::SPEC,
                &[("PhoneNumber", "0531-689"), ("Usage", "Inbound")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        // A number bound between the check and the insert (unique violation in the
        // transaction): rolled back with its count.
        let taken = crate::actions::new_number(INSTANCE, "01086394552", "Inbound", None, 0);
        let e = phone_numbers::insert(&h.env.db, &taken).await.unwrap_err();
        assert!(crate::storage::is_unique_violation(&e), "{e}");
        assert_eq!(counts(&h).await, [2, 1, 0]);

        // AddBulkPhoneNumbers: + the numbers actually inserted (taken here, taken elsewhere,
        // repeated and invalid numbers are not).
        let v = h
            .call(
                add_bulk_phone_numbers::SPEC,
                &[
                    ("PhoneNumber.1", "053168962496"),
                    ("PhoneNumber.2", "02160664656"),
                    ("PhoneNumber.3", "05923293251"),
                    ("PhoneNumber.4", "not-a-number"),
                    ("PhoneNumber.5", "13912345678"),
                    ("PhoneNumber.6", "053168962496"),
                    ("Usage", "Bidirection"),
                ],
            )
            .await
            .unwrap();
        let bulk = added_ids(&v);
        assert_eq!(bulk.len(), 2, "{v}");
        assert_eq!(counts(&h).await, [4, 1, 0]);
        // Every number taken: nothing inserted, no count row created for a new instance.
        let v = h
            .call_in(
                add_bulk_phone_numbers::SPEC,
                THIRD_INSTANCE,
                &[
                    ("PhoneNumber.1", "053168962496"),
                    ("PhoneNumber.2", "05923293251"),
                    ("Usage", "Inbound"),
                ],
            )
            .await
            .unwrap();
        assert!(added_ids(&v).is_empty(), "{v}");
        assert_eq!(counts(&h).await, [4, 1, 0]);
        assert!(
            instance_count::Entity::find_by_id(THIRD_INSTANCE.to_string())
                .one(&h.env.db)
                .await
                .unwrap()
                .is_none()
        );
        // A first write of a new instance creates its row.
        let v = h
            .call_in(
                add_bulk_phone_numbers::SPEC,
                THIRD_INSTANCE,
                &[
                    ("PhoneNumber.1", "4008001234"),
                    ("PhoneNumber.2", "4008001235"),
                    ("PhoneNumber.3", "4008001236"),
                    ("Usage", "Inbound"),
                ],
            )
            .await
            .unwrap();
        let third = added_ids(&v);
        assert_eq!(counts(&h).await, [4, 1, 3]);

        // RemovePhoneNumber: -1 when a row was deleted, nothing otherwise.
        h.call(remove_phone_number::SPEC, &[("PhoneNumberId", &first)])
            .await
            .unwrap();
        assert_eq!(counts(&h).await, [3, 1, 3]);
        for id in [first.as_str(), "nope"] {
            let e = h
                .call(remove_phone_number::SPEC, &[("PhoneNumberId", id)])
                .await
                .unwrap_err();
            assert_eq!(e.code, "NotExists.PhoneNumberId");
        }
        // Another instance's number, asked from this one: not found, both counts kept.
        let e = h
            .call(remove_phone_number::SPEC, &[("PhoneNumberId", &third[0])])
            .await
            .unwrap_err();
        assert_eq!(e.code, "NotExists.PhoneNumberId");
        assert_eq!(counts(&h).await, [3, 1, 3]);
        for id in &bulk {
            h.call(remove_phone_number::SPEC, &[("PhoneNumberId", id)])
                .await
                .unwrap();
        }
        for id in &third {
            h.call_in(
                remove_phone_number::SPEC,
                THIRD_INSTANCE,
                &[("PhoneNumberId", id)],
            )
            .await
            .unwrap();
        }
        assert_eq!(counts(&h).await, [1, 1, 0]);
        // The number removed can be added again, to any instance.
        h.add_in(THIRD_INSTANCE, "02160664656", "Inbound", None)
            .await;
        assert_eq!(counts(&h).await, [1, 1, 1]);
    }

    #[test]
    fn one_upsert_per_backend() {
        use ccgate_plugin_sdk::sea_orm::sea_query::{
            MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder,
        };
        let q = super::upsert("ccc-test", -1);
        assert_eq!(
            q.to_string(PostgresQueryBuilder),
            r#"INSERT INTO "numbers_instance_counts" ("instance_id", "total") VALUES ('ccc-test', -1) ON CONFLICT ("instance_id") DO UPDATE SET "total" = "numbers_instance_counts"."total" + -1"#
        );
        assert_eq!(
            q.to_string(SqliteQueryBuilder),
            r#"INSERT INTO "numbers_instance_counts" ("instance_id", "total") VALUES ('ccc-test', -1) ON CONFLICT ("instance_id") DO UPDATE SET "total" = "numbers_instance_counts"."total" + -1"#
        );
        assert_eq!(
            q.to_string(MysqlQueryBuilder),
            "INSERT INTO `numbers_instance_counts` (`instance_id`, `total`) VALUES ('ccc-test', -1) ON DUPLICATE KEY UPDATE `total` = `numbers_instance_counts`.`total` + -1"
        );
    }

    #[tokio::test]
    async fn add_creates_or_moves_the_row() {
        let h = Harness::new().await;
        super::add(&h.env.db, INSTANCE, 0).await.unwrap();
        assert_eq!(super::get(&h.env.db, INSTANCE).await.unwrap(), 0);
        assert!(
            instance_count::Entity::find()
                .all(&h.env.db)
                .await
                .unwrap()
                .is_empty(),
            "a zero delta writes nothing"
        );
        super::add(&h.env.db, INSTANCE, 5).await.unwrap();
        super::add(&h.env.db, INSTANCE, -2).await.unwrap();
        super::add(&h.env.db, OTHER_INSTANCE, 7).await.unwrap();
        assert_eq!(super::get(&h.env.db, INSTANCE).await.unwrap(), 3);
        assert_eq!(super::get(&h.env.db, OTHER_INSTANCE).await.unwrap(), 7);
        // A row set below zero by hand reads as 0, never as a huge u64.
        instance_count::ActiveModel {
            instance_id: Set(INSTANCE.to_string()),
            total: Set(-4),
        }
        .update(&h.env.db)
        .await
        .unwrap();
        assert_eq!(super::get(&h.env.db, INSTANCE).await.unwrap(), 0);
    }
}
