//! SBOMs: the list with an upload form (attached to an asset or to a vendor's model and
//! firmware), one SBOM with its components and the advisories that name them, the difference of
//! two SBOMs, and the JSON API.

use crate::AppState;
use crate::api::ApiError;
use crate::auth::{Denied, Principal};
use crate::ui::{Nav, UiError, load, render};
use askama::Template;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::access::Capability;
use otkeep_core::kinds::ASSET_KIND;
use otkeep_core::sbom::{Sbom, SbomDiff, diff};
use otkeep_store::{Attach, ComponentAdvisory, SbomRow, StoreError};
use serde_json::json;

/// Largest SBOM accepted.
pub const MAX_SBOM_BYTES: usize = 50 * 1024 * 1024;

#[derive(Template)]
#[template(path = "sboms.html")]
struct ListPage {
    nav: Nav,
    rows: Vec<SbomRow>,
    can_upload: bool,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    p: &Principal,
    error: Option<String>,
) -> Result<ListPage, UiError> {
    let scope = p.read_scope(&ASSET_KIND)?;
    Ok(ListPage {
        nav: Nav::new("sboms", p),
        rows: state.store.sboms(&scope, None).await?,
        can_upload: p.access.can_write_somewhere(),
        error,
    })
}

pub async fn list(State(state): State<AppState>, p: Principal) -> Result<Response, UiError> {
    Ok(render(StatusCode::OK, &list_page(&state, &p, None).await?))
}

/// Stores an uploaded SBOM (field `file`), attached to `asset_id`, or to `vendor` + `model`
/// (+ `firmware`).
pub async fn upload(
    State(state): State<AppState>,
    p: Principal,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    if !p.access.can_write_somewhere() {
        return Err(Denied(format!("{} may not import SBOMs", p.name())).into());
    }
    let mut multipart = multipart
        .map_err(|e| UiError::BadRequest(format!("send the SBOM as a file upload: {e}")))?;
    let mut file = None;
    let mut fields = std::collections::HashMap::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| UiError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field
                .file_name()
                .and_then(|n| std::path::Path::new(n).file_name())
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| "sbom".into());
            let bytes = field
                .bytes()
                .await
                .map_err(|e| UiError::BadRequest(format!("the upload could not be read: {e}")))?;
            file = Some((file_name, bytes));
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| UiError::BadRequest(format!("the upload could not be read: {e}")))?;
            fields.insert(name, text.trim().to_string());
        }
    }
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let Some((name, bytes)) = file.filter(|f| !f.1.is_empty()) else {
        let page = list_page(&state, &p, Some("Choose an SBOM file.".into())).await?;
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    let attach = match get("asset_id").parse::<i64>() {
        Ok(asset) => {
            let record = load(&state, &p, &ASSET_KIND, asset).await?;
            p.require(Capability::Write, record.site_id())?;
            Attach::Asset(asset)
        }
        Err(_) => Attach::Model {
            vendor: get("vendor"),
            model: get("model"),
            firmware: get("firmware"),
        },
    };
    let sbom = match otkeep_ingest::parse_sbom(&bytes, &name) {
        Ok(s) => s,
        Err(e) => {
            let page = list_page(&state, &p, Some(format!("Not imported: {e}"))).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let sha = otkeep_store::sha256_bytes(&bytes);
    let mut tx = state
        .store
        .begin_write(p.name(), Some("SBOM upload"))
        .await?;
    let id = match tx.store_sbom(&sbom, &name, &sha, &attach).await {
        Ok(id) => id,
        Err(StoreError::Invalid(e)) => {
            drop(tx);
            let message = e
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            let page = list_page(&state, &p, Some(format!("Not imported: {message}"))).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    Ok(Redirect::to(&format!("/sboms/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "sbom.html")]
struct DetailPage {
    nav: Nav,
    row: SbomRow,
    sbom: Sbom,
    advisories: Vec<ComponentAdvisory>,
    /// Other SBOMs to compare with: (id, label).
    others: Vec<(i64, String)>,
}

/// The SBOM `id` if `p` may see it.
async fn visible(state: &AppState, p: &Principal, id: i64) -> Result<(SbomRow, Sbom), UiError> {
    let scope = p.read_scope(&ASSET_KIND)?;
    state
        .store
        .sbom(&scope, id)
        .await?
        .ok_or_else(|| UiError::NotFound(format!("There is no SBOM #{id}.")))
}

pub(crate) fn label(r: &SbomRow) -> String {
    let of = if r.model.is_empty() {
        format!("asset #{}", r.asset_id.unwrap_or(0))
    } else {
        format!("{} {} {}", r.vendor, r.model, r.firmware)
    };
    format!("#{} {} {} ({of})", r.id, r.name, r.version)
}

pub async fn detail(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    let (row, sbom) = visible(&state, &p, id).await?;
    let scope = p.read_scope(&ASSET_KIND)?;
    let others = state
        .store
        .sboms(&scope, None)
        .await?
        .into_iter()
        .filter(|o| o.id != id)
        .map(|o| (o.id, label(&o)))
        .collect();
    let advisories = state.store.sbom_advisories(&sbom).await?;
    Ok(render(
        StatusCode::OK,
        &DetailPage {
            nav: Nav::new("sboms", &p),
            row,
            sbom,
            advisories,
            others,
        },
    ))
}

#[derive(serde::Deserialize)]
pub struct DiffParams {
    with: Option<i64>,
}

#[derive(Template)]
#[template(path = "sbom_diff.html")]
struct DiffPage {
    nav: Nav,
    before: String,
    after: String,
    before_id: i64,
    after_id: i64,
    diff: SbomDiff,
}

/// What changed from SBOM `id` to SBOM `with` (by default the newest other SBOM of the same
/// product).
pub async fn compare(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Query(params): Query<DiffParams>,
) -> Result<Response, UiError> {
    let (a, sa) = visible(&state, &p, id).await?;
    // Without `?with=`, the newest other SBOM of the same product (else itself).
    let other = match params.with {
        Some(w) => w,
        None => {
            let scope = p.read_scope(&ASSET_KIND)?;
            state
                .store
                .sboms(&scope, None)
                .await?
                .into_iter()
                .find(|o| o.id != id && o.name == a.name)
                .map_or(id, |o| o.id)
        }
    };
    let (b, sb) = visible(&state, &p, other).await?;
    Ok(render(
        StatusCode::OK,
        &DiffPage {
            nav: Nav::new("sboms", &p),
            before: label(&a),
            after: label(&b),
            before_id: a.id,
            after_id: b.id,
            diff: diff(&sa, &sb),
        },
    ))
}

/// The SBOMs of an asset (its own and its model's), for its detail page: (href, label).
pub(crate) async fn asset_lines(
    state: &AppState,
    record: &otkeep_core::Record,
) -> Result<Vec<(String, String)>, StoreError> {
    if record.kind.name != ASSET_KIND.name {
        return Ok(Vec::new());
    }
    let scope = otkeep_core::access::Scope::Limited {
        sites: record.site_id().into_iter().collect(),
        records: Vec::new(),
    };
    Ok(state
        .store
        .sboms(&scope, Some(record))
        .await?
        .iter()
        .map(|s| (format!("/sboms/{}", s.id), label(s)))
        .collect())
}

fn row_json(r: &SbomRow) -> serde_json::Value {
    json!({
        "id": r.id, "asset_id": r.asset_id, "site_id": r.site_id, "vendor": r.vendor,
        "model": r.model, "firmware": r.firmware, "name": r.name, "version": r.version,
        "format": r.format, "spec_version": r.spec_version, "components": r.components,
        "sha256": r.sha256, "source_file": r.source_file, "imported_at": r.imported_at,
        "imported_by": r.imported_by,
    })
}

/// `GET /api/v1/sboms`.
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<serde_json::Value>, ApiError> {
    let scope = p.read_scope(&ASSET_KIND)?;
    let rows = state.store.sboms(&scope, None).await?;
    let items: Vec<_> = rows.iter().map(row_json).collect();
    Ok(Json(json!({"total": items.len(), "items": items})))
}

/// `GET /api/v1/sboms/{id}`: the SBOM, its components and the advisories naming them.
pub async fn api_read(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let scope = p.read_scope(&ASSET_KIND)?;
    let (row, sbom) =
        state.store.sbom(&scope, id).await?.ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, format!("there is no SBOM #{id}"))
        })?;
    let advisories: Vec<_> = state
        .store
        .sbom_advisories(&sbom)
        .await?
        .iter()
        .map(|a| {
            json!({"component": a.component, "component_version": a.component_version,
                   "advisory_id": a.advisory_id, "tracking_id": a.tracking_id,
                   "severity": a.severity, "reason": a.reason})
        })
        .collect();
    Ok(Json(
        json!({"sbom": row_json(&row), "components": sbom.components, "advisories": advisories}),
    ))
}
