//! Change requests in the store: approval by e-signature of the roles a change needs (bound to
//! the change's content without its workflow fields, so moving on after approval keeps it),
//! refusing "approved" until then, and the records edited under a change (audit events whose
//! reason names it, `CR-<id>`).

use crate::audit::AuditEvent;
use crate::identity::{content_hash, sha256_hex};
use crate::{Store, StoreError};
use otkeep_core::access::{Role, Scope};
use otkeep_core::config_kinds::{CHANGE_WORKFLOW_FIELDS, required_approvals};
use otkeep_core::doc_kinds::{
    DOCUMENT_APPROVER_ROLES, DOCUMENT_VERSION_KIND, VERSION_WORKFLOW_FIELDS,
};
use otkeep_core::remote_kinds::{
    REMOTE_APPROVER_ROLES, REMOTE_SESSION_KIND, REMOTE_WORKFLOW_FIELDS,
};
use otkeep_core::{FieldError, Record, Values};
use sqlx::Row;

/// The fields an approval of a record of `kind` does not cover (its workflow), or `None` for
/// kinds not approved this way.
pub(crate) fn workflow_fields(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "change" => Some(CHANGE_WORKFLOW_FIELDS),
        "remote_session" => Some(REMOTE_WORKFLOW_FIELDS),
        "document_version" => Some(VERSION_WORKFLOW_FIELDS),
        _ => None,
    }
}

/// The hash an approval of a change (or remote session) binds to: its content without the
/// workflow fields.
pub(crate) fn approval_hash(record: &Record) -> String {
    let mut copy = record.clone();
    for f in workflow_fields(record.kind.name).unwrap_or_default() {
        copy.values.remove(f);
    }
    sha256_hex(&format!("{}|{}", record.kind.name, content_hash(&copy)))
}

/// The groups whose approval a record needs: for a change, by its type and risk; for a remote
/// session, one approver of the site.
fn required_groups(record: &Record) -> Vec<(&'static str, &'static [&'static str])> {
    if record.kind.name == REMOTE_SESSION_KIND.name {
        vec![("Approval of the remote access", REMOTE_APPROVER_ROLES)]
    } else if record.kind.name == DOCUMENT_VERSION_KIND.name {
        vec![("Approval of the document", DOCUMENT_APPROVER_ROLES)]
    } else {
        required_approvals(&record.values)
    }
}

/// One group of required approvers and who signed for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalGroup {
    pub label: &'static str,
    pub roles: &'static [&'static str],
    /// The signer who approves for this group (a different person for each group).
    pub signed_by: Option<String>,
}

/// A signature meaning "approved" with the role grants of its signer: (record id, content
/// hash, account id, signer name, role key, grant site).
type ApprovalRow = (i64, String, i64, String, String, Option<i64>);

const APPROVAL_ROWS: &str = "SELECT s.record_id, s.content_hash, s.account_id, s.signer_name, g.role, g.site_id FROM signature s JOIN role_grant g ON g.account_id = s.account_id WHERE s.kind = $1 AND s.meaning = 'approved'";

fn approval_row(r: &sqlx::any::AnyRow) -> Result<ApprovalRow, sqlx::Error> {
    Ok((
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get(2)?,
        r.try_get(3)?,
        r.try_get(4)?,
        r.try_get(5)?,
    ))
}

/// Who approved a change (or remote session) for each required group, from the signatures
/// meaning "approved" on its current approval hash by accounts holding a fitting role on its site.
pub(crate) async fn approvals_in(
    conn: &mut sqlx::AnyConnection,
    record: &Record,
) -> Result<Vec<ApprovalGroup>, StoreError> {
    let sql = format!("{APPROVAL_ROWS} AND s.record_id = $2 AND s.content_hash = $3 ORDER BY s.id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(record.kind.name)
        .bind(record.id)
        .bind(approval_hash(record))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(approval_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(approval_groups(record, &rows))
}

/// The approval groups of `record` from the approval signatures of its kind (`rows`, in
/// signing order; those of other records or other content are skipped).
fn approval_groups(record: &Record, rows: &[ApprovalRow]) -> Vec<ApprovalGroup> {
    let hash = approval_hash(record);
    let site = record.site_id();
    let mut signers: Vec<(i64, String, Vec<Role>)> = Vec::new();
    for (record_id, content_hash, account, name, role, grant_site) in rows {
        if *record_id != record.id || *content_hash != hash {
            continue;
        }
        if grant_site.is_some() && *grant_site != site {
            continue;
        }
        let Some(role) = Role::from_key(role) else {
            continue;
        };
        match signers.iter_mut().find(|s| s.0 == *account) {
            Some(s) => s.2.push(role),
            None => signers.push((*account, name.clone(), vec![role])),
        }
    }
    // Each group needs its own signer (four eyes when two groups are needed); groups that
    // fewer roles can satisfy pick first.
    let mut groups: Vec<ApprovalGroup> = required_groups(record)
        .into_iter()
        .map(|(label, roles)| ApprovalGroup {
            label,
            roles,
            signed_by: None,
        })
        .collect();
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|i| groups[*i].roles.len());
    let mut used: Vec<i64> = Vec::new();
    for i in order {
        if let Some((account, name, _)) = signers.iter().find(|(a, _, roles)| {
            !used.contains(a) && roles.iter().any(|r| groups[i].roles.contains(&r.key()))
        }) {
            used.push(*account);
            groups[i].signed_by = Some(name.clone());
        }
    }
    groups
}

/// Refuses a change, remote session or document version put in state "approved" whose required approvals are not
/// all signed. (Later states are reached through "approved" by the kinds' transition rules; a
/// record created directly in a later state is history being imported.)
pub(crate) async fn check_approved(
    conn: &mut sqlx::AnyConnection,
    kind: &'static otkeep_core::KindDef,
    id: Option<i64>,
    values: &Values,
) -> Result<(), StoreError> {
    let status = values
        .get("status")
        .map(|v| v.to_text())
        .unwrap_or_default();
    if status != "approved" {
        return Ok(());
    }
    let record = Record {
        kind,
        id: id.unwrap_or(0),
        version: 0,
        created_at: String::new(),
        updated_at: String::new(),
        values: values.clone(),
    };
    let groups = approvals_in(conn, &record).await?;
    let missing: Vec<String> = groups
        .iter()
        .filter(|g| g.signed_by.is_none())
        .map(|g| format!("{} ({})", g.label, g.roles.join(" or ")))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(vec![FieldError::new(
            "status",
            format!(
                "not approved yet: sign it as approved first; missing {}",
                missing.join(", ")
            ),
        )]))
    }
}

impl Store {
    /// Who approved change (or remote session) `record` for each required group.
    pub async fn change_approvals(
        &self,
        record: &Record,
    ) -> Result<Vec<ApprovalGroup>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        approvals_in(&mut conn, record).await
    }

    /// [`Store::change_approvals`] of many records of one kind at once (one query): for the
    /// due engine and lists, where a query per record would dominate.
    pub async fn approvals_of(
        &self,
        records: &[Record],
    ) -> Result<std::collections::HashMap<i64, Vec<ApprovalGroup>>, StoreError> {
        let Some(kind) = records.first().map(|r| r.kind.name) else {
            return Ok(Default::default());
        };
        let sql = format!("{APPROVAL_ROWS} ORDER BY s.id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(kind)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(approval_row)
            .collect::<Result<Vec<_>, _>>()?;
        let mut by_record: std::collections::HashMap<i64, Vec<ApprovalRow>> = Default::default();
        for r in rows {
            by_record.entry(r.0).or_default().push(r);
        }
        Ok(records
            .iter()
            .map(|r| {
                let rows = by_record.get(&r.id).map(Vec::as_slice).unwrap_or_default();
                (r.id, approval_groups(r, rows))
            })
            .collect())
    }

    /// Audit events within `scope` whose reason names change `id` (`CR-<id>`), newest first:
    /// the records changed under it.
    pub async fn events_of_change(
        &self,
        id: i64,
        scope: &Scope,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let pattern = format!("%cr-{id}%");
        let filter = crate::read::site_filter(scope, "site_id");
        let sql = format!(
            "SELECT {} FROM audit_event WHERE LOWER(reason) LIKE $1{filter} ORDER BY seq DESC LIMIT 500",
            crate::audit::EVENT_COLUMNS
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(pattern)
            .fetch_all(self.pool())
            .await?;
        // `CR-1` must not pick up `CR-12`.
        let exact = |reason: &str| {
            let lower = reason.to_lowercase();
            let key = format!("cr-{id}");
            lower.match_indices(&key).any(|(at, _)| {
                !lower[at + key.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit())
            })
        };
        Ok(rows
            .iter()
            .map(AuditEvent::from_row)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|e| e.reason.as_deref().is_some_and(exact))
            .collect())
    }
}
