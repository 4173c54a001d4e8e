//! Rows read by the host, turned into [`WireValue`]s for a dynamic plugin.
//!
//! Values are typed by the column's declared type where the driver knows it (PostgreSQL,
//! MySQL), and by the stored value on SQLite (whose `INTEGER` does not say how wide). Every
//! integer travels as `BigInt`; the plugin narrows it to its entity's type.

use ccgate_plugin_abi::wire::WireValue;
use sea_orm::QueryResult;
use sea_orm::sqlx::{Column, Row, TypeInfo, ValueRef};

/// One row as column names and values, in the row's column order.
///
/// Errors: a column of a type the boundary does not carry (message names column and type).
pub fn to_wire(row: &QueryResult) -> Result<Vec<(String, WireValue)>, String> {
    if let Some(r) = row.try_as_sqlite_row() {
        return sqlite(r);
    }
    if let Some(r) = row.try_as_pg_row() {
        return postgres(r);
    }
    if let Some(r) = row.try_as_mysql_row() {
        return mysql(r);
    }
    Err("rows of this connection type cannot be sent to a plugin".into())
}

fn err(col: &str, ty: &str, e: impl std::fmt::Display) -> String {
    format!("column {col} ({ty}): {e}")
}

fn sqlite(row: &sea_orm::sqlx::sqlite::SqliteRow) -> Result<Vec<(String, WireValue)>, String> {
    let mut out = Vec::with_capacity(row.columns().len());
    for (i, col) in row.columns().iter().enumerate() {
        let name = col.name();
        let declared = col.type_info().name().to_string();
        let raw = row.try_get_raw(i).map_err(|e| err(name, &declared, e))?;
        let stored = if raw.is_null() {
            None
        } else {
            Some(raw.type_info().name().to_string())
        };
        let e = |e| err(name, &declared, e);
        let value = match (declared.as_str(), stored.as_deref()) {
            ("BOOLEAN", None) => WireValue::Bool(None),
            ("BOOLEAN", Some(_)) => WireValue::Bool(Some(row.try_get::<bool, _>(i).map_err(e)?)),
            ("INTEGER" | "NUMERIC", None) => WireValue::BigInt(None),
            ("REAL", None) => WireValue::Double(None),
            ("BLOB", None) => WireValue::Bytes(None),
            (_, None) => WireValue::String(None),
            (_, Some("INTEGER")) => WireValue::BigInt(Some(row.try_get::<i64, _>(i).map_err(e)?)),
            (_, Some("REAL")) => WireValue::Double(Some(row.try_get::<f64, _>(i).map_err(e)?)),
            (_, Some("BLOB")) => WireValue::Bytes(Some(row.try_get::<Vec<u8>, _>(i).map_err(e)?)),
            (_, Some(_)) => WireValue::String(Some(row.try_get::<String, _>(i).map_err(e)?)),
        };
        out.push((name.to_string(), value));
    }
    Ok(out)
}

fn postgres(row: &sea_orm::sqlx::postgres::PgRow) -> Result<Vec<(String, WireValue)>, String> {
    let mut out = Vec::with_capacity(row.columns().len());
    for (i, col) in row.columns().iter().enumerate() {
        let name = col.name();
        let ty = col.type_info().name().to_string();
        let e = |e| err(name, &ty, e);
        let value = match ty.as_str() {
            "BOOL" => WireValue::Bool(row.try_get::<Option<bool>, _>(i).map_err(e)?),
            "INT2" => {
                WireValue::BigInt(row.try_get::<Option<i16>, _>(i).map_err(e)?.map(i64::from))
            }
            "INT4" => {
                WireValue::BigInt(row.try_get::<Option<i32>, _>(i).map_err(e)?.map(i64::from))
            }
            "INT8" => WireValue::BigInt(row.try_get::<Option<i64>, _>(i).map_err(e)?),
            "FLOAT4" => {
                WireValue::Double(row.try_get::<Option<f32>, _>(i).map_err(e)?.map(f64::from))
            }
            "FLOAT8" => WireValue::Double(row.try_get::<Option<f64>, _>(i).map_err(e)?),
            "BYTEA" => WireValue::Bytes(row.try_get::<Option<Vec<u8>>, _>(i).map_err(e)?),
            "JSON" | "JSONB" => {
                WireValue::Json(row.try_get::<Option<serde_json::Value>, _>(i).map_err(e)?)
            }
            "OID" => WireValue::BigInt(
                row.try_get::<Option<sea_orm::sqlx::postgres::types::Oid>, _>(i)
                    .map_err(e)?
                    .map(|o| i64::from(o.0)),
            ),
            _ => WireValue::String(row.try_get::<Option<String>, _>(i).map_err(e)?),
        };
        out.push((name.to_string(), value));
    }
    Ok(out)
}

fn mysql(row: &sea_orm::sqlx::mysql::MySqlRow) -> Result<Vec<(String, WireValue)>, String> {
    let mut out = Vec::with_capacity(row.columns().len());
    for (i, col) in row.columns().iter().enumerate() {
        let name = col.name();
        let ty = col.type_info().name().to_string();
        let e = |e| err(name, &ty, e);
        let value = match ty.as_str() {
            "BOOLEAN" => WireValue::Bool(row.try_get::<Option<bool>, _>(i).map_err(e)?),
            "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" => {
                WireValue::BigInt(row.try_get::<Option<i64>, _>(i).map_err(e)?)
            }
            t if t.ends_with("UNSIGNED") => match row.try_get::<Option<u64>, _>(i).map_err(e)? {
                Some(x) => match i64::try_from(x) {
                    Ok(x) => WireValue::BigInt(Some(x)),
                    Err(_) => WireValue::BigUnsigned(Some(x)),
                },
                None => WireValue::BigInt(None),
            },
            "FLOAT" => {
                WireValue::Double(row.try_get::<Option<f32>, _>(i).map_err(e)?.map(f64::from))
            }
            "DOUBLE" => WireValue::Double(row.try_get::<Option<f64>, _>(i).map_err(e)?),
            "VARBINARY" | "BINARY" | "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" => {
                WireValue::Bytes(row.try_get::<Option<Vec<u8>>, _>(i).map_err(e)?)
            }
            "JSON" => WireValue::Json(row.try_get::<Option<serde_json::Value>, _>(i).map_err(e)?),
            "NULL" => WireValue::String(None),
            _ => WireValue::String(row.try_get::<Option<String>, _>(i).map_err(e)?),
        };
        out.push((name.to_string(), value));
    }
    Ok(out)
}
