//! Generated reports (issue 10): the documents auditors and plant managers ask for, made from
//! the records on demand, for one site or the organization, as of today or a past date.
//!
//! - [`REPORTS`] lists them; [`build`] turns records into an `otkeep_report::document::Document`
//!   (cover with the audit trail position and the record versions used, then sections);
//!   `otkeep_report::document` renders it as HTML and XLSX, `otkeep_pdf` as PDF.
//! - A past date is served from `Store::as_of`: the records rebuilt from the audit trail as they
//!   stood at the end of that day (UTC), so the same builders make the historical document.
//! - Routes: `GET /reports` (choose), `/reports/{slug}` (HTML), `/reports/{slug}/pdf`,
//!   `/reports/{slug}/xlsx`, and `GET /api/v1/reports/{slug}?format=json|pdf|xlsx`; all take
//!   `site_id` (or `site` = code on the API), `as_of`, `from`, `to`. The CLI's `otkeep report`
//!   calls [`generate`].

pub mod build;

use crate::AppState;
use crate::api::ApiError;
use crate::auth::Principal;
use crate::gap::attachment;
use crate::model::{site_options, site_param};
use crate::ui::{Nav, UiError, render};
use crate::view::SelectOption;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use otkeep_core::Record;
use otkeep_core::access::Access;
use otkeep_core::kinds::{SITE_KIND, ZONE_KIND};
use otkeep_report::document::{Cover, Document};
use otkeep_store::{Store, StoreError};

/// The reports otkeep generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Inventory,
    Zones,
    SlJustification,
    Gap,
    Risk,
    Exceptions,
    Vulnerabilities,
    Changes,
    Operations,
    Kpis,
}

/// A report's name in URLs, its title and what it covers.
pub struct ReportDef {
    pub kind: ReportKind,
    pub slug: &'static str,
    pub title: &'static str,
    pub covers: &'static str,
    /// Whether it reads a period (`from`, `to`).
    pub period: bool,
}

pub static REPORTS: &[ReportDef] = &[
    ReportDef {
        kind: ReportKind::Inventory,
        slug: "inventory",
        title: "Asset inventory",
        covers: "Every asset with its zone, type, vendor, model, firmware, criticality and owner.",
        period: false,
    },
    ReportDef {
        kind: ReportKind::Zones,
        slug: "zones",
        title: "Zone and conduit model",
        covers: "The zones and conduits with their SL-T vectors, the diagram (site reports) and every channel a conduit allows.",
        period: false,
    },
    ReportDef {
        kind: ReportKind::SlJustification,
        slug: "sl-justification",
        title: "SL-T justification",
        covers: "The target security level of each zone and conduit and the justification recorded for it.",
        period: false,
    },
    ReportDef {
        kind: ReportKind::Gap,
        slug: "gap",
        title: "Gap analysis",
        covers: "IEC 62443-3-3 requirements in force per zone and conduit, SL-A against SL-T per foundational requirement, and the open requirements.",
        period: false,
    },
    ReportDef {
        kind: ReportKind::Risk,
        slug: "risk",
        title: "Risk register and treatment plan",
        covers: "Every risk with its inherent and residual rating under its assessment's method version, and the treatment actions.",
        period: false,
    },
    ReportDef {
        kind: ReportKind::Exceptions,
        slug: "exceptions",
        title: "Exceptions register",
        covers: "Every exception with its compensating measures, expiry and approval state.",
        period: false,
    },
    ReportDef {
        kind: ReportKind::Vulnerabilities,
        slug: "vulnerabilities",
        title: "Vulnerability status",
        covers: "Security advisories matched to the assets and their triage status.",
        period: false,
    },
    ReportDef {
        kind: ReportKind::Changes,
        slug: "changes",
        title: "Change log",
        covers: "Change requests created or changed in the period.",
        period: true,
    },
    ReportDef {
        kind: ReportKind::Operations,
        slug: "operations",
        title: "Operations evidence",
        covers: "Patch deployments, backups, restore tests, access reviews, revocations and remote sessions in the period.",
        period: true,
    },
    ReportDef {
        kind: ReportKind::Kpis,
        slug: "kpis",
        title: "KPI report",
        covers: "The program KPIs against their targets, with their trend over the daily snapshots.",
        period: false,
    },
];

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Finds a report by its URL name.
pub fn report(slug: &str) -> Option<&'static ReportDef> {
    REPORTS.iter().find(|r| r.slug == slug)
}

/// The period a change log or operations report covers (inclusive `YYYY-MM-DD` days).
#[derive(Debug, Clone)]
pub struct Period {
    pub from: String,
    pub to: String,
}

/// What to generate, as chosen in the UI, the API or the CLI.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ReportParams {
    /// A site id (UI).
    pub site_id: Option<String>,
    /// A site code (API, CLI).
    pub site: Option<String>,
    /// `YYYY-MM-DD` (the records as they stood at the end of that day, UTC) or an RFC 3339
    /// instant.
    pub as_of: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// API only: `json` (default), `pdf`, `xlsx`, `html`.
    pub format: Option<String>,
}

fn today() -> Date {
    jiff::Zoned::now().date()
}

fn parse_day(field: &str, text: Option<&str>) -> Result<Option<Date>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t
            .parse::<Date>()
            .map(Some)
            .map_err(|_| format!("{field}: '{t}' is not a date (YYYY-MM-DD)")),
    }
}

/// A past instant to report on: the day shown on the cover and the instant (RFC 3339 UTC, as
/// stored) the records are rebuilt at.
#[derive(Debug, Clone)]
pub struct PastInstant {
    pub day: Date,
    pub at: String,
}

/// The checked choice: the past instant (`None` = now) and the period. `as_of` is a day (the
/// records at the end of it, UTC) or an RFC 3339 instant.
pub fn checked(params: &ReportParams) -> Result<(Option<PastInstant>, Period), String> {
    let today = today();
    let now = jiff::Timestamp::now();
    let as_of = match params
        .as_of
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(t) if t.len() > 10 => {
            let at: jiff::Timestamp = t.parse().map_err(|_| {
                format!("as_of: '{t}' is neither a date (YYYY-MM-DD) nor an RFC 3339 time")
            })?;
            if at > now {
                return Err(format!(
                    "as_of: {t} is in the future; a report shows what was recorded"
                ));
            }
            Some(PastInstant {
                day: at.to_zoned(jiff::tz::TimeZone::UTC).date(),
                at: at.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            })
        }
        Some(t) => {
            let day = parse_day("as_of", Some(t))?.unwrap_or(today);
            if day > today {
                return Err(format!(
                    "as_of: {day} is in the future; a report shows what was recorded"
                ));
            }
            // Today's end has not come: today means now.
            (day < today).then(|| PastInstant {
                day,
                at: format!("{day}T23:59:59.999999Z"),
            })
        }
    };
    let end = as_of.as_ref().map_or(today, |p| p.day);
    let to = parse_day("to", params.to.as_deref())?.unwrap_or(end);
    let from = parse_day("from", params.from.as_deref())?
        .unwrap_or_else(|| to.checked_sub(jiff::Span::new().days(365)).unwrap_or(to));
    if from > to {
        return Err(format!("from: {from} is after to: {to}"));
    }
    Ok((
        as_of,
        Period {
            from: from.to_string(),
            to: to.to_string(),
        },
    ))
}

fn now_utc() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}

/// The organization's name on covers (`OTKEEP_ORGANIZATION`, else "otkeep").
pub fn organization() -> String {
    std::env::var("OTKEEP_ORGANIZATION")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "otkeep".into())
}

/// Generates `def` for `site` (or the organization) as `access` may see it, from the live
/// records or, with `as_of`, from the records rebuilt as of the end of that day (UTC).
pub async fn generate(
    store: &Store,
    access: &Access,
    def: &ReportDef,
    site: Option<&Record>,
    as_of: Option<PastInstant>,
    period: Period,
    generated_by: &str,
) -> Result<Document, StoreError> {
    let rebuilt = match &as_of {
        Some(p) => Some(store.as_of(&p.at, site.map(|s| s.id)).await?),
        None => None,
    };
    let (source, seq, hash) = match &rebuilt {
        Some(r) => (&r.store, r.seq, r.hash.clone()),
        None => {
            let (seq, hash) = store.audit_position(None).await?;
            (store, seq, hash)
        }
    };
    // The site as it was then (its name may have changed since).
    let site_then = match (site, &rebuilt) {
        (Some(s), Some(r)) => match r.store.get(&SITE_KIND, s.id).await? {
            Some(then) => Some(then),
            None => {
                return Err(StoreError::Invalid(vec![otkeep_core::FieldError::new(
                    "as_of",
                    format!(
                        "site {} did not exist yet at {}",
                        s.title(),
                        as_of.as_ref().map(|p| p.at.as_str()).unwrap_or_default()
                    ),
                )]));
            }
        },
        (Some(s), None) => Some(s.clone()),
        _ => None,
    };
    let day = as_of.as_ref().map_or_else(today, |p| p.day);
    let scope = site_then.as_ref().map_or_else(
        || "All sites".to_string(),
        |s| format!("{} {}", s.get("code").to_text(), s.get("name").to_text()),
    );
    let cover = Cover {
        title: def.title.to_string(),
        covers: if def.period {
            format!("{} Period {} to {}.", def.covers, period.from, period.to)
        } else {
            def.covers.to_string()
        },
        organization: organization(),
        scope,
        as_of: as_of
            .as_ref()
            .map_or_else(|| day.to_string(), |p| p.at.clone()),
        point_in_time: as_of.is_some(),
        generated_at: now_utc(),
        generated_by: generated_by.to_string(),
        audit_seq: seq,
        audit_hash: hash,
        sources: Vec::new(),
        signatures: Vec::new(),
    };
    let mut ctx = build::Ctx::new(source, access, site_then.as_ref(), day, period);
    build::document(&mut ctx, def.kind, cover).await
}

/// Renders a document as PDF off the async threads (layout is CPU work).
pub async fn pdf(doc: Document) -> Result<Vec<u8>, String> {
    tokio::task::spawn_blocking(move || otkeep_pdf::render(&doc).map_err(|e| e.to_string()))
        .await
        .map_err(|e| format!("the PDF renderer stopped: {e}"))?
}

/// The download name: `gap-PLT1-2026-11-28.pdf`.
fn file_name(def: &ReportDef, doc: &Document, site: Option<&Record>, ext: &str) -> String {
    let scope = site.map_or("organization".to_string(), |s| s.get("code").to_text());
    let safe: String = scope
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let day = doc.cover.as_of.get(..10).unwrap_or("");
    format!("{}-{safe}-{day}.{ext}", def.slug)
}

#[derive(Template)]
#[template(path = "reports.html")]
struct IndexPage {
    nav: Nav,
    reports: &'static [ReportDef],
    sites: Vec<SelectOption>,
    query: String,
    as_of: String,
    from: String,
    to: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    nav: Nav,
    title: String,
    body: String,
    query: String,
    slug: &'static str,
}

/// The chosen site, read with the reader's rights (404 when out of reach).
async fn chosen(
    state: &AppState,
    p: &Principal,
    params: &ReportParams,
) -> Result<Option<Record>, UiError> {
    site_param(state, p, params.site_id.as_deref(), params.site.as_deref()).await
}

fn query_of(params: &ReportParams) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("site_id", params.site_id.as_deref()),
        ("site", params.site.as_deref()),
        ("as_of", params.as_of.as_deref()),
        ("from", params.from.as_deref()),
        ("to", params.to.as_deref()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.filter(|v| !v.trim().is_empty()).map(|v| (k, v)))
    .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// `GET /reports`: choose a report, a site or the organization, a date and a period.
pub async fn index(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<ReportParams>,
) -> Result<Response, UiError> {
    p.read_scope(&ZONE_KIND)?;
    let site = chosen(&state, &p, &params).await?;
    let page = IndexPage {
        nav: Nav::new("reports", &p),
        reports: REPORTS,
        sites: site_options(&state, &p, site.as_ref().map(|s| s.id)).await?,
        query: query_of(&params),
        as_of: params.as_of.clone().unwrap_or_default(),
        from: params.from.clone().unwrap_or_default(),
        to: params.to.clone().unwrap_or_default(),
    };
    Ok(render(StatusCode::OK, &page))
}

async fn document_for(
    state: &AppState,
    p: &Principal,
    slug: &str,
    params: &ReportParams,
) -> Result<(&'static ReportDef, Document, Option<Record>), UiError> {
    // Reports describe the program (zones, requirements, registers): not for vendors, who
    // see one asset.
    p.read_scope(&ZONE_KIND)?;
    let def =
        report(slug).ok_or_else(|| UiError::NotFound(format!("There is no report '{slug}'.")))?;
    let site = chosen(state, p, params).await?;
    let (as_of, period) = checked(params).map_err(UiError::BadRequest)?;
    let doc = generate(
        &state.store,
        &p.access,
        def,
        site.as_ref(),
        as_of,
        period,
        &p.account.username,
    )
    .await?;
    Ok((def, doc, site))
}

/// `GET /reports/{slug}`: the report as a page.
pub async fn page(
    State(state): State<AppState>,
    p: Principal,
    Path(slug): Path<String>,
    Query(params): Query<ReportParams>,
) -> Result<Response, UiError> {
    // Read-only: a fresh read replica may serve it.
    let state = state.for_heavy_reads().await;
    let (def, doc, _) = document_for(&state, &p, &slug, &params).await?;
    let page = ReportPage {
        nav: Nav::new("reports", &p),
        title: format!("{} · {}", def.title, doc.cover.scope),
        body: otkeep_report::document::html_body(&doc),
        query: query_of(&params),
        slug: def.slug,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `GET /reports/{slug}/pdf`.
pub async fn pdf_download(
    State(state): State<AppState>,
    p: Principal,
    Path(slug): Path<String>,
    Query(params): Query<ReportParams>,
) -> Result<Response, UiError> {
    // Read-only: a fresh read replica may serve it.
    let state = state.for_heavy_reads().await;
    let (def, doc, site) = document_for(&state, &p, &slug, &params).await?;
    let name = file_name(def, &doc, site.as_ref(), "pdf");
    let bytes = pdf(doc).await.map_err(UiError::Internal)?;
    Ok(attachment("application/pdf", &name, bytes))
}

/// `GET /reports/{slug}/xlsx`.
pub async fn xlsx_download(
    State(state): State<AppState>,
    p: Principal,
    Path(slug): Path<String>,
    Query(params): Query<ReportParams>,
) -> Result<Response, UiError> {
    // Read-only: a fresh read replica may serve it.
    let state = state.for_heavy_reads().await;
    let (def, doc, site) = document_for(&state, &p, &slug, &params).await?;
    let name = file_name(def, &doc, site.as_ref(), "xlsx");
    let bytes = otkeep_report::document::xlsx(&doc).map_err(UiError::Internal)?;
    Ok(attachment(XLSX, &name, bytes))
}

fn internal(message: String) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
}

/// `GET /api/v1/reports`: the reports and their parameters.
pub async fn api_list(p: Principal) -> Result<Response, ApiError> {
    p.read_scope(&ZONE_KIND)?;
    let list: Vec<_> = REPORTS
        .iter()
        .map(|r| {
            serde_json::json!({
                "slug": r.slug, "title": r.title, "covers": r.covers, "period": r.period,
                "formats": ["json", "html", "pdf", "xlsx"],
            })
        })
        .collect();
    Ok(axum::Json(list).into_response())
}

/// `GET /api/v1/reports/{slug}?site=CODE&as_of=…&format=json|pdf|xlsx|html`.
pub async fn api_report(
    State(state): State<AppState>,
    p: Principal,
    Path(slug): Path<String>,
    Query(params): Query<ReportParams>,
) -> Result<Response, ApiError> {
    // Read-only: a fresh read replica may serve it.
    let state = state.for_heavy_reads().await;
    let format = params.format.clone().unwrap_or_else(|| "json".into());
    if !["json", "pdf", "xlsx", "html"].contains(&format.as_str()) {
        return Err(ApiError::invalid(vec![otkeep_core::FieldError::new(
            "format",
            format!("'{format}' is not a format: json, pdf, xlsx or html"),
        )]));
    }
    let (def, doc, site) = document_for(&state, &p, &slug, &params)
        .await
        .map_err(ApiError::from)?;
    Ok(match format.as_str() {
        "pdf" => {
            let name = file_name(def, &doc, site.as_ref(), "pdf");
            attachment("application/pdf", &name, pdf(doc).await.map_err(internal)?)
        }
        "xlsx" => {
            let name = file_name(def, &doc, site.as_ref(), "xlsx");
            attachment(
                XLSX,
                &name,
                otkeep_report::document::xlsx(&doc).map_err(internal)?,
            )
        }
        "html" => (
            [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
            otkeep_report::document::html_body(&doc),
        )
            .into_response(),
        _ => axum::Json(doc).into_response(),
    })
}
