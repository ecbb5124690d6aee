//! Training coverage: `/training` (per site and program role: holders, required trainings,
//! holders fully trained, and what is missing) and `/api/v1/training/coverage`, both from
//! `Store::training_coverage`.

use crate::AppState;
use crate::api::ApiError;
use crate::auth::Principal;
use crate::due::{FeedParams, site_by_code};
use crate::model::{chosen_site, site_codes, site_options};
use crate::ui::{Nav, UiError, render};
use crate::view::SelectOption;
use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use otkeep_core::gov_kinds::{PROGRAM_ROLES, ROLE_ASSIGNMENT_KIND};
use otkeep_store::TrainingCoverage;
use serde_json::json;

fn role_label(key: &str) -> String {
    PROGRAM_ROLES
        .iter()
        .find(|c| c.key == key)
        .map_or(key.to_string(), |c| c.label.to_string())
}

/// One row of the coverage table.
struct Row {
    site: String,
    role: String,
    holders: usize,
    trainings: usize,
    current: usize,
    percent: u32,
}

#[derive(Template)]
#[template(path = "training.html")]
struct TrainingPage {
    nav: Nav,
    today: String,
    sites: Vec<SelectOption>,
    rows: Vec<Row>,
    /// (site, role, person, training, what is wrong)
    gaps: Vec<(String, String, String, String, String)>,
}

#[derive(serde::Deserialize, Default)]
pub struct PageParams {
    site_id: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<PageParams>,
) -> Result<Response, UiError> {
    let readable = p.read_scope(&ROLE_ASSIGNMENT_KIND)?;
    let (chosen, scope) = chosen_site(params.site_id.as_deref(), readable);
    let today = jiff::Zoned::now().date();
    let coverage = state.store.training_coverage(&scope, today).await?;
    let codes = site_codes(&state).await?;
    let site = |c: &TrainingCoverage| {
        c.site_id
            .and_then(|s| codes.get(&s).cloned())
            .unwrap_or_default()
    };
    let mut gaps = Vec::new();
    for c in &coverage {
        for (person, training, why) in &c.gaps {
            gaps.push((
                site(c),
                role_label(&c.role),
                person.clone(),
                training.clone(),
                why.clone(),
            ));
        }
    }
    let rows = coverage
        .iter()
        .map(|c| Row {
            site: site(c),
            role: role_label(&c.role),
            holders: c.holders,
            trainings: c.trainings,
            current: c.current,
            percent: c.percent(),
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &TrainingPage {
            nav: Nav::new("training", &p),
            today: today.to_string(),
            sites: site_options(&state, &p, chosen).await?,
            rows,
            gaps,
        },
    ))
}

/// `GET /api/v1/training/coverage?site=CODE`.
pub async fn api(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<FeedParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let readable = p.read_scope(&ROLE_ASSIGNMENT_KIND)?;
    let site = site_by_code(&state, params.site.as_deref()).await?;
    let (_, scope) = chosen_site(site.as_deref(), readable);
    let today = jiff::Zoned::now().date();
    let coverage = state.store.training_coverage(&scope, today).await?;
    let items: Vec<serde_json::Value> = coverage
        .iter()
        .map(|c| {
            json!({"site_id": c.site_id, "role": c.role, "holders": c.holders,
                   "trainings": c.trainings, "current": c.current, "percent": c.percent(),
                   "gaps": c.gaps.iter().map(|(person, training, why)|
                       json!({"person": person, "training": training, "why": why})).collect::<Vec<_>>()})
        })
        .collect();
    Ok(Json(json!({"today": today.to_string(), "coverage": items})))
}
