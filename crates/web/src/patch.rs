//! Bulk entry of a patch's applicability: "record this patch on every asset of this type,
//! vendor and model" from the patch's page (`POST /patches/{id}/apply`) or the API
//! (`POST /api/v1/patches/{id}/apply`). Each match becomes a patch-on-asset record in state
//! "evaluated", in one write transaction; assets that already have the patch are left alone.

use crate::AppState;
use crate::api::ApiError;
use crate::auth::Principal;
use crate::ui::{UiError, load};
use axum::Json;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::access::{Capability, Scope};
use otkeep_core::kinds::ASSET_KIND;
use otkeep_core::patch_kinds::{PATCH_DEPLOYMENT_KIND, PATCH_KIND};
use otkeep_core::{FieldError, Record, Value};
use otkeep_store::{ListQuery, StoreError};
use serde_json::json;

/// Which assets of the patch's site to record it on; empty criteria match every asset.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ApplyInput {
    #[serde(default)]
    pub asset_type: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub model: String,
}

fn contains(hay: &str, needle: &str) -> bool {
    needle.trim().is_empty() || hay.to_lowercase().contains(&needle.trim().to_lowercase())
}

/// Records `patch` on the matching assets; answers (added, already there).
async fn apply(
    state: &AppState,
    p: &Principal,
    patch: &Record,
    input: &ApplyInput,
) -> Result<(usize, usize), StoreError> {
    if input.asset_type.trim().is_empty()
        && input.vendor.trim().is_empty()
        && input.model.trim().is_empty()
    {
        return Err(StoreError::Invalid(vec![FieldError::new(
            "asset_type",
            "name the asset type, vendor or model the patch applies to",
        )]));
    }
    let site = Scope::Limited {
        sites: patch.site_id().into_iter().collect(),
        records: Vec::new(),
    };
    let q = ListQuery {
        scope: site.clone(),
        ..ListQuery::default()
    };
    let assets: Vec<Record> = state
        .store
        .list_all(&ASSET_KIND, &q)
        .await?
        .into_iter()
        .filter(|a| a.get("lifecycle").to_text() != "decommissioned")
        .filter(|a| {
            input.asset_type.trim().is_empty()
                || a.get("asset_type").to_text() == input.asset_type.trim()
        })
        .filter(|a| contains(&a.get("vendor").to_text(), &input.vendor))
        .filter(|a| contains(&a.get("model").to_text(), &input.model))
        .collect();
    let mut existing = q;
    existing.filters.insert("patch_id", Value::Int(patch.id));
    let have: Vec<i64> = state
        .store
        .list_all(&PATCH_DEPLOYMENT_KIND, &existing)
        .await?
        .iter()
        .filter_map(|d| d.get("asset_id").as_int())
        .collect();
    let today = jiff::Zoned::now().date().to_string();
    let reason = format!("patch {} recorded on matching assets", patch.title());
    let mut tx = state.store.begin_write(p.name(), Some(&reason)).await?;
    let mut added = 0;
    for a in assets.iter().filter(|a| !have.contains(&a.id)) {
        let values = otkeep_core::value::values_from_json(
            &PATCH_DEPLOYMENT_KIND,
            &json!({"site_id": patch.site_id(), "patch_id": patch.id, "asset_id": a.id,
                    "state": "evaluated", "evaluated_on": today}),
        )
        .map_err(StoreError::Invalid)?;
        tx.create(&PATCH_DEPLOYMENT_KIND, values).await?;
        added += 1;
    }
    tx.commit().await?;
    Ok((added, assets.len() - added))
}

pub async fn submit(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Form(input): Form<ApplyInput>,
) -> Result<Response, UiError> {
    let patch = load(&state, &p, &PATCH_KIND, id).await?;
    p.require(Capability::Write, patch.site_id())?;
    match apply(&state, &p, &patch, &input).await {
        Ok((added, already)) => Ok(Redirect::to(&format!(
            "/patches/{id}?added={added}&already={already}"
        ))
        .into_response()),
        Err(StoreError::Invalid(errors)) => Err(UiError::BadRequest(
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/patches/{id}/apply` `{asset_type, vendor, model}` → `{added, already}`.
pub async fn api(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Json(input): Json<ApplyInput>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let patch = state
        .store
        .get(&PATCH_KIND, id)
        .await?
        .filter(|r| p.access.can_read(r))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("there is no patch #{id}")))?;
    p.require(Capability::Write, patch.site_id())?;
    let (added, already) = apply(&state, &p, &patch, &input).await?;
    Ok(Json(json!({"added": added, "already": already})))
}
