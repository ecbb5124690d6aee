//! OSCAL exports: a zone's IEC 62443-3-3 assessment as assessment results
//! (`GET /gap/zones/{id}/oscal.json`) and a site's treatment plan as a POA&M
//! (`GET /risk/poam.json?site_id=N`), built by `otkeep_report::oscal` from the assessment rows
//! (`Store::assessment_rows`) and the treatment actions with the risks they address. The same
//! functions serve `otkeep oscal`.

use crate::AppState;
use crate::auth::Principal;
use crate::ui::{UiError, load};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use otkeep_core::catalog::Target;
use otkeep_core::gap::{Status, assess};
use otkeep_core::kinds::{SITE_KIND, ZONE_KIND};
use otkeep_core::risk_kinds::{RISK_KIND, TREATMENT_KIND};
use otkeep_core::{Record, SlVector, Value as V};
use otkeep_report::oscal::{
    AssessedRequirement, PlanItem, PlanRisk, TreatmentPlan, ZoneAssessment, assessment_results,
    poam,
};
use otkeep_store::{ListQuery, Store, StoreError};
use serde_json::Value;

fn now_utc() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}

/// The assessment results of `zone` (a zone record) as OSCAL JSON.
pub async fn zone_export(
    store: &Store,
    zone: &Record,
    generated_by: &str,
) -> Result<Value, StoreError> {
    let site = match zone.site_id() {
        Some(s) => store.get(&SITE_KIND, s).await?,
        None => None,
    };
    let site_text = |f: &str| {
        site.as_ref()
            .map(|s| s.get(f).to_text())
            .unwrap_or_default()
    };
    let today = jiff::Zoned::now().date().to_string();
    let rows: Vec<_> = match zone.site_id() {
        Some(s) => store.assessment_rows(s, &today).await?,
        None => Vec::new(),
    }
    .into_iter()
    .filter(|r| r.target_kind.name == ZONE_KIND.name && r.target_id == zone.id)
    .collect();
    let sl_t = match zone.get("sl_t") {
        V::Sl(v) => *v,
        _ => SlVector::uniform(0),
    };
    let catalog = store.catalog().await?;
    let gap = assess(&catalog, &sl_t, Target::Zone, &|req| {
        rows.iter()
            .find(|r| r.requirement.id == req.id)
            .map_or(Status::NotAssessed, |r| r.counts_as)
    });
    Ok(assessment_results(&ZoneAssessment {
        organization: String::new(),
        site_code: site_text("code"),
        site_name: site_text("name"),
        zone_id: zone.id,
        zone_name: zone.title(),
        zone_version: zone.version,
        sl_t: gap.sl_t,
        sl_a: gap.sl_a,
        requirements: rows
            .iter()
            .map(|r| AssessedRequirement {
                id: r.requirement.id.clone(),
                fr: r.requirement.fr,
                level: r.requirement.level,
                title: r.requirement.title.clone(),
                status: r.status.key().to_string(),
                met: r.counts_as.is_met(),
                record_id: r.assessment_id,
                notes: r.notes.clone(),
                reason: r.reason.clone(),
                owner: r.owner.clone(),
                target_date: r.target_date.clone(),
                last_assessed: r.last_assessed.clone(),
                evidence_url: r.evidence_url.clone(),
                evidence_sha256: r.evidence_sha256.clone(),
            })
            .collect(),
        generated_at: now_utc(),
        generated_by: generated_by.to_string(),
    }))
}

/// The treatment plan of `site` (a site record), or of every site in `scope` when `None`, as an
/// OSCAL POA&M; `None` without actions.
pub async fn plan_export(
    store: &Store,
    scope: otkeep_core::access::Scope,
    site: Option<&Record>,
    generated_by: &str,
) -> Result<Option<Value>, StoreError> {
    let scope = match site {
        Some(s) => otkeep_core::access::Scope::Limited {
            sites: vec![s.id],
            records: Vec::new(),
        },
        None => scope,
    };
    let q = ListQuery {
        scope,
        ..ListQuery::default()
    };
    let risks = store.list_all(&RISK_KIND, &q).await?;
    let items = store
        .list_all(&TREATMENT_KIND, &q)
        .await?
        .iter()
        .map(|t| {
            let text = |f: &str| t.get(f).to_text();
            PlanItem {
                id: t.id,
                title: t.title(),
                description: text("notes"),
                status: text("status"),
                owner: text("owner"),
                due_date: text("due_date"),
                milestone: text("milestone"),
                requirements: otkeep_core::kinds::covered_requirements(&t.values),
                risks: t
                    .get("risks")
                    .ids()
                    .iter()
                    .filter_map(|id| risks.iter().find(|r| r.id == *id))
                    .map(|r| PlanRisk {
                        id: r.id,
                        title: r.title(),
                        description: r.get("vulnerability").to_text(),
                    })
                    .collect(),
            }
        })
        .collect();
    let text = |f: &str| site.map(|s| s.get(f).to_text());
    Ok(poam(&TreatmentPlan {
        site_code: text("code").unwrap_or_else(|| "ORG".to_string()),
        site_name: text("name").unwrap_or_else(|| "all sites".to_string()),
        items,
        generated_at: now_utc(),
        generated_by: generated_by.to_string(),
    }))
}

fn json_download(doc: &Value, file: &str) -> Result<Response, UiError> {
    let body = serde_json::to_vec_pretty(doc)
        .map_err(|e| UiError::BadRequest(format!("the export could not be written: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// `GET /gap/zones/{id}/oscal.json`.
pub async fn zone(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
) -> Result<Response, UiError> {
    if plural != ZONE_KIND.plural {
        return Err(UiError::NotFound(format!(
            "OSCAL assessment results are exported for zones, not for '{plural}'."
        )));
    }
    let zone = load(&state, &p, &ZONE_KIND, id).await?;
    p.read_scope(&otkeep_core::kinds::ASSESSMENT_KIND)?;
    let doc = zone_export(&state.store, &zone, p.name()).await?;
    json_download(&doc, &format!("zone-{id}-assessment-results.json"))
}

#[derive(serde::Deserialize, Default)]
pub struct PlanParams {
    site_id: Option<String>,
}

/// `GET /risk/poam.json[?site_id=N]`: one site's plan, or that of every site the reader sees.
pub async fn plan(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<PlanParams>,
) -> Result<Response, UiError> {
    let scope = p.read_scope(&TREATMENT_KIND)?;
    let site = match params
        .site_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(raw) => {
            let id = raw
                .parse::<i64>()
                .map_err(|_| UiError::BadRequest(format!("'{raw}' is not a site id")))?;
            Some(load(&state, &p, &SITE_KIND, id).await?)
        }
        None => None,
    };
    let code = site
        .as_ref()
        .map_or("organization".to_string(), |s| s.get("code").to_text());
    match plan_export(&state.store, scope, site.as_ref(), p.name()).await? {
        Some(doc) => json_download(&doc, &format!("{code}-poam.json")),
        None => Err(UiError::NotFound(format!(
            "{code} has no treatment actions yet: an OSCAL POA&M needs at least one."
        ))),
    }
}
