//! The one write path. A [`WriteTx`] holds the write lock and a database transaction; each
//! create, update and delete checks references, uniqueness and the expected version, writes the
//! row, and appends the audit event in the same transaction. Nothing is visible to others until
//! [`WriteTx::commit`]; dropping the transaction rolls everything back.

use crate::audit::{self, AuditEvent};
use crate::columns::{Param, bind, field_columns, field_params, insert_row};
use crate::read::get_in;
use crate::{Backend, Store, StoreError};
use otkeep_core::kind::{Field, FieldType, KindDef, SiteRule};
use otkeep_core::{FieldError, Record, Value, Values};
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashMap;
use tokio::sync::MutexGuard;

/// A write transaction on behalf of one actor.
pub struct WriteTx<'s> {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _lock: MutexGuard<'s, ()>,
    actor: String,
    reason: Option<String>,
    seq: i64,
    head: String,
    /// Site of referenced records, looked up once per transaction: (kind, id) → site id.
    sites: HashMap<(&'static str, i64), Option<i64>>,
    /// Affected products of stored advisories prepared for matching, once per transaction.
    pub(crate) advisories:
        HashMap<i64, std::sync::Arc<Vec<otkeep_core::advisory::CompiledProduct>>>,
}

impl<'s> WriteTx<'s> {
    pub(crate) async fn begin(
        store: &'s Store,
        actor: &str,
        reason: Option<&str>,
    ) -> Result<WriteTx<'s>, StoreError> {
        let lock = store.write_lock.lock().await;
        let mut tx = match store.backend {
            // IMMEDIATE takes SQLite's write lock now, so two writers never both read the chain
            // head and then race to append.
            Backend::Sqlite => store.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = store.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(70101)")
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        let (seq, head) = audit::head(&mut tx).await?;
        Ok(WriteTx {
            tx,
            _lock: lock,
            actor: actor.to_string(),
            reason: reason.map(str::to_string).filter(|r| !r.trim().is_empty()),
            seq,
            head,
            sites: HashMap::new(),
            advisories: HashMap::new(),
        })
    }

    /// Makes every change of this transaction durable and visible.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Creates a record; `values` come from `otkeep_core::value::values_from_*`.
    pub async fn create(
        &mut self,
        kind: &'static KindDef,
        mut values: Values,
    ) -> Result<Record, StoreError> {
        crate::risk::prepare(self.conn(), kind, None, &mut values).await?;
        self.check(kind, None, &values).await?;
        let now = crate::now();
        let (sql, params) = insert_row(
            kind,
            vec![
                ("version", Param::Int(Some(1))),
                ("created_at", Param::Text(Some(now.clone()))),
                ("updated_at", Param::Text(Some(now.clone()))),
            ],
            |f| values.get(f).unwrap_or(&Value::Null),
        );
        let sql = format!("{sql} RETURNING id");
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for p in &params {
            query = bind(query, p);
        }
        let id: i64 = query.fetch_one(&mut *self.tx).await?.try_get(0)?;
        let record = Record {
            kind,
            id,
            version: 1,
            created_at: now.clone(),
            updated_at: now,
            values,
        };
        self.write_children(&record).await?;
        self.audit("create", kind, id, None, Some(&record)).await?;
        if kind.name == "asset" {
            self.rematch_asset(&record).await?;
        }
        self.checklist_completed(&record, None).await?;
        self.supersede_previous(&record, None).await?;
        Ok(record)
    }

    /// Replaces the values of record `id`, provided it is still at `expected_version`.
    pub async fn update(
        &mut self,
        kind: &'static KindDef,
        id: i64,
        expected_version: i64,
        mut values: Values,
    ) -> Result<Record, StoreError> {
        let before = self.current(kind, id, expected_version).await?;
        if let Some(transition) = kind.transition {
            let errors = transition(&before.values, &values);
            if !errors.is_empty() {
                return Err(StoreError::Invalid(errors));
            }
        }
        crate::risk::prepare(self.conn(), kind, Some(id), &mut values).await?;
        self.check(kind, Some(id), &values).await?;
        // Moving a record to another site would leave records that must share its site (a
        // zone's assets) pointing across sites.
        if let Some(sf) = kind.site_field
            && values.get(sf).and_then(Value::as_int) != before.site_id()
        {
            let holders = self.holders(kind, id, true).await?;
            if !holders.is_empty() {
                return Err(StoreError::Invalid(vec![FieldError::new(
                    sf,
                    format!(
                        "{} '{}' cannot move to another site while {} of its site refer to it; move them first",
                        kind.label,
                        before.title(),
                        holders.join(", ")
                    ),
                )]));
            }
        }
        let now = crate::now();
        let mut sets = vec!["version = $1".to_string(), "updated_at = $2".to_string()];
        let mut params = vec![
            Param::Int(Some(expected_version + 1)),
            Param::Text(Some(now.clone())),
        ];
        for f in kind.fields {
            for (col, p) in field_columns(f)
                .into_iter()
                .zip(field_params(f, values.get(f.name).unwrap_or(&Value::Null)))
            {
                params.push(p);
                sets.push(format!("{col} = ${}", params.len()));
            }
        }
        params.push(Param::Int(Some(id)));
        params.push(Param::Int(Some(expected_version)));
        let sql = format!(
            "UPDATE {} SET {} WHERE id = ${} AND version = ${}",
            kind.table,
            sets.join(", "),
            params.len() - 1,
            params.len()
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for p in &params {
            query = bind(query, p);
        }
        let done = query.execute(&mut *self.tx).await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict {
                kind: kind.name,
                id,
                expected: expected_version,
                current: before.version,
            });
        }
        let record = Record {
            kind,
            id,
            version: expected_version + 1,
            created_at: before.created_at.clone(),
            updated_at: now,
            values,
        };
        self.write_children(&record).await?;
        self.audit("update", kind, id, Some(&before), Some(&record))
            .await?;
        let changed = |f: &str| before.get(f) != record.get(f);
        if kind.name == "asset"
            && (changed("vendor") || changed("model") || changed("firmware_version"))
        {
            self.rematch_asset(&record).await?;
        }
        self.checklist_completed(&record, Some(&before)).await?;
        self.supersede_previous(&record, Some(&before)).await?;
        Ok(record)
    }

    /// Deletes record `id`, provided it is still at `expected_version` and nothing refers to it.
    pub async fn delete(
        &mut self,
        kind: &'static KindDef,
        id: i64,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let before = self.current(kind, id, expected_version).await?;
        let holders = self.holders(kind, id, false).await?;
        if !holders.is_empty() {
            return Err(StoreError::Referenced(format!(
                "{} '{}' cannot be deleted: {} still refer to it; move or delete them first",
                kind.label,
                before.title(),
                holders.join(", ")
            )));
        }
        for f in kind.fields.iter().filter(|f| !f.ty.is_column()) {
            let sql = format!("DELETE FROM {}_{} WHERE owner_id = $1", kind.table, f.name);
            sqlx::query(AssertSqlSafe(sql))
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        }
        let sql = format!("DELETE FROM {} WHERE id = $1 AND version = $2", kind.table);
        sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .bind(expected_version)
            .execute(&mut *self.tx)
            .await?;
        self.audit("delete", kind, id, Some(&before), None).await?;
        Ok(())
    }

    /// Records of other kinds that refer to record `id` of `kind`, as "12 assets (Zone)" per
    /// referring field; only references that must stay within the site when `site_bound`.
    async fn holders(
        &mut self,
        kind: &KindDef,
        id: i64,
        site_bound: bool,
    ) -> Result<Vec<String>, StoreError> {
        let mut holders = Vec::new();
        for (other, field) in otkeep_core::kinds::referrers(kind.name) {
            let condition = match (site_bound, field.site_rule) {
                (false, _) => String::new(),
                (true, SiteRule::None) => continue,
                (true, SiteRule::SameSite) => String::new(),
                (true, SiteRule::SameSiteUnless(flag)) => format!(" AND {flag} = 0"),
            };
            let sql = match field.ty {
                FieldType::Refs(_) => format!(
                    "SELECT COUNT(DISTINCT owner_id) FROM {}_{} WHERE ref_id = $1",
                    other.table, field.name
                ),
                _ => format!(
                    "SELECT COUNT(*) FROM {} WHERE {} = $1{condition}",
                    other.table, field.name
                ),
            };
            let n: i64 = sqlx::query(AssertSqlSafe(sql))
                .bind(id)
                .fetch_one(&mut *self.tx)
                .await?
                .try_get(0)?;
            if n > 0 {
                let what = if n == 1 {
                    other.label
                } else {
                    other.label_plural
                };
                holders.push(format!("{n} {} ({})", what.to_lowercase(), field.label));
            }
        }
        // Role grants name sites and vendors' assets; revoke them before deleting.
        let grant_column = match kind.name {
            "site" => Some("site_id"),
            "asset" => Some("asset_id"),
            _ => None,
        };
        if let (Some(column), false) = (grant_column, site_bound) {
            let sql = format!("SELECT COUNT(*) FROM role_grant WHERE {column} = $1");
            let n: i64 = sqlx::query(AssertSqlSafe(sql))
                .bind(id)
                .fetch_one(&mut *self.tx)
                .await?
                .try_get(0)?;
            if n > 0 {
                holders.push(format!(
                    "{n} role grant{} (revoke them under Users)",
                    if n == 1 { "" } else { "s" }
                ));
            }
        }
        Ok(holders)
    }

    /// Reads the record as it is now and refuses if it is missing or at another version.
    async fn current(
        &mut self,
        kind: &'static KindDef,
        id: i64,
        expected_version: i64,
    ) -> Result<Record, StoreError> {
        let before = get_in(&mut self.tx, kind, id)
            .await?
            .ok_or(StoreError::NotFound {
                kind: kind.name,
                id,
            })?;
        if before.version != expected_version {
            return Err(StoreError::Conflict {
                kind: kind.name,
                id,
                expected: expected_version,
                current: before.version,
            });
        }
        Ok(before)
    }

    /// Checks what needs the database: referenced records exist and belong to the right site,
    /// and unique field sets are not taken by another record.
    async fn check(
        &mut self,
        kind: &'static KindDef,
        id: Option<i64>,
        values: &Values,
    ) -> Result<(), StoreError> {
        let mut errors = Vec::new();
        let own_site = match kind.site_field {
            Some(f) => values.get(f).and_then(Value::as_int),
            None => None,
        };
        // Every (field, target kind, id) named, single references and reference lists alike;
        // collected first so no iterator borrows live across the awaits below.
        let mut references: Vec<(&'static Field, &'static str, i64)> = Vec::new();
        for field in kind.fields {
            if let (Some(target), Some(value)) = (field.ref_kind(), values.get(field.name)) {
                references.extend(value.ids().iter().map(|id| (field, target, *id)));
            }
        }
        for (field, target_name, target_id) in references {
            let target = otkeep_core::kind(target_name)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown kind {target_name}")))?;
            match self.site_of(target, target_id).await? {
                None => errors.push(FieldError::new(
                    field.name,
                    format!("{} #{target_id} does not exist", target.label),
                )),
                Some(target_site) => {
                    let exempt = match field.site_rule {
                        SiteRule::None => true,
                        SiteRule::SameSite => false,
                        SiteRule::SameSiteUnless(flag) => {
                            values.get(flag).is_some_and(Value::as_bool)
                        }
                    };
                    if !exempt && target_site.is_some() && target_site != own_site {
                        let hint = match field.site_rule {
                            SiteRule::SameSiteUnless(flag) => format!(
                                "; tick '{}' to link zones of different sites",
                                kind.field(flag).map_or(flag, |f| f.label)
                            ),
                            _ => String::new(),
                        };
                        errors.push(FieldError::new(
                            field.name,
                            format!(
                                "{} #{target_id} belongs to another site than this {}{hint}",
                                target.label,
                                kind.label.to_lowercase()
                            ),
                        ));
                    }
                }
            }
        }
        for set in kind.unique {
            let mut clauses = Vec::new();
            let mut params = Vec::new();
            for name in *set {
                let Some(field) = kind.field(name) else {
                    continue;
                };
                let value = values.get(name).unwrap_or(&Value::Null);
                if value.is_null() {
                    clauses.clear();
                    break;
                }
                params.extend(field_params(field, value));
                clauses.push(format!("{name} = ${}", params.len()));
            }
            if clauses.is_empty() {
                continue;
            }
            if let Some(id) = id {
                params.push(Param::Int(Some(id)));
                clauses.push(format!("id <> ${}", params.len()));
            }
            let sql = format!(
                "SELECT COUNT(*) FROM {} WHERE {}",
                kind.table,
                clauses.join(" AND ")
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for p in &params {
                query = bind(query, p);
            }
            let n: i64 = query.fetch_one(&mut *self.tx).await?.try_get(0)?;
            if n > 0 {
                let last = set.last().copied().unwrap_or("");
                let shown = values.get(last).map(Value::to_text).unwrap_or_default();
                let scope = if set.len() > 1 { " in this site" } else { "" };
                errors.push(FieldError::new(
                    last,
                    format!(
                        "another {} already has {} '{shown}'{scope}",
                        kind.label.to_lowercase(),
                        kind.field(last).map_or(last, |f| f.label).to_lowercase()
                    ),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Invalid(errors))
        }
    }

    /// `None` if the record does not exist, else `Some(site id)` (`Some(None)` for kinds
    /// without a site).
    async fn site_of(
        &mut self,
        kind: &'static KindDef,
        id: i64,
    ) -> Result<Option<Option<i64>>, StoreError> {
        if let Some(site) = self.sites.get(&(kind.name, id)) {
            return Ok(Some(*site));
        }
        let column = match kind.site_field {
            Some(f) => f,
            None if kind.name == "site" => "id",
            None => "NULL",
        };
        let sql = format!("SELECT {column} FROM {} WHERE id = $1", kind.table);
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let site: Option<i64> = row.try_get(0)?;
        self.sites.insert((kind.name, id), site);
        Ok(Some(site))
    }

    /// A commissioning (decommissioning) record that became completed puts its asset into
    /// operation (marks it decommissioned), as an audited update in the same transaction.
    async fn checklist_completed(
        &mut self,
        record: &Record,
        before: Option<&Record>,
    ) -> Result<(), StoreError> {
        let lifecycle = match record.kind.name {
            "commissioning" => "operational",
            "decommissioning" => "decommissioned",
            _ => return Ok(()),
        };
        let completed = |r: &Record| r.get("status").to_text() == "completed";
        if !completed(record) || before.is_some_and(completed) {
            return Ok(());
        }
        let Some(asset_id) = record.get("asset_id").as_int() else {
            return Ok(());
        };
        let asset_kind = &otkeep_core::kinds::ASSET_KIND;
        let Some(asset) = get_in(&mut self.tx, asset_kind, asset_id).await? else {
            return Ok(());
        };
        if asset.get("lifecycle").to_text() == lifecycle {
            return Ok(());
        }
        let mut values = asset.values.clone();
        values.insert("lifecycle", Value::Text(lifecycle.to_string()));
        Box::pin(self.update(asset_kind, asset.id, asset.version, values)).await?;
        Ok(())
    }

    /// Replaces the child-table rows (channels, reference lists) of `record`.
    async fn write_children(&mut self, record: &Record) -> Result<(), StoreError> {
        write_children(&mut self.tx, record).await
    }

    async fn audit(
        &mut self,
        action: &str,
        kind: &KindDef,
        id: i64,
        before: Option<&Record>,
        after: Option<&Record>,
    ) -> Result<(), StoreError> {
        let site = after.or(before).and_then(Record::site_id);
        self.append_event(
            action,
            kind.name,
            Some(id),
            before.map(|r| r.to_json().to_string()),
            after.map(|r| r.to_json().to_string()),
            site,
        )
        .await?;
        Ok(())
    }

    /// Appends one event to the audit chain in this transaction and returns its sequence
    /// number. Record changes call it through `create`/`update`/`delete`; identity events
    /// (sign-ins, grants, tokens, signatures) call it directly.
    pub(crate) async fn append_event(
        &mut self,
        action: &str,
        kind: &str,
        record_id: Option<i64>,
        before: Option<String>,
        after: Option<String>,
        site_id: Option<i64>,
    ) -> Result<i64, StoreError> {
        let mut event = AuditEvent {
            seq: self.seq + 1,
            at: crate::now(),
            actor: self.actor.clone(),
            action: action.to_string(),
            kind: kind.to_string(),
            record_id,
            before,
            after,
            reason: self.reason.clone(),
            site_id,
            prev_hash: self.head.clone(),
            hash: String::new(),
        };
        event.hash = event.compute_hash();
        audit::append(&mut self.tx, &event).await?;
        self.seq = event.seq;
        self.head = event.hash;
        Ok(self.seq)
    }

    /// The transaction's connection, for the identity tables (same transaction, same lock).
    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    pub(crate) fn actor(&self) -> &str {
        &self.actor
    }
}

/// Writes the child-table fields of `record` (channels, reference lists), replacing what was
/// there. Shared by the write path and the point-in-time reconstruction (`crate::as_of`).
pub(crate) async fn write_children(
    conn: &mut sqlx::AnyConnection,
    record: &Record,
) -> Result<(), StoreError> {
    for f in record.kind.fields.iter().filter(|f| !f.ty.is_column()) {
        let table = format!("{}_{}", record.kind.table, f.name);
        let delete = format!("DELETE FROM {table} WHERE owner_id = $1");
        sqlx::query(AssertSqlSafe(delete))
            .bind(record.id)
            .execute(&mut *conn)
            .await?;
        let rows: Vec<Vec<Param>> = match record.get(f.name) {
            Value::Ids(ids) => ids.iter().map(|id| vec![Param::Int(Some(*id))]).collect(),
            Value::Channels(channels) => channels
                .iter()
                .map(|c| {
                    vec![
                        Param::Text(Some(c.protocol.clone())),
                        Param::Int(c.port.map(i64::from)),
                        Param::Text(Some(c.transport.clone())),
                        Param::Text(Some(c.direction.clone())),
                    ]
                })
                .collect(),
            _ => Vec::new(),
        };
        let insert = match f.ty {
            FieldType::Refs(_) => {
                format!("INSERT INTO {table} (owner_id, position, ref_id) VALUES ($1, $2, $3)")
            }
            _ => format!(
                "INSERT INTO {table} (owner_id, position, protocol, port, transport, direction) VALUES ($1, $2, $3, $4, $5, $6)"
            ),
        };
        for (i, row) in rows.iter().enumerate() {
            let mut query = sqlx::query(AssertSqlSafe(insert.clone()))
                .bind(record.id)
                .bind(i as i64);
            for p in row {
                query = bind(query, p);
            }
            query.execute(&mut *conn).await?;
        }
    }
    Ok(())
}
