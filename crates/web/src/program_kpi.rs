//! Program KPIs with targets and trends (`otkeep_core::kpi`): `/kpi/program` shows, for the
//! organization or one site, each KPI's current value against its target and owner, and its
//! trend over the daily snapshots as an SVG chart; below, the sites compared on the latest
//! snapshot. `POST /kpi/targets` sets a target (program owners and administrators: it applies
//! to every site). `GET /api/v1/kpi/program` and `/api/v1/kpi/history` give the same as JSON.

use crate::AppState;
use crate::api::ApiError;
use crate::auth::Principal;
use crate::due::site_by_code;
use crate::model::{chosen_site, site_codes, site_options};
use crate::ui::{Nav, UiError, render};
use crate::view::SelectOption;
use askama::Template;
use axum::Json;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::access::{Capability, Scope};
use otkeep_core::kpi::{KPIS, KpiDef};
use otkeep_core::risk_kinds::TREATMENT_KIND;
use otkeep_store::kpi::{KpiPoint, ORGANIZATION};
use serde_json::json;
use std::collections::HashMap;

/// Days of history shown by default.
const DEFAULT_DAYS: i64 = 90;

struct KpiRow {
    key: &'static str,
    label: &'static str,
    formula: &'static str,
    value: String,
    target: String,
    target_raw: i64,
    owner: String,
    /// Whether the current value misses the target.
    missed: bool,
    chart: String,
}

/// One site's latest snapshot: (code, href, cells (text, missed)).
struct SiteRow {
    code: String,
    href: String,
    cells: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "kpi_program.html")]
struct ProgramPage {
    nav: Nav,
    now: String,
    sites: Vec<SelectOption>,
    scope_label: String,
    rows: Vec<KpiRow>,
    days: i64,
    can_set_targets: bool,
    compare_heads: Vec<&'static str>,
    compare: Vec<SiteRow>,
    snapshot_day: String,
    notice: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct PageParams {
    site_id: Option<String>,
    days: Option<i64>,
    saved: Option<String>,
}

/// The sites a reader's scope covers among `all`, and whether it covers the organization.
fn visible_sites(scope: &Scope, all: &HashMap<i64, String>) -> (Vec<i64>, bool) {
    match scope {
        Scope::All => {
            let mut ids: Vec<i64> = all.keys().copied().collect();
            ids.sort_unstable();
            (ids, true)
        }
        Scope::Limited { sites, .. } => (sites.clone(), false),
    }
}

/// Snapshotted values by (site, KPI, day), looked up once per chart point and table cell.
fn by_key(points: &[KpiPoint]) -> HashMap<(i64, &str, &str), Option<i64>> {
    points
        .iter()
        .map(|p| ((p.site_id, p.kpi.as_str(), p.day.as_str()), p.value))
        .collect()
}

pub async fn page(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<PageParams>,
) -> Result<Response, UiError> {
    // Read-only: a fresh read replica may serve it.
    let state = state.for_heavy_reads().await;
    let readable = p.read_scope(&TREATMENT_KIND)?;
    let (chosen, scope) = chosen_site(params.site_id.as_deref(), readable.clone());
    let now = jiff::Zoned::now().datetime();
    let days_back = params.days.unwrap_or(DEFAULT_DAYS).clamp(7, 3650);
    let current = state.store.program_kpis(&scope, now).await?;
    let targets = state.store.kpi_targets().await?;
    let codes = site_codes(&state).await?;
    let (visible, organization) = visible_sites(&readable, &codes);
    // The trend of the organization (readers of every site) or of the chosen site.
    let subject = match chosen {
        Some(s) => Some(s),
        None if organization => Some(ORGANIZATION),
        None => None,
    };
    let since = now
        .date()
        .checked_sub(jiff::Span::new().days(days_back - 1))
        .unwrap_or(now.date());
    // The subject's history draws the charts; the last week of every visible site gives the
    // latest snapshot to compare them on.
    let history = match subject {
        Some(s) => state.store.kpi_history(&[s], since).await?,
        None => Vec::new(),
    };
    let charted = by_key(&history);
    let recent = state
        .store
        .kpi_history(
            &visible,
            now.date()
                .checked_sub(jiff::Span::new().days(7))
                .unwrap_or(now.date()),
        )
        .await?;
    let latest = by_key(&recent);
    let day_list: Vec<String> = (0..days_back)
        .filter_map(|i| since.checked_add(jiff::Span::new().days(i)).ok())
        .map(|d| d.to_string())
        .collect();
    let rows = current
        .iter()
        .map(|(k, v)| {
            let t = &targets[k.key];
            let chart = subject.map_or(String::new(), |s| {
                let series: Vec<(String, Option<i64>)> = day_list
                    .iter()
                    .map(|d| {
                        let v = charted.get(&(s, k.key, d.as_str())).copied().flatten();
                        (d.clone(), v)
                    })
                    .collect();
                otkeep_report::trend::trend_svg(&series, Some(t.target), k.unit, k.label)
            });
            KpiRow {
                key: k.key,
                label: k.label,
                formula: k.formula,
                value: k.show(*v),
                target: k.show(Some(t.target)),
                target_raw: t.target,
                owner: t.owner.clone(),
                missed: v.is_some_and(|v| !k.meets(v, t.target)),
                chart,
            }
        })
        .collect();
    // The sites compared on their latest snapshot.
    let snapshot_day = recent
        .iter()
        .map(|p| p.day.clone())
        .max()
        .unwrap_or_default();
    let mut compare: Vec<SiteRow> = visible
        .iter()
        .filter(|s| {
            recent
                .iter()
                .any(|p| p.site_id == **s && p.day == snapshot_day)
        })
        .map(|s| SiteRow {
            code: codes.get(s).cloned().unwrap_or_default(),
            href: format!("/kpi/program?site_id={s}"),
            cells: KPIS
                .iter()
                .map(|k| {
                    let v = latest
                        .get(&(*s, k.key, snapshot_day.as_str()))
                        .copied()
                        .flatten();
                    let t = targets[k.key].target;
                    (k.show(v), v.is_some_and(|v| !k.meets(v, t)))
                })
                .collect(),
        })
        .collect();
    compare.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(render(
        StatusCode::OK,
        &ProgramPage {
            nav: Nav::new("kpi-program", &p),
            now: otkeep_core::value::datetime_text(now).replace('T', " "),
            sites: site_options(&state, &p, chosen).await?,
            scope_label: match chosen {
                Some(s) => format!("site {}", codes.get(&s).cloned().unwrap_or_default()),
                None if organization => "the organization".to_string(),
                None => "your sites".to_string(),
            },
            rows,
            days: days_back,
            can_set_targets: p.access.may(Capability::Write, None),
            compare_heads: KPIS.iter().map(|k| short_label(k)).collect(),
            compare,
            snapshot_day,
            notice: params.saved.map(|_| "Target saved.".to_string()),
        },
    ))
}

/// A column heading for the site comparison.
fn short_label(k: &KpiDef) -> &'static str {
    match k.key {
        "time_to_revoke" => "Revoke (h)",
        "patch_latency_critical" => "Patch latency (d)",
        "assets_with_baseline" => "Baseline %",
        "restore_tested_critical" => "Restore tested %",
        "exceptions_past_review" => "Exceptions past review",
        "overdue_actions" => "Overdue actions",
        "requirements_met_fr1" => "FR1 met %",
        "requirements_met_fr2" => "FR2 met %",
        "requirements_met_fr3" => "FR3 met %",
        "requirements_met_fr4" => "FR4 met %",
        "requirements_met_fr5" => "FR5 met %",
        "requirements_met_fr6" => "FR6 met %",
        "requirements_met_fr7" => "FR7 met %",
        "advisories_untriaged" => "Untriaged advisories",
        _ => k.label,
    }
}

#[derive(serde::Deserialize)]
pub struct TargetForm {
    #[serde(default)]
    kpi: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    owner: String,
}

/// `POST /kpi/targets`: a KPI's target and owner for the organization.
pub async fn set_target(
    State(state): State<AppState>,
    p: Principal,
    Form(form): Form<TargetForm>,
) -> Result<Response, UiError> {
    p.require(Capability::Write, None)?;
    let target = form.target.trim().parse::<i64>().map_err(|_| {
        UiError::BadRequest(format!("'{}' is not a whole number", form.target.trim()))
    })?;
    match state
        .store
        .set_kpi_target(p.name(), form.kpi.trim(), target, &form.owner)
        .await
    {
        Ok(()) => Ok(Redirect::to("/kpi/program?saved=1").into_response()),
        Err(otkeep_store::StoreError::Invalid(errors)) => Err(UiError::BadRequest(
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ApiParams {
    site: Option<String>,
    days: Option<i64>,
}

/// `GET /api/v1/kpi/program?site=CODE`: the current values with targets and owners.
pub async fn api_current(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<ApiParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let readable = p.read_scope(&TREATMENT_KIND)?;
    let site = site_by_code(&state, params.site.as_deref()).await?;
    let (_, scope) = chosen_site(site.as_deref(), readable);
    let targets = state.store.kpi_targets().await?;
    let items: Vec<serde_json::Value> = state
        .store
        .program_kpis(&scope, jiff::Zoned::now().datetime())
        .await?
        .iter()
        .map(|(k, v)| {
            let t = &targets[k.key];
            json!({"kpi": k.key, "label": k.label, "formula": k.formula, "unit": k.unit,
                   "lower_is_better": k.lower_is_better, "value": v, "target": t.target,
                   "owner": t.owner, "meets_target": v.map(|v| k.meets(v, t.target))})
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

/// `GET /api/v1/kpi/history?site=CODE&days=N`: the daily snapshots (`site_id` 0 is the
/// organization, for readers of every site).
pub async fn api_history(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<ApiParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let readable = p.read_scope(&TREATMENT_KIND)?;
    let site = site_by_code(&state, params.site.as_deref()).await?;
    let codes = site_codes(&state).await?;
    let (mut sites, organization) = visible_sites(&readable, &codes);
    if let Some(s) = site.as_deref().and_then(|s| s.parse::<i64>().ok()) {
        sites.retain(|x| *x == s);
    } else if organization {
        sites.push(ORGANIZATION);
    }
    let days = params.days.unwrap_or(DEFAULT_DAYS).clamp(1, 3650);
    let since = jiff::Zoned::now()
        .date()
        .checked_sub(jiff::Span::new().days(days - 1))
        .unwrap_or(jiff::Zoned::now().date());
    let points: Vec<serde_json::Value> = state
        .store
        .kpi_history(&sites, since)
        .await?
        .iter()
        .map(|p| json!({"day": p.day, "site_id": p.site_id, "kpi": p.kpi, "value": p.value}))
        .collect();
    Ok(Json(json!({"points": points})))
}
