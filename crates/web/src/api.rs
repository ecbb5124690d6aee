//! The JSON API, generic over kinds:
//!
//! | method | path | does |
//! |---|---|---|
//! | GET | `/api/v1/{plural}` | list with filters (`?field=value`), `q`, `sort`, `order`, `page`, `per_page` |
//! | POST | `/api/v1/{plural}` | create (201) |
//! | GET | `/api/v1/{plural}/{id}` | one record |
//! | PUT | `/api/v1/{plural}/{id}` | replace; the body's `version` must be the current one (409 otherwise) |
//! | DELETE | `/api/v1/{plural}/{id}?version=N` | delete (204) |
//! | GET | `/api/v1/{plural}/{id}/history` | audit events of the record |
//!
//! Errors are `{"error": {"message": …, "field": …, "details": [{"field", "message"}]}}`.
//! A reason for the audit trail may be given in the `X-Otkeep-Reason` header.

use crate::AppState;
use crate::auth::{Denied, Operator, Permission};
use crate::view;
use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use otkeep_core::value::values_from_json;
use otkeep_core::{FieldError, KindDef, Record};
use otkeep_store::StoreError;
use serde_json::{Value as JsonValue, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{plural}", get(list).post(create))
        .route("/{plural}/{id}", get(read).put(replace).delete(remove))
        .route("/{plural}/{id}/history", get(history))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such API endpoint") })
}

/// An API error: status, message, and the field(s) at fault.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    details: Vec<FieldError>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            details: Vec::new(),
        }
    }

    fn invalid(details: Vec<FieldError>) -> ApiError {
        let message = match details.as_slice() {
            [one] => one.to_string(),
            many => format!("{} fields are invalid", many.len()),
        };
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message,
            details,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let field = self.details.first().map(|d| d.field.clone());
        let body = json!({
            "error": {
                "message": self.message,
                "field": field,
                "details": self.details,
            }
        });
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(details) => ApiError::invalid(details),
            StoreError::Conflict { .. } => {
                let mut err = ApiError::new(StatusCode::CONFLICT, e.to_string());
                err.details = vec![FieldError::new("version", "stale version")];
                err
            }
            StoreError::NotFound { .. } => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
            StoreError::Referenced(m) => ApiError::new(StatusCode::CONFLICT, m),
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string())
            }
        }
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, d.0)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, r.body_text())
    }
}

fn kind_of(plural: &str) -> Result<&'static KindDef, ApiError> {
    otkeep_core::kind_by_plural(plural).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("there is no collection '{plural}'"),
        )
    })
}

fn reason(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-otkeep-reason")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn visible(op: &Operator, record: &Record) -> bool {
    match (&op.sites, record.site_id()) {
        (Some(allowed), Some(site)) => allowed.contains(&site),
        _ => true,
    }
}

fn site_allowed(
    op: &Operator,
    kind: &KindDef,
    values: &otkeep_core::Values,
) -> Result<(), ApiError> {
    let (Some(allowed), Some(sf)) = (&op.sites, kind.site_field) else {
        return Ok(());
    };
    match values.get(sf).and_then(otkeep_core::Value::as_int) {
        Some(site) if !allowed.contains(&site) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("{} may not write records of site #{site}", op.name),
        )),
        _ => Ok(()),
    }
}

async fn load(
    state: &AppState,
    op: &Operator,
    kind: &'static KindDef,
    id: i64,
) -> Result<Record, ApiError> {
    match state.store.get(kind, id).await? {
        Some(r) if visible(op, &r) => Ok(r),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{} #{id} does not exist", kind.name),
        )),
    }
}

async fn list(
    State(state): State<AppState>,
    op: Operator,
    Path(plural): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<JsonValue>, ApiError> {
    op.require(Permission::Read)?;
    let kind = kind_of(&plural)?;
    let mut q = view::list_query(kind, &params, true).map_err(|e| ApiError {
        status: StatusCode::BAD_REQUEST,
        ..ApiError::invalid(vec![e])
    })?;
    q.sites = op.sites.clone();
    let page = state.store.list(kind, &q).await?;
    Ok(Json(json!({
        "items": page.records.iter().map(Record::to_json).collect::<Vec<_>>(),
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages(),
    })))
}

async fn create(
    State(state): State<AppState>,
    op: Operator,
    Path(plural): Path<String>,
    headers: HeaderMap,
    body: Result<Json<JsonValue>, JsonRejection>,
) -> Result<Response, ApiError> {
    op.require(Permission::Write)?;
    let kind = kind_of(&plural)?;
    let Json(body) = body?;
    let values = values_from_json(kind, &body).map_err(ApiError::invalid)?;
    site_allowed(&op, kind, &values)?;
    let mut tx = state
        .store
        .begin_write(&op.name, reason(&headers).as_deref())
        .await?;
    let record = tx.create(kind, values).await?;
    tx.commit().await?;
    let location = format!("/api/v1/{plural}/{}", record.id);
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        Json(record.to_json()),
    )
        .into_response())
}

async fn read(
    State(state): State<AppState>,
    op: Operator,
    Path((plural, id)): Path<(String, i64)>,
) -> Result<Json<JsonValue>, ApiError> {
    op.require(Permission::Read)?;
    let kind = kind_of(&plural)?;
    Ok(Json(load(&state, &op, kind, id).await?.to_json()))
}

async fn replace(
    State(state): State<AppState>,
    op: Operator,
    Path((plural, id)): Path<(String, i64)>,
    headers: HeaderMap,
    body: Result<Json<JsonValue>, JsonRejection>,
) -> Result<Json<JsonValue>, ApiError> {
    op.require(Permission::Write)?;
    let kind = kind_of(&plural)?;
    let Json(body) = body?;
    let version = body
        .get("version")
        .and_then(JsonValue::as_i64)
        .ok_or_else(|| {
            ApiError::invalid(vec![FieldError::new(
                "version",
                "the version the edit is based on is required (optimistic concurrency)",
            )])
        })?;
    load(&state, &op, kind, id).await?;
    let values = values_from_json(kind, &body).map_err(ApiError::invalid)?;
    site_allowed(&op, kind, &values)?;
    let mut tx = state
        .store
        .begin_write(&op.name, reason(&headers).as_deref())
        .await?;
    let record = tx.update(kind, id, version, values).await?;
    tx.commit().await?;
    Ok(Json(record.to_json()))
}

#[derive(serde::Deserialize)]
struct DeleteParams {
    version: Option<i64>,
}

async fn remove(
    State(state): State<AppState>,
    op: Operator,
    Path((plural, id)): Path<(String, i64)>,
    Query(params): Query<DeleteParams>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    op.require(Permission::Write)?;
    let kind = kind_of(&plural)?;
    let version = params.version.ok_or_else(|| {
        ApiError::invalid(vec![FieldError::new(
            "version",
            "pass ?version=N, the version you saw, to delete",
        )])
    })?;
    load(&state, &op, kind, id).await?;
    let mut tx = state
        .store
        .begin_write(&op.name, reason(&headers).as_deref())
        .await?;
    tx.delete(kind, id, version).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn history(
    State(state): State<AppState>,
    op: Operator,
    Path((plural, id)): Path<(String, i64)>,
) -> Result<Json<JsonValue>, ApiError> {
    op.require(Permission::Read)?;
    let kind = kind_of(&plural)?;
    if let Some(r) = state.store.get(kind, id).await?
        && !visible(&op, &r)
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{} #{id} does not exist", kind.name),
        ));
    }
    let events = state.store.history(kind.name, id).await?;
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| serde_json::from_str::<JsonValue>(t).ok())
            .unwrap_or(JsonValue::Null)
    };
    Ok(Json(json!({
        "items": events.iter().map(|e| json!({
            "seq": e.seq,
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "reason": e.reason,
            "before": parse(&e.before),
            "after": parse(&e.after),
            "hash": e.hash,
        })).collect::<Vec<_>>()
    })))
}
