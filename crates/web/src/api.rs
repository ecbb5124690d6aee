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
//! | GET, POST | `/api/v1/{plural}/{id}/signatures` | signatures of the record; sign (see [`crate::sign`]) |
//! | GET | `/api/v1/me` | the signed-in account and its grants |
//! | GET, POST | `/api/v1/me/tokens` | one's API tokens; create one (the secret is in the answer, once) |
//! | DELETE | `/api/v1/me/tokens/{id}` | revoke a token |
//! | GET | `/api/v1/audit` | the newest audit events one may read (`?limit=`, at most 1000) |
//!
//! Authenticate with `Authorization: Bearer <token>` (tokens are made under "My account"); a
//! browser session also works, with the `X-CSRF-Token` header on changes.
//! Errors are `{"error": {"message": …, "field": …, "details": [{"field", "message"}]}}`.
//! A reason for the audit trail may be given in the `X-Otkeep-Reason` header.

use crate::AppState;
use crate::auth::{Denied, Principal};
use crate::view;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use otkeep_core::access::Capability;
use otkeep_core::value::values_from_json;
use otkeep_core::{FieldError, KindDef, Record};
use otkeep_store::StoreError;
use serde_json::{Value as JsonValue, json};

/// The answer for an unknown API path.
pub fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such API endpoint")
}

/// An API error: status, message, and the field(s) at fault.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    details: Vec<FieldError>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub(crate) fn invalid(details: Vec<FieldError>) -> ApiError {
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

/// A page handler's refusal in API terms (handlers shared by pages and the API).
impl From<crate::ui::UiError> for ApiError {
    fn from(e: crate::ui::UiError) -> Self {
        use crate::ui::UiError;
        match e {
            UiError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m),
            UiError::Denied(d) => ApiError::from(d),
            UiError::BadRequest(m) => ApiError::new(StatusCode::BAD_REQUEST, m),
            UiError::Internal(m) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, m),
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

pub(crate) fn kind_of(plural: &str) -> Result<&'static KindDef, ApiError> {
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

/// The body's `version` (the record version a change or signature is based on).
pub(crate) fn required_version(body: &JsonValue, missing: &str) -> Result<i64, ApiError> {
    body.get("version")
        .and_then(JsonValue::as_i64)
        .ok_or_else(|| ApiError::invalid(vec![FieldError::new("version", missing)]))
}

/// A record the principal may read; anything else is "does not exist".
pub(crate) async fn load(
    state: &AppState,
    p: &Principal,
    kind: &'static KindDef,
    id: i64,
) -> Result<Record, ApiError> {
    match state.store.get(kind, id).await? {
        Some(r) if p.access.can_read(&r) => Ok(r),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{} #{id} does not exist", kind.name),
        )),
    }
}

pub async fn list(
    State(state): State<AppState>,
    p: Principal,
    Path(plural): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<JsonValue>, ApiError> {
    let kind = kind_of(&plural)?;
    let scope = p.read_scope(kind)?;
    let mut q = view::list_query(kind, &params, true).map_err(|e| ApiError {
        status: StatusCode::BAD_REQUEST,
        ..ApiError::invalid(vec![e])
    })?;
    q.scope = scope;
    let page = state.store.list(kind, &q).await?;
    Ok(Json(json!({
        "items": page.records.iter().map(Record::to_json).collect::<Vec<_>>(),
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages(),
    })))
}

pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    Path(plural): Path<String>,
    headers: HeaderMap,
    body: Result<Json<JsonValue>, JsonRejection>,
) -> Result<Response, ApiError> {
    let kind = kind_of(&plural)?;
    if kind.name == "site" {
        p.require(Capability::Write, None)?;
    }
    let Json(body) = body?;
    let values = values_from_json(kind, &body).map_err(ApiError::invalid)?;
    p.require(
        Capability::Write,
        crate::ui::target_site(kind, &values, None),
    )?;
    let errors = crate::ui::unreadable_references(&state, &p, kind, &values, None).await?;
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let mut tx = state
        .store
        .begin_write(p.name(), reason(&headers).as_deref())
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

pub async fn read(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
) -> Result<Json<JsonValue>, ApiError> {
    let kind = kind_of(&plural)?;
    Ok(Json(load(&state, &p, kind, id).await?.to_json()))
}

pub async fn replace(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
    headers: HeaderMap,
    body: Result<Json<JsonValue>, JsonRejection>,
) -> Result<Json<JsonValue>, ApiError> {
    let kind = kind_of(&plural)?;
    let Json(body) = body?;
    let version = required_version(
        &body,
        "the version the edit is based on is required (optimistic concurrency)",
    )?;
    let current = load(&state, &p, kind, id).await?;
    p.require(Capability::Write, current.site_id())?;
    let values = values_from_json(kind, &body).map_err(ApiError::invalid)?;
    p.require(
        Capability::Write,
        crate::ui::target_site(kind, &values, Some(id)),
    )?;
    let errors = crate::ui::unreadable_references(&state, &p, kind, &values, Some(id)).await?;
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let mut tx = state
        .store
        .begin_write(p.name(), reason(&headers).as_deref())
        .await?;
    let record = tx.update(kind, id, version, values).await?;
    tx.commit().await?;
    Ok(Json(record.to_json()))
}

#[derive(serde::Deserialize)]
pub struct DeleteParams {
    version: Option<i64>,
}

pub async fn remove(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
    Query(params): Query<DeleteParams>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let kind = kind_of(&plural)?;
    let version = params.version.ok_or_else(|| {
        ApiError::invalid(vec![FieldError::new(
            "version",
            "pass ?version=N, the version you saw, to delete",
        )])
    })?;
    let current = load(&state, &p, kind, id).await?;
    p.require(Capability::Write, current.site_id())?;
    let mut tx = state
        .store
        .begin_write(p.name(), reason(&headers).as_deref())
        .await?;
    tx.delete(kind, id, version).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn history(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
) -> Result<Json<JsonValue>, ApiError> {
    let kind = kind_of(&plural)?;
    let (_, events) = crate::ui::visible_history(&state, &p, kind, id)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("{} #{id} does not exist", kind.name),
            )
        })?;
    Ok(Json(json!({
        "items": events.iter().map(event_json).collect::<Vec<_>>()
    })))
}

fn event_json(e: &otkeep_store::AuditEvent) -> JsonValue {
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| serde_json::from_str::<JsonValue>(t).ok())
            .unwrap_or(JsonValue::Null)
    };
    json!({
        "seq": e.seq,
        "at": e.at,
        "actor": e.actor,
        "action": e.action,
        "kind": e.kind,
        "record_id": e.record_id,
        "site_id": e.site_id,
        "reason": e.reason,
        "before": parse(&e.before),
        "after": parse(&e.after),
        "hash": e.hash,
    })
}

#[derive(serde::Deserialize)]
pub struct AuditParams {
    limit: Option<u32>,
}

/// The newest audit events within the caller's audit scope.
pub async fn audit(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<AuditParams>,
) -> Result<Json<JsonValue>, ApiError> {
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    let events = state
        .store
        .recent_events(limit, &p.access.sites_with(Capability::Audit))
        .await?;
    Ok(Json(json!({
        "items": events.iter().map(event_json).collect::<Vec<_>>()
    })))
}

/// The signed-in account: who, how authenticated, and its grants.
pub async fn me(State(state): State<AppState>, p: Principal) -> Result<Json<JsonValue>, ApiError> {
    let grants = state.store.grants_of(p.account.id).await?;
    let via = match &p.via {
        crate::auth::Via::Session { .. } => json!({"session": true}),
        crate::auth::Via::Token { id, scope } => json!({"token": id, "scope": scope.key()}),
    };
    Ok(Json(json!({
        "id": p.account.id,
        "username": p.account.username,
        "display_name": p.account.display_name,
        "via": via,
        "grants": grants.iter().map(|g| json!({
            "id": g.id,
            "role": g.grant.role.key(),
            "site_id": g.grant.site,
            "asset_id": g.grant.asset,
        })).collect::<Vec<_>>(),
    })))
}

fn token_json(t: &otkeep_store::ApiToken) -> JsonValue {
    json!({
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "scope": t.scope.key(),
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "last_used_at": t.last_used_at,
        "revoked_at": t.revoked_at,
        "active": t.is_active(),
    })
}

pub async fn my_tokens(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<JsonValue>, ApiError> {
    let tokens = state.store.tokens_of(p.account.id).await?;
    Ok(Json(json!({
        "items": tokens.iter().map(token_json).collect::<Vec<_>>()
    })))
}

/// Creates a token: `{"name": …, "scope": "read" | "read-write", "expires_in_days": 1–365}`.
/// A token cannot make a token: creating one takes a browser session, so a leaked token
/// cannot extend itself.
pub async fn create_token(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<JsonValue>, JsonRejection>,
) -> Result<Response, ApiError> {
    if matches!(p.via, crate::auth::Via::Token { .. }) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "tokens are created from a signed-in session, not with another token",
        ));
    }
    let Json(body) = body?;
    let name = body.get("name").and_then(JsonValue::as_str).unwrap_or("");
    let scope = body
        .get("scope")
        .and_then(JsonValue::as_str)
        .unwrap_or("read");
    let days = body
        .get("expires_in_days")
        .and_then(JsonValue::as_i64)
        .unwrap_or(90);
    let (token, secret) = crate::account::make_token(&state, &p, name, scope, days)
        .await
        .map_err(|e| match e {
            crate::account::TokenError::Invalid(f) => ApiError::invalid(vec![f]),
            crate::account::TokenError::Store(e) => e.into(),
        })?;
    let mut out = token_json(&token);
    out["secret"] = json!(secret);
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

pub async fn revoke_token(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.store.begin_write(p.name(), None).await?;
    tx.revoke_token(p.account.id, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
