//! Evidence files: uploaded on an assessment (its SHA-256 recorded on the record, the file
//! kept once per content) and downloaded by whoever may read an assessment that cites it.

use crate::AppState;
use crate::auth::Principal;
use crate::ui::{UiError, load};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::access::Capability;
use otkeep_core::kinds::ASSESSMENT_KIND;
use otkeep_core::value::values_from_text;
use std::collections::BTreeMap;

/// Largest evidence file accepted.
pub const MAX_EVIDENCE_BYTES: usize = 20 * 1024 * 1024;

/// Attaches an uploaded file to an assessment as its evidence.
pub async fn upload(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    if plural != ASSESSMENT_KIND.plural {
        return Err(UiError::NotFound(format!(
            "Evidence attaches to assessments, not to '{plural}'."
        )));
    }
    let record = load(&state, &p, &ASSESSMENT_KIND, id).await?;
    p.require(Capability::Write, record.site_id())?;
    let mut multipart = multipart.map_err(|e| {
        UiError::BadRequest(format!(
            "send the evidence as a file upload (multipart): {e}"
        ))
    })?;
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| UiError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("evidence").to_string();
            let media = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string();
            let bytes = field.bytes().await.map_err(|e| {
                UiError::BadRequest(format!(
                    "the upload could not be read (at most {} MiB): {e}",
                    MAX_EVIDENCE_BYTES / 1024 / 1024
                ))
            })?;
            file = Some((name, media, bytes));
        }
    }
    let Some((name, media, bytes)) = file.filter(|f| !f.2.is_empty()) else {
        return Err(UiError::BadRequest(
            "choose the evidence file to upload".into(),
        ));
    };
    let mut tx = state
        .store
        .begin_write(p.name(), Some(&format!("evidence {name}")))
        .await?;
    let sha = tx.store_evidence(&name, &media, &bytes).await?;
    let mut text: BTreeMap<String, String> =
        crate::view::record_text(&record).into_iter().collect();
    text.insert("evidence_url".into(), format!("/evidence/{sha}"));
    text.insert("evidence_sha256".into(), sha);
    let values = values_from_text(&ASSESSMENT_KIND, &text)
        .map_err(|e| UiError::BadRequest(format!("{e:?}")))?;
    tx.update(&ASSESSMENT_KIND, id, record.version, values)
        .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/assessments/{id}?saved=1")).into_response())
}

/// Downloads an evidence file, if the reader may see an assessment citing it. Always as an
/// attachment and as opaque bytes, so an uploaded page or image can never run in otkeep's
/// origin.
pub async fn download(
    State(state): State<AppState>,
    p: Principal,
    Path(sha): Path<String>,
) -> Result<Response, UiError> {
    let scope = p.read_scope(&ASSESSMENT_KIND)?;
    let not_found = || UiError::NotFound("There is no such evidence file.".into());
    let sites = state.store.evidence_sites(&sha).await?;
    if !sites.iter().any(|s| scope.covers_site(Some(*s))) {
        return Err(not_found());
    }
    let file = state.store.evidence(&sha).await?.ok_or_else(not_found)?;
    let safe_name: String = file
        .file_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe_name}\""),
            ),
        ],
        file.content,
    )
        .into_response())
}
