//! The model health page (`/model`): the model rules' findings for the sites one may read,
//! grouped by rule, each naming its records and how to fix it. `otkeep check` prints the same.

use crate::AppState;
use crate::auth::Principal;
use crate::ui::{Nav, UiError, render};
use crate::view::SelectOption;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use otkeep_core::access::Scope;
use otkeep_core::kinds::{SITE_KIND, ZONE_KIND};
use otkeep_core::model::RULES;
use otkeep_store::ListQuery;

struct Group {
    title: &'static str,
    fix: &'static str,
    /// (message, [(href, title)]).
    findings: Vec<(String, Vec<(String, String)>)>,
}

#[derive(Template)]
#[template(path = "model.html")]
struct ModelPage {
    nav: Nav,
    sites: Vec<SelectOption>,
    groups: Vec<Group>,
    findings_total: usize,
}

#[derive(serde::Deserialize)]
pub struct ModelParams {
    site_id: Option<String>,
}

/// The site picked with `?site_id=` (when given and valid) and the scope it leaves of
/// `readable`: that site only (nothing when it is not readable), or all of `readable`.
pub(crate) fn chosen_site(param: Option<&str>, readable: Scope) -> (Option<i64>, Scope) {
    let chosen = param.and_then(|s| s.trim().parse::<i64>().ok());
    let scope = match chosen {
        Some(s) if readable.covers_site(Some(s)) => Scope::Limited {
            sites: vec![s],
            records: Vec::new(),
        },
        Some(_) => Scope::nothing(),
        None => readable,
    };
    (chosen, scope)
}

/// Site codes by id (for labelling rows of several sites).
pub(crate) async fn site_codes(
    state: &AppState,
) -> Result<std::collections::HashMap<i64, String>, otkeep_store::StoreError> {
    Ok(state
        .store
        .list_all(&SITE_KIND, &ListQuery::default())
        .await?
        .into_iter()
        .map(|s| (s.id, s.get("code").to_text()))
        .collect())
}

/// The site a request names, by id (`site_id`, the UI's pickers) or code (`site`, the API and
/// the CLI), read with `p`'s rights (out of reach: 404); `None` when it names none.
pub(crate) async fn site_param(
    state: &AppState,
    p: &Principal,
    site_id: Option<&str>,
    code: Option<&str>,
) -> Result<Option<otkeep_core::Record>, UiError> {
    let id = match (present(site_id), present(code)) {
        (Some(text), _) => text
            .parse::<i64>()
            .map_err(|_| UiError::BadRequest(format!("site_id: '{text}' is not a site id")))?,
        (None, Some(code)) => state
            .store
            .find_id(&SITE_KIND, "code", &code.to_ascii_uppercase(), None)
            .await?
            .ok_or_else(|| UiError::NotFound(format!("There is no site '{code}'.")))?,
        (None, None) => return Ok(None),
    };
    Ok(Some(crate::ui::load(state, p, &SITE_KIND, id).await?))
}

/// A parameter's text, unless absent or blank.
fn present(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// The sites `p` may read, as options of a site picker with `chosen` selected.
pub(crate) async fn site_options(
    state: &AppState,
    p: &Principal,
    chosen: Option<i64>,
) -> Result<Vec<SelectOption>, UiError> {
    Ok(state
        .store
        .list_all(
            &SITE_KIND,
            &ListQuery {
                scope: p.access.read_scope(&SITE_KIND),
                ..ListQuery::default()
            },
        )
        .await?
        .into_iter()
        .map(|s| SelectOption {
            selected: Some(s.id) == chosen,
            value: s.id.to_string(),
            label: s.title(),
            group: String::new(),
        })
        .collect())
}

pub async fn page(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<ModelParams>,
) -> Result<Response, UiError> {
    let readable = p.read_scope(&ZONE_KIND)?;
    let (chosen, scope) = chosen_site(params.site_id.as_deref(), readable);
    let findings = state.store.check_model(&scope).await?;
    let sites = site_options(&state, &p, chosen).await?;
    // Reconciliation rules (observed traffic) are shown when they found something.
    let traffic = otkeep_core::reconcile::RULES
        .iter()
        .chain(otkeep_core::firewall::RULES)
        .filter(|(rule, _)| findings.iter().any(|f| f.rule == *rule));
    let groups = RULES
        .iter()
        .chain(traffic)
        .map(|(rule, title)| {
            let mine: Vec<_> = findings.iter().filter(|f| f.rule == *rule).collect();
            Group {
                title,
                fix: mine.first().map_or("", |f| f.fix),
                findings: mine
                    .iter()
                    .map(|f| {
                        (
                            f.message.clone(),
                            f.records
                                .iter()
                                .map(|(plural, id, t)| (format!("/{plural}/{id}"), t.clone()))
                                .collect(),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &ModelPage {
            nav: Nav::new("model", &p),
            sites,
            groups,
            findings_total: findings.len(),
        },
    ))
}
