//! Electronic signatures: the reusable signing step for approvals.
//!
//! The signer re-enters their password, chooses what the signature means (authored, reviewed,
//! approved, rejected) and may comment. The store binds the signature to the SHA-256 of the
//! record's content and records it in the audit chain. A record edited after signing shows the
//! signature as no longer matching its content.

use crate::AppState;
use crate::api::ApiError;
use crate::auth::Principal;
use crate::ui::{Nav, UiError, load, render};
use askama::Template;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::access::Capability;
use otkeep_core::{FieldError, KindDef, Record};
use otkeep_store::{MEANINGS, Meaning, StoreError};
use serde_json::{Value as JsonValue, json};

/// A signature as the detail page shows it.
pub struct SignatureView {
    pub signer: String,
    pub meaning: String,
    pub comment: String,
    pub at: String,
    pub version: i64,
    /// The record still has the signed content.
    pub valid: bool,
}

pub(crate) async fn signature_views(
    state: &AppState,
    record: &Record,
    tz: Option<&str>,
) -> Result<Vec<SignatureView>, StoreError> {
    let sigs = state.store.signatures(record.kind.name, record.id).await?;
    Ok(sigs
        .iter()
        .map(|s| SignatureView {
            signer: format!("{} ({})", s.signer_name, s.signer),
            meaning: Meaning::from_key(&s.meaning).map_or(s.meaning.clone(), |m| m.label().into()),
            comment: s.comment.clone().unwrap_or_default(),
            at: crate::ui::local_time(&s.signed_at, tz),
            version: s.record_version,
            valid: s.matches(record),
        })
        .collect())
}

#[derive(Template)]
#[template(path = "sign.html")]
struct SignPage {
    nav: Nav,
    kind: &'static KindDef,
    record: Record,
    title: String,
    meanings: Vec<(&'static str, &'static str, bool)>,
    comment: String,
    errors: Vec<FieldError>,
    /// Who the site's RACI matrix names as accountable for this kind of approval.
    suggested: Vec<String>,
}

async fn sign_page(
    state: &AppState,
    p: &Principal,
    kind: &'static KindDef,
    record: Record,
    meaning: &str,
    comment: String,
    errors: Vec<FieldError>,
) -> Result<SignPage, StoreError> {
    let suggested = state
        .store
        .suggested_signers(&record, jiff::Zoned::now().date())
        .await?;
    Ok(SignPage {
        suggested,
        nav: Nav::new(kind.plural, p),
        kind,
        title: record.title(),
        record,
        meanings: MEANINGS
            .iter()
            .map(|m| (m.key(), m.label(), m.key() == meaning))
            .collect(),
        comment,
        errors,
    })
}

pub async fn form(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
) -> Result<Response, UiError> {
    let kind = crate::ui::kind_of(&plural)?;
    let record = load(&state, &p, kind, id).await?;
    p.require(Capability::Sign, record.site_id())?;
    let page = sign_page(&state, &p, kind, record, "", String::new(), Vec::new()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// What went wrong with a signing attempt.
enum SignError {
    Invalid(Vec<FieldError>),
    Store(StoreError),
}

impl From<StoreError> for SignError {
    fn from(e: StoreError) -> Self {
        SignError::Store(e)
    }
}

/// The signing step shared by the page and the API: checks meaning, version and password,
/// then signs through the write path.
async fn sign(
    state: &AppState,
    p: &Principal,
    record: &Record,
    meaning: &str,
    password: &str,
    comment: &str,
) -> Result<otkeep_store::Signature, SignError> {
    let Some(meaning) = Meaning::from_key(meaning) else {
        return Err(SignError::Invalid(vec![FieldError::new(
            "meaning",
            "choose what the signature means: authored, reviewed, approved or rejected",
        )]));
    };
    if password.is_empty() {
        return Err(SignError::Invalid(vec![FieldError::new(
            "password",
            "enter your password to sign",
        )]));
    }
    if !state
        .store
        .reauthenticate(&p.account, password, &state.policy)
        .await?
    {
        return Err(SignError::Invalid(vec![FieldError::new(
            "password",
            "the password is not right; nothing was signed",
        )]));
    }
    let mut tx = state.store.begin_write(p.name(), None).await?;
    let signature = tx.sign(&p.account, record, meaning, comment).await?;
    tx.commit().await?;
    Ok(signature)
}

#[derive(serde::Deserialize)]
pub struct SignForm {
    #[serde(default)]
    meaning: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    comment: String,
    #[serde(rename = "_version")]
    version: i64,
}

pub async fn submit(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
    Form(form): Form<SignForm>,
) -> Result<Response, UiError> {
    let kind = crate::ui::kind_of(&plural)?;
    let mut record = load(&state, &p, kind, id).await?;
    p.require(Capability::Sign, record.site_id())?;
    // Sign what the signer saw: a record changed since is a conflict, not a silent re-target.
    let shown = Record {
        version: form.version,
        ..record.clone()
    };
    match sign(
        &state,
        &p,
        &shown,
        &form.meaning,
        &form.password,
        &form.comment,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/{plural}/{id}?signed=1")).into_response()),
        Err(SignError::Invalid(errors)) => {
            let page = sign_page(
                &state,
                &p,
                kind,
                record,
                &form.meaning,
                form.comment,
                errors,
            )
            .await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(SignError::Store(e @ StoreError::Conflict { .. })) => {
            record = load(&state, &p, kind, id).await?;
            let errors = vec![FieldError::new("record", e.to_string())];
            let page = sign_page(
                &state,
                &p,
                kind,
                record,
                &form.meaning,
                form.comment,
                errors,
            )
            .await?;
            Ok(render(StatusCode::CONFLICT, &page))
        }
        Err(SignError::Store(e)) => Err(e.into()),
    }
}

pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
) -> Result<Json<JsonValue>, ApiError> {
    let kind = crate::api::kind_of(&plural)?;
    let record = crate::api::load(&state, &p, kind, id).await?;
    let sigs = state.store.signatures(kind.name, id).await?;
    Ok(Json(json!({
        "items": sigs.iter().map(|s| {
            let mut j = s.to_json();
            j["valid"] = json!(s.matches(&record));
            j
        }).collect::<Vec<_>>()
    })))
}

/// Signs over the API: `{"meaning", "password", "comment", "version"}`.
pub async fn api_sign(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
    body: Result<Json<JsonValue>, JsonRejection>,
) -> Result<Response, ApiError> {
    let kind = crate::api::kind_of(&plural)?;
    let Json(body) = body?;
    let record = crate::api::load(&state, &p, kind, id).await?;
    p.require(Capability::Sign, record.site_id())?;
    let text = |k: &str| body.get(k).and_then(JsonValue::as_str).unwrap_or("");
    let version = crate::api::required_version(&body, "the version being signed is required")?;
    let shown = Record { version, ..record };
    match sign(
        &state,
        &p,
        &shown,
        text("meaning"),
        text("password"),
        text("comment"),
    )
    .await
    {
        Ok(s) => Ok((StatusCode::CREATED, Json(s.to_json())).into_response()),
        Err(SignError::Invalid(errors)) => Err(ApiError::invalid(errors)),
        Err(SignError::Store(e)) => Err(e.into()),
    }
}
