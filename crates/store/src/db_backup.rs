//! Backups of otkeep's own database (`otkeep backup`) and their restore (`otkeep restore`).
//!
//! A backup is always a SQLite file in otkeep's schema, whichever backend it was taken from, so
//! one format serves both backends (and moves an installation from one to the other):
//!
//! - from SQLite, `VACUUM INTO` writes the database as one read transaction saw it, while the
//!   server goes on writing (WAL readers do not block the writer);
//! - from PostgreSQL, every table is read inside one `REPEATABLE READ READ ONLY` transaction
//!   (one snapshot, so the copy is consistent across tables) into a new SQLite store.
//!
//! A restore opens the backup as a store, so a backup made by an older release is first brought
//! to this release's schema by the ordinary migrations (the upgrade path), then copies every
//! table into an empty target database in one transaction, in foreign-key order, and moves
//! PostgreSQL's id sequences past the restored ids. Both directions verify the audit chain of
//! what they wrote before they report success.
//!
//! This copies rows as they are stored: it is not a change to the records (no audit events),
//! the same way a file copy of the database is not.

use crate::audit::VerifyReport;
use crate::{Backend, Store, StoreError};
use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Column, Connection, Row};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What a backup or a restore wrote.
#[derive(Debug, Clone)]
pub struct CopySummary {
    /// Tables copied (every table of the schema but the migration bookkeeping).
    pub tables: usize,
    /// Rows copied, over all tables.
    pub rows: u64,
    /// The schema version of the result.
    pub schema_version: i64,
    /// The audit chain of the result, verified.
    pub audit: VerifyReport,
}

/// One stored value, as read from either backend.
#[derive(Debug, Clone)]
enum Cell {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

impl Store {
    /// Writes a consistent copy of the whole database to the SQLite file `path` (which must not
    /// exist) while the server may go on writing, then verifies the copy's audit chain.
    pub async fn backup_to(&self, path: &Path) -> Result<CopySummary, StoreError> {
        if path.exists() {
            return Err(StoreError::Corrupt(format!(
                "{} already exists: a backup never overwrites a file",
                path.display()
            )));
        }
        let copied = match self.backend {
            Backend::Sqlite => {
                let target = path.to_str().ok_or_else(|| {
                    StoreError::Corrupt(format!("{} is not a UTF-8 path", path.display()))
                })?;
                sqlx::query("VACUUM INTO $1")
                    .bind(target)
                    .execute(&self.pool)
                    .await?;
                None
            }
            Backend::Postgres => Some(self.backup_postgres(path).await?),
        };
        let backup = Store::open(&crate::sqlite_url(path)).await?;
        let summary = backup.summary(copied).await?;
        backup.pool.close().await;
        broken_is_error(&summary, &path.display().to_string())?;
        Ok(summary)
    }

    /// The PostgreSQL snapshot into a new SQLite store at `path`; returns (tables, rows).
    async fn backup_postgres(&self, path: &Path) -> Result<(usize, u64), StoreError> {
        let target = Store::open(&crate::sqlite_url(path)).await?;
        let result = async {
            let mut src = self.pool.acquire().await?;
            sqlx::raw_sql("START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *src)
                .await?;
            let schema = source_schema_version(&mut src).await?;
            let own = target.schema_version().await?;
            if schema != own {
                return Err(StoreError::Corrupt(format!(
                    "the database has schema version {schema}, this otkeep writes {own}: run `otkeep migrate` first"
                )));
            }
            let tables = table_names(&mut src, Backend::Postgres).await?;
            let mut dst = target.pool.acquire().await?;
            // Rows arrive table by table, so references may point forward while loading; the
            // source kept them consistent (this pragma only takes effect outside a transaction).
            sqlx::query("PRAGMA foreign_keys = OFF")
                .execute(&mut *dst)
                .await?;
            let mut tx = dst.begin().await?;
            let mut rows = 0;
            for table in &tables {
                sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}")))
                    .execute(&mut *tx)
                    .await?;
                rows += copy_table(&mut src, &mut tx, table, &BTreeMap::new()).await?;
            }
            tx.commit().await?;
            sqlx::raw_sql("COMMIT").execute(&mut *src).await?;
            Ok((tables.len(), rows))
        }
        .await;
        target.pool.close().await;
        if result.is_err() {
            // Nothing half-written is left behind to be mistaken for a backup.
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        result
    }

    /// Restores the backup file `backup` into this store, which must be empty (freshly created:
    /// no audit events, no accounts), in one transaction; then verifies the audit chain.
    pub async fn restore_from(&self, backup: &Path) -> Result<CopySummary, StoreError> {
        if !backup.is_file() {
            return Err(StoreError::Corrupt(format!(
                "{} is not a backup file",
                backup.display()
            )));
        }
        let events: i64 = sqlx::query("SELECT COUNT(*) FROM audit_event")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let accounts: i64 = sqlx::query("SELECT COUNT(*) FROM account")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        if events > 0 || accounts > 0 {
            return Err(StoreError::Corrupt(format!(
                "the target database is not empty ({events} audit events, {accounts} accounts): restore into a new database"
            )));
        }
        // A working copy of the backup is opened as a store, which applies this release's
        // migrations to it (an older backup is upgraded on the way; the file itself is never
        // changed).
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let work = std::env::temp_dir().join(format!(
            "otkeep-restore-{}-{}.db",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::copy(backup, &work)
            .map_err(|e| StoreError::Corrupt(format!("cannot read {}: {e}", backup.display())))?;
        let result = async {
            let source = Store::open(&crate::sqlite_url(&work)).await?;
            let result = self.restore_tables(&source).await;
            source.pool.close().await;
            result
        }
        .await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", work.display()));
        }
        let copied = result?;
        let summary = self.summary(Some(copied)).await?;
        broken_is_error(&summary, "the restored database")?;
        Ok(summary)
    }

    async fn restore_tables(&self, source: &Store) -> Result<(usize, u64), StoreError> {
        let mut src = source.pool.acquire().await?;
        let order = foreign_key_order(&mut src).await?;
        let mut dst = self.pool.acquire().await?;
        let types = match self.backend {
            Backend::Sqlite => {
                sqlx::query("PRAGMA foreign_keys = OFF")
                    .execute(&mut *dst)
                    .await?;
                BTreeMap::new()
            }
            Backend::Postgres => postgres_column_types(&mut dst).await?,
        };
        let result = async {
            let mut tx = dst.begin().await?;
            // The rows the migrations seeded into the new database give way to the backup's.
            for table in order.iter().rev() {
                sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}")))
                    .execute(&mut *tx)
                    .await?;
            }
            let mut rows = 0;
            for table in &order {
                let empty = BTreeMap::new();
                let columns = types.get(table).unwrap_or(&empty);
                rows += copy_table(&mut src, &mut tx, table, columns).await?;
            }
            if self.backend == Backend::Postgres {
                for table in &order {
                    if types.get(table).is_some_and(|c| c.contains_key("id")) {
                        // Only identity columns have a sequence; others answer NULL.
                        sqlx::query(AssertSqlSafe(format!(
                            "SELECT setval(s, (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false) \
                             FROM pg_get_serial_sequence('{table}', 'id') AS s WHERE s IS NOT NULL"
                        )))
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            tx.commit().await?;
            Ok((order.len(), rows))
        }
        .await;
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&mut *dst)
                .await?;
        }
        result
    }

    /// Every table's row count and a SHA-256 over its rows (sorted, so independent of the order
    /// the database returns them in), by table name: equal on two databases, of either
    /// backend, when they hold the same rows.
    pub async fn content_digest(&self) -> Result<BTreeMap<String, (u64, String)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut digest = BTreeMap::new();
        for table in table_names(&mut conn, self.backend).await? {
            let mut rows: Vec<String> = Vec::new();
            let mut stream =
                sqlx::query(AssertSqlSafe(format!("SELECT * FROM {table}"))).fetch(&mut *conn);
            while let Some(row) = stream.try_next().await? {
                let mut cells = Vec::new();
                for (i, column) in row.columns().iter().enumerate() {
                    let text = match cell(&row, i) {
                        Cell::Int(Some(v)) => v.to_string(),
                        Cell::Real(Some(v)) => v.to_string(),
                        Cell::Text(Some(v)) => serde_json::Value::String(v).to_string(),
                        Cell::Blob(Some(v)) => crate::identity::sha256_bytes(&v),
                        _ => "null".to_string(),
                    };
                    cells.push(format!("{}={text}", column.name()));
                }
                rows.push(cells.join(","));
            }
            drop(stream);
            rows.sort();
            let count = rows.len() as u64;
            digest.insert(
                table,
                (count, crate::identity::sha256_hex(&rows.join("\n"))),
            );
        }
        Ok(digest)
    }

    /// The schema version (the last migration applied).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        source_schema_version(&mut conn).await
    }

    async fn summary(&self, copied: Option<(usize, u64)>) -> Result<CopySummary, StoreError> {
        let (tables, rows) = match copied {
            Some(c) => c,
            None => {
                let mut conn = self.pool.acquire().await?;
                let tables = table_names(&mut conn, self.backend).await?;
                let mut rows = 0;
                for t in &tables {
                    let n: i64 = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM {t}")))
                        .fetch_one(&mut *conn)
                        .await?
                        .try_get(0)?;
                    rows += n as u64;
                }
                (tables.len(), rows)
            }
        };
        Ok(CopySummary {
            tables,
            rows,
            schema_version: self.schema_version().await?,
            audit: self.verify_audit().await?,
        })
    }
}

fn broken_is_error(summary: &CopySummary, what: &str) -> Result<(), StoreError> {
    match &summary.audit.broken {
        None => Ok(()),
        Some((seq, why)) => Err(StoreError::Corrupt(format!(
            "the audit trail of {what} is broken at event {seq}: {why}"
        ))),
    }
}

async fn source_schema_version(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(
        sqlx::query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?,
    )
}

/// Every table of otkeep's schema but the migration bookkeeping, by name.
async fn table_names(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<Vec<String>, StoreError> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
    };
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
    let mut names = Vec::new();
    for row in rows {
        let name: String = row.try_get(0)?;
        if name != "schema_migrations" {
            names.push(name);
        }
    }
    Ok(names)
}

/// The tables of a SQLite store, each after the tables it refers to (a table's references to
/// itself aside), so that a target that checks foreign keys at once accepts them in that order.
async fn foreign_key_order(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    let tables = table_names(conn, Backend::Sqlite).await?;
    let mut refers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in &tables {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT \"table\" FROM pragma_foreign_key_list('{t}')"
        )))
        .fetch_all(&mut *conn)
        .await?;
        let mut targets = BTreeSet::new();
        for row in rows {
            let target: String = row.try_get(0)?;
            if &target != t && tables.contains(&target) {
                targets.insert(target);
            }
        }
        refers.insert(t.clone(), targets);
    }
    let mut order: Vec<String> = Vec::new();
    while order.len() < tables.len() {
        let ready: Vec<String> = tables
            .iter()
            .filter(|t| !order.contains(t))
            .filter(|t| refers[*t].iter().all(|r| order.contains(r)))
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(StoreError::Corrupt(
                "the schema's foreign keys form a cycle between tables".into(),
            ));
        }
        order.extend(ready);
    }
    Ok(order)
}

/// PostgreSQL's column types by table and column (to type the NULLs bound into them).
async fn postgres_column_types(
    conn: &mut AnyConnection,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, StoreError> {
    let rows = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema()",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut types: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for row in rows {
        types
            .entry(row.try_get(0)?)
            .or_default()
            .insert(row.try_get(1)?, row.try_get(2)?);
    }
    Ok(types)
}

/// Copies every row of `table` from `src` into `dst` (same columns); returns how many.
/// `types` (PostgreSQL targets) names each column's type, so a NULL is bound as that type.
async fn copy_table(
    src: &mut AnyConnection,
    dst: &mut AnyConnection,
    table: &str,
    types: &BTreeMap<String, String>,
) -> Result<u64, StoreError> {
    let select = format!("SELECT * FROM {table}");
    let mut rows = sqlx::query(AssertSqlSafe(select)).fetch(&mut *src);
    let mut insert: Option<(String, Vec<String>)> = None;
    let mut count = 0;
    while let Some(row) = rows.try_next().await? {
        let (sql, columns) = insert.get_or_insert_with(|| insert_sql(table, &row));
        let mut query = sqlx::query(AssertSqlSafe(sql.clone()));
        for (i, column) in columns.iter().enumerate() {
            let cell = match cell(&row, i) {
                Cell::Int(None) | Cell::Real(None) | Cell::Text(None) | Cell::Blob(None) => {
                    null_of(types.get(column).map(String::as_str))
                }
                c => c,
            };
            query = match cell {
                Cell::Int(v) => query.bind(v),
                Cell::Real(v) => query.bind(v),
                Cell::Text(v) => query.bind(v),
                Cell::Blob(v) => query.bind(v),
            };
        }
        query.execute(&mut *dst).await?;
        count += 1;
    }
    Ok(count)
}

fn insert_sql(table: &str, row: &AnyRow) -> (String, Vec<String>) {
    let columns: Vec<String> = row.columns().iter().map(|c| c.name().to_string()).collect();
    let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        quoted.join(", "),
        placeholders.join(", ")
    );
    (sql, columns)
}

/// Column `i` of `row`, whatever its type (a NULL comes back as `Text(None)`).
fn cell(row: &AnyRow, i: usize) -> Cell {
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return match v {
            Some(v) => Cell::Int(Some(v)),
            None => Cell::Text(None),
        };
    }
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return Cell::Text(v);
    }
    if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
        return Cell::Blob(v);
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
        return Cell::Real(v);
    }
    if let Ok(Some(v)) = row.try_get::<Option<i32>, _>(i) {
        return Cell::Int(Some(i64::from(v)));
    }
    Cell::Text(None)
}

/// A NULL typed for a PostgreSQL column of `data_type` (SQLite takes any NULL).
fn null_of(data_type: Option<&str>) -> Cell {
    match data_type {
        Some("bigint" | "integer" | "smallint") => Cell::Int(None),
        Some("double precision" | "real" | "numeric") => Cell::Real(None),
        Some("bytea") => Cell::Blob(None),
        _ => Cell::Text(None),
    }
}
