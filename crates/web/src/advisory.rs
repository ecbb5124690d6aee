//! Security advisories: the list (`/advisories`: site, severity, triage state, known
//! exploited, text), upload of CSAF files, the advisory page (vulnerabilities, products with
//! their version expressions, affected assets of the sites one may read, with triage), the
//! triage step, the advisories of an asset, and the JSON API.

use crate::AppState;
use crate::api::ApiError;
use crate::auth::Principal;
use crate::model::{chosen_site, site_codes, site_options};
use crate::ui::{Nav, UiError, render};
use crate::view::SelectOption;
use askama::Template;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::Record;
use otkeep_core::access::{Capability, Scope};
use otkeep_core::advisory::{Advisory, TRIAGE_STATES, Triage, TriageStep};
use otkeep_core::firmware::VersionSpec;
use otkeep_core::kinds::ASSET_KIND;
use otkeep_core::risk_kinds::{EXCEPTION_KIND, TREATMENT_KIND};
use otkeep_store::{AdvisoryFilter, AdvisoryRow, ListQuery, MatchRow, StoreError};
use serde_json::json;
use std::collections::HashMap;

/// Largest upload of CSAF files at once.
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

#[derive(serde::Deserialize, Default)]
pub struct ListParams {
    site_id: Option<String>,
    severity: Option<String>,
    status: Option<String>,
    exploited: Option<String>,
    q: Option<String>,
    /// `all`: every advisory, also those matching nothing of mine.
    show: Option<String>,
}

#[derive(Template)]
#[template(path = "advisories.html")]
struct ListPage {
    nav: Nav,
    sites: Vec<SelectOption>,
    statuses: Vec<SelectOption>,
    severities: Vec<SelectOption>,
    exploited: bool,
    all: bool,
    q: String,
    rows: Vec<AdvisoryRow>,
    can_upload: bool,
    /// Whether the user may add vendor aliases (they change matching on every site).
    can_alias: bool,
    /// User aliases (alias, vendor, added by) and the built-in ones.
    aliases: Vec<(String, String, String)>,
    builtin: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
}

/// The advisory list's filter from the query string, and the scope of the chosen site.
fn filter_of(
    p: &Principal,
    params: &ListParams,
) -> Result<(Option<i64>, Scope, AdvisoryFilter), crate::auth::Denied> {
    let readable = p.read_scope(&ASSET_KIND)?;
    let (chosen, scope) = chosen_site(params.site_id.as_deref(), readable);
    let all = params.show.as_deref() == Some("all");
    let filter = AdvisoryFilter {
        matched_in: (!all).then(|| scope.clone()),
        severity: params.severity.clone().filter(|s| !s.is_empty()),
        status: params.status.as_deref().and_then(Triage::from_key),
        known_exploited: params.exploited.as_deref() == Some("1"),
        text: params.q.clone(),
    };
    Ok((chosen, scope, filter))
}

pub async fn list(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<ListParams>,
) -> Result<Response, UiError> {
    list_page(&state, &p, &params, None).await
}

async fn list_page(
    state: &AppState,
    p: &Principal,
    params: &ListParams,
    notice: Option<String>,
) -> Result<Response, UiError> {
    let (chosen, scope, filter) = filter_of(p, params)?;
    let rows = state.store.advisories(&scope, &filter).await?;
    let status = params.status.clone().unwrap_or_default();
    let severity = params.severity.clone().unwrap_or_default();
    Ok(render(
        StatusCode::OK,
        &ListPage {
            nav: Nav::new("advisories", p),
            sites: site_options(state, p, chosen).await?,
            statuses: TRIAGE_STATES
                .iter()
                .map(|t| SelectOption {
                    value: t.key().into(),
                    label: t.label().into(),
                    selected: t.key() == status,
                    group: String::new(),
                })
                .collect(),
            severities: ["critical", "high", "medium", "low"]
                .iter()
                .map(|s| SelectOption {
                    value: s.to_string(),
                    label: s.to_string(),
                    selected: *s == severity,
                    group: String::new(),
                })
                .collect(),
            exploited: filter.known_exploited,
            all: filter.matched_in.is_none(),
            q: params.q.clone().unwrap_or_default(),
            rows,
            can_upload: p.access.can_write_somewhere(),
            can_alias: p.access.may(Capability::Write, None),
            aliases: state
                .store
                .vendor_aliases()
                .await?
                .into_iter()
                .map(|(a, v, _, by)| (a, v, by))
                .collect(),
            builtin: otkeep_core::advisory::VENDOR_ALIASES.to_vec(),
            notice,
        },
    ))
}

#[derive(serde::Deserialize)]
pub struct AliasForm {
    #[serde(default)]
    alias: String,
    #[serde(default)]
    vendor: String,
}

/// Adds a vendor alias and matches every advisory again (needs write access to every site:
/// it changes matches everywhere).
pub async fn add_alias(
    State(state): State<AppState>,
    p: Principal,
    Form(form): Form<AliasForm>,
) -> Result<Response, UiError> {
    p.require(Capability::Write, None)?;
    let mut tx = state
        .store
        .begin_write(p.name(), Some("vendor alias"))
        .await?;
    let notice = match tx.set_vendor_alias(&form.alias, &form.vendor).await {
        Ok(matches) => {
            tx.commit().await?;
            format!(
                "'{}' is now read as '{}'; advisories matched again: {matches} matches.",
                form.alias.trim(),
                form.vendor.trim()
            )
        }
        Err(StoreError::Invalid(e)) => format!(
            "Not saved: {}",
            e.iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Err(e) => return Err(e.into()),
    };
    list_page(&state, &p, &ListParams::default(), Some(notice)).await
}

/// Imports uploaded CSAF files (field `files`, one or several), then shows the list with what
/// happened.
pub async fn upload(
    State(state): State<AppState>,
    p: Principal,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, UiError> {
    if !p.access.can_write_somewhere() {
        return Err(crate::auth::Denied(format!("{} may not import advisories", p.name())).into());
    }
    let mut multipart = multipart
        .map_err(|e| UiError::BadRequest(format!("send CSAF files as a file upload: {e}")))?;
    let dir = std::env::temp_dir().join(format!(
        "otkeep-upload-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_microsecond()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| UiError::Internal(e.to_string()))?;
    let mut files = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| UiError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        if field.name() != Some("files") {
            continue;
        }
        // Only the base name of what the browser sends, never a path.
        let name = field
            .file_name()
            .and_then(|n| std::path::Path::new(n).file_name())
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "advisory.json".into());
        let bytes = field
            .bytes()
            .await
            .map_err(|e| UiError::BadRequest(format!("the upload could not be read: {e}")))?;
        if bytes.is_empty() {
            continue;
        }
        let path = dir.join(format!("{}-{name}", files.len()));
        std::fs::write(&path, &bytes).map_err(|e| UiError::Internal(e.to_string()))?;
        files.push(path);
    }
    if files.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(UiError::BadRequest(
            "choose one or more CSAF .json files".into(),
        ));
    }
    let report =
        otkeep_ingest::import_csaf_files(&state.store, &files, p.name(), &mut |_| {}).await;
    let _ = std::fs::remove_dir_all(&dir);
    let report = report?;
    let strip = |f: &str| {
        std::path::Path::new(f)
            .file_name()
            .map(|n| {
                // Uploads are saved as `<n>-<name>`: show the name the user chose.
                let n = n.to_string_lossy();
                n.split_once('-')
                    .map_or(n.to_string(), |(_, name)| name.to_string())
            })
            .unwrap_or_default()
    };
    let mut notice = format!(
        "{} new advisories, {} updated, {} ignored, {} failed; {} matches with assets.",
        report.created,
        report.updated,
        report.ignored.len(),
        report.failed.len(),
        report.matches
    );
    for (f, why) in &report.ignored {
        notice.push_str(&format!(" Ignored {}: {why}.", strip(f)));
    }
    for e in &report.failed {
        notice.push_str(&format!(
            " Failed {}: {}: {}.",
            strip(&e.file),
            e.path,
            e.message
        ));
    }
    list_page(&state, &p, &ListParams::default(), Some(notice)).await
}

struct ProductView {
    id: String,
    vendor: String,
    name: String,
    version: String,
    needs_review: bool,
    models: String,
}

struct MatchView {
    row: MatchRow,
    site: String,
    next: Vec<(&'static str, &'static str)>,
    /// Records of the match's site it may link to: (value `kind:id`, label).
    links: Vec<(String, String)>,
    link_label: String,
    can_write: bool,
}

#[derive(Template)]
#[template(path = "advisory.html")]
struct DetailPage {
    nav: Nav,
    advisory: Advisory,
    severity: &'static str,
    max_score: String,
    history: Vec<(String, String, String)>,
    products: Vec<ProductView>,
    matches: Vec<MatchView>,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct DetailParams {
    triaged: Option<String>,
}

async fn link_options(state: &AppState, site: i64) -> Result<Vec<(String, String)>, StoreError> {
    let q = ListQuery {
        scope: Scope::Limited {
            sites: vec![site],
            records: Vec::new(),
        },
        ..ListQuery::default()
    };
    let mut out = Vec::new();
    for kind in [
        &TREATMENT_KIND,
        &otkeep_core::config_kinds::CHANGE_KIND,
        &EXCEPTION_KIND,
    ] {
        for r in state.store.list_all(kind, &q).await? {
            out.push((
                format!("{}:{}", kind.name, r.id),
                format!("{}: {}", kind.label, r.title()),
            ));
        }
    }
    Ok(out)
}

async fn detail_page(
    state: &AppState,
    p: &Principal,
    id: i64,
    error: Option<String>,
    notice: Option<String>,
) -> Result<DetailPage, UiError> {
    let (advisory, history) = state
        .store
        .advisory(id)
        .await?
        .ok_or_else(|| UiError::NotFound(format!("There is no advisory #{id}.")))?;
    let scope = p.access.read_scope(&ASSET_KIND);
    let rows = state.store.advisory_matches(&scope, Some(id), None).await?;
    let codes = site_codes(state).await?;
    let mut links_by_site: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    let mut matches = Vec::new();
    for row in rows {
        let can_write = p.access.may(Capability::Write, Some(row.site_id));
        if can_write && !links_by_site.contains_key(&row.site_id) {
            links_by_site.insert(row.site_id, link_options(state, row.site_id).await?);
        }
        let link_label = match &row.link {
            Some((k, i)) => otkeep_core::kind(k)
                .map(|kind| format!("{} #{i}", kind.label))
                .unwrap_or_default(),
            None => String::new(),
        };
        matches.push(MatchView {
            site: codes.get(&row.site_id).cloned().unwrap_or_default(),
            next: row
                .status
                .next()
                .iter()
                .map(|t| (t.key(), t.label()))
                .collect(),
            links: links_by_site.get(&row.site_id).cloned().unwrap_or_default(),
            link_label,
            can_write,
            row,
        });
    }
    let products = advisory
        .products
        .iter()
        .map(|pr| ProductView {
            id: pr.id.clone(),
            vendor: pr.vendor.clone(),
            name: pr.name.clone(),
            needs_review: matches!(VersionSpec::parse(&pr.version), VersionSpec::Unreadable(_)),
            version: if pr.version.is_empty() {
                "all versions".into()
            } else {
                VersionSpec::parse(&pr.version).describe()
            },
            models: otkeep_core::advisory::model_numbers(pr).join(", "),
        })
        .collect();
    Ok(DetailPage {
        nav: Nav::new("advisories", p),
        severity: advisory.severity(),
        max_score: advisory
            .max_score()
            .map_or("–".into(), |s| format!("{s:.1}")),
        history,
        products,
        matches,
        advisory,
        error,
        notice,
    })
}

pub async fn detail(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Query(params): Query<DetailParams>,
) -> Result<Response, UiError> {
    p.read_scope(&ASSET_KIND)?;
    let notice = params.triaged.map(|_| "Triage saved.".to_string());
    let page = detail_page(&state, &p, id, None, notice).await?;
    Ok(render(StatusCode::OK, &page))
}

/// Every field is defaulted so that access is decided before the form is looked at.
#[derive(serde::Deserialize)]
pub struct TriageForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    justification: String,
    /// `treatment:12` or `exception:3`.
    #[serde(default)]
    link: String,
    #[serde(default)]
    version: i64,
}

fn parse_link(link: &str) -> Option<(String, i64)> {
    let (k, i) = link.split_once(':')?;
    Some((k.to_string(), i.parse().ok()?))
}

/// Loads a match the principal may see and change.
async fn writable_match(state: &AppState, p: &Principal, id: i64) -> Result<MatchRow, UiError> {
    let scope = p.access.read_scope(&ASSET_KIND);
    let m = state
        .store
        .advisory_matches(&scope, None, None)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| UiError::NotFound(format!("There is no match #{id}.")))?;
    p.require(Capability::Write, Some(m.site_id))?;
    Ok(m)
}

async fn apply_triage(
    state: &AppState,
    p: &Principal,
    id: i64,
    version: i64,
    step: &TriageStep,
) -> Result<MatchRow, StoreError> {
    let mut tx = state.store.begin_write(p.name(), None).await?;
    tx.triage(id, version, step).await?;
    tx.commit().await?;
    let scope = p.access.read_scope(&ASSET_KIND);
    state
        .store
        .advisory_matches(&scope, None, None)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or(StoreError::NotFound {
            kind: "advisory_match",
            id,
        })
}

/// One triage step from the advisory page.
pub async fn triage(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Form(form): Form<TriageForm>,
) -> Result<Response, UiError> {
    let m = writable_match(&state, &p, id).await?;
    let step = TriageStep {
        to: Triage::from_key(&form.status).ok_or_else(|| {
            UiError::BadRequest(format!("'{}' is not a triage state", form.status))
        })?,
        justification: form.justification,
        link: parse_link(&form.link),
    };
    match apply_triage(&state, &p, id, form.version, &step).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/advisories/{}?triaged=1#match-{id}",
            m.advisory_id
        ))
        .into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict { .. })) => {
            let message = match &e {
                StoreError::Invalid(errors) => errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                other => format!("{other}: reload the page to see the current state"),
            };
            let page = detail_page(
                &state,
                &p,
                m.advisory_id,
                Some(format!("Not saved: {message}")),
                None,
            )
            .await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

/// The advisories matching one asset, for its detail page: (href, text, status label).
pub(crate) async fn asset_lines(
    state: &AppState,
    record: &Record,
) -> Result<Vec<(String, String, &'static str)>, StoreError> {
    if record.kind.name != ASSET_KIND.name {
        return Ok(Vec::new());
    }
    let scope = Scope::Limited {
        sites: record.site_id().into_iter().collect(),
        records: Vec::new(),
    };
    Ok(state
        .store
        .advisory_matches(&scope, None, Some(record.id))
        .await?
        .into_iter()
        .map(|m| {
            (
                format!("/advisories/{}#match-{}", m.advisory_id, m.id),
                format!(
                    "{} {} ({}): {}",
                    m.tracking_id, m.advisory_title, m.severity, m.reason
                ),
                m.status.label(),
            )
        })
        .collect())
}

// ---------------------------------------------------------------- JSON API

fn match_json(m: &MatchRow) -> serde_json::Value {
    json!({
        "id": m.id, "advisory_id": m.advisory_id, "tracking_id": m.tracking_id,
        "asset_id": m.asset_id, "asset": m.asset_name, "site_id": m.site_id,
        "product_id": m.product_id, "confidence": m.confidence, "reason": m.reason,
        "status": m.status.key(), "justification": m.justification,
        "link": m.link.as_ref().map(|(k, i)| json!({"kind": k, "id": i})),
        "version": m.version, "updated_at": m.updated_at, "updated_by": m.updated_by,
    })
}

/// `GET /api/v1/advisories`: the list with the filters of the page (`site`, `severity`,
/// `status`, `exploited=1`, `q`, `show=all`).
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<ListParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (_, scope, filter) = filter_of(&p, &params)?;
    let rows = state.store.advisories(&scope, &filter).await?;
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|a| {
            json!({"id": a.id, "tracking_id": a.tracking_id, "title": a.title, "publisher": a.publisher,
                   "version": a.version, "current_release": a.current_release, "severity": a.severity,
                   "max_score": a.max_score, "known_exploited": a.known_exploited, "cves": a.cves,
                   "matches": a.matches, "open": a.open})
        })
        .collect();
    Ok(Json(json!({"total": items.len(), "items": items})))
}

/// `GET /api/v1/advisories/{id}`: the normalised advisory and its matches within reach.
pub async fn api_read(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    p.read_scope(&ASSET_KIND)?;
    let (advisory, history) = state.store.advisory(id).await?.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, format!("there is no advisory #{id}"))
    })?;
    let scope = p.access.read_scope(&ASSET_KIND);
    let matches: Vec<serde_json::Value> = state
        .store
        .advisory_matches(&scope, Some(id), None)
        .await?
        .iter()
        .map(match_json)
        .collect();
    Ok(Json(json!({
        "id": id, "advisory": advisory,
        "history": history.iter().map(|(v, r, at)| json!({"version": v, "current_release": r, "replaced_at": at})).collect::<Vec<_>>(),
        "matches": matches,
    })))
}

#[derive(serde::Deserialize)]
pub struct TriageJson {
    status: String,
    #[serde(default)]
    justification: String,
    #[serde(default)]
    link: Option<LinkJson>,
    version: i64,
}

#[derive(serde::Deserialize)]
pub struct LinkJson {
    kind: String,
    id: i64,
}

/// `POST /api/v1/advisory-matches/{id}/triage` with `{status, justification, link: {kind,
/// id}, version}`.
pub async fn api_triage(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<TriageJson>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let scope = p.access.read_scope(&ASSET_KIND);
    let m = state
        .store
        .advisory_matches(&scope, None, None)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("there is no match #{id}")))?;
    p.require(Capability::Write, Some(m.site_id))?;
    let Json(body) = body?;
    let to = Triage::from_key(&body.status).ok_or_else(|| {
        let keys: Vec<&str> = TRIAGE_STATES.iter().map(|t| t.key()).collect();
        ApiError::invalid(vec![otkeep_core::FieldError::new(
            "status",
            format!("'{}' is not one of: {}", body.status, keys.join(", ")),
        )])
    })?;
    let step = TriageStep {
        to,
        justification: body.justification,
        link: body.link.map(|l| (l.kind, l.id)),
    };
    let m = apply_triage(&state, &p, id, body.version, &step).await?;
    Ok(Json(match_json(&m)))
}
