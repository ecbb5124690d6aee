//! Operations KPIs: `/kpi` (per site or all readable sites) and `/api/v1/kpi/operations`, both
//! from `Store::operations_kpis`; `otkeep kpi` prints the same lines.

use crate::AppState;
use crate::api::ApiError;
use crate::auth::Principal;
use crate::due::{FeedParams, site_by_code};
use crate::model::{chosen_site, site_options};
use crate::ui::{Nav, UiError, render};
use crate::view::SelectOption;
use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use otkeep_core::risk_kinds::TREATMENT_KIND;
use otkeep_store::{KpiLine, OperationsKpis};
use serde_json::json;

#[derive(Template)]
#[template(path = "kpi.html")]
struct KpiPage {
    nav: Nav,
    now: String,
    sites: Vec<SelectOption>,
    groups: Vec<(&'static str, Vec<KpiLine>)>,
}

#[derive(serde::Deserialize, Default)]
pub struct PageParams {
    site_id: Option<String>,
}

/// The local time the KPIs are computed at.
fn now() -> jiff::civil::DateTime {
    jiff::Zoned::now().datetime()
}

pub async fn page(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<PageParams>,
) -> Result<Response, UiError> {
    let readable = p.read_scope(&TREATMENT_KIND)?;
    let (chosen, scope) = chosen_site(params.site_id.as_deref(), readable);
    let kpis = state.store.operations_kpis(&scope, now()).await?;
    let mut groups: Vec<(&'static str, Vec<KpiLine>)> = Vec::new();
    for line in kpis.lines() {
        match groups.iter_mut().find(|(g, _)| *g == line.group) {
            Some((_, lines)) => lines.push(line),
            None => groups.push((line.group, vec![line])),
        }
    }
    Ok(render(
        StatusCode::OK,
        &KpiPage {
            nav: Nav::new("kpi", &p),
            now: otkeep_core::value::datetime_text(kpis.now).replace('T', " "),
            sites: site_options(&state, &p, chosen).await?,
            groups,
        },
    ))
}

/// The KPIs as JSON: the figures by area, and the lines as shown on the page.
pub fn kpis_json(k: &OperationsKpis) -> serde_json::Value {
    let r = &k.restore;
    json!({
        "now": otkeep_core::value::datetime_text(k.now),
        "critical_assets": k.critical_assets,
        "patches": k.patches,
        "access": k.access,
        "remote_access": k.remote,
        "restore_tests": {"critical_assets": r.critical_assets, "restore_tested": r.restore_tested,
                          "without_plan": r.without_plan, "percent": r.percent},
        "lines": k.lines().iter().map(|l| json!({"group": l.group, "label": l.label,
            "value": l.value, "note": l.note, "attention": l.attention})).collect::<Vec<_>>(),
    })
}

/// `GET /api/v1/kpi/operations?site=CODE`: every operations KPI of a site or of all sites one
/// may read.
pub async fn api(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<FeedParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let readable = p.read_scope(&TREATMENT_KIND)?;
    let site = site_by_code(&state, params.site.as_deref()).await?;
    let (_, scope) = chosen_site(site.as_deref(), readable);
    let kpis = state.store.operations_kpis(&scope, now()).await?;
    Ok(Json(kpis_json(&kpis)))
}
