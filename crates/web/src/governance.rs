//! Governance views: training coverage (`/training`, `/api/v1/training/coverage`: per site and
//! program role the holders, required trainings, holders fully trained and what is missing,
//! from `Store::training_coverage`) and the RACI matrix of a site (`/raci-matrix`,
//! `/api/v1/raci/people`, from `Store::raci_people`).

use crate::AppState;
use crate::api::ApiError;
use crate::auth::Principal;
use crate::due::{FeedParams, site_by_code};
use crate::model::{chosen_site, site_codes, site_options};
use crate::ui::{Nav, UiError, render};
use crate::view::SelectOption;
use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use otkeep_core::gov_kinds::{PROGRAM_ROLES, ROLE_ASSIGNMENT_KIND};
use otkeep_store::TrainingCoverage;
use serde_json::json;

fn role_label(key: &str) -> String {
    PROGRAM_ROLES
        .iter()
        .find(|c| c.key == key)
        .map_or(key.to_string(), |c| c.label.to_string())
}

/// One row of the coverage table.
struct Row {
    site: String,
    role: String,
    holders: usize,
    trainings: usize,
    current: usize,
    percent: u32,
}

#[derive(Template)]
#[template(path = "training.html")]
struct TrainingPage {
    nav: Nav,
    today: String,
    sites: Vec<SelectOption>,
    rows: Vec<Row>,
    /// (site, role, person, training, what is wrong)
    gaps: Vec<(String, String, String, String, String)>,
}

#[derive(serde::Deserialize, Default)]
pub struct PageParams {
    site_id: Option<String>,
}

pub async fn training_page(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<PageParams>,
) -> Result<Response, UiError> {
    let readable = p.read_scope(&ROLE_ASSIGNMENT_KIND)?;
    let (chosen, scope) = chosen_site(params.site_id.as_deref(), readable);
    let today = jiff::Zoned::now().date();
    let coverage = state.store.training_coverage(&scope, today).await?;
    let codes = site_codes(&state).await?;
    let site = |c: &TrainingCoverage| {
        c.site_id
            .and_then(|s| codes.get(&s).cloned())
            .unwrap_or_default()
    };
    let mut gaps = Vec::new();
    for c in &coverage {
        for (person, training, why) in &c.gaps {
            gaps.push((
                site(c),
                role_label(&c.role),
                person.clone(),
                training.clone(),
                why.clone(),
            ));
        }
    }
    let rows = coverage
        .iter()
        .map(|c| Row {
            site: site(c),
            role: role_label(&c.role),
            holders: c.holders,
            trainings: c.trainings,
            current: c.current,
            percent: c.percent(),
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &TrainingPage {
            nav: Nav::new("training", &p),
            today: today.to_string(),
            sites: site_options(&state, &p, chosen).await?,
            rows,
            gaps,
        },
    ))
}

/// `GET /api/v1/training/coverage?site=CODE`.
pub async fn training_api(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<FeedParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let readable = p.read_scope(&ROLE_ASSIGNMENT_KIND)?;
    let site = site_by_code(&state, params.site.as_deref()).await?;
    let (_, scope) = chosen_site(site.as_deref(), readable);
    let today = jiff::Zoned::now().date();
    let coverage = state.store.training_coverage(&scope, today).await?;
    let items: Vec<serde_json::Value> = coverage
        .iter()
        .map(|c| {
            json!({"site_id": c.site_id, "role": c.role, "holders": c.holders,
                   "trainings": c.trainings, "current": c.current, "percent": c.percent(),
                   "gaps": c.gaps.iter().map(|(person, training, why)|
                       json!({"person": person, "training": training, "why": why})).collect::<Vec<_>>()})
        })
        .collect();
    Ok(Json(json!({"today": today.to_string(), "coverage": items})))
}

/// One activity row of the RACI matrix.
struct RaciRow {
    activity: &'static str,
    /// One letter (R, A, C, I or empty) per role, in `PROGRAM_ROLES` order.
    cells: Vec<&'static str>,
    accountable: String,
    responsible: String,
    /// No role, or more than one, is accountable.
    warning: &'static str,
}

#[derive(Template)]
#[template(path = "raci.html")]
struct RaciPage {
    nav: Nav,
    sites: Vec<SelectOption>,
    site_id: Option<i64>,
    roles: Vec<&'static str>,
    rows: Vec<RaciRow>,
}

/// `/raci-matrix?site_id=N`: the RACI matrix of one site (the first readable one by default),
/// with the people it names as approver and owner of each activity.
pub async fn raci_page(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<PageParams>,
) -> Result<Response, UiError> {
    use otkeep_core::gov_kinds::{PROGRAM_ACTIVITIES, RACI_KIND};
    let readable = p.read_scope(&RACI_KIND)?;
    let mut sites = site_options(&state, &p, None).await?;
    let chosen = params
        .site_id
        .as_deref()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .or_else(|| sites.first().and_then(|s| s.value.parse().ok()));
    for s in &mut sites {
        s.selected = chosen.is_some_and(|c| s.value == c.to_string());
    }
    let (chosen, scope) = chosen_site(chosen.map(|s| s.to_string()).as_deref(), readable);
    let today = jiff::Zoned::now().date();
    let q = otkeep_store::ListQuery {
        scope,
        ..otkeep_store::ListQuery::default()
    };
    let (entries, named) = match chosen {
        Some(_) => (
            state.store.list_all(&RACI_KIND, &q).await?,
            state.store.raci_people(&q.scope, today).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let mut rows = Vec::new();
    for a in PROGRAM_ACTIVITIES {
        let of = |role: &str| {
            entries
                .iter()
                .find(|e| e.get("activity").to_text() == a.key && e.get("role").to_text() == role)
                .map_or("", |e| match e.get("responsibility").to_text().as_str() {
                    "responsible" => "R",
                    "accountable" => "A",
                    "consulted" => "C",
                    "informed" => "I",
                    _ => "",
                })
        };
        let cells: Vec<&'static str> = PROGRAM_ROLES.iter().map(|r| of(r.key)).collect();
        let people = named
            .iter()
            .find(|(_, activity, _)| activity == a.key)
            .map(|(_, _, p)| p.clone())
            .unwrap_or_default();
        let accountables = cells.iter().filter(|c| **c == "A").count();
        rows.push(RaciRow {
            activity: a.label,
            warning: match (cells.iter().all(|c| c.is_empty()), accountables) {
                (true, _) => "",
                (false, 0) => "no role is accountable",
                (false, 1) => "",
                _ => "more than one role is accountable",
            },
            cells,
            accountable: people.accountable.join(", "),
            responsible: people.responsible.join(", "),
        });
    }
    Ok(render(
        StatusCode::OK,
        &RaciPage {
            nav: Nav::new("raci-matrix", &p),
            sites,
            site_id: chosen,
            roles: PROGRAM_ROLES.iter().map(|r| r.label).collect(),
            rows,
        },
    ))
}

#[derive(serde::Deserialize, Default)]
pub struct PeopleParams {
    site: Option<String>,
    activity: Option<String>,
}

/// `GET /api/v1/raci/people?site=CODE&activity=KEY` (both optional): for each site and activity
/// the RACI matrix names, the people to suggest as approver (accountable) and owner
/// (responsible).
pub async fn raci_people(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<PeopleParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    use otkeep_core::FieldError;
    use otkeep_core::gov_kinds::{PROGRAM_ACTIVITIES, RACI_KIND};
    let readable = p.read_scope(&RACI_KIND)?;
    let site = site_by_code(&state, params.site.as_deref()).await?;
    let (_, scope) = chosen_site(site.as_deref(), readable);
    let activity = params
        .activity
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty());
    if let Some(a) = &activity
        && !PROGRAM_ACTIVITIES.iter().any(|c| c.key == a)
    {
        let keys: Vec<&str> = PROGRAM_ACTIVITIES.iter().map(|a| a.key).collect();
        return Err(ApiError::invalid(vec![FieldError::new(
            "activity",
            format!("'{a}' is not an activity; use one of {}", keys.join(", ")),
        )]));
    }
    let items: Vec<serde_json::Value> = state
        .store
        .raci_people(&scope, jiff::Zoned::now().date())
        .await?
        .into_iter()
        .filter(|(_, a, _)| activity.as_ref().is_none_or(|x| x == a))
        .map(|(site_id, activity, people)| {
            json!({"site_id": site_id, "activity": activity,
                   "accountable": people.accountable, "responsible": people.responsible})
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

/// What a document's page says about it: its effective version, versions on their way, and
/// when it is next reviewed.
pub(crate) async fn document_lines(
    state: &AppState,
    record: &otkeep_core::Record,
) -> Result<Vec<(String, String)>, otkeep_store::StoreError> {
    use otkeep_core::doc_kinds::DOCUMENT_VERSION_KIND;
    let mut q = otkeep_store::ListQuery::default();
    q.filters
        .insert("document_id", otkeep_core::Value::Int(record.id));
    let versions = state.store.list_all(&DOCUMENT_VERSION_KIND, &q).await?;
    let mut out = Vec::new();
    match versions
        .iter()
        .find(|v| v.get("status").to_text() == "effective")
    {
        Some(v) => out.push((
            "ok".to_string(),
            format!(
                "Effective: version {} since {}",
                v.title(),
                v.get("effective_on").to_text()
            ),
        )),
        None => out.push((
            "todo".to_string(),
            "No effective version yet: write a version, have it reviewed and approved, then make it effective."
                .to_string(),
        )),
    }
    for v in versions.iter().filter(|v| {
        matches!(
            v.get("status").to_text().as_str(),
            "draft" | "in_review" | "approved"
        )
    }) {
        out.push((
            "todo".to_string(),
            format!(
                "Version {} is {}",
                v.title(),
                v.get("status").to_text().replace('_', " ")
            ),
        ));
    }
    let scope = otkeep_core::access::Scope::Limited {
        sites: record.site_id().into_iter().collect(),
        records: Vec::new(),
    };
    let today = jiff::Zoned::now().date();
    if let Some(o) = state
        .store
        .document_obligations(&scope, today)
        .await?
        .into_iter()
        .find(|o| o.record_id == record.id)
    {
        let badge = if o.due < today { "bad" } else { "ok" };
        out.push((badge.to_string(), format!("Next review due {}", o.due)));
    }
    Ok(out)
}

/// One requirement row of the coverage view.
struct CoverageRow {
    requirement: String,
    fr: u8,
    title: String,
    /// (href, "KEY title", effective)
    documents: Vec<(String, String, bool)>,
    countermeasures: usize,
    implemented: usize,
    with_evidence: usize,
    evidenced: bool,
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage {
    nav: Nav,
    sites: Vec<SelectOption>,
    rows: Vec<CoverageRow>,
    evidenced: usize,
    only_gaps: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct CoverageParams {
    site_id: Option<String>,
    /// Show only the requirements nothing evidences.
    gaps: Option<String>,
}

/// `/coverage`: for each IEC 62443-3-3 requirement, the documents and records that evidence it,
/// and the requirements with no evidence.
pub async fn coverage_page(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<CoverageParams>,
) -> Result<Response, UiError> {
    use otkeep_core::doc_kinds::DOCUMENT_KIND;
    let readable = p.read_scope(&DOCUMENT_KIND)?;
    let (chosen, scope) = chosen_site(params.site_id.as_deref(), readable);
    let coverage = state.store.requirement_coverage(&scope, chosen).await?;
    let evidenced = coverage.iter().filter(|c| c.evidenced()).count();
    let only_gaps = params.gaps.as_deref().is_some_and(|g| !g.is_empty());
    let rows = coverage
        .into_iter()
        .filter(|c| !only_gaps || !c.evidenced())
        .map(|c| CoverageRow {
            evidenced: c.evidenced(),
            documents: c
                .documents
                .iter()
                .map(|d| {
                    (
                        format!("/documents/{}", d.id),
                        format!("{} {}", d.key, d.title),
                        d.effective,
                    )
                })
                .collect(),
            requirement: c.requirement,
            fr: c.fr,
            title: c.title,
            countermeasures: c.countermeasures,
            implemented: c.implemented,
            with_evidence: c.with_evidence,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &CoveragePage {
            nav: Nav::new("coverage", &p),
            sites: site_options(&state, &p, chosen).await?,
            rows,
            evidenced,
            only_gaps,
        },
    ))
}

/// `GET /api/v1/coverage?site=CODE`: the coverage view as JSON.
pub async fn coverage_api(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<FeedParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    use otkeep_core::doc_kinds::DOCUMENT_KIND;
    let readable = p.read_scope(&DOCUMENT_KIND)?;
    let site = site_by_code(&state, params.site.as_deref()).await?;
    let (chosen, scope) = chosen_site(site.as_deref(), readable);
    let coverage = state.store.requirement_coverage(&scope, chosen).await?;
    Ok(Json(coverage_json(&coverage)))
}

/// The coverage view as JSON (the API's answer and `otkeep coverage --json`).
pub fn coverage_json(
    coverage: &[otkeep_store::document::RequirementCoverage],
) -> serde_json::Value {
    let items: Vec<serde_json::Value> = coverage
        .iter()
        .map(|c| {
            let documents: Vec<serde_json::Value> = c
                .documents
                .iter()
                .map(|d| {
                    json!({"id": d.id, "site_id": d.site_id, "key": d.key, "title": d.title,
                           "corporate": d.corporate, "effective": d.effective})
                })
                .collect();
            json!({"requirement": c.requirement, "fr": c.fr, "title": c.title,
                   "documents": documents, "countermeasures": c.countermeasures,
                   "implemented": c.implemented, "with_evidence": c.with_evidence,
                   "evidenced": c.evidenced()})
        })
        .collect();
    json!({"items": items})
}

/// What an asset's page says about a declared SL-C, and what a capability declaration's page
/// says about the assets it covers and the product's SBOMs.
pub(crate) async fn capability_lines(
    state: &AppState,
    record: &otkeep_core::Record,
) -> Result<Vec<(String, String)>, otkeep_store::StoreError> {
    let declared = state.store.declared_capabilities(record.site_id()).await?;
    let levels = |v: &otkeep_core::SlVector| {
        v.levels()
            .iter()
            .enumerate()
            .map(|(i, l)| format!("FR{} {l}", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = Vec::new();
    if record.kind.name == "asset" {
        if let Some((v, Some(d))) = declared.sl_c(record) {
            out.push((
                "ok".to_string(),
                format!(
                    "SL-C from the capability declaration for {} {}: {}",
                    d.get("vendor").to_text(),
                    d.get("model").to_text(),
                    levels(&v)
                ),
            ));
        }
        return Ok(out);
    }
    let scope = otkeep_core::access::Scope::Limited {
        sites: record.site_id().into_iter().collect(),
        records: Vec::new(),
    };
    let (vendor, model) = (
        record.get("vendor").to_text(),
        record.get("model").to_text(),
    );
    let assets = state
        .store
        .list_all(
            &otkeep_core::kinds::ASSET_KIND,
            &otkeep_store::ListQuery {
                scope: scope.clone(),
                ..otkeep_store::ListQuery::default()
            },
        )
        .await?;
    let covered = assets
        .iter()
        .filter(|a| {
            otkeep_core::supplier_kinds::declaration_covers(
                &vendor,
                &model,
                &a.get("vendor").to_text(),
                &a.get("model").to_text(),
            )
        })
        .collect::<Vec<_>>();
    let own = covered.iter().filter(|a| !a.get("sl_c").is_null()).count();
    out.push((
        "ok".to_string(),
        format!(
            "Covers {} asset(s) of this site; {} of them take this SL-C ({} have their own)",
            covered.len(),
            covered.len() - own,
            own
        ),
    ));
    for s in state.store.product_sboms(&scope, &vendor, &model).await? {
        out.push((
            "ok".to_string(),
            format!("SBOM: {}", crate::sbom::label(&s)),
        ));
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "incident_report.html")]
struct IncidentReport {
    nav: Nav,
    record: otkeep_core::Record,
    title: String,
    site: String,
    generated: String,
    /// (label, cell) of every field but the long texts, which have sections of their own.
    facts: Vec<(&'static str, crate::view::Cell)>,
    /// (heading, text) of the long texts.
    sections: Vec<(&'static str, String)>,
    /// (at, type, by, entry)
    timeline: Vec<(String, String, String, String)>,
    signatures: Vec<crate::sign::SignatureView>,
}

/// `/incidents/{id}/report`: the incident report, for printing or saving as PDF from the
/// browser: facts, what happened, the timeline, actions, root cause, lessons learned, links
/// and signatures.
pub async fn incident_report(
    State(state): State<AppState>,
    p: Principal,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, UiError> {
    use otkeep_core::FieldType;
    use otkeep_core::incident_kinds::{ENTRY_TYPES, INCIDENT_ENTRY_KIND, INCIDENT_KIND};
    let record = crate::ui::load(&state, &p, &INCIDENT_KIND, id).await?;
    let titles = state
        .store
        .ref_titles(&INCIDENT_KIND, std::slice::from_ref(&record))
        .await?;
    let mut facts = Vec::new();
    let mut sections = Vec::new();
    for f in INCIDENT_KIND.fields {
        if f.ty == FieldType::LongText {
            let text = record.get(f.name).to_text();
            if !text.trim().is_empty() {
                sections.push((f.label, text));
            }
        } else {
            facts.push((f.label, crate::view::cell(f, record.get(f.name), &titles)));
        }
    }
    let mut q = otkeep_store::ListQuery {
        scope: p.read_scope(&INCIDENT_ENTRY_KIND)?,
        ..otkeep_store::ListQuery::default()
    };
    q.filters
        .insert("incident_id", otkeep_core::Value::Int(record.id));
    let mut entries = state.store.list_all(&INCIDENT_ENTRY_KIND, &q).await?;
    entries.sort_by_key(|e| (e.get("at").to_text(), e.id));
    let timeline = entries
        .iter()
        .map(|e| {
            let t = e.get("entry_type").to_text();
            (
                e.get("at").to_text().replace('T', " "),
                ENTRY_TYPES
                    .iter()
                    .find(|c| c.key == t)
                    .map_or(t.clone(), |c| c.label.to_string()),
                e.get("author").to_text(),
                e.get("entry").to_text(),
            )
        })
        .collect();
    let codes = site_codes(&state).await?;
    let signatures = crate::sign::signature_views(&state, &record, None).await?;
    Ok(render(
        StatusCode::OK,
        &IncidentReport {
            nav: Nav::new("incidents", &p),
            title: record.title(),
            site: record
                .site_id()
                .and_then(|s| codes.get(&s).cloned())
                .unwrap_or_default(),
            generated: jiff::Zoned::now().strftime("%Y-%m-%d %H:%M %Z").to_string(),
            record,
            facts,
            sections,
            timeline,
            signatures,
        },
    ))
}
