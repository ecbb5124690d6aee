//! Risk management in the store: the versioned risk methods, the method version stamped on risk
//! assessments, the state of exceptions (from e-signatures, expiry and review interval), who may
//! approve them, and the risk register.
//!
//! An exception's approval is bound to its *inputs*: its own content, the SL-T of the zones it
//! names and the critical advisories matching the assets it names. When a zone's SL-T changes
//! or a linked asset gets a new critical advisory, the approval no longer matches and the
//! exception is back under review ([`ExceptionState::Reopened`]).

use crate::identity::{Signature, content_hash, sha256_hex};
use crate::{Store, StoreError, WriteTx};
use otkeep_core::access::{Role, Scope};
use otkeep_core::kinds::ZONE_KIND;
use otkeep_core::risk::RiskMethod;
use otkeep_core::risk_kinds::{EXCEPTION_KIND, RISK_ASSESSMENT_KIND, RISK_KIND};
use otkeep_core::{FieldError, Record, Value, Values};
use sqlx::Row;
use std::collections::HashMap;

/// One stored version of a risk method.
#[derive(Debug, Clone)]
pub struct MethodVersion {
    /// The version number (unique across the organization and its sites).
    pub version: i64,
    /// The site it applies to; `None` for the organization's.
    pub site: Option<i64>,
    pub method: RiskMethod,
    pub created_at: String,
    pub created_by: String,
}

async fn latest_method(
    conn: &mut sqlx::AnyConnection,
    site: Option<i64>,
) -> Result<Option<MethodVersion>, StoreError> {
    let row = match site {
        None => {
            sqlx::query(
                "SELECT id, site_id, document, created_at, created_by FROM risk_method WHERE site_id IS NULL ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(&mut *conn)
            .await?
        }
        Some(site) => {
            sqlx::query(
                "SELECT id, site_id, document, created_at, created_by FROM risk_method WHERE site_id = $1 ORDER BY id DESC LIMIT 1",
            )
            .bind(site)
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    row.map(|r| method_from_row(&r)).transpose()
}

fn method_from_row(r: &sqlx::any::AnyRow) -> Result<MethodVersion, StoreError> {
    let version: i64 = r.try_get("id")?;
    let document: String = r.try_get("document")?;
    let method = RiskMethod::parse(&document).map_err(|e| {
        StoreError::Corrupt(format!(
            "risk method version {version} does not parse: {}",
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    Ok(MethodVersion {
        version,
        site: r.try_get("site_id")?,
        method,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

/// The method in force for `site` (its own when the organization's allows overrides and it has
/// one), else the organization's.
async fn method_in_force(
    conn: &mut sqlx::AnyConnection,
    site: Option<i64>,
) -> Result<MethodVersion, StoreError> {
    let org = latest_method(conn, None)
        .await?
        .ok_or_else(|| StoreError::Corrupt("no risk method is stored".into()))?;
    if let (Some(site), true) = (site, org.method.allow_site_overrides)
        && let Some(own) = latest_method(conn, Some(site)).await?
    {
        return Ok(own);
    }
    Ok(org)
}

impl Store {
    /// The risk method in force for `site` (`None`: the organization's).
    pub async fn risk_method(&self, site: Option<i64>) -> Result<MethodVersion, StoreError> {
        let mut conn = self.pool().acquire().await?;
        method_in_force(&mut conn, site).await
    }

    /// Every version of every risk method, newest first.
    pub async fn risk_method_versions(&self) -> Result<Vec<MethodVersion>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, site_id, document, created_at, created_by FROM risk_method ORDER BY id DESC",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(method_from_row).collect()
    }

    /// Methods by version, for rating records that each name theirs.
    pub async fn risk_methods_by_version(&self) -> Result<HashMap<i64, RiskMethod>, StoreError> {
        Ok(self
            .risk_method_versions()
            .await?
            .into_iter()
            .map(|m| (m.version, m.method))
            .collect())
    }

    /// The exceptions of `scope` with their state as of `today`.
    pub async fn exceptions(
        &self,
        scope: &Scope,
        today: &str,
    ) -> Result<Vec<Exception>, StoreError> {
        let records = self
            .list_all(
                &EXCEPTION_KIND,
                &crate::ListQuery {
                    scope: scope.clone(),
                    ..crate::ListQuery::default()
                },
            )
            .await?;
        let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
        let mut signatures = self.signatures_of("exception", &ids).await?;
        let inputs = {
            let mut conn = self.pool().acquire().await?;
            inputs_in(&mut conn, &records).await?
        };
        Ok(records
            .into_iter()
            .map(|record| {
                let hash = exception_inputs_hash(&record, &inputs);
                let signatures = signatures.remove(&record.id).unwrap_or_default();
                let state = exception_state(&record, &signatures, &hash, today);
                Exception { record, state }
            })
            .collect())
    }

    /// The risk register of `scope`: every risk with its assessment's method and its inherent
    /// and residual rating.
    pub async fn risk_register(&self, scope: &Scope) -> Result<Vec<RegisterRow>, StoreError> {
        let q = crate::ListQuery {
            scope: scope.clone(),
            ..crate::ListQuery::default()
        };
        let assessments: HashMap<i64, Record> = self
            .list_all(&RISK_ASSESSMENT_KIND, &q)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let methods = self.risk_methods_by_version().await?;
        let fallback = self.risk_method(None).await?;
        let mut out = Vec::new();
        for risk in self.list_all(&RISK_KIND, &q).await? {
            let assessment = risk
                .get("risk_assessment_id")
                .as_int()
                .and_then(|id| assessments.get(&id));
            let version = assessment
                .and_then(|a| a.get("method_version").as_int())
                .unwrap_or(fallback.version);
            let method = methods
                .get(&version)
                .cloned()
                .unwrap_or_else(|| fallback.method.clone());
            let rating = |l: &str, i: &str| {
                let likelihood = risk
                    .get(l)
                    .as_int()
                    .and_then(|v| u8::try_from(v).ok())
                    .unwrap_or(0);
                let impacts =
                    otkeep_core::risk::parse_impacts(&risk.get(i).to_text()).unwrap_or_default();
                method.rate(likelihood, &impacts)
            };
            let inherent = rating("likelihood", "impacts");
            let residual = rating("residual_likelihood", "residual_impacts");
            out.push(RegisterRow {
                assessment: assessment.map(|a| (a.id, a.title())),
                method_version: version,
                inherent,
                residual,
                method,
                risk,
            });
        }
        Ok(out)
    }
}

/// One line of the risk register.
#[derive(Debug, Clone)]
pub struct RegisterRow {
    pub risk: Record,
    /// The assessment (id, title).
    pub assessment: Option<(i64, String)>,
    pub method_version: i64,
    pub method: RiskMethod,
    pub inherent: Option<otkeep_core::risk::Rating>,
    pub residual: Option<otkeep_core::risk::Rating>,
}

async fn sl_t_in(
    conn: &mut sqlx::AnyConnection,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, String>, StoreError> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let Some(sl_t) = ZONE_KIND.field("sl_t") else {
        return Err(StoreError::Corrupt("zones have no sl_t field".into()));
    };
    let columns = crate::columns::field_columns(sl_t).join(", ");
    let sql = format!(
        "SELECT id, {columns} FROM {} WHERE id IN ({})",
        ZONE_KIND.table,
        list.join(", ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<i64, _>("id")?,
                crate::columns::decode_field(r, sl_t)?.to_text(),
            ))
        })
        .collect()
}

/// A commissioning or decommissioning record with a template and no template items yet gets
/// the template's items (open); the template must be for the same purpose.
/// Names a patch on an asset "<patch> on <asset>" when it was given no name.
async fn name_deployment(
    conn: &mut sqlx::AnyConnection,
    values: &mut Values,
) -> Result<(), StoreError> {
    use otkeep_core::kinds::ASSET_KIND;
    use otkeep_core::patch_kinds::PATCH_KIND;
    if values
        .get("name")
        .is_some_and(|v| !v.to_text().trim().is_empty())
    {
        return Ok(());
    }
    let id = |f: &str| values.get(f).and_then(Value::as_int);
    let (Some(patch), Some(asset)) = (id("patch_id"), id("asset_id")) else {
        return Ok(());
    };
    // Missing records are reported by the reference check.
    let patch = crate::read::get_in(conn, &PATCH_KIND, patch).await?;
    let asset = crate::read::get_in(conn, &ASSET_KIND, asset).await?;
    if let (Some(p), Some(a)) = (patch, asset) {
        values.insert(
            "name",
            Value::Text(format!("{} on {}", p.title(), a.title())),
        );
    }
    Ok(())
}

async fn fill_template(
    conn: &mut sqlx::AnyConnection,
    purpose: &str,
    values: &mut Values,
) -> Result<(), StoreError> {
    use otkeep_core::config_kinds::{CHECKLIST_TEMPLATE_KIND, template_checklist};
    let Some(id) = values.get("template_id").and_then(Value::as_int) else {
        return Ok(());
    };
    // A missing template is reported by the reference check.
    let Some(template) = crate::read::get_in(conn, &CHECKLIST_TEMPLATE_KIND, id).await? else {
        return Ok(());
    };
    if template.get("purpose").to_text() != purpose {
        return Err(StoreError::Invalid(vec![FieldError::new(
            "template_id",
            format!(
                "'{}' is a template for {}",
                template.title(),
                template.get("purpose").to_text()
            ),
        )]));
    }
    let empty = values
        .get("template_items")
        .is_none_or(|v| v.to_text().trim().is_empty());
    if empty {
        values.insert(
            "template_items",
            Value::Text(template_checklist(&template.values)),
        );
        // What the kind check said of the completed record no longer holds: check again.
        let completed = values
            .get("status")
            .is_some_and(|s| s.to_text() == "completed");
        let errors: Vec<FieldError> = if completed {
            let items = values
                .get("template_items")
                .map(Value::to_text)
                .unwrap_or_default();
            otkeep_core::value::checklist_items(&items)
                .into_iter()
                .filter(|(done, _)| !done)
                .map(|(_, item)| FieldError::new("template_items", format!("not done yet: {item}")))
                .collect()
        } else {
            Vec::new()
        };
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
    }
    Ok(())
}

/// What an exception's approval depends on besides its own content.
struct ExceptionInputs {
    /// SL-T (as text) of zones by id.
    zones: HashMap<i64, String>,
    /// Critical advisories (tracking ids, sorted) matching each asset.
    critical: HashMap<i64, Vec<String>>,
}

/// The inputs of `records` (exceptions), in two queries.
async fn inputs_in(
    conn: &mut sqlx::AnyConnection,
    records: &[Record],
) -> Result<ExceptionInputs, StoreError> {
    let zones = sl_t_in(
        conn,
        records.iter().flat_map(|r| r.get("zones").ids().to_vec()),
    )
    .await?;
    let mut assets: Vec<i64> = records
        .iter()
        .flat_map(|r| r.get("assets").ids().to_vec())
        .collect();
    assets.sort_unstable();
    assets.dedup();
    let mut critical: HashMap<i64, Vec<String>> = HashMap::new();
    if !assets.is_empty() {
        let list: Vec<String> = assets.iter().map(i64::to_string).collect();
        let sql = format!(
            "SELECT m.asset_id, a.tracking_id FROM advisory_match m JOIN advisory a ON a.id = m.advisory_id WHERE a.severity = 'critical' AND m.asset_id IN ({}) ORDER BY a.tracking_id",
            list.join(", ")
        );
        for r in sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?
        {
            critical
                .entry(r.try_get(0)?)
                .or_default()
                .push(r.try_get(1)?);
        }
    }
    Ok(ExceptionInputs { zones, critical })
}

/// The hash an approval of an exception is bound to: its content, the SL-T of its zones and
/// the critical advisories matching its assets (named only when there are any, so that
/// approvals of exceptions without them keep their hash).
fn exception_inputs_hash(record: &Record, inputs: &ExceptionInputs) -> String {
    let sl_t: Vec<String> = record
        .get("zones")
        .ids()
        .iter()
        .map(|z| format!("{z}:{}", inputs.zones.get(z).map_or("", String::as_str)))
        .collect();
    let mut text = format!("{}|{}", content_hash(record), sl_t.join(","));
    let critical: Vec<String> = record
        .get("assets")
        .ids()
        .iter()
        .filter_map(|a| {
            inputs
                .critical
                .get(a)
                .map(|t| format!("{a}:{}", t.join("+")))
        })
        .collect();
    if !critical.is_empty() {
        text.push_str(&format!("|critical {}", critical.join(",")));
    }
    sha256_hex(&text)
}

/// The hash a signature of `record` binds to, read within the signing transaction: the content
/// hash, and for exceptions also the SL-T of the zones they name.
pub(crate) async fn signed_hash(
    conn: &mut sqlx::AnyConnection,
    record: &Record,
) -> Result<String, StoreError> {
    if crate::change::workflow_fields(record.kind.name).is_some() {
        return Ok(crate::change::approval_hash(record));
    }
    if record.kind.name != EXCEPTION_KIND.name {
        return Ok(content_hash(record));
    }
    let inputs = inputs_in(conn, std::slice::from_ref(record)).await?;
    Ok(exception_inputs_hash(record, &inputs))
}

/// Refuses an approval of an exception by someone whose roles on its site may not accept its
/// residual risk level under the method in force.
pub(crate) async fn check_acceptance(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    record: &Record,
) -> Result<(), StoreError> {
    if record.kind.name != EXCEPTION_KIND.name {
        return Ok(());
    }
    let site = record.site_id();
    let method = method_in_force(conn, site).await?.method;
    let level_key = record.get("residual_risk").to_text();
    let Some(level) = method.level(&level_key) else {
        let keys: Vec<&str> = method.levels.iter().map(|l| l.key.as_str()).collect();
        return Err(StoreError::Invalid(vec![FieldError::new(
            "residual_risk",
            format!(
                "'{level_key}' is not a level of the risk method ({}); correct the exception first",
                keys.join(", ")
            ),
        )]));
    };
    let rows = sqlx::query("SELECT role, site_id FROM role_grant WHERE account_id = $1")
        .bind(account_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut roles = Vec::new();
    for r in &rows {
        let role: String = r.try_get(0)?;
        let grant_site: Option<i64> = r.try_get(1)?;
        if let Some(role) = Role::from_key(&role)
            && (grant_site.is_none() || grant_site == site)
        {
            roles.push(role);
        }
    }
    if roles.iter().any(|r| method.may_accept(*r, level)) {
        return Ok(());
    }
    let l = &method.levels[level];
    let who = if l.accepted_by.is_empty() {
        "nobody may accept it: treat the risk instead".to_string()
    } else {
        format!("only {} may approve it", l.accepted_by.join(", "))
    };
    Err(StoreError::Invalid(vec![FieldError::new(
        "meaning",
        format!(
            "the residual risk is {} under risk method version {}; {who}",
            l.label,
            method_version_label(conn, site).await?
        ),
    )]))
}

async fn method_version_label(
    conn: &mut sqlx::AnyConnection,
    site: Option<i64>,
) -> Result<String, StoreError> {
    Ok(method_in_force(conn, site).await?.version.to_string())
}

/// Fills what a kind derives from the store before it is written, and checks what only the
/// risk method can tell: a risk assessment without a method version gets the one in force for
/// its site (a given one must exist); ratings must lie on the method's scales and name its
/// categories (a risk is checked against its assessment's version); level keys (an exception's
/// residual risk, a treatment's expected residual risk) must be levels of the method in force.
pub(crate) async fn prepare(
    conn: &mut sqlx::AnyConnection,
    kind: &'static otkeep_core::KindDef,
    id: Option<i64>,
    values: &mut Values,
) -> Result<(), StoreError> {
    if matches!(kind.name, "change" | "remote_session" | "document_version") {
        return crate::change::check_approved(conn, kind, id, values).await;
    }
    if kind.name == "document" {
        return crate::document::check_template(conn, values).await;
    }
    if kind.name == "patch_deployment" {
        return name_deployment(conn, values).await;
    }
    if matches!(kind.name, "commissioning" | "decommissioning") {
        return fill_template(conn, kind.name, values).await;
    }
    if kind.name == "validation_test" {
        fill_template(conn, "acceptance_test", values).await?;
        // The items copied from the template are checked with the rest of the result.
        let errors = (kind.check)(values);
        return if errors.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Invalid(errors))
        };
    }
    let site = values.get("site_id").and_then(Value::as_int);
    let method = match kind.name {
        "risk_assessment" => {
            let version = match values.get("method_version").and_then(Value::as_int) {
                None => {
                    let version = method_in_force(conn, site).await?.version;
                    values.insert("method_version", Value::Int(version));
                    version
                }
                Some(v) => v,
            };
            method_version(conn, version).await?.ok_or_else(|| {
                StoreError::Invalid(vec![FieldError::new(
                    "method_version",
                    format!("there is no risk method version {version}"),
                )])
            })?
        }
        "risk" => {
            let assessment = match values.get("risk_assessment_id").and_then(Value::as_int) {
                Some(id) => crate::read::get_in(conn, &RISK_ASSESSMENT_KIND, id).await?,
                None => None,
            };
            // A missing assessment is reported by the reference check.
            let Some(version) = assessment.and_then(|a| a.get("method_version").as_int()) else {
                return Ok(());
            };
            match method_version(conn, version).await? {
                Some(m) => m,
                None => return Ok(()),
            }
        }
        "exception" | "treatment" => method_in_force(conn, site).await?.method,
        _ => return Ok(()),
    };
    let errors = check_against_method(&method, values);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(errors))
    }
}

async fn method_version(
    conn: &mut sqlx::AnyConnection,
    version: i64,
) -> Result<Option<RiskMethod>, StoreError> {
    let row = sqlx::query(
        "SELECT id, site_id, document, created_at, created_by FROM risk_method WHERE id = $1",
    )
    .bind(version)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row
        .map(|r| method_from_row(&r))
        .transpose()?
        .map(|m| m.method))
}

/// Ratings on the method's scales, consequence categories it knows, level keys it has.
fn check_against_method(method: &RiskMethod, values: &Values) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let text = |f: &str| values.get(f).map(Value::to_text).unwrap_or_default();
    for f in ["initial_likelihood", "likelihood", "residual_likelihood"] {
        if let Some(l) = values.get(f).and_then(Value::as_int)
            && l > method.likelihood.len() as i64
        {
            errors.push(FieldError::new(
                f,
                format!(
                    "the likelihood scale of the risk method has {} steps (1 = {}, {} = {})",
                    method.likelihood.len(),
                    method.likelihood[0].label,
                    method.likelihood.len(),
                    method.likelihood[method.likelihood.len() - 1].label
                ),
            ));
        }
    }
    for f in ["initial_impacts", "impacts", "residual_impacts"] {
        let Ok(impacts) = otkeep_core::risk::parse_impacts(&text(f)) else {
            continue; // the kind check reports unreadable ratings
        };
        let keys: Vec<&str> = method.categories.iter().map(|c| c.key.as_str()).collect();
        for (key, level) in &impacts {
            if !keys.contains(&key.as_str()) {
                errors.push(FieldError::new(
                    f,
                    format!(
                        "'{key}' is not a consequence category of the risk method ({})",
                        keys.join(", ")
                    ),
                ));
            } else if usize::from(*level) > method.impact.len() {
                errors.push(FieldError::new(
                    f,
                    format!(
                        "{key}={level}: the impact scale has {} steps",
                        method.impact.len()
                    ),
                ));
            }
        }
    }
    for f in ["residual_risk", "expected_residual"] {
        let key = text(f);
        if !key.is_empty() && method.level(&key).is_none() {
            let keys: Vec<&str> = method.levels.iter().map(|l| l.key.as_str()).collect();
            errors.push(FieldError::new(
                f,
                format!(
                    "'{key}' is not a level of the risk method; use one of: {}",
                    keys.join(", ")
                ),
            ));
        }
    }
    errors
}

/// Where an exception stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExceptionState {
    /// Not decided for its current inputs.
    Requested,
    /// Approved for its current inputs, not expired; `review` is the next review date.
    Approved {
        by: String,
        at: String,
        review: String,
    },
    Rejected {
        by: String,
    },
    /// Approved, but the expiry date has passed.
    Expired,
    /// Withdrawn by a signature meaning "revoked".
    Revoked {
        by: String,
    },
    /// Approved once, but its content or the SL-T of its zones changed since: under review.
    Reopened,
}

impl ExceptionState {
    pub fn key(&self) -> &'static str {
        match self {
            ExceptionState::Requested => "requested",
            ExceptionState::Approved { .. } => "approved",
            ExceptionState::Rejected { .. } => "rejected",
            ExceptionState::Expired => "expired",
            ExceptionState::Revoked { .. } => "revoked",
            ExceptionState::Reopened => "reopened",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            ExceptionState::Requested => "requested: awaiting approval (sign it as approved or rejected)".into(),
            ExceptionState::Approved { by, review, .. } => {
                format!("approved by {by}; next review by {review}")
            }
            ExceptionState::Rejected { by } => format!("rejected by {by}"),
            ExceptionState::Expired => "expired".into(),
            ExceptionState::Revoked { by } => format!("revoked by {by}"),
            ExceptionState::Reopened => {
                "re-opened: its content, the SL-T of its zones or the critical advisories of its assets changed since approval; approve again".into()
            }
        }
    }
}

/// An exception with its state.
#[derive(Debug, Clone)]
pub struct Exception {
    pub record: Record,
    pub state: ExceptionState,
}

/// The state from the signatures (the latest decision on the current inputs decides), the
/// expiry date and the review interval.
pub fn exception_state(
    record: &Record,
    signatures: &[Signature],
    inputs_hash: &str,
    today: &str,
) -> ExceptionState {
    let decisions = ["approved", "rejected", "revoked"];
    let decision = signatures
        .iter()
        .rev()
        .find(|s| s.content_hash == inputs_hash && decisions.contains(&s.meaning.as_str()));
    let expired = record.get("expiry_date").to_text().as_str() < today;
    match decision {
        Some(s) if s.meaning == "revoked" => ExceptionState::Revoked {
            by: s.signer_name.clone(),
        },
        Some(s) if s.meaning == "rejected" => ExceptionState::Rejected {
            by: s.signer_name.clone(),
        },
        Some(_) if expired => ExceptionState::Expired,
        Some(s) => {
            let days = record.get("review_interval_days").as_int().unwrap_or(365);
            ExceptionState::Approved {
                by: s.signer_name.clone(),
                at: s.signed_at.clone(),
                review: add_days(&s.signed_at, days),
            }
        }
        None if signatures.iter().any(|s| s.meaning == "approved") => ExceptionState::Reopened,
        None => ExceptionState::Requested,
    }
}

/// The date `days` after the date part of timestamp `at` (`YYYY-MM-DD`).
fn add_days(at: &str, days: i64) -> String {
    let date = at.get(..10).unwrap_or(at);
    otkeep_core::value::parse_date(date)
        .ok()
        .and_then(|d| d.checked_add(jiff::Span::new().days(days)).ok())
        .map_or_else(|| date.to_string(), |d| d.to_string())
}

impl WriteTx<'_> {
    /// Stores a new version of the organization's risk method (`site` `None`) or of a site's
    /// own, which the organization's method must allow. Returns the version.
    pub async fn set_risk_method(
        &mut self,
        site: Option<i64>,
        method: &RiskMethod,
    ) -> Result<i64, StoreError> {
        method.validate().map_err(|errors| {
            StoreError::Invalid(
                errors
                    .into_iter()
                    .map(|e| FieldError::new(&e.path, e.message))
                    .collect(),
            )
        })?;
        if site.is_some() {
            let org = latest_method(self.conn(), None).await?;
            if !org.is_some_and(|o| o.method.allow_site_overrides) {
                return Err(StoreError::Invalid(vec![FieldError::new(
                    "site",
                    "the organization's risk method does not allow site methods (allow_site_overrides)",
                )]));
            }
        }
        let document = serde_json::to_string(method)
            .map_err(|e| StoreError::Corrupt(format!("risk method: {e}")))?;
        let now = crate::now();
        let actor = self.actor().to_string();
        let id: i64 = sqlx::query(
            "INSERT INTO risk_method (site_id, document, created_at, created_by) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(site)
        .bind(document.clone())
        .bind(now)
        .bind(actor)
        .fetch_one(self.conn())
        .await?
        .try_get(0)?;
        self.append_event(
            "create",
            "risk_method",
            Some(id),
            None,
            Some(document),
            site,
        )
        .await?;
        Ok(id)
    }
}
