//! IEC 62443 pages: the gap of the organization (`/gap`), of a site (`/gap/sites/{id}`, with a
//! CSV of every requirement), and the requirements page of a zone or conduit
//! (`/gap/zones/{id}`, `/gap/conduits/{id}`) where a whole FR is assessed at once.
//!
//! The numbers come from `otkeep_core::gap`; this module loads records and statuses, and saves
//! a bulk assessment through the write path (one transaction, all rows or none).

use crate::AppState;
use crate::auth::Principal;
use crate::ui::{Nav, UiError, load, render};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::access::{Capability, Scope};
use otkeep_core::catalog::{Catalog, Requirement, Target};
use otkeep_core::gap::{
    Gap, Rollup, STATUSES, Status, assess, capability_shortfalls, effective_status,
};
use otkeep_core::kinds::{ASSESSMENT_KIND, ASSET_KIND, CONDUIT_KIND, SITE_KIND, ZONE_KIND};
use otkeep_core::sl::FOUNDATIONAL_REQUIREMENTS;
use otkeep_core::value::values_from_text;
use otkeep_core::{KindDef, Record, SlVector, Value};
use otkeep_store::{Approval, Countermeasure, Coverage, ListQuery, StatusMap, StoreError};
use std::collections::{BTreeMap, HashMap};

/// Every record of `kind` matching `filters` within `scope`.
pub(crate) async fn all(
    state: &AppState,
    kind: &'static KindDef,
    scope: Scope,
    filters: &[(&'static str, i64)],
) -> Result<Vec<Record>, StoreError> {
    let mut q = ListQuery {
        scope,
        ..ListQuery::default()
    };
    for (f, v) in filters {
        q.filters.insert(f, Value::Int(*v));
    }
    state.store.list_all(kind, &q).await
}

fn sl_t(record: &Record) -> SlVector {
    match record.get("sl_t") {
        Value::Sl(v) => *v,
        _ => SlVector::uniform(0),
    }
}

/// The site behind `/gap/{plural}/{id}/…` pages that exist for sites only, and its scope.
async fn site_of(
    state: &AppState,
    p: &Principal,
    plural: &str,
    id: i64,
    what: &str,
) -> Result<(Record, Scope), UiError> {
    if plural != "sites" {
        return Err(UiError::NotFound(format!(
            "There is no {what} for '{plural}'."
        )));
    }
    let site = load(state, p, &SITE_KIND, id).await?;
    let scope = Scope::Limited {
        sites: vec![id],
        records: Vec::new(),
    };
    Ok((site, scope))
}

/// A download: content type, file name, bytes.
pub(crate) fn attachment(content_type: &str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub(crate) fn today() -> String {
    jiff::Zoned::now().date().to_string()
}

/// The countermeasures of `scope` and what their valid ones cover.
async fn coverage(
    state: &AppState,
    scope: &Scope,
) -> Result<(Vec<Countermeasure>, Coverage), StoreError> {
    state.store.coverage(scope, &today()).await
}

/// The status that counts for requirement `id` of `record`.
fn status_of(record: &Record, id: &str, statuses: &StatusMap, cover: &Coverage) -> Status {
    let assessed = statuses
        .get(&record.id)
        .and_then(|m| m.get(id))
        .copied()
        .unwrap_or(Status::NotAssessed);
    let covered =
        record.kind.name == "zone" && cover.get(&record.id).is_some_and(|c| c.contains(id));
    effective_status(assessed, covered)
}

pub(crate) fn gap_of(
    catalog: &Catalog,
    record: &Record,
    target: Target,
    statuses: &StatusMap,
    cover: &Coverage,
) -> Gap {
    assess(catalog, &sl_t(record), target, &|r: &Requirement| {
        status_of(record, &r.id, statuses, cover)
    })
}

/// One FR cell: achieved / target, and whether it falls short.
pub struct FrCell {
    pub a: u8,
    pub t: u8,
    pub short: bool,
    pub open: usize,
}

fn fr_cells(sl_a: [u8; 7], sl_t: [u8; 7], gap: &[otkeep_core::gap::FrGap; 7]) -> Vec<FrCell> {
    (0..7)
        .map(|i| FrCell {
            a: sl_a[i],
            t: sl_t[i],
            short: sl_a[i] < sl_t[i],
            open: gap[i].open(),
        })
        .collect()
}

pub struct GapRow {
    pub href: String,
    pub title: String,
    pub frs: Vec<FrCell>,
    pub in_force: usize,
    pub met: usize,
    pub open: usize,
    pub extra: String,
}

fn percent(met: usize, total: usize) -> usize {
    (met * 100).checked_div(total).unwrap_or(100)
}

#[derive(Template)]
#[template(path = "gap_org.html")]
struct OrgPage {
    nav: Nav,
    frs: Vec<&'static str>,
    rows: Vec<GapRow>,
    total: GapRow,
}

pub(crate) fn rollup_row(href: String, title: String, r: &Rollup) -> GapRow {
    GapRow {
        href,
        title,
        frs: fr_cells(r.min_sl_a, r.max_sl_t, &r.by_fr),
        in_force: r.in_force(),
        met: r.met(),
        open: r.in_force() - r.met(),
        extra: format!(
            "{} zone{}, {} below target · {}% met",
            r.parts,
            if r.parts == 1 { "" } else { "s" },
            r.parts_short,
            percent(r.met(), r.in_force())
        ),
    }
}

/// The sites `p` may read, each with the roll-up of its zones, and the organization's total.
pub(crate) async fn site_rollups(
    state: &AppState,
    p: &Principal,
) -> Result<(Vec<(Record, Rollup)>, Rollup), UiError> {
    let scope = p.read_scope(&ZONE_KIND)?;
    let catalog = state.store.catalog().await?;
    let sites = all(state, &SITE_KIND, p.access.read_scope(&SITE_KIND), &[]).await?;
    let zones = all(state, &ZONE_KIND, scope.clone(), &[]).await?;
    let statuses = state.store.assessment_statuses(&scope, false).await?;
    let (_, cover) = coverage(state, &scope).await?;
    let mut per_site: BTreeMap<i64, Rollup> = BTreeMap::new();
    let mut total = Rollup::default();
    for z in &zones {
        let g = gap_of(&catalog, z, Target::Zone, &statuses, &cover);
        if let Some(site) = z.site_id() {
            per_site.entry(site).or_default().add(&g);
        }
        total.add(&g);
    }
    let sites = sites
        .into_iter()
        .map(|s| {
            let r = per_site.remove(&s.id).unwrap_or_default();
            (s, r)
        })
        .collect();
    Ok((sites, total))
}

/// The organization: one row per site (zones rolled up), and the total.
pub async fn organization(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Response, UiError> {
    // Read-only: a fresh read replica may serve it.
    let state = state.for_heavy_reads().await;
    let (sites, total) = site_rollups(&state, &p).await?;
    let page = OrgPage {
        nav: Nav::new("gap", &p),
        frs: FOUNDATIONAL_REQUIREMENTS.iter().map(|f| f.0).collect(),
        rows: sites
            .iter()
            .map(|(s, r)| rollup_row(format!("/gap/sites/{}", s.id), s.title(), r))
            .collect(),
        total: rollup_row(String::new(), "Organization".into(), &total),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "gap_site.html")]
struct SitePage {
    nav: Nav,
    site: Record,
    can_write: bool,
    frs: Vec<&'static str>,
    zones: Vec<GapRow>,
    conduits: Vec<GapRow>,
    total: GapRow,
}

/// The gap page of one site, or the requirements page of one zone or conduit.
pub async fn page(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
    Query(params): Query<ZoneParams>,
) -> Result<Response, UiError> {
    match plural.as_str() {
        "sites" => site_page(&state, &p, id).await,
        "zones" | "conduits" => {
            let kind = if plural == "zones" {
                &ZONE_KIND
            } else {
                &CONDUIT_KIND
            };
            let record = load(&state, &p, kind, id).await?;
            let fr = params.fr.unwrap_or(0);
            let page = requirements_page(&state, &p, record, fr, None, BTreeMap::new()).await?;
            let mut page = page;
            page.saved = params.saved.is_some();
            Ok(render(StatusCode::OK, &page))
        }
        _ => Err(UiError::NotFound(format!(
            "There is no gap page for '{plural}'."
        ))),
    }
}

/// The gap rows of a site's zones and conduits, and the roll-up of its zones.
async fn site_rows(
    state: &AppState,
    scope: &Scope,
) -> Result<(Vec<GapRow>, Vec<GapRow>, Rollup), UiError> {
    let catalog = state.store.catalog().await?;
    let (_, cover) = coverage(state, scope).await?;
    let mut total = Rollup::default();
    let mut sections = Vec::new();
    for (kind, target, conduits) in [
        (&ZONE_KIND, Target::Zone, false),
        (&CONDUIT_KIND, Target::Conduit, true),
    ] {
        let statuses = state.store.assessment_statuses(scope, conduits).await?;
        let rows = all(state, kind, scope.clone(), &[])
            .await?
            .iter()
            .map(|r| {
                let g = gap_of(&catalog, r, target, &statuses, &cover);
                if target == Target::Zone {
                    total.add(&g);
                }
                GapRow {
                    href: format!("/gap/{}/{}", kind.plural, r.id),
                    title: r.title(),
                    frs: fr_cells(g.sl_a, g.sl_t, &g.by_fr),
                    in_force: g.in_force(),
                    met: g.met(),
                    open: g.open(),
                    extra: format!("{}% met", percent(g.met(), g.in_force())),
                }
            })
            .collect::<Vec<_>>();
        sections.push(rows);
    }
    let conduit_rows = sections.pop().unwrap_or_default();
    let zone_rows = sections.pop().unwrap_or_default();
    Ok((zone_rows, conduit_rows, total))
}

async fn site_page(state: &AppState, p: &Principal, id: i64) -> Result<Response, UiError> {
    let (site, scope) = site_of(state, p, "sites", id, "gap page").await?;
    let (zones, conduits, total) = site_rows(state, &scope).await?;
    let page = SitePage {
        nav: Nav::new("gap", p),
        frs: FOUNDATIONAL_REQUIREMENTS.iter().map(|f| f.0).collect(),
        zones,
        conduits,
        total: rollup_row(String::new(), site.title(), &total),
        can_write: p.access.may(Capability::Write, Some(site.id)),
        site,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(serde::Deserialize)]
pub struct ZoneParams {
    fr: Option<u8>,
    saved: Option<String>,
}

/// One requirement row of the assessment form.
pub struct ReqRow {
    pub id: String,
    pub title: String,
    pub level: u8,
    pub text: String,
    pub status: String,
    pub target_date: String,
    pub owner: String,
    pub notes: String,
    pub reason: String,
    pub version: i64,
    pub record_href: String,
    pub met: bool,
    /// How a countermeasure changes what counts, if it does.
    pub note: String,
    pub errors: Vec<String>,
}

pub struct CountermeasureRow {
    pub href: String,
    pub name: String,
    pub requirements: String,
    pub review: String,
    pub state: String,
    pub valid: bool,
}

pub struct FrTab {
    pub fr: u8,
    pub label: &'static str,
    pub title: &'static str,
    pub href: String,
    pub active: bool,
    pub cell: FrCell,
}

#[derive(Template)]
#[template(path = "gap_zone.html")]
pub struct RequirementsPage {
    nav: Nav,
    kind: &'static KindDef,
    record: Record,
    site_href: String,
    tabs: Vec<FrTab>,
    fr: u8,
    fr_title: &'static str,
    rows: Vec<ReqRow>,
    statuses: Vec<(&'static str, &'static str)>,
    counts: Vec<(&'static str, usize)>,
    in_force: usize,
    met: usize,
    can_write: bool,
    error: Option<String>,
    saved: bool,
    /// Components of the zone whose SL-C stays below its SL-T.
    shortfalls: Vec<ShortfallRow>,
    /// Whether some shortfall has no valid countermeasure naming the component.
    shortfalls_open: bool,
    /// Components of the zone with no SL-C recorded.
    without_sl_c: usize,
    countermeasures: Vec<CountermeasureRow>,
}

/// A component whose capability (SL-C) stays below its zone's SL-T on some FRs.
struct ShortfallRow {
    href: String,
    name: String,
    /// FRs with no valid countermeasure naming the component, as "FR1 (SL-C 1 < SL-T 2)".
    open: String,
    /// FRs made up for by valid countermeasures naming it, as "FR3 by Jump host".
    compensated: String,
}

/// The assessments of one zone or conduit, by requirement.
async fn assessments_of(
    state: &AppState,
    record: &Record,
) -> Result<HashMap<String, Record>, StoreError> {
    let field = if record.kind.name == "zone" {
        "zone_id"
    } else {
        "conduit_id"
    };
    let scope = Scope::Limited {
        sites: record.site_id().into_iter().collect(),
        records: Vec::new(),
    };
    Ok(all(state, &ASSESSMENT_KIND, scope, &[(field, record.id)])
        .await?
        .into_iter()
        .map(|a| (a.get("requirement").to_text(), a))
        .collect())
}

/// Builds the page; `submitted` (requirement → field → value) overrides stored values when a
/// form comes back with errors.
async fn requirements_page(
    state: &AppState,
    p: &Principal,
    record: Record,
    fr: u8,
    error: Option<String>,
    submitted: BTreeMap<String, BTreeMap<String, String>>,
) -> Result<RequirementsPage, UiError> {
    let target = if record.kind.name == "zone" {
        Target::Zone
    } else {
        Target::Conduit
    };
    let catalog = state.store.catalog().await?;
    let texts = state.store.catalog_texts().await?;
    let existing = assessments_of(state, &record).await?;
    let statuses: StatusMap = std::iter::once((
        record.id,
        existing
            .iter()
            .map(|(k, a)| {
                (
                    k.clone(),
                    Status::from_key(&a.get("status").to_text()).unwrap_or(Status::NotAssessed),
                )
            })
            .collect(),
    ))
    .collect();
    let scope = Scope::Limited {
        sites: record.site_id().into_iter().collect(),
        records: Vec::new(),
    };
    let (countermeasures, cover) = coverage(state, &scope).await?;
    let gap = gap_of(&catalog, &record, target, &statuses, &cover);
    let cells = fr_cells(gap.sl_a, gap.sl_t, &gap.by_fr);
    let mine: Vec<&Countermeasure> = countermeasures
        .iter()
        .filter(|c| target == Target::Zone && c.zones().contains(&record.id))
        .collect();
    let countermeasure_rows = mine
        .iter()
        .map(|c| CountermeasureRow {
            href: format!("/countermeasures/{}", c.record.id),
            name: c.record.title(),
            requirements: c.requirements.join(", "),
            review: c.record.get("review_date").to_text(),
            state: match &c.approval {
                Approval::Approved { by, .. } => format!("approved by {by}"),
                Approval::PastReview { by } => format!("past its review date (approved by {by})"),
                Approval::Rejected { by } => format!("rejected by {by}"),
                Approval::Stale => "changed since approval: approve again".to_string(),
                Approval::Awaiting => "awaiting approval (sign it as approved)".to_string(),
            },
            valid: c.valid(),
        })
        .collect();
    // Default tab: the first FR with something open, else FR1.
    let fr = if (1..=7).contains(&fr) {
        fr
    } else {
        (1..=7u8)
            .find(|f| gap.by_fr[usize::from(f - 1)].open() > 0)
            .unwrap_or(1)
    };
    let base = format!("/gap/{}/{}", record.kind.plural, record.id);
    let tabs = cells
        .into_iter()
        .enumerate()
        .map(|(i, cell)| {
            let n = i as u8 + 1;
            FrTab {
                fr: n,
                label: FOUNDATIONAL_REQUIREMENTS[i].0,
                title: FOUNDATIONAL_REQUIREMENTS[i].1,
                href: format!("{base}?fr={n}"),
                active: n == fr,
                cell,
            }
        })
        .collect();
    let rows = catalog
        .in_force(&sl_t(&record), target)
        .filter(|r| r.fr == fr)
        .map(|r| {
            let stored = existing.get(&r.id);
            let given = submitted.get(&r.id);
            let value = |name: &str| {
                given
                    .and_then(|g| g.get(name).cloned())
                    .or_else(|| stored.map(|a| a.get(name).to_text()))
                    .unwrap_or_default()
            };
            let status = match value("status") {
                s if s.is_empty() => "not_assessed".to_string(),
                s => s,
            };
            let counts = status_of(&record, &r.id, &statuses, &cover);
            let assessed = Status::from_key(&status).unwrap_or(Status::NotAssessed);
            let note = match (assessed, counts) {
                (a, Status::Compensated) if a != Status::Compensated => {
                    "met by an approved compensating countermeasure".to_string()
                }
                (Status::Compensated, c) if c != Status::Compensated => {
                    "no approved, current countermeasure covers this: not met".to_string()
                }
                _ => String::new(),
            };
            ReqRow {
                note,
                id: r.id.clone(),
                title: r.title.clone(),
                level: r.level,
                text: texts.get(&r.id).cloned().unwrap_or_default(),
                met: counts.is_met(),
                status,
                target_date: value("target_date"),
                owner: value("owner"),
                notes: value("notes"),
                reason: value("reason"),
                version: stored.map_or(0, |a| a.version),
                record_href: stored.map_or(String::new(), |a| format!("/assessments/{}", a.id)),
                errors: given
                    .and_then(|g| g.get("_errors"))
                    .map(|e| e.split('\n').map(str::to_string).collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let fr_gap = &gap.by_fr[usize::from(fr - 1)];
    let mut shortfalls = Vec::new();
    let mut shortfalls_open = false;
    let mut without_sl_c = 0;
    if target == Target::Zone {
        let scope = Scope::Limited {
            sites: record.site_id().into_iter().collect(),
            records: Vec::new(),
        };
        let declared = state.store.declared_capabilities(record.site_id()).await?;
        for a in all(state, &ASSET_KIND, scope, &[("zone_id", record.id)]).await? {
            // An asset without an SL-C of its own takes the one declared for its model.
            let Some((c, declaration)) = declared.sl_c(&a) else {
                without_sl_c += 1;
                continue;
            };
            let short = capability_shortfalls(&sl_t(&record), &c);
            if short.is_empty() {
                continue;
            }
            // A valid countermeasure naming the component makes up for it on the FRs of the
            // requirements it covers.
            let mut open = Vec::new();
            let mut compensated = Vec::new();
            for s in &short {
                let by: Vec<String> = countermeasures
                    .iter()
                    .filter(|m| m.valid() && m.assets().contains(&a.id) && m.frs().contains(&s.fr))
                    .map(|m| m.record.title())
                    .collect();
                if by.is_empty() {
                    open.push(format!(
                        "FR{} (SL-C {} < SL-T {})",
                        s.fr, s.capability, s.target
                    ));
                } else {
                    compensated.push(format!("FR{} by {}", s.fr, by.join(", ")));
                }
            }
            shortfalls_open |= !open.is_empty();
            shortfalls.push(ShortfallRow {
                href: format!("/assets/{}", a.id),
                name: match declaration {
                    Some(d) => format!(
                        "{} (SL-C declared for {} {})",
                        a.title(),
                        d.get("vendor").to_text(),
                        d.get("model").to_text()
                    ),
                    None => a.title(),
                },
                open: open.join(", "),
                compensated: compensated.join(", "),
            });
        }
    }
    Ok(RequirementsPage {
        countermeasures: countermeasure_rows,
        shortfalls,
        shortfalls_open,
        without_sl_c,
        nav: Nav::new("gap", p),
        kind: record.kind,
        site_href: record
            .site_id()
            .map_or("/gap".into(), |s| format!("/gap/sites/{s}")),
        can_write: p.access.may(Capability::Write, record.site_id()),
        tabs,
        fr,
        fr_title: FOUNDATIONAL_REQUIREMENTS[usize::from(fr - 1)].1,
        rows,
        statuses: STATUSES.iter().map(|s| (s.key(), s.label())).collect(),
        counts: STATUSES
            .iter()
            .map(|s| (s.label(), fr_gap.count(*s)))
            .filter(|(_, n)| *n > 0)
            .collect(),
        in_force: gap.in_force(),
        met: gap.met(),
        record,
        error,
        saved: false,
    })
}

/// Saves the assessment of one FR of a zone or conduit: every changed row is created or
/// updated in one transaction; any invalid row keeps all of them unsaved and is shown.
pub async fn save(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let kind = match plural.as_str() {
        "zones" => &ZONE_KIND,
        "conduits" => &CONDUIT_KIND,
        _ => {
            return Err(UiError::NotFound(format!(
                "There is no requirements page for '{plural}'."
            )));
        }
    };
    let record = load(&state, &p, kind, id).await?;
    p.require(Capability::Write, record.site_id())?;
    let fr: u8 = pairs
        .iter()
        .find(|(k, _)| k == "fr")
        .and_then(|(_, v)| v.parse().ok())
        .filter(|f| (1..=7).contains(f))
        .ok_or_else(|| UiError::BadRequest("the form names no FR; reload the page".into()))?;
    // requirement → field → value, from names such as `status.SR 1.1`.
    let mut submitted: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (k, v) in &pairs {
        if let Some((field, req)) = k.split_once('.') {
            submitted
                .entry(req.to_string())
                .or_default()
                .insert(field.to_string(), v.trim().to_string());
        }
    }
    let target = if plural == "zones" {
        Target::Zone
    } else {
        Target::Conduit
    };
    let catalog = state.store.catalog().await?;
    let existing = assessments_of(&state, &record).await?;
    let today = jiff::Zoned::now().date().to_string();
    let ref_field = if plural == "zones" {
        "zone_id"
    } else {
        "conduit_id"
    };
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut tx = state
        .store
        .begin_write(p.name(), Some(&format!("assessment of FR{fr}")))
        .await?;
    let mut written = 0;
    for r in catalog
        .in_force(&sl_t(&record), target)
        .filter(|r| r.fr == fr)
    {
        let Some(given) = submitted.get(&r.id) else {
            continue;
        };
        let field = |name: &str| given.get(name).cloned().unwrap_or_default();
        let stored = existing.get(&r.id);
        let stored_text = |name: &str| stored.map(|a| a.get(name).to_text()).unwrap_or_default();
        let editable = ["status", "target_date", "owner", "notes", "reason"];
        let changed = editable.iter().any(|f| {
            let now = field(f);
            let before = stored_text(f);
            now != before && !(f == &"status" && stored.is_none() && now == "not_assessed")
        });
        if !changed {
            continue;
        }
        let mut text: BTreeMap<String, String> = BTreeMap::new();
        text.insert(
            "site_id".into(),
            record.site_id().map(|s| s.to_string()).unwrap_or_default(),
        );
        text.insert(ref_field.into(), record.id.to_string());
        text.insert("requirement".into(), r.id.clone());
        for f in editable {
            text.insert(f.into(), field(f));
        }
        text.insert("last_assessed".into(), today.clone());
        for keep in ["evidence_url", "evidence_sha256"] {
            text.insert(keep.into(), stored_text(keep));
        }
        let values = match values_from_text(&ASSESSMENT_KIND, &text) {
            Ok(v) => v,
            Err(errors) => {
                for e in errors {
                    failures.push((r.id.clone(), e.to_string()));
                }
                continue;
            }
        };
        let result = match stored {
            Some(a) => {
                let version = field("version").parse().unwrap_or(a.version);
                tx.update(&ASSESSMENT_KIND, a.id, version, values).await
            }
            None => tx.create(&ASSESSMENT_KIND, values).await,
        };
        match result {
            Ok(_) => written += 1,
            Err(e @ (StoreError::Invalid(_) | StoreError::Conflict { .. })) => {
                failures.push((r.id.clone(), e.to_string()))
            }
            Err(e) => return Err(e.into()),
        }
    }
    if failures.is_empty() {
        tx.commit().await?;
        tracing::info!(rows = written, fr, zone = id, "bulk assessment saved");
        return Ok(Redirect::to(&format!("/gap/{plural}/{id}?fr={fr}&saved=1")).into_response());
    }
    drop(tx);
    for (req, message) in &failures {
        let entry = submitted.entry(req.clone()).or_default();
        let errors = entry.entry("_errors".into()).or_default();
        if !errors.is_empty() {
            errors.push('\n');
        }
        errors.push_str(message);
    }
    let n = failures.len();
    let page = requirements_page(
        &state,
        &p,
        record,
        fr,
        Some(format!(
            "Nothing was saved: {n} problem{} below.",
            if n == 1 { "" } else { "s" }
        )),
        submitted,
    )
    .await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// The requirement list of a site (every zone and conduit, every requirement in force) as CSV.
pub async fn site_csv(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
) -> Result<Response, UiError> {
    let (site, _) = site_of(&state, &p, &plural, id, "gap export").await?;
    let rows = state.store.assessment_sheet(id, &today()).await?;
    let out = otkeep_report::write_table(otkeep_store::SHEET_HEADERS, &rows, Vec::new())
        .map_err(|e| UiError::Internal(e.to_string()))?;
    let name = format!(
        "gap-{}-{}.csv",
        site.get("code").to_text(),
        jiff::Timestamp::now().strftime("%Y%m%d")
    );
    Ok(attachment("text/csv; charset=utf-8", &name, out))
}

/// The zone and conduit diagram of a site (SVG), zones coloured by their gap.
/// The zone and conduit diagram of `site`: its `zones` by Purdue level with SL-A/SL-T as
/// assessed (in `scope`, as of `today` for countermeasures) and its `conduits` (also drawn in
/// the zone model report).
pub(crate) async fn diagram_svg(
    store: &otkeep_store::Store,
    scope: &Scope,
    site: &Record,
    zones: &[Record],
    conduits: &[Record],
    today: &str,
) -> Result<String, StoreError> {
    use otkeep_report::diagram::{DiagramConduit, DiagramZone};
    let catalog = store.catalog().await?;
    let statuses = store.assessment_statuses(scope, false).await?;
    let (_, cover) = store.coverage(scope, today).await?;
    let zones: Vec<DiagramZone> = zones
        .iter()
        .map(|z| {
            let g = gap_of(&catalog, z, Target::Zone, &statuses, &cover);
            DiagramZone {
                id: z.id,
                name: z.title(),
                level: z.get("purdue_level").to_text(),
                sl_t: g.sl_t,
                sl_a: g.sl_a,
                in_force: g.in_force(),
                open: g.open(),
            }
        })
        .collect();
    let conduits: Vec<DiagramConduit> = conduits
        .iter()
        .filter_map(|c| {
            let protocols = match c.get("channels") {
                Value::Channels(list) => list
                    .iter()
                    .map(|ch| ch.protocol.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => String::new(),
            };
            Some(DiagramConduit {
                a: c.get("zone_a_id").as_int()?,
                b: c.get("zone_b_id").as_int()?,
                name: c.title(),
                protocols,
            })
        })
        .collect();
    Ok(otkeep_report::diagram::site_diagram(
        &site.title(),
        &zones,
        &conduits,
    ))
}

pub async fn site_diagram(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
) -> Result<Response, UiError> {
    let (site, scope) = site_of(&state, &p, &plural, id, "diagram").await?;
    let zones = all(&state, &ZONE_KIND, scope.clone(), &[]).await?;
    let conduits = all(&state, &CONDUIT_KIND, scope.clone(), &[]).await?;
    let svg = diagram_svg(&state.store, &scope, &site, &zones, &conduits, &today()).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "image/svg+xml; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"zones-{}.svg\"",
                    site.get("code").to_text()
                ),
            ),
        ],
        svg,
    )
        .into_response())
}

/// The FR cells of a gap as `SL-A/SL-T` text, FR1 to FR7.
pub(crate) fn fr_cells_text(g: &Gap) -> Vec<String> {
    fr_text(&fr_cells(g.sl_a, g.sl_t, &g.by_fr))
}

fn fr_text(cells: &[FrCell]) -> Vec<String> {
    cells.iter().map(|c| format!("{}/{}", c.a, c.t)).collect()
}

const SUMMARY_HEADERS: &[&str] = &[
    "Kind", "Name", "FR1", "FR2", "FR3", "FR4", "FR5", "FR6", "FR7", "In force", "Met", "Open",
];

fn summary_row(kind: &str, r: &GapRow) -> Vec<String> {
    let mut row = vec![kind.to_string(), r.title.clone()];
    row.extend(fr_text(&r.frs));
    row.extend([
        r.in_force.to_string(),
        r.met.to_string(),
        r.open.to_string(),
    ]);
    row
}

fn xlsx_response(bytes: Vec<u8>, name: String) -> Response {
    attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &name,
        bytes,
    )
}

/// The gap report of a site as XLSX: a summary (SL-A/SL-T per FR of every zone and conduit)
/// and the requirement list (the assessment sheet, which imports back).
pub async fn site_xlsx(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
) -> Result<Response, UiError> {
    let (site, scope) = site_of(&state, &p, &plural, id, "gap report").await?;
    let (zones, conduits, _) = site_rows(&state, &scope).await?;
    let summary: Vec<Vec<String>> = zones
        .iter()
        .map(|r| summary_row(ZONE_KIND.label, r))
        .chain(conduits.iter().map(|r| summary_row(CONDUIT_KIND.label, r)))
        .collect();
    let requirements = state.store.assessment_sheet(id, &today()).await?;
    let bytes = otkeep_report::write_xlsx(&[
        otkeep_report::Sheet {
            name: "Summary",
            headers: SUMMARY_HEADERS,
            rows: &summary,
        },
        otkeep_report::Sheet {
            name: "Requirements",
            headers: otkeep_store::SHEET_HEADERS,
            rows: &requirements,
        },
    ])
    .map_err(UiError::Internal)?;
    Ok(xlsx_response(
        bytes,
        format!(
            "gap-{}-{}.xlsx",
            site.get("code").to_text(),
            jiff::Timestamp::now().strftime("%Y%m%d")
        ),
    ))
}

/// The organization's gap summary: one row per site (lowest SL-A / highest SL-T per FR over its
/// zones), with its headers.
async fn organization_rows(
    state: &AppState,
    p: &Principal,
) -> Result<(Vec<&'static str>, Vec<Vec<String>>), UiError> {
    let (sites, _) = site_rollups(state, p).await?;
    let rows = sites
        .iter()
        .map(|(s, r)| {
            let mut row = summary_row("Site", &rollup_row(String::new(), s.title(), r));
            row.push(r.parts.to_string());
            row.push(r.parts_short.to_string());
            row
        })
        .collect();
    let mut headers = SUMMARY_HEADERS.to_vec();
    headers.extend(["Zones", "Zones below target"]);
    Ok((headers, rows))
}

/// The organization's gap report as XLSX: the summary per site and every site's requirement
/// list.
pub async fn organization_xlsx(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Response, UiError> {
    // Read-only: a fresh read replica may serve it.
    let state = state.for_heavy_reads().await;
    let (headers, rows) = organization_rows(&state, &p).await?;
    // Every site's requirement list, one sheet, the site first.
    let mut requirements = Vec::new();
    for site in all(&state, &SITE_KIND, p.access.read_scope(&SITE_KIND), &[]).await? {
        for row in state.store.assessment_sheet(site.id, &today()).await? {
            let mut r = vec![site.title()];
            r.extend(row);
            requirements.push(r);
        }
    }
    let mut sheet_headers = vec!["Site"];
    sheet_headers.extend(otkeep_store::SHEET_HEADERS);
    let bytes = otkeep_report::write_xlsx(&[
        otkeep_report::Sheet {
            name: "Sites",
            headers: &headers,
            rows: &rows,
        },
        otkeep_report::Sheet {
            name: "Requirements",
            headers: &sheet_headers,
            rows: &requirements,
        },
    ])
    .map_err(UiError::Internal)?;
    Ok(xlsx_response(
        bytes,
        format!("gap-{}.xlsx", jiff::Timestamp::now().strftime("%Y%m%d")),
    ))
}

/// The organization's gap summary as CSV.
pub async fn organization_csv(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Response, UiError> {
    // Read-only: a fresh read replica may serve it.
    let state = state.for_heavy_reads().await;
    let (headers, rows) = organization_rows(&state, &p).await?;
    let out = otkeep_report::write_table(&headers, &rows, Vec::new())
        .map_err(|e| UiError::Internal(e.to_string()))?;
    let name = format!("gap-{}.csv", jiff::Timestamp::now().strftime("%Y%m%d"));
    Ok(attachment("text/csv; charset=utf-8", &name, out))
}

#[derive(Template)]
#[template(path = "gap_import.html")]
struct ImportPage {
    nav: Nav,
    site: Record,
    message: String,
    errors: Vec<String>,
}

/// Imports a filled-in assessment sheet (CSV or XLSX) uploaded from the site gap page.
pub async fn import_sheet(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, UiError> {
    let (site, _) = site_of(&state, &p, &plural, id, "sheet import").await?;
    p.require(Capability::Write, Some(id))?;
    let mut multipart = multipart.map_err(|e| {
        UiError::BadRequest(format!("send the sheet as a file upload (multipart): {e}"))
    })?;
    let mut upload: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| UiError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        if field.name() == Some("sheet") {
            let name = field.file_name().unwrap_or("sheet").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| UiError::BadRequest(format!("the upload could not be read: {e}")))?;
            upload = Some((name, bytes.to_vec()));
        }
    }
    let Some((name, bytes)) = upload.filter(|(_, b)| !b.is_empty()) else {
        return Err(UiError::BadRequest(
            "choose the sheet file to import".into(),
        ));
    };
    let rows = if bytes.starts_with(b"PK") {
        otkeep_ingest::read_xlsx_sheet(&bytes, &name)
    } else {
        otkeep_ingest::read_csv_sheet(&bytes, &name)
    };
    let result = match rows {
        Ok(rows) => {
            otkeep_ingest::import_assessment_sheet(
                &state.store,
                id,
                &rows,
                &name,
                p.name(),
                &today(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    let (status, message, errors) = match result {
        Ok(r) => (
            StatusCode::OK,
            format!(
                "{name}: {} rows read; {} assessments created, {} updated, {} unchanged.",
                r.rows, r.created, r.updated, r.unchanged
            ),
            Vec::new(),
        ),
        Err(otkeep_ingest::ImportError::Rejected { errors, .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{name}: nothing was imported; {} problem(s).", errors.len()),
            errors.iter().map(|e| e.to_string()).collect(),
        ),
        Err(otkeep_ingest::ImportError::Unreadable { message, .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{name} cannot be read: {message}"),
            Vec::new(),
        ),
        Err(otkeep_ingest::ImportError::Store(e)) => return Err(e.into()),
    };
    Ok(render(
        status,
        &ImportPage {
            nav: Nav::new("gap", &p),
            site,
            message,
            errors,
        },
    ))
}
