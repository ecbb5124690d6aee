//! Risk pages: the register (`/risk`, per site or the organization; CSV and XLSX), the heat map
//! (`/risk/heatmap.svg`), the risk method (`/risk/method`: view, download, new version), the
//! state lines of risk records on their detail pages, and applying a risk assessment's
//! recommended SL-T to its zones.

use crate::AppState;
use crate::auth::Principal;
use crate::gap::{attachment, today};
use crate::model::{chosen_site, site_codes, site_options};
use crate::ui::{Nav, UiError, render};
use crate::view::SelectOption;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::access::{Capability, Scope};
use otkeep_core::kinds::ZONE_KIND;
use otkeep_core::risk::{Rating, RiskMethod};
use otkeep_core::risk_kinds::{RISK_ASSESSMENT_KIND, RISK_KIND, THREAT_SOURCES};
use otkeep_core::{Record, Value};
use otkeep_store::{ExceptionState, RegisterRow, StoreError};
use std::collections::HashMap;

/// A rating as shown: "High (L3 × I4)" with the level's colour.
#[derive(Clone, Default)]
struct RatingView {
    text: String,
    colour: String,
    /// Level index for sorting (-1 when unrated).
    rank: i64,
}

fn rating_view(method: &RiskMethod, rating: Option<Rating>) -> RatingView {
    match rating {
        None => RatingView {
            text: "not rated".into(),
            colour: String::new(),
            rank: -1,
        },
        Some(r) => {
            let level = &method.levels[r.level];
            RatingView {
                text: format!("{} (L{} × I{})", level.label, r.likelihood, r.impact),
                colour: level.colour.clone(),
                rank: r.level as i64,
            }
        }
    }
}

struct RegisterLine {
    href: String,
    name: String,
    site: String,
    assessment: Option<(String, String)>,
    source: String,
    inherent: RatingView,
    residual: RatingView,
    treatment: String,
    owner: String,
    method_version: i64,
}

struct ExceptionLine {
    href: String,
    name: String,
    site: String,
    residual: String,
    expiry: String,
    state: String,
    state_key: &'static str,
}

#[derive(Template)]
#[template(path = "risk.html")]
struct RegisterPage {
    nav: Nav,
    sites: Vec<SelectOption>,
    site_query: String,
    levels: Vec<SelectOption>,
    sort: String,
    lines: Vec<RegisterLine>,
    exceptions: Vec<ExceptionLine>,
    method_name: String,
    method_version: i64,
}

#[derive(serde::Deserialize, Default)]
pub struct RegisterParams {
    site_id: Option<String>,
    /// Only risks whose residual (else inherent) level has this key.
    level: Option<String>,
    /// `inherent` (default), `residual` or `name`.
    sort: Option<String>,
}

fn register_lines(
    rows: &[RegisterRow],
    codes: &HashMap<i64, String>,
    params: &RegisterParams,
) -> Vec<RegisterLine> {
    let level = params.level.as_deref().filter(|l| !l.is_empty());
    let mut lines: Vec<RegisterLine> = rows
        .iter()
        .filter(|r| {
            let Some(key) = level else { return true };
            let shown = r.residual.or(r.inherent);
            shown.is_some_and(|s| r.method.levels[s.level].key == key)
        })
        .map(|r| {
            let source = r.risk.get("threat_source").to_text();
            RegisterLine {
                href: format!("/risks/{}", r.risk.id),
                name: r.risk.title(),
                site: r
                    .risk
                    .site_id()
                    .and_then(|s| codes.get(&s).cloned())
                    .unwrap_or_default(),
                assessment: r
                    .assessment
                    .as_ref()
                    .map(|(id, t)| (format!("/risk-assessments/{id}"), t.clone())),
                source: THREAT_SOURCES
                    .iter()
                    .find(|c| c.key == source)
                    .map_or(source.clone(), |c| c.label.to_string()),
                inherent: rating_view(&r.method, r.inherent),
                residual: rating_view(&r.method, r.residual),
                treatment: r.risk.get("treatment").to_text(),
                owner: r.risk.get("owner").to_text(),
                method_version: r.method_version,
            }
        })
        .collect();
    match params.sort.as_deref() {
        Some("name") => lines.sort_by(|a, b| a.name.cmp(&b.name)),
        Some("residual") => lines.sort_by(|a, b| {
            (b.residual.rank, b.inherent.rank, &a.name).cmp(&(
                a.residual.rank,
                a.inherent.rank,
                &b.name,
            ))
        }),
        _ => lines.sort_by(|a, b| {
            (b.inherent.rank, b.residual.rank, &a.name).cmp(&(
                a.inherent.rank,
                a.residual.rank,
                &b.name,
            ))
        }),
    }
    lines
}

/// The register's scope and the method in force for the chosen site (or the organization).
async fn register_scope(
    state: &AppState,
    p: &Principal,
    site: Option<&str>,
) -> Result<(Option<i64>, Scope, otkeep_store::MethodVersion), UiError> {
    let readable = p.read_scope(&RISK_KIND)?;
    let (chosen, scope) = chosen_site(site, readable);
    let method = state.store.risk_method(chosen).await?;
    Ok((chosen, scope, method))
}

pub async fn register(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<RegisterParams>,
) -> Result<Response, UiError> {
    let (chosen, scope, method) = register_scope(&state, &p, params.site_id.as_deref()).await?;
    let rows = state.store.risk_register(&scope).await?;
    let codes = site_codes(&state).await?;
    let lines = register_lines(&rows, &codes, &params);
    let exceptions = state
        .store
        .exceptions(&scope, &today())
        .await?
        .into_iter()
        .map(|e| ExceptionLine {
            href: format!("/exceptions/{}", e.record.id),
            name: e.record.title(),
            site: e
                .record
                .site_id()
                .and_then(|s| codes.get(&s).cloned())
                .unwrap_or_default(),
            residual: e.record.get("residual_risk").to_text(),
            expiry: e.record.get("expiry_date").to_text(),
            state: e.state.describe(),
            state_key: e.state.key(),
        })
        .collect();
    let level = params.level.clone().unwrap_or_default();
    Ok(render(
        StatusCode::OK,
        &RegisterPage {
            nav: Nav::new("risk", &p),
            sites: site_options(&state, &p, chosen).await?,
            site_query: chosen.map_or(String::new(), |s| format!("?site_id={s}")),
            levels: method
                .method
                .levels
                .iter()
                .map(|l| SelectOption {
                    value: l.key.clone(),
                    label: l.label.clone(),
                    selected: l.key == level,
                    group: String::new(),
                })
                .collect(),
            sort: params.sort.clone().unwrap_or_else(|| "inherent".into()),
            lines,
            exceptions,
            method_name: method.method.name.clone(),
            method_version: method.version,
        },
    ))
}

const REGISTER_HEADERS: &[&str] = &[
    "Risk",
    "Site",
    "Risk assessment",
    "Threat source",
    "Inherent risk",
    "Residual risk",
    "Treatment",
    "Owner",
    "Risk method version",
];

async fn register_table(
    state: &AppState,
    p: &Principal,
    params: &RegisterParams,
) -> Result<Vec<Vec<String>>, UiError> {
    let (_, scope, _) = register_scope(state, p, params.site_id.as_deref()).await?;
    let rows = state.store.risk_register(&scope).await?;
    let codes = site_codes(state).await?;
    Ok(register_lines(&rows, &codes, params)
        .into_iter()
        .map(|l| {
            vec![
                l.name,
                l.site,
                l.assessment.map(|a| a.1).unwrap_or_default(),
                l.source,
                l.inherent.text,
                l.residual.text,
                l.treatment,
                l.owner,
                l.method_version.to_string(),
            ]
        })
        .collect())
}

pub async fn register_csv(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<RegisterParams>,
) -> Result<Response, UiError> {
    // Read-only: a fresh read replica may serve it.
    let state = state.for_heavy_reads().await;
    let rows = register_table(&state, &p, &params).await?;
    let bytes = otkeep_report::write_table(REGISTER_HEADERS, &rows, Vec::new())
        .map_err(|e| UiError::Internal(e.to_string()))?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        "risk-register.csv",
        bytes,
    ))
}

pub async fn register_xlsx(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<RegisterParams>,
) -> Result<Response, UiError> {
    // Read-only: a fresh read replica may serve it.
    let state = state.for_heavy_reads().await;
    let rows = register_table(&state, &p, &params).await?;
    let bytes = otkeep_report::write_xlsx(&[otkeep_report::Sheet {
        name: "Risk register",
        headers: REGISTER_HEADERS,
        rows: &rows,
    }])
    .map_err(UiError::Internal)?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "risk-register.xlsx",
        bytes,
    ))
}

pub async fn heatmap(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<RegisterParams>,
) -> Result<Response, UiError> {
    let (chosen, scope, method) = register_scope(&state, &p, params.site_id.as_deref()).await?;
    let rows = state.store.risk_register(&scope).await?;
    let m = &method.method;
    let (nl, ni) = (m.likelihood.len(), m.impact.len());
    let mut inherent = vec![vec![0usize; ni]; nl];
    let mut residual = vec![vec![0usize; ni]; nl];
    for r in &rows {
        for (grid, rating) in [(&mut inherent, r.inherent), (&mut residual, r.residual)] {
            if let Some(x) = rating {
                let l = usize::from(x.likelihood).clamp(1, nl) - 1;
                let i = usize::from(x.impact).clamp(1, ni) - 1;
                grid[l][i] += 1;
            }
        }
    }
    let title = match chosen {
        Some(s) => format!(
            "Risk heat map, site {}",
            site_codes(&state).await?.remove(&s).unwrap_or_default()
        ),
        None => "Risk heat map, organization".to_string(),
    };
    let map = otkeep_report::heatmap::HeatMap {
        title,
        likelihood: m.likelihood.iter().map(|s| s.label.clone()).collect(),
        impact: m.impact.iter().map(|s| s.label.clone()).collect(),
        colours: m
            .grid()
            .iter()
            .map(|row| row.iter().map(|l| m.levels[*l].colour.clone()).collect())
            .collect(),
        inherent,
        residual,
    };
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "image/svg+xml; charset=utf-8",
        )],
        otkeep_report::heatmap::risk_heatmap(&map),
    )
        .into_response())
}

// ---------------------------------------------------------------- the risk method

struct MatrixRow {
    label: String,
    cells: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "risk_method.html")]
struct MethodPage {
    nav: Nav,
    sites: Vec<SelectOption>,
    site_id: String,
    method: RiskMethod,
    version: i64,
    scope_label: String,
    created: String,
    matrix: Vec<MatrixRow>,
    versions: Vec<(i64, String, String, String)>,
    can_write: bool,
    document: String,
    errors: Vec<String>,
    saved: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct MethodParams {
    site_id: Option<String>,
    saved: Option<String>,
}

async fn method_page(
    state: &AppState,
    p: &Principal,
    site: Option<i64>,
    document: Option<String>,
    errors: Vec<String>,
    saved: bool,
) -> Result<MethodPage, UiError> {
    let current = state.store.risk_method(site).await?;
    let codes = site_codes(state).await?;
    let m = &current.method;
    let grid = m.grid();
    let matrix = (0..m.likelihood.len())
        .rev()
        .map(|l| MatrixRow {
            label: format!("{} {}", l + 1, m.likelihood[l].label),
            cells: grid[l]
                .iter()
                .map(|lv| (m.levels[*lv].label.clone(), m.levels[*lv].colour.clone()))
                .collect(),
        })
        .collect();
    let may_write = match site {
        None => p.access.may(Capability::Write, None),
        Some(s) => p.access.may(Capability::Write, Some(s)),
    };
    Ok(MethodPage {
        nav: Nav::new("risk-method", p),
        sites: site_options(state, p, site).await?,
        site_id: site.map_or(String::new(), |s| s.to_string()),
        scope_label: match current.site {
            Some(s) => format!("site {}", codes.get(&s).cloned().unwrap_or_default()),
            None => "the organization".into(),
        },
        created: format!("{} by {}", current.created_at, current.created_by),
        version: current.version,
        document: document
            .unwrap_or_else(|| serde_json::to_string_pretty(&current.method).unwrap_or_default()),
        can_write: may_write,
        matrix,
        versions: state
            .store
            .risk_method_versions()
            .await?
            .into_iter()
            .filter(|v| v.site.is_none() || v.site == site)
            .map(|v| {
                (
                    v.version,
                    v.site.map_or("organization".into(), |s| {
                        format!("site {}", codes.get(&s).cloned().unwrap_or_default())
                    }),
                    v.created_at,
                    v.created_by,
                )
            })
            .collect(),
        method: current.method,
        errors,
        saved,
    })
}

/// The site of `?site_id=` for the method pages, which need read access to risk records (and
/// to that site when one is named).
fn site_param(p: &Principal, raw: Option<&str>) -> Result<Option<i64>, UiError> {
    p.read_scope(&RISK_KIND)?;
    let site = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| UiError::BadRequest(format!("'{s}' is not a site id")))
        })
        .transpose()?;
    if let Some(s) = site {
        p.require(Capability::Read, Some(s))?;
    }
    Ok(site)
}

pub async fn method(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<MethodParams>,
) -> Result<Response, UiError> {
    let site = site_param(&p, params.site_id.as_deref())?;
    let page = method_page(&state, &p, site, None, Vec::new(), params.saved.is_some()).await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn method_json(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<MethodParams>,
) -> Result<Response, UiError> {
    let site = site_param(&p, params.site_id.as_deref())?;
    let current = state.store.risk_method(site).await?;
    let body = serde_json::to_string_pretty(&current.method)
        .map_err(|e| UiError::Internal(e.to_string()))?;
    Ok(attachment(
        "application/json",
        &format!("risk-method-v{}.json", current.version),
        body.into_bytes(),
    ))
}

#[derive(serde::Deserialize)]
pub struct MethodForm {
    site_id: Option<String>,
    // Defaulted so that authorization is decided before the document is looked at.
    #[serde(default)]
    document: String,
    #[serde(default)]
    reason: String,
}

/// Stores a new version of the organization's method (needs write access to every site) or a
/// site's own (write access to the site, and the organization's method must allow it).
pub async fn method_save(
    State(state): State<AppState>,
    p: Principal,
    Form(form): Form<MethodForm>,
) -> Result<Response, UiError> {
    let site = site_param(&p, form.site_id.as_deref())?;
    p.require(Capability::Write, site)?;
    let errors = match RiskMethod::parse(&form.document) {
        Err(errors) => errors.iter().map(|e| e.to_string()).collect(),
        Ok(method) => {
            let mut tx = state
                .store
                .begin_write(p.name(), Some(form.reason.as_str()))
                .await?;
            match tx.set_risk_method(site, &method).await {
                Ok(_) => {
                    tx.commit().await?;
                    let to = match site {
                        Some(s) => format!("/risk/method?site_id={s}&saved=1"),
                        None => "/risk/method?saved=1".to_string(),
                    };
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(StoreError::Invalid(errors)) => errors.iter().map(|e| e.to_string()).collect(),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let page = method_page(&state, &p, site, Some(form.document), errors, false).await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

// ---------------------------------------------------------------- records

/// What the detail page of a risk record says about its state, as (badge key, text) lines.
/// Who approved a change or remote session for each required group, and who is awaited.
async fn approval_lines(
    state: &AppState,
    record: &Record,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(state
        .store
        .change_approvals(record)
        .await?
        .into_iter()
        .map(|g| match g.signed_by {
            Some(by) => ("ok".into(), format!("{}: approved by {by}", g.label)),
            None => (
                "todo".into(),
                format!(
                    "{}: awaiting the signature of a {}",
                    g.label,
                    g.roles.join(" or ").replace('_', " ")
                ),
            ),
        })
        .collect())
}

pub(crate) async fn status_lines(
    state: &AppState,
    record: &Record,
) -> Result<Vec<(String, String)>, StoreError> {
    let scope = Scope::Limited {
        sites: record.site_id().into_iter().collect(),
        records: Vec::new(),
    };
    let mut out = Vec::new();
    match record.kind.name {
        // What observed traffic shows against the records (issue 11), when there is some.
        "site" | "zone" => {
            if let Some(site) = record.site_id()
                && !state.store.observations(site).await?.is_empty()
            {
                let findings = state.store.traffic_findings(site).await?;
                let mine = findings
                    .iter()
                    .filter(|f| {
                        record.kind.name == "site"
                            || f.records
                                .iter()
                                .any(|(k, id, _)| *k == "zones" && *id == record.id)
                    })
                    .count();
                out.push((
                    if mine == 0 { "ok" } else { "bad" }.to_string(),
                    format!(
                        "Observed traffic: {mine} finding{} against the records (Observed traffic, site {})",
                        if mine == 1 { "" } else { "s" },
                        site
                    ),
                ));
            }
        }
        "exception" => {
            if let Some(e) = state
                .store
                .exceptions(&scope, &today())
                .await?
                .into_iter()
                .find(|e| e.record.id == record.id)
            {
                let badge = match e.state {
                    ExceptionState::Approved { .. } => "ok",
                    ExceptionState::Requested => "todo",
                    _ => "bad",
                };
                out.push((badge.to_string(), e.state.describe()));
            }
        }
        "risk" => {
            if let Some(r) = state
                .store
                .risk_register(&scope)
                .await?
                .into_iter()
                .find(|r| r.risk.id == record.id)
            {
                out.push((
                    "todo".into(),
                    format!(
                        "Inherent risk: {}; residual risk: {} (risk method version {})",
                        rating_view(&r.method, r.inherent).text,
                        rating_view(&r.method, r.residual).text,
                        r.method_version
                    ),
                ));
            }
        }
        "risk_assessment" => {
            let method = state
                .store
                .risk_methods_by_version()
                .await?
                .remove(&record.get("method_version").as_int().unwrap_or(0));
            let initial = method.as_ref().and_then(|m| {
                let l = record
                    .get("initial_likelihood")
                    .as_int()
                    .and_then(|v| u8::try_from(v).ok())
                    .unwrap_or(0);
                let i = otkeep_core::risk::parse_impacts(&record.get("initial_impacts").to_text())
                    .unwrap_or_default();
                m.rate(l, &i).map(|r| (m.clone(), r))
            });
            if let Some((m, r)) = initial {
                out.push((
                    "todo".into(),
                    format!(
                        "Initial (unmitigated) risk: {}",
                        rating_view(&m, Some(r)).text
                    ),
                ));
            }
        }
        "document_version" => {
            out.extend(approval_lines(state, record).await?);
        }
        "document" => {
            out.extend(crate::governance::document_lines(state, record).await?);
        }
        "asset" | "capability_declaration" => {
            out.extend(crate::governance::capability_lines(state, record).await?);
        }
        "remote_session" => {
            out.extend(approval_lines(state, record).await?);
            let now = otkeep_core::value::datetime_text(jiff::Zoned::now().datetime());
            if let Some(flag) = otkeep_core::remote_kinds::flag_reason(&record.values, &now) {
                out.push(("todo".into(), format!("Flagged: {flag}.")));
            }
        }
        "change" => {
            out.extend(approval_lines(state, record).await?);
            let events = state.store.events_of_change(record.id, &scope).await?;
            if events.is_empty() {
                out.push((
                    "todo".into(),
                    format!(
                        "No record was changed under CR-{} yet: give 'CR-{}' as the reason of the edits made for it.",
                        record.id, record.id
                    ),
                ));
            }
            for e in events {
                let what =
                    otkeep_core::kind(&e.kind).map_or(e.kind.clone(), |k| k.label.to_string());
                out.push((
                    "ok".into(),
                    format!(
                        "Changed under CR-{}: {} {} #{} by {} on {}",
                        record.id,
                        e.action,
                        what.to_lowercase(),
                        e.record_id.unwrap_or(0),
                        e.actor,
                        e.at.get(..10).unwrap_or("")
                    ),
                ));
            }
        }
        "backup_plan" => {
            let status = state.store.backup_status(&scope).await?;
            if let Some((_, backup, restore)) = status.iter().find(|(p, _, _)| p.id == record.id) {
                let shown = |d: &Option<jiff::civil::Date>| {
                    d.map_or("never".to_string(), |d| d.to_string())
                };
                out.push((
                    if backup.is_some() { "ok" } else { "todo" }.into(),
                    format!("Last successful backup: {}", shown(backup)),
                ));
                out.push((
                    if restore.is_some() { "ok" } else { "todo" }.into(),
                    format!("Last successful restore test: {}", shown(restore)),
                ));
            }
        }
        "baseline" => {
            let kpi = state.store.baseline_kpi(record, &today()).await?;
            let badge = if kpi.percent() == 100 { "ok" } else { "todo" };
            out.push((
                badge.into(),
                format!(
                    "{} of {} assets in scope checked within {} days ({} %); {} never checked",
                    kpi.current,
                    kpi.in_scope,
                    record.get("review_interval_days").to_text(),
                    kpi.percent(),
                    kpi.never
                ),
            ));
        }
        "certificate" => {
            let flags = otkeep_core::config_kinds::weaknesses(&record.values, &today());
            if flags.is_empty() {
                out.push((
                    "ok".into(),
                    "No weakness found in its key, signature or validity.".into(),
                ));
            }
            for f in flags {
                out.push(("bad".into(), format!("Weak: {f}")));
            }
        }
        _ => {}
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    reason: String,
}

/// Applies a risk assessment's recommended SL-T to each of its zones, with its justification
/// ("Risk assessment 'RA-3' (risk method version 2): …"), in one audited transaction.
pub async fn apply_sl_t(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Form(form): Form<ApplyForm>,
) -> Result<Response, UiError> {
    let ra = state
        .store
        .get(&RISK_ASSESSMENT_KIND, id)
        .await?
        .ok_or_else(|| UiError::NotFound(format!("There is no risk assessment #{id}.")))?;
    p.require(Capability::Read, ra.site_id())?;
    p.require(Capability::Write, ra.site_id())?;
    let Value::Sl(recommended) = ra.get("sl_t_recommended").clone() else {
        return Err(UiError::BadRequest(
            "This risk assessment recommends no SL-T yet: fill in 'Recommended SL-T' first.".into(),
        ));
    };
    let justification = format!(
        "Risk assessment '{}' (risk method version {}): {}",
        ra.title(),
        ra.get("method_version").to_text(),
        ra.get("sl_t_justification").to_text()
    );
    let reason = if form.reason.trim().is_empty() {
        format!("SL-T from risk assessment {}", ra.title())
    } else {
        form.reason
    };
    // Read before the write transaction begins, which then checks each version.
    let mut zones = Vec::new();
    for zone_id in ra.get("zones").ids() {
        if let Some(zone) = state.store.get(&ZONE_KIND, *zone_id).await? {
            zones.push(zone);
        }
    }
    let mut tx = state.store.begin_write(p.name(), Some(&reason)).await?;
    for zone in zones {
        if zone.get("sl_t") == &Value::Sl(recommended) {
            continue;
        }
        let mut values = zone.values.clone();
        values.insert("sl_t", Value::Sl(recommended));
        values.insert("sl_t_justification", Value::Text(justification.clone()));
        tx.update(&ZONE_KIND, zone.id, zone.version, values).await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/risk-assessments/{id}?applied=1")).into_response())
}
