//! Evidence files: uploaded on an assessment or a document version (its SHA-256 recorded on the
//! record, the file kept once per content) and downloaded by whoever may read a record that
//! cites it.

use crate::AppState;
use crate::auth::Principal;
use crate::ui::{UiError, load};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::KindDef;
use otkeep_core::access::Capability;
use otkeep_core::doc_kinds::DOCUMENT_VERSION_KIND;
use otkeep_core::kinds::ASSESSMENT_KIND;
use otkeep_core::value::values_from_text;
use std::collections::BTreeMap;

/// Largest evidence file accepted.
pub const MAX_EVIDENCE_BYTES: usize = 20 * 1024 * 1024;

/// The kinds a file attaches to, with the fields receiving its link (if any), SHA-256 and name.
fn attachment_fields(
    plural: &str,
) -> Option<(
    &'static KindDef,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
)> {
    if plural == ASSESSMENT_KIND.plural {
        Some((
            &ASSESSMENT_KIND,
            Some("evidence_url"),
            "evidence_sha256",
            None,
        ))
    } else if plural == DOCUMENT_VERSION_KIND.plural {
        Some((
            &DOCUMENT_VERSION_KIND,
            None,
            "file_sha256",
            Some("file_name"),
        ))
    } else {
        None
    }
}

/// Attaches an uploaded file to an assessment as its evidence, or to a document version as its
/// file.
pub async fn upload(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    let Some((kind, url_field, sha_field, name_field)) = attachment_fields(&plural) else {
        return Err(UiError::NotFound(format!(
            "Files attach to assessments and document versions, not to '{plural}'."
        )));
    };
    let record = load(&state, &p, kind, id).await?;
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
    if let Some(f) = url_field {
        text.insert(f.into(), format!("/evidence/{sha}"));
    }
    if let Some(f) = name_field {
        text.insert(f.into(), name.chars().take(200).collect());
    }
    text.insert(sha_field.into(), sha);
    let values = values_from_text(kind, &text).map_err(|errors| {
        UiError::BadRequest(
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    tx.update(kind, id, record.version, values).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/{}/{id}?saved=1", kind.plural)).into_response())
}

/// Downloads an evidence file, if the reader may see a record citing it. Always as an
/// attachment and as opaque bytes, so an uploaded page or image can never run in otkeep's
/// origin.
pub async fn download(
    State(state): State<AppState>,
    p: Principal,
    Path(sha): Path<String>,
) -> Result<Response, UiError> {
    let not_found = || UiError::NotFound("There is no such evidence file.".into());
    let mut visible = false;
    for (kind, site) in state.store.evidence_sites(&sha).await? {
        if p.read_scope(kind)
            .is_ok_and(|scope| scope.covers_site(Some(site)))
        {
            visible = true;
            break;
        }
    }
    if !visible {
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
