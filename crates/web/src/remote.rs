//! Remote-access self-service: anyone who may raise requests (vendors on the assets granted to
//! them, operators and engineers on their sites) requests a session on `/remote-access` or
//! `POST /api/v1/remote-access` and follows their own requests there. The request is an
//! ordinary remote session record in state "requested", created through the write path; its
//! approval is an e-signature of a site engineer or program owner on the record.

use crate::AppState;
use crate::api::ApiError;
use crate::auth::Principal;
use crate::ui::{Nav, UiError, render};
use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::access::{Capability, Role, Scope};
use otkeep_core::kinds::ASSET_KIND;
use otkeep_core::remote_kinds::{REMOTE_SESSION_KIND, REMOTE_STATES, flag_reason};
use otkeep_core::{FieldError, Record};
use otkeep_store::{ListQuery, StoreError};
use serde_json::json;

/// What a requester fills in.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RequestInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub assets: Vec<i64>,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub window_start: String,
    #[serde(default)]
    pub window_end: String,
}

/// The assets `p` may request remote access to: those of the sites where they may raise
/// requests, and the assets named in their vendor grants.
async fn requestable(state: &AppState, p: &Principal) -> Result<Vec<Record>, StoreError> {
    let mut scope = p.access.sites_with(Capability::Request);
    if let Scope::Limited { records, .. } = &mut scope {
        // The route's gate has refused read-only tokens already.
        let vendor_assets = p
            .access
            .grants
            .iter()
            .filter(|g| g.role == Role::Vendor)
            .filter_map(|g| g.asset);
        records.extend(vendor_assets);
    }
    let q = ListQuery {
        scope,
        ..ListQuery::default()
    };
    state.store.list_all(&ASSET_KIND, &q).await
}

enum RequestError {
    Invalid(Vec<FieldError>),
    Store(StoreError),
}

impl From<StoreError> for RequestError {
    fn from(e: StoreError) -> Self {
        RequestError::Store(e)
    }
}

/// Checks the request against what `p` may ask for and creates it.
async fn submit_request(
    state: &AppState,
    p: &Principal,
    input: &RequestInput,
) -> Result<Record, RequestError> {
    let allowed = requestable(state, p).await?;
    let chosen: Vec<&Record> = allowed
        .iter()
        .filter(|a| input.assets.contains(&a.id))
        .collect();
    let invalid = |field: &str, message: &str| {
        RequestError::Invalid(vec![FieldError::new(field, message.to_string())])
    };
    if input.assets.is_empty() {
        return Err(invalid("assets", "choose the assets to connect to"));
    }
    if chosen.len() != input.assets.len() {
        // Unknown and not-granted assets answer alike, so ids cannot be probed.
        return Err(invalid(
            "assets",
            "you may request access only to the assets listed",
        ));
    }
    let site = chosen[0].site_id();
    if chosen.iter().any(|a| a.site_id() != site) {
        return Err(invalid(
            "assets",
            "request the assets of one site at a time",
        ));
    }
    let requester = if p.account.display_name.trim().is_empty() {
        p.name().to_string()
    } else {
        format!("{} ({})", p.account.display_name, p.name())
    };
    let zones: Vec<i64> = Vec::new();
    let values = otkeep_core::value::values_from_json(
        &REMOTE_SESSION_KIND,
        &json!({"site_id": site, "name": input.name, "requester": requester,
                "company": input.company, "assets": input.assets, "zones": zones,
                "purpose": input.purpose, "window_start": input.window_start,
                "window_end": input.window_end, "status": "requested"}),
    )
    .map_err(RequestError::Invalid)?;
    let mut tx = state
        .store
        .begin_write(p.name(), Some("remote access request"))
        .await?;
    let record = match tx.create(&REMOTE_SESSION_KIND, values).await {
        Ok(r) => r,
        Err(StoreError::Invalid(errors)) => return Err(RequestError::Invalid(errors)),
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    Ok(record)
}

/// One own request as listed.
pub struct RequestRow {
    pub id: i64,
    pub title: String,
    pub assets: String,
    pub window: String,
    pub status: String,
    pub flag: String,
    pub summary: String,
}

fn status_label(key: &str) -> String {
    REMOTE_STATES
        .iter()
        .find(|c| c.key == key)
        .map_or(key.to_string(), |c| c.label.to_string())
}

/// The requests `p` made, as listed on the page; asset names from `assets` (those `p` may
/// request, which the requests name).
fn request_rows(records: &[Record], assets: &[Record]) -> Vec<RequestRow> {
    let names: std::collections::HashMap<i64, String> =
        assets.iter().map(|a| (a.id, a.title())).collect();
    let now = otkeep_core::value::datetime_text(jiff::Zoned::now().datetime());
    records
        .iter()
        .map(|r| RequestRow {
            id: r.id,
            title: r.title(),
            assets: r
                .get("assets")
                .ids()
                .iter()
                .map(|id| names.get(id).cloned().unwrap_or_else(|| format!("#{id}")))
                .collect::<Vec<_>>()
                .join(", "),
            window: format!(
                "{} – {}",
                r.get("window_start").to_text().replace('T', " "),
                r.get("window_end").to_text().replace('T', " ")
            ),
            status: status_label(&r.get("status").to_text()),
            flag: flag_reason(&r.values, &now).unwrap_or("").to_string(),
            summary: r.get("summary").to_text(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "remote_access.html")]
struct RequestPage {
    nav: Nav,
    rows: Vec<RequestRow>,
    assets: Vec<(i64, String, bool)>,
    input: RequestInput,
    errors: Vec<FieldError>,
    sent: bool,
}

impl RequestPage {
    fn error(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

async fn page_with(
    state: &AppState,
    p: &Principal,
    input: RequestInput,
    errors: Vec<FieldError>,
    sent: bool,
) -> Result<RequestPage, UiError> {
    let mine = state
        .store
        .created_by(&REMOTE_SESSION_KIND, p.name())
        .await?;
    let allowed = requestable(state, p).await?;
    let rows = request_rows(&mine, &allowed);
    let assets = allowed
        .into_iter()
        .map(|a| (a.id, a.title(), input.assets.contains(&a.id)))
        .collect();
    Ok(RequestPage {
        nav: Nav::new("remote-access", p),
        rows,
        assets,
        input,
        errors,
        sent,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct PageParams {
    sent: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<PageParams>,
) -> Result<Response, UiError> {
    let page = page_with(
        &state,
        &p,
        RequestInput::default(),
        Vec::new(),
        params.sent.is_some(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// Reads the request form (assets may repeat).
fn form_input(body: &[u8]) -> RequestInput {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut input = RequestInput::default();
    for (k, v) in pairs {
        match k.as_str() {
            "name" => input.name = v,
            "company" => input.company = v,
            "purpose" => input.purpose = v,
            "window_start" => input.window_start = v,
            "window_end" => input.window_end = v,
            "assets" => input.assets.extend(v.trim().parse::<i64>().ok()),
            _ => {}
        }
    }
    input
}

pub async fn submit(
    State(state): State<AppState>,
    p: Principal,
    body: Bytes,
) -> Result<Response, UiError> {
    let input = form_input(&body);
    match submit_request(&state, &p, &input).await {
        Ok(_) => Ok(Redirect::to("/remote-access?sent=1").into_response()),
        Err(RequestError::Invalid(errors)) => {
            let page = page_with(&state, &p, input, errors, false).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(RequestError::Store(e)) => Err(e.into()),
    }
}

fn request_json(r: &Record) -> serde_json::Value {
    let now = otkeep_core::value::datetime_text(jiff::Zoned::now().datetime());
    let text = |f: &str| r.get(f).to_text();
    json!({"id": r.id, "site_id": r.site_id(), "name": r.title(), "assets": r.get("assets").ids(),
           "purpose": text("purpose"), "window_start": text("window_start"),
           "window_end": text("window_end"), "status": text("status"),
           "started_at": text("started_at"), "ended_at": text("ended_at"),
           "summary": text("summary"), "access_removed": r.get("access_removed").as_bool(),
           "flag": flag_reason(&r.values, &now)})
}

/// `GET /api/v1/remote-access`: one's own requests, newest first.
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<serde_json::Value>, ApiError> {
    let records = state
        .store
        .created_by(&REMOTE_SESSION_KIND, p.name())
        .await?;
    Ok(Json(
        json!({"items": records.iter().map(request_json).collect::<Vec<_>>()}),
    ))
}

/// `POST /api/v1/remote-access`: `{name, company, assets: [ids], purpose, window_start,
/// window_end}`; answers 201 with the request.
pub async fn api_create(
    State(state): State<AppState>,
    p: Principal,
    Json(input): Json<RequestInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    match submit_request(&state, &p, &input).await {
        Ok(r) => Ok((StatusCode::CREATED, Json(request_json(&r)))),
        Err(RequestError::Invalid(errors)) => Err(ApiError::invalid(errors)),
        Err(RequestError::Store(e)) => Err(e.into()),
    }
}
