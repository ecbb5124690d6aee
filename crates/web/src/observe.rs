//! Observed traffic of a site (issue 11): `GET /observations?site_id=N` lists the imported
//! captures and Zeek logs, what they show against the site's records (unknown devices, devices
//! not seen, traffic without a conduit or channel, writes against a conduit's direction), the
//! hosts and the flows; `POST /observations/upload` imports a pcap/pcapng or conn.log (streamed
//! to a temporary file, never held in memory); `GET /api/v1/observations?site=CODE` gives the
//! imports and findings as JSON. `otkeep observe … --site CODE` does the same from the CLI.

use crate::AppState;
use crate::api::ApiError;
use crate::auth::Principal;
use crate::model::{site_options, site_param};
use crate::ui::{Nav, UiError, render};
use crate::view::SelectOption;
use askama::Template;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::Record;
use otkeep_core::access::Capability;
use otkeep_core::kinds::SITE_KIND;
use otkeep_core::model::Finding;
use otkeep_store::observe::{ObservationRow, ObservedFlow, ObservedHost};
use serde_json::json;

/// The largest upload accepted (a capture of a few minutes of a busy plant network).
pub const MAX_UPLOAD_BYTES: usize = 2 << 30;

#[derive(serde::Deserialize, Default)]
pub struct Params {
    site_id: Option<String>,
    site: Option<String>,
    imported: Option<String>,
}

#[derive(Template)]
#[template(path = "observations.html")]
struct Page {
    nav: Nav,
    sites: Vec<SelectOption>,
    site: Option<Record>,
    can_upload: bool,
    notice: Option<String>,
    error: Option<String>,
    imports: Vec<ObservationRow>,
    dismissed: Vec<otkeep_store::observe::Dismissal>,
    /// Each finding with the actions that resolve it: (label, address of a prefilled form).
    findings: Vec<(Finding, Vec<(&'static str, String)>)>,
    hosts: Vec<ObservedHost>,
    flows: Vec<ObservedFlow>,
}

async fn chosen_site(
    state: &AppState,
    p: &Principal,
    params: &Params,
) -> Result<Option<Record>, UiError> {
    site_param(state, p, params.site_id.as_deref(), params.site.as_deref()).await
}

async fn page(
    state: &AppState,
    p: &Principal,
    site: Option<Record>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Page, UiError> {
    let (imports, dismissed, findings, hosts, flows) = match &site {
        Some(s) => (
            state.store.observations(s.id).await?,
            state.store.dismissals(s.id).await?,
            state
                .store
                .traffic_findings(s.id)
                .await?
                .into_iter()
                .map(|f| {
                    let acts = actions(s, &f);
                    (f, acts)
                })
                .collect(),
            state
                .store
                .observed_hosts(s.id)
                .await?
                .into_iter()
                .map(|h| h.0)
                .collect(),
            state
                .store
                .observed_flows(s.id)
                .await?
                .into_iter()
                .map(|f| f.0)
                .collect(),
        ),
        None => Default::default(),
    };
    Ok(Page {
        nav: Nav::new("observations", p),
        sites: site_options(state, p, site.as_ref().map(|s| s.id)).await?,
        can_upload: site
            .as_ref()
            .is_some_and(|s| p.access.may(Capability::Write, Some(s.id))),
        site,
        notice,
        error,
        imports,
        dismissed,
        findings,
        hosts,
        flows,
    })
}

/// The forms that resolve a finding, prefilled from its facts: add the device to the
/// inventory, add the conduit, edit the conduit, raise a change, request an exception.
fn actions(site: &Record, f: &Finding) -> Vec<(&'static str, String)> {
    let fact = |k: &str| {
        f.facts
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let link = |path: &str, pairs: Vec<(&str, String)>| {
        let pairs: Vec<(&str, String)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let site_id = site.id.to_string();
    let change = || {
        link(
            "/changes/new",
            vec![
                ("site_id", site_id.clone()),
                (
                    "name",
                    format!("Observed traffic: {}", f.rule.replace('_', " ")),
                ),
                ("description", f.message.clone()),
            ],
        )
    };
    let channel = || {
        let port = fact("port");
        let endpoint = if port.is_empty() {
            "l2".to_string()
        } else {
            format!("{port}/{}", fact("transport"))
        };
        format!("{} {endpoint} a_to_b", fact("protocol"))
    };
    match f.rule {
        "unknown_device" => {
            let address = if fact("ip").is_empty() {
                fact("mac")
            } else {
                fact("ip")
            };
            let vendor = fact("vendor");
            vec![(
                "Add to the inventory",
                link(
                    "/assets/new",
                    vec![
                        ("site_id", site_id.clone()),
                        ("zone_id", fact("zone")),
                        (
                            "name",
                            format!(
                                "{} {address}",
                                if vendor.is_empty() { "Device" } else { &vendor }
                            ),
                        ),
                        ("vendor", vendor.clone()),
                        ("ip_addresses", fact("ip")),
                        ("mac_addresses", fact("mac")),
                    ],
                ),
            )]
        }
        "flow_without_conduit" => vec![
            (
                "Add the conduit",
                link(
                    "/conduits/new",
                    vec![
                        ("site_id", site_id.clone()),
                        ("zone_a_id", fact("zone_a")),
                        ("zone_b_id", fact("zone_b")),
                        ("channels", channel()),
                    ],
                ),
            ),
            ("Raise a change", change()),
        ],
        "channel_not_declared" => vec![
            (
                "Edit the conduit",
                format!("/conduits/{}/edit", fact("conduit")),
            ),
            ("Raise a change", change()),
        ],
        "write_against_direction" => vec![
            (
                "Request an exception",
                link(
                    "/exceptions/new",
                    vec![
                        ("site_id", site_id.clone()),
                        (
                            "name",
                            format!("Writes across conduit #{}", fact("conduit")),
                        ),
                        ("justification", f.message.clone()),
                    ],
                ),
            ),
            ("Raise a change", change()),
        ],
        _ => Vec::new(),
    }
}

/// `GET /observations`.
pub async fn list(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<Params>,
) -> Result<Response, UiError> {
    p.read_scope(&otkeep_core::kinds::ZONE_KIND)?;
    let site = chosen_site(&state, &p, &params).await?;
    let notice = params.imported.map(|n| format!("Imported: {n}."));
    Ok(render(
        StatusCode::OK,
        &page(&state, &p, site, notice, None).await?,
    ))
}

/// Back to the site's page with a notice.
fn back(site: &Record, notice: String) -> Response {
    let query =
        serde_urlencoded::to_string([("site_id", site.id.to_string()), ("imported", notice)])
            .unwrap_or_default();
    Redirect::to(&format!("/observations?{query}")).into_response()
}

/// Commits `tx` when `result` is fine; a refusal the user can fix (`Invalid`) is the page again
/// with the reason after `what` (the transaction is dropped, so nothing is written).
async fn settle(
    state: &AppState,
    p: &Principal,
    site: &Record,
    tx: otkeep_store::WriteTx<'_>,
    result: Result<(), otkeep_store::StoreError>,
    what: &str,
) -> Result<Option<Response>, UiError> {
    match result {
        Ok(()) => {
            tx.commit().await?;
            Ok(None)
        }
        Err(otkeep_store::StoreError::Invalid(errors)) => {
            drop(tx);
            let text = errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            let page = page(
                state,
                p,
                Some(site.clone()),
                None,
                Some(format!("{what}: {text}")),
            )
            .await?;
            Ok(Some(render(StatusCode::UNPROCESSABLE_ENTITY, &page)))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /observations/upload?site_id=N`: a capture or a Zeek conn.log as the site's evidence.
pub async fn upload(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<Params>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    let site = chosen_site(&state, &p, &params).await?.ok_or_else(|| {
        UiError::BadRequest("Choose the site the traffic was captured at.".into())
    })?;
    p.require(Capability::Write, Some(site.id))?;
    let mut multipart = multipart
        .map_err(|e| UiError::BadRequest(format!("send the capture as a file upload: {e}")))?;
    let dir = std::env::temp_dir().join(format!("otkeep-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| UiError::Internal(format!("cannot store the upload: {e}")))?;
    let mut saved: Option<(std::path::PathBuf, String)> = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| UiError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .and_then(|n| std::path::Path::new(n).file_name())
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "capture".into());
        let path = dir.join(format!(
            "{}-{}",
            otkeep_store::now().replace([':', '.'], "-"),
            name.replace(['/', '\\'], "_")
        ));
        let mut out = std::fs::File::create(&path)
            .map_err(|e| UiError::Internal(format!("cannot store the upload: {e}")))?;
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| UiError::BadRequest(format!("the upload could not be read: {e}")))?
        {
            std::io::Write::write_all(&mut out, &chunk)
                .map_err(|e| UiError::Internal(format!("cannot store the upload: {e}")))?;
        }
        saved = Some((path, name));
    }
    let Some((path, name)) = saved else {
        let page = page(
            &state,
            &p,
            Some(site),
            None,
            Some("Choose a capture or a conn.log file.".into()),
        )
        .await?;
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    // A firewall ruleset (pfSense XML, iptables-save) is told apart by its first bytes.
    let head: Vec<u8> = std::fs::read(&path)
        .map(|b| b.into_iter().take(4096).collect())
        .unwrap_or_default();
    let head_text = String::from_utf8_lossy(&head);
    if head_text.trim_start().starts_with('<')
        || head_text.contains("*filter")
        || head_text.contains("iptables-save")
    {
        let text = std::fs::read(&path)
            .map_err(|e| UiError::Internal(format!("cannot read the upload: {e}")))?;
        let _ = std::fs::remove_file(&path);
        let set = match otkeep_ingest::firewall::parse(&String::from_utf8_lossy(&text), &name) {
            Ok(set) => set,
            Err(e) => {
                let page = page(
                    &state,
                    &p,
                    Some(site),
                    None,
                    Some(format!("Not imported: {e}")),
                )
                .await?;
                return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
            }
        };
        let rules: Vec<otkeep_store::observe::StoredRule> =
            set.rules.iter().map(Into::into).collect();
        let mut tx = state
            .store
            .begin_write(&p.account.username, Some("firewall ruleset import"))
            .await?;
        let result = tx
            .import_ruleset(site.id, &name, &otkeep_store::sha256_bytes(&text), &rules)
            .await
            .map(|_| ());
        if let Some(refusal) = settle(&state, &p, &site, tx, result, "Not imported").await? {
            return Ok(refusal);
        }
        return Ok(back(
            &site,
            format!("{name}, firewall ruleset of {} rules", rules.len()),
        ));
    }
    let zeek = name.ends_with(".log") || name.ends_with(".json") || name.ends_with(".jsonl");
    let read = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || {
            otkeep_ingest::observe::read_file(&path, zeek, &mut |_| {})
        })
        .await
        .map_err(|e| UiError::Internal(format!("the reader stopped: {e}")))?
    };
    let _ = std::fs::remove_file(&path);
    let mut o = match read {
        Ok(o) => o,
        Err(e) => {
            let page = page(
                &state,
                &p,
                Some(site),
                None,
                Some(format!("Not imported: {e}")),
            )
            .await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    o.file_name = name.clone();
    let mut tx = state
        .store
        .begin_write(&p.account.username, Some("observed traffic import"))
        .await?;
    let result = tx.import_observation(site.id, &o).await.map(|_| ());
    if let Some(refusal) = settle(&state, &p, &site, tx, result, "Not imported").await? {
        return Ok(refusal);
    }
    Ok(back(
        &site,
        format!("{name}, {} hosts, {} flows", o.hosts.len(), o.flows.len()),
    ))
}

#[derive(serde::Deserialize)]
pub struct DismissForm {
    key: String,
    rule: String,
    reason: String,
}

/// `POST /observations/dismiss?site_id=N`: dismisses a finding with a reason (audited); it stays
/// dismissed when later imports find the same thing.
pub async fn dismiss(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<Params>,
    axum::extract::Form(form): axum::extract::Form<DismissForm>,
) -> Result<Response, UiError> {
    let site = chosen_site(&state, &p, &params)
        .await?
        .ok_or_else(|| UiError::BadRequest("Name the site (site_id).".into()))?;
    p.require(Capability::Write, Some(site.id))?;
    let mut tx = state
        .store
        .begin_write(&p.account.username, Some(&form.reason))
        .await?;
    let result = tx
        .dismiss_finding(site.id, &form.key, &form.rule, &form.reason)
        .await;
    if let Some(refusal) = settle(&state, &p, &site, tx, result, "Not dismissed").await? {
        return Ok(refusal);
    }
    Ok(back(&site, "finding dismissed".to_string()))
}

/// `GET /api/v1/observations[?site=CODE]`: the imports and findings of the site, or of every
/// site the reader can see; each entry names its site.
pub async fn api(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    p.read_scope(&otkeep_core::kinds::ZONE_KIND)?;
    let sites: Vec<Record> = match chosen_site(&state, &p, &params).await {
        Ok(Some(s)) => vec![s],
        Ok(None) => {
            let q = otkeep_store::ListQuery {
                scope: p.access.read_scope(&SITE_KIND),
                ..otkeep_store::ListQuery::default()
            };
            state.store.list_all(&SITE_KIND, &q).await?
        }
        Err(e) => return Err(e.into()),
    };
    let mut imports = Vec::new();
    let mut findings = Vec::new();
    for site in &sites {
        let code = site.get("code").to_text();
        for o in state.store.observations(site.id).await? {
            imports.push(json!({
                "site": code, "id": o.id, "source": o.source, "file_name": o.file_name,
                "sha256": o.sha256, "bytes": o.bytes, "packets": o.packets,
                "first_seen": o.first_seen, "last_seen": o.last_seen, "hosts": o.hosts,
                "flows": o.flows, "imported_at": o.imported_at, "imported_by": o.imported_by,
            }));
        }
        for f in state.store.traffic_findings(site.id).await? {
            findings.push(json!({
                "site": code, "rule": f.rule, "message": f.message, "fix": f.fix,
                "records": f.records.iter().map(|(k, id, t)| json!({"kind": k, "id": id, "title": t})).collect::<Vec<_>>(),
            }));
        }
    }
    Ok(Json(json!({"imports": imports, "findings": findings})).into_response())
}
