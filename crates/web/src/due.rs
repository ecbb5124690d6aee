//! What is due: `/due` (overdue, this week, this month, later; per site, or only one's own) and
//! the JSON feed `/api/v1/due` for notifications. Both show `otkeep_core::due`, computed by
//! `Store::due`; `otkeep due` prints the same.

use crate::AppState;
use crate::api::ApiError;
use crate::auth::Principal;
use crate::gap::today;
use crate::model::{chosen_site, site_codes, site_options};
use crate::ui::{Nav, UiError, render};
use crate::view::SelectOption;
use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use otkeep_core::access::Scope;
use otkeep_core::due::{Bucket, Obligation};
use otkeep_core::risk_kinds::TREATMENT_KIND;
use serde_json::json;

/// One obligation as listed.
struct DueRow {
    due: String,
    what: String,
    href: String,
    title: String,
    site: String,
    owner: String,
}

struct BucketView {
    label: &'static str,
    key: &'static str,
    rows: Vec<DueRow>,
}

#[derive(Template)]
#[template(path = "due.html")]
struct DuePage {
    nav: Nav,
    today: String,
    sites: Vec<SelectOption>,
    mine: bool,
    buckets: Vec<BucketView>,
    total: usize,
}

#[derive(serde::Deserialize, Default)]
pub struct DueParams {
    site_id: Option<String>,
    /// Only obligations whose owner names the signed-in user.
    mine: Option<String>,
    /// Only obligations due within this many days (overdue ones always).
    within: Option<i64>,
}

fn is_on(v: Option<&str>) -> bool {
    matches!(v, Some("1" | "yes" | "true" | "on"))
}

/// Whether `owner` (free text such as "OT lead – A. Hoffmann") names `p`.
fn owned_by(owner: &str, p: &Principal) -> bool {
    let owner = owner.to_lowercase();
    [&p.account.display_name, &p.account.username]
        .iter()
        .map(|n| n.trim().to_lowercase())
        .any(|n| !n.is_empty() && owner.contains(&n))
}

/// The obligations `p` may see for the chosen site, filtered by `mine` and `within`.
async fn visible(
    state: &AppState,
    p: &Principal,
    params: &DueParams,
    site: Scope,
) -> Result<(jiff::civil::Date, Vec<Obligation>), otkeep_store::StoreError> {
    let today_text = today();
    let day =
        otkeep_core::value::parse_date(&today_text).map_err(otkeep_store::StoreError::Corrupt)?;
    let mut all = state.store.due(&site, &today_text).await?;
    if is_on(params.mine.as_deref()) {
        all.retain(|o| owned_by(&o.owner, p));
    }
    if let Some(days) = params.within {
        all.retain(|o| (o.due - day).get_days() <= days.clamp(0, 3650) as i32);
    }
    Ok((day, all))
}

fn href(o: &Obligation) -> String {
    let plural = otkeep_core::kind(o.kind).map_or(o.kind, |k| k.plural);
    format!("/{plural}/{}", o.record_id)
}

pub async fn page(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<DueParams>,
) -> Result<Response, UiError> {
    let readable = p.read_scope(&TREATMENT_KIND)?;
    let (chosen, scope) = chosen_site(params.site_id.as_deref(), readable);
    let (day, all) = visible(&state, &p, &params, scope).await?;
    let codes = site_codes(&state).await?;
    let mut buckets: Vec<BucketView> = [
        (Bucket::Overdue, "overdue"),
        (Bucket::ThisWeek, "week"),
        (Bucket::ThisMonth, "month"),
        (Bucket::Later, "later"),
    ]
    .into_iter()
    .map(|(b, key)| BucketView {
        label: b.label(),
        key,
        rows: Vec::new(),
    })
    .collect();
    let total = all.len();
    for o in all {
        let i = Bucket::of(o.due, day) as usize;
        buckets[i].rows.push(DueRow {
            due: o.due.to_string(),
            href: href(&o),
            site: o
                .site_id
                .and_then(|s| codes.get(&s).cloned())
                .unwrap_or_default(),
            what: o.what,
            title: o.title,
            owner: o.owner,
        });
    }
    Ok(render(
        StatusCode::OK,
        &DuePage {
            nav: Nav::new("due", &p),
            today: day.to_string(),
            sites: site_options(&state, &p, chosen).await?,
            mine: is_on(params.mine.as_deref()),
            buckets,
            total,
        },
    ))
}

#[derive(serde::Deserialize, Default)]
pub struct FeedParams {
    /// Site code or id.
    pub(crate) site: Option<String>,
    mine: Option<String>,
    within: Option<i64>,
}

/// The id (as text, for [`chosen_site`]) of the site with code `code`, when one is given.
pub(crate) async fn site_by_code(
    state: &AppState,
    code: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let Some(code) = code.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    site_codes(state)
        .await?
        .iter()
        .find(|(_, c)| c.eq_ignore_ascii_case(code))
        .map(|(id, _)| Some(id.to_string()))
        .ok_or_else(|| {
            ApiError::invalid(vec![otkeep_core::FieldError::new(
                "site",
                format!("no site with code '{code}'"),
            )])
        })
}

/// `GET /api/v1/kpi/restore-tests`: critical assets (high or critical) with a successful restore
/// test within their plan's interval, of a site (`?site=CODE`) or all sites one may read.
pub async fn restore_kpi(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<FeedParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let readable = p.read_scope(&TREATMENT_KIND)?;
    let site = site_by_code(&state, params.site.as_deref()).await?;
    let (_, scope) = chosen_site(site.as_deref(), readable);
    let today = jiff::Zoned::now().date();
    let kpi = state.store.restore_kpi(&scope, today).await?;
    Ok(Json(json!({"today": today.to_string(), "restore_tests": {
        "critical_assets": kpi.critical_assets, "restore_tested": kpi.restore_tested,
        "without_plan": kpi.without_plan, "percent": kpi.percent,
    }})))
}

/// `GET /api/v1/due`: `{"today", "obligations": [{due, bucket, what, kind, record_id, href,
/// site_id, site, title, owner}]}`, sorted by date.
pub async fn feed(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<FeedParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let readable = p.read_scope(&TREATMENT_KIND)?;
    let codes = site_codes(&state).await?;
    let site_param = match params.site.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<i64>()
                .ok()
                .or_else(|| {
                    codes
                        .iter()
                        .find(|(_, c)| c.eq_ignore_ascii_case(s))
                        .map(|(id, _)| *id)
                })
                .ok_or_else(|| {
                    ApiError::invalid(vec![otkeep_core::FieldError::new(
                        "site",
                        format!("no site with code or id '{s}'"),
                    )])
                })?
                .to_string(),
        ),
    };
    let (_, scope) = chosen_site(site_param.as_deref(), readable);
    let due_params = DueParams {
        site_id: None,
        mine: params.mine,
        within: params.within,
    };
    let (day, all) = visible(&state, &p, &due_params, scope).await?;
    let items: Vec<serde_json::Value> = all
        .iter()
        .map(|o| {
            let mut v = serde_json::to_value(o).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                m.insert("bucket".into(), json!(Bucket::of(o.due, day)));
                m.insert("href".into(), json!(href(o)));
                m.insert("site".into(), json!(o.site_id.and_then(|s| codes.get(&s))));
            }
            v
        })
        .collect();
    Ok(Json(
        json!({"today": day.to_string(), "obligations": items}),
    ))
}
