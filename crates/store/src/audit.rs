//! The audit trail: an append-only, hash-chained log of every change.
//!
//! Event `n` stores `hash_n = SHA-256(hash_{n-1} "\n" line_n)` where `line_n` is the JSON array
//! `[seq, at, actor, action, kind, record_id, before, after, reason]` built from the stored
//! columns (before/after are the stored JSON text, hashed as strings, so the check does not
//! depend on how JSON objects are ordered). The first event chains from 64 zeros. Changing,
//! inserting or removing any event breaks the chain at that point, which [`Store::verify_audit`]
//! reports.

use crate::{Store, StoreError};
use otkeep_core::access::Scope;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

/// The hash the first event chains from.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub seq: i64,
    /// UTC, RFC 3339.
    pub at: String,
    pub actor: String,
    /// `create`, `update` or `delete`.
    pub action: String,
    pub kind: String,
    pub record_id: Option<i64>,
    /// The record before the change, as JSON text (`None` for a create).
    pub before: Option<String>,
    /// The record after the change, as JSON text (`None` for a delete).
    pub after: Option<String>,
    pub reason: Option<String>,
    /// The site the event concerns (`None` for events outside any site, such as sign-ins).
    pub site_id: Option<i64>,
    pub prev_hash: String,
    pub hash: String,
}

/// One field whose value an event changed.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub field: String,
    pub before: Json,
    pub after: Json,
}

impl AuditEvent {
    /// The hash this event must carry given its content and `prev_hash`.
    pub fn compute_hash(&self) -> String {
        let mut line = json!([
            self.seq,
            self.at,
            self.actor,
            self.action,
            self.kind,
            self.record_id,
            self.before,
            self.after,
            self.reason
        ]);
        // Events that name a site hash it too (appended, so events written before sites were
        // recorded keep their hash).
        if let (Some(site), Some(items)) = (self.site_id, line.as_array_mut()) {
            items.push(json!(site));
        }
        let line = line.to_string();
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(line.as_bytes());
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The fields that differ between before and after (all fields for a create or delete),
    /// leaving out bookkeeping (version, timestamps).
    pub fn changes(&self) -> Vec<FieldChange> {
        let parse = |s: &Option<String>| {
            s.as_deref()
                .and_then(|t| serde_json::from_str::<Json>(t).ok())
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default()
        };
        let before = parse(&self.before);
        let after = parse(&self.after);
        let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .filter(|k| !matches!(k.as_str(), "id" | "version" | "created_at" | "updated_at"))
            .filter_map(|k| {
                let b = before.get(k).cloned().unwrap_or(Json::Null);
                let a = after.get(k).cloned().unwrap_or(Json::Null);
                (a != b).then(|| FieldChange {
                    field: k.clone(),
                    before: b,
                    after: a,
                })
            })
            .collect()
    }

    pub(crate) fn from_row(row: &AnyRow) -> Result<AuditEvent, sqlx::Error> {
        Ok(AuditEvent {
            seq: row.try_get("seq")?,
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            kind: row.try_get("kind")?,
            record_id: row.try_get("record_id")?,
            before: row.try_get("before_json")?,
            after: row.try_get("after_json")?,
            reason: row.try_get("reason")?,
            site_id: row.try_get("site_id")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        })
    }
}

pub(crate) const EVENT_COLUMNS: &str = "seq, at, actor, action, kind, record_id, before_json, after_json, reason, site_id, prev_hash, hash";

/// Appends an event inside the caller's transaction.
pub(crate) async fn append(
    conn: &mut sqlx::AnyConnection,
    e: &AuditEvent,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_event (seq, at, actor, action, kind, record_id, before_json, after_json, reason, site_id, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(e.seq)
    .bind(&e.at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.kind)
    .bind(e.record_id)
    .bind(&e.before)
    .bind(&e.after)
    .bind(&e.reason)
    .bind(e.site_id)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest event's sequence number and hash (0 and the genesis hash when empty).
pub(crate) async fn head(conn: &mut sqlx::AnyConnection) -> Result<(i64, String), sqlx::Error> {
    let row = sqlx::query("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(r) => (r.try_get(0)?, r.try_get(1)?),
        None => (0, GENESIS_HASH.to_string()),
    })
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Events checked before the first problem (all of them when the chain is intact).
    pub checked: i64,
    /// The first broken link: the sequence number and what is wrong there.
    pub broken: Option<(i64, String)>,
    /// Hash of the last event (the value to note down to detect later truncation).
    pub head: String,
}

impl Store {
    /// The history of one record, oldest first.
    pub async fn history(&self, kind: &str, id: i64) -> Result<Vec<AuditEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_event WHERE kind = $1 AND record_id = $2 ORDER BY seq"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(kind.to_string())
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(AuditEvent::from_row)
            .collect::<Result<_, _>>()?)
    }

    /// The newest events of the trail within `scope` (by the site events concern; events
    /// outside any site only for [`Scope::All`]), newest first.
    pub async fn recent_events(
        &self,
        limit: u32,
        scope: &Scope,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        // `WHERE 1 = 1` so that the site filter can append its `AND …`.
        let filter = format!("WHERE 1 = 1{}", crate::read::site_filter(scope, "site_id"));
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit_event {filter} ORDER BY seq DESC LIMIT {limit}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(AuditEvent::from_row)
            .collect::<Result<_, _>>()?)
    }

    /// Recomputes the whole chain in batches and reports the first broken link: a changed
    /// event (hash mismatch), a removed or inserted event (sequence gap or prev-hash mismatch).
    pub async fn verify_audit(&self) -> Result<VerifyReport, StoreError> {
        const BATCH: i64 = 5_000;
        let mut expected_seq = 1;
        let mut prev = GENESIS_HASH.to_string();
        let mut checked = 0;
        loop {
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM audit_event WHERE seq >= $1 ORDER BY seq LIMIT {BATCH}"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(expected_seq)
                .fetch_all(&self.pool)
                .await?;
            let n = rows.len();
            for row in &rows {
                let e = AuditEvent::from_row(row)?;
                let problem = if e.seq != expected_seq {
                    Some(format!(
                        "event {expected_seq} is missing (next present is {})",
                        e.seq
                    ))
                } else if e.prev_hash != prev {
                    Some("its previous-hash does not match the event before it".to_string())
                } else if e.compute_hash() != e.hash {
                    Some("its content does not match its hash (the event was altered)".to_string())
                } else {
                    None
                };
                if let Some(p) = problem {
                    return Ok(VerifyReport {
                        checked,
                        broken: Some((expected_seq, p)),
                        head: prev,
                    });
                }
                prev = e.hash;
                expected_seq += 1;
                checked += 1;
            }
            if (n as i64) < BATCH {
                return Ok(VerifyReport {
                    checked,
                    broken: None,
                    head: prev,
                });
            }
        }
    }
}
