//! Importing a certificate (PEM or DER) into the inventory of certificates and keys: the
//! fields come from the certificate; the record page flags weak keys and algorithms.

use crate::AppState;
use crate::auth::Principal;
use crate::ui::UiError;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::access::Capability;
use otkeep_core::config_kinds::CERTIFICATE_KIND;
use otkeep_core::value::values_from_json;
use otkeep_store::StoreError;

/// Largest certificate file accepted.
pub const MAX_CERTIFICATE_BYTES: usize = 1024 * 1024;

/// Creates a certificate record from an uploaded file (`file`) for `site_id`, named after the
/// certificate's common name unless `name` is given; then shows it for completing.
pub async fn import(
    State(state): State<AppState>,
    p: Principal,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    let mut multipart = multipart
        .map_err(|e| UiError::BadRequest(format!("send the certificate as a file upload: {e}")))?;
    let mut file = None;
    let mut fields = std::collections::HashMap::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| UiError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("certificate").to_string();
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
    let site: i64 = fields
        .get("site_id")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| UiError::BadRequest("choose the site the certificate belongs to".into()))?;
    p.require(Capability::Write, Some(site))?;
    let (name, bytes) = file
        .filter(|f| !f.1.is_empty())
        .ok_or_else(|| UiError::BadRequest("choose a certificate file (PEM or DER)".into()))?;
    let (mut json, cn) = otkeep_ingest::read_certificate(&bytes, &name)
        .map_err(|e| UiError::BadRequest(e.to_string()))?;
    let title = fields
        .get("name")
        .filter(|n| !n.is_empty())
        .cloned()
        .unwrap_or_else(|| if cn.is_empty() { name.clone() } else { cn });
    if let Some(obj) = json.as_object_mut() {
        obj.insert("site_id".into(), site.into());
        obj.insert("name".into(), title.into());
        obj.insert("owner".into(), p.account.display_name.clone().into());
    }
    let values = values_from_json(&CERTIFICATE_KIND, &json).map_err(|e| {
        UiError::BadRequest(
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let mut tx = state
        .store
        .begin_write(p.name(), Some(&format!("certificate imported from {name}")))
        .await?;
    let record = match tx.create(&CERTIFICATE_KIND, values).await {
        Ok(r) => r,
        Err(StoreError::Invalid(e)) => {
            return Err(UiError::BadRequest(
                e.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    Ok(Redirect::to(&format!("/certificates/{}?saved=1", record.id)).into_response())
}
