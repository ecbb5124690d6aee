//! Point-in-time reads: the records as they stood at a past instant, rebuilt from the audit trail.
//!
//! Every create, update and delete of a record appends an event holding the whole record after
//! the change (see [`crate::audit`]). [`Store::as_of`] takes, for every record, the last such
//! event at or before the instant; a record whose last event is a delete did not exist then.
//! It writes those records into a fresh in-memory SQLite store with the same schema, along with
//! the side tables the reports read that have their own timestamps (signatures, risk method
//! versions, imported catalog corrections, advisory matches, KPI snapshots and targets), each
//! cut at the instant. Every reader of the store (gap, register, due engine, …) then works
//! unchanged on the reconstruction, so a report as of a past date is the same code as a report
//! of today.
//!
//! The reconstruction is a derived, throw-away read model, not a change to the system of record:
//! it is written directly (no audit events) into its own database, which disappears when the
//! [`AsOf`] is dropped. Advisory triage states are the current ones (their history is not
//! reconstructed); reports say so.

use crate::columns::{Param, bind, insert_row};
use crate::{Store, StoreError};
use otkeep_core::kinds::{KINDS, kind};
use otkeep_core::value::parse_json;
use otkeep_core::{Record, Value, Values};
use serde_json::Value as Json;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Column, Row};

/// The records as of an instant, in a store of their own.
pub struct AsOf {
    /// The reconstruction: read it like any store (never write to it).
    pub store: Store,
    /// The instant (RFC 3339 UTC, as stored).
    pub at: String,
    /// The last audit event at or before the instant (0 and the genesis hash when none).
    pub seq: i64,
    pub hash: String,
    /// How many records were rebuilt.
    pub records: usize,
    /// Keeps the in-memory database alive while the `AsOf` lives (SQLite drops a shared
    /// in-memory database when its last connection closes).
    _keep: sqlx::pool::PoolConnection<sqlx::Any>,
}

/// Side tables copied into the reconstruction: (table, the condition that cuts them at the
/// instant `$1`, or `None` to copy every row).
const SIDE_TABLES: &[(&str, Option<&str>)] = &[
    ("signature", Some("signed_at <= $1")),
    ("risk_method", Some("(id = 1 OR created_at <= $1)")),
    ("catalog_entry", Some("imported_at <= $1")),
    ("advisory", None),
    ("advisory_vendor", None),
    ("vendor_alias", None),
    ("advisory_match", Some("matched_at <= $1")),
    ("kpi_target", None),
    ("kpi_snapshot", Some("day <= SUBSTR($1, 1, 10)")),
];

impl Store {
    /// The audit trail's last event at or before `at` (RFC 3339 UTC): its sequence number and
    /// hash; (0, genesis) when there is none.
    pub async fn audit_position(&self, at: Option<&str>) -> Result<(i64, String), StoreError> {
        let row =
            match at {
                Some(at) => sqlx::query(
                    "SELECT seq, hash FROM audit_event WHERE at <= $1 ORDER BY seq DESC LIMIT 1",
                )
                .bind(at)
                .fetch_optional(&self.pool)
                .await?,
                None => {
                    sqlx::query("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&self.pool)
                        .await?
                }
            };
        Ok(match row {
            Some(r) => (r.try_get(0)?, r.try_get(1)?),
            None => (0, crate::audit::GENESIS_HASH.to_string()),
        })
    }

    /// Rebuilds the records as they stood at `at` (RFC 3339 UTC, compared as stored text) into
    /// a new in-memory store. With `site`, only that site's records and those belonging to no
    /// site are rebuilt (what a site report reads).
    pub async fn as_of(&self, at: &str, site: Option<i64>) -> Result<AsOf, StoreError> {
        let (seq, hash) = self.audit_position(Some(at)).await?;
        // A named shared in-memory database, so every pooled connection sees the same one.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "otkeep-as-of-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let target = Store::open(&format!("sqlite:file:{name}?mode=memory&cache=shared")).await?;
        let mut keep = target.pool.acquire().await?;
        // The rebuilt rows arrive kind by kind, so references may point forward; the source
        // kept them consistent, and SQLite cannot defer every check, so they are off while
        // loading (this pragma only takes effect outside a transaction).
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut *keep)
            .await?;
        let mut tx = sqlx::Connection::begin(&mut *keep).await?;
        // Rows the migrations seeded are replaced by the source's rows as of `at`.
        let mut tables: Vec<String> = SIDE_TABLES.iter().map(|(t, _)| t.to_string()).collect();
        for k in KINDS {
            tables.push(k.table.to_string());
            for f in k.fields.iter().filter(|f| !f.ty.is_column()) {
                tables.push(format!("{}_{}", k.table, f.name));
            }
        }
        for table in &tables {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *tx)
                .await?;
        }
        let records = self.rebuild_records(&mut tx, at, site).await?;
        for (table, cut) in SIDE_TABLES {
            self.copy_rows(&mut tx, table, *cut, at).await?;
        }
        tx.commit().await?;
        sqlx::query("PRAGMA foreign_keys = ON")
            .execute(&mut *keep)
            .await?;
        Ok(AsOf {
            store: target,
            at: at.to_string(),
            seq,
            hash,
            records,
            _keep: keep,
        })
    }

    /// Writes every record's last state at `at` into `conn`; returns how many.
    async fn rebuild_records(
        &self,
        conn: &mut sqlx::AnyConnection,
        at: &str,
        site: Option<i64>,
    ) -> Result<usize, StoreError> {
        // The last create/update/delete event of each record up to `at`. Choosing the last event
        // before filtering by site keeps a record that moved sites where it was at `at`.
        let mut sql = String::from(
            "SELECT e.kind, e.record_id, e.action, e.after_json FROM audit_event e \
             JOIN (SELECT kind, record_id, MAX(seq) AS last FROM audit_event \
                   WHERE at <= $1 AND record_id IS NOT NULL \
                     AND action IN ('create', 'update', 'delete') \
                   GROUP BY kind, record_id) l ON e.seq = l.last \
             WHERE e.action <> 'delete'",
        );
        if site.is_some() {
            sql.push_str(" AND (e.site_id IS NULL OR e.site_id = $2)");
        }
        sql.push_str(" ORDER BY e.seq");
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(at);
        if let Some(s) = site {
            query = query.bind(s);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut count = 0;
        for row in rows {
            let kind_name: String = row.try_get(0)?;
            let Some(kind) = kind(&kind_name) else {
                continue;
            };
            let id: i64 = row.try_get(1)?;
            let after: Option<String> = row.try_get(3)?;
            let Some(json) = after.and_then(|a| serde_json::from_str::<Json>(&a).ok()) else {
                return Err(StoreError::Corrupt(format!(
                    "audit event of {kind_name} #{id} holds no readable record"
                )));
            };
            let record = record_from_event(kind, id, &json);
            insert_record(conn, &record).await?;
            count += 1;
        }
        Ok(count)
    }

    /// Copies the rows of `table` (cut at `at` by `cut`) into `conn`, column by column.
    async fn copy_rows(
        &self,
        conn: &mut sqlx::AnyConnection,
        table: &str,
        cut: Option<&str>,
        at: &str,
    ) -> Result<(), StoreError> {
        let sql = match cut {
            Some(c) => format!("SELECT * FROM {table} WHERE {c}"),
            None => format!("SELECT * FROM {table}"),
        };
        let mut query = sqlx::query(AssertSqlSafe(sql));
        if cut.is_some_and(|c| c.contains("$1")) {
            query = query.bind(at);
        }
        let rows = query.fetch_all(&self.pool).await?;
        for row in rows {
            let (columns, params) = row_params(&row)?;
            let placeholders: Vec<String> = (1..=params.len()).map(|i| format!("${i}")).collect();
            let insert = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                columns.join(", "),
                placeholders.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(insert));
            for p in &params {
                q = bind(q, p);
            }
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// A record from its audit JSON. Each field is read on its own and a value that today's rules
/// refuse is left empty, so a record written under older rules still appears.
fn record_from_event(kind: &'static otkeep_core::KindDef, id: i64, json: &Json) -> Record {
    let text = |k: &str| json.get(k).and_then(Json::as_str).unwrap_or("").to_string();
    let mut values = Values::new();
    for f in kind.fields {
        let v = parse_json(f, json.get(f.name).unwrap_or(&Json::Null)).unwrap_or(Value::Null);
        values.insert(f.name, v);
    }
    Record {
        kind,
        id,
        version: json.get("version").and_then(Json::as_i64).unwrap_or(1),
        created_at: text("created_at"),
        updated_at: text("updated_at"),
        values,
    }
}

/// Inserts `record` with its own id, version and timestamps, and its child rows.
async fn insert_record(conn: &mut sqlx::AnyConnection, record: &Record) -> Result<(), StoreError> {
    let (sql, params) = insert_row(
        record.kind,
        vec![
            ("id", Param::Int(Some(record.id))),
            ("version", Param::Int(Some(record.version))),
            ("created_at", Param::Text(Some(record.created_at.clone()))),
            ("updated_at", Param::Text(Some(record.updated_at.clone()))),
        ],
        |f| record.get(f),
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for p in &params {
        query = bind(query, p);
    }
    query.execute(&mut *conn).await?;
    crate::write::write_children(conn, record).await
}

/// The column names of a row and its values as parameters (integers, else text, else NULL).
fn row_params(row: &AnyRow) -> Result<(Vec<String>, Vec<Param>), StoreError> {
    let mut names = Vec::new();
    let mut params = Vec::new();
    for (i, col) in row.columns().iter().enumerate() {
        names.push(col.name().to_string());
        let param = if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
            Param::Int(v)
        } else if let Ok(v) = row.try_get::<Option<String>, _>(i) {
            Param::Text(v)
        } else if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
            Param::Text(v.map(|f| f.to_string()))
        } else {
            Param::Text(None)
        };
        params.push(param);
    }
    Ok((names, params))
}
