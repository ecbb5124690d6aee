//! Server-rendered pages, generic over kinds: `/{plural}` (list), `/{plural}/new`,
//! `/{plural}/{id}` (detail), `/{plural}/{id}/edit`, `/{plural}/{id}/history`,
//! `/{plural}/export.csv`, plus the dashboard and the audit trail.

use crate::AppState;
use crate::auth::{Denied, Principal};
use crate::view::{self, Cell, FormInput, SelectOption, SlCell};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use otkeep_core::access::{Capability, Scope};
use otkeep_core::kinds::{ASSET_KIND, CONDUIT_KIND, SITE_KIND, ZONE_KIND};
use otkeep_core::value::values_from_text;
use otkeep_core::{FieldError, FieldType, KINDS, KindDef, Record};
use otkeep_store::{AuditEvent, ListQuery, SortOrder, StoreError};
use std::collections::BTreeMap;

// ---------------------------------------------------------------- errors and layout

/// An error page.
pub enum UiError {
    NotFound(String),
    Denied(Denied),
    BadRequest(String),
    Internal(String),
}

impl From<StoreError> for UiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => UiError::NotFound(e.to_string()),
            StoreError::Db(_) | StoreError::Corrupt(_) | StoreError::BadUrl(_) => {
                tracing::error!(error = %e, "store error");
                UiError::Internal(e.to_string())
            }
            other => UiError::BadRequest(other.to_string()),
        }
    }
}

impl From<Denied> for UiError {
    fn from(d: Denied) -> Self {
        UiError::Denied(d)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Nav,
    title: String,
    message: String,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            UiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            UiError::Denied(d) => (StatusCode::FORBIDDEN, d.0),
            UiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            UiError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
        };
        error_page(status, &message)
    }
}

/// An error page (without the signed-in navigation: it also serves refusals before sign-in).
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::UNAUTHORIZED => "Sign in first",
        s if s.is_server_error() => "Something went wrong",
        _ => "Cannot do that",
    };
    render(
        status,
        &ErrorPage {
            nav: Nav::anonymous(),
            title: title.to_string(),
            message: message.to_string(),
        },
    )
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready".to_string()).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unreachable: {e}"),
        )
            .into_response(),
    }
}

pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template error");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

pub(crate) fn kind_of(plural: &str) -> Result<&'static KindDef, UiError> {
    otkeep_core::kind_by_plural(plural)
        .ok_or_else(|| UiError::NotFound(format!("There is no page '/{plural}'.")))
}

/// A record the principal may read; one they may not see is "not found", exactly like a
/// missing one, so ids cannot be probed.
pub(crate) async fn load(
    state: &AppState,
    p: &Principal,
    kind: &'static KindDef,
    id: i64,
) -> Result<Record, UiError> {
    match state.store.get(kind, id).await? {
        Some(r) if p.access.can_read(&r) => Ok(r),
        _ => Err(UiError::NotFound(format!(
            "{} #{id} does not exist (it may have been deleted).",
            kind.label
        ))),
    }
}

/// Left navigation: kinds grouped as the program's documentation is.
pub struct Nav {
    pub groups: Vec<NavGroup>,
    /// The signed-in user's name (empty when signed out).
    pub user: String,
    /// The CSRF token every form of the page carries.
    pub csrf: String,
}

pub struct NavGroup {
    pub label: &'static str,
    pub items: Vec<NavItem>,
}

pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub active: bool,
}

impl Nav {
    pub(crate) fn anonymous() -> Nav {
        Nav {
            groups: Vec::new(),
            user: String::new(),
            csrf: String::new(),
        }
    }

    /// The navigation of `p`: only what they may open.
    pub(crate) fn new(active: &str, p: &Principal) -> Nav {
        let mut overview = vec![NavItem {
            href: "/".into(),
            label: "Dashboard",
            active: active == "dashboard",
        }];
        if !p.access.read_scope(&ZONE_KIND).is_nothing() {
            overview.push(NavItem {
                href: "/gap".into(),
                label: "Gap analysis",
                active: active == "gap",
            });
            overview.push(NavItem {
                href: "/model".into(),
                label: "Model health",
                active: active == "model",
            });
        }
        if !p
            .access
            .read_scope(&otkeep_core::risk_kinds::RISK_KIND)
            .is_nothing()
        {
            overview.push(NavItem {
                href: "/advisories".into(),
                label: "Advisories",
                active: active == "advisories",
            });
            overview.push(NavItem {
                href: "/sboms".into(),
                label: "SBOMs",
                active: active == "sboms",
            });
            overview.push(NavItem {
                href: "/due".into(),
                label: "What is due",
                active: active == "due",
            });
            overview.push(NavItem {
                href: "/organization".into(),
                label: "Organization",
                active: active == "organization",
            });
            overview.push(NavItem {
                href: "/observations".into(),
                label: "Observed traffic",
                active: active == "observations",
            });
            overview.push(NavItem {
                href: "/reports".into(),
                label: "Reports",
                active: active == "reports",
            });
            overview.push(NavItem {
                href: "/kpi/program".into(),
                label: "Program KPIs",
                active: active == "kpi-program",
            });
            overview.push(NavItem {
                href: "/kpi".into(),
                label: "Operations KPIs",
                active: active == "kpi",
            });
            overview.push(NavItem {
                href: "/risk".into(),
                label: "Risk register",
                active: active == "risk",
            });
            overview.push(NavItem {
                href: "/risk/method".into(),
                label: "Risk method",
                active: active == "risk-method",
            });
        }
        if !p
            .access
            .read_scope(&otkeep_core::gov_kinds::ROLE_ASSIGNMENT_KIND)
            .is_nothing()
        {
            overview.push(NavItem {
                href: "/training".into(),
                label: "Training coverage",
                active: active == "training",
            });
            overview.push(NavItem {
                href: "/raci-matrix".into(),
                label: "RACI matrix",
                active: active == "raci-matrix",
            });
        }
        if !p
            .access
            .read_scope(&otkeep_core::doc_kinds::DOCUMENT_KIND)
            .is_nothing()
        {
            overview.push(NavItem {
                href: "/coverage".into(),
                label: "Requirement coverage",
                active: active == "coverage",
            });
        }
        if p.access.has(Capability::Audit) {
            overview.push(NavItem {
                href: "/audit".into(),
                label: "Audit trail",
                active: active == "audit",
            });
        }
        let mut groups: Vec<NavGroup> = vec![NavGroup {
            label: "Overview",
            items: overview,
        }];
        for k in KINDS
            .iter()
            .filter(|k| !p.access.read_scope(k).is_nothing())
        {
            let item = NavItem {
                href: format!("/{}", k.plural),
                label: k.label_plural,
                active: active == k.plural,
            };
            match groups.iter_mut().find(|g| g.label == k.group) {
                Some(g) => g.items.push(item),
                None => groups.push(NavGroup {
                    label: k.group,
                    items: vec![item],
                }),
            }
        }
        let mut own = vec![NavItem {
            href: "/account".into(),
            label: "My account",
            active: active == "account",
        }];
        if p.access.has(Capability::Request) {
            own.push(NavItem {
                href: "/remote-access".into(),
                label: "My remote access requests",
                active: active == "remote-access",
            });
        }
        if p.is_admin() {
            own.push(NavItem {
                href: "/admin/users".into(),
                label: "Users and roles",
                active: active == "users",
            });
        }
        groups.push(NavGroup {
            label: "Access",
            items: own,
        });
        Nav {
            groups,
            user: p.account.display_name.clone(),
            csrf: p.csrf().to_string(),
        }
    }
}

// ---------------------------------------------------------------- dashboard

struct SiteCard {
    id: i64,
    code: String,
    name: String,
    time_zone: String,
    zones: i64,
    conduits: i64,
    assets: i64,
    /// (criticality key, label, count, percent width)
    criticality: Vec<(String, String, i64, i64)>,
}

struct EventRow {
    at: String,
    actor: String,
    action: String,
    kind_label: String,
    href: Option<String>,
    title: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    nav: Nav,
    sites: Vec<SiteCard>,
    total_assets: i64,
    total_zones: i64,
    total_conduits: i64,
    events: Vec<EventRow>,
}

pub async fn dashboard(State(state): State<AppState>, p: Principal) -> Result<Response, UiError> {
    let store = &state.store;
    let sites = store
        .list(
            &SITE_KIND,
            &ListQuery {
                scope: p.access.read_scope(&SITE_KIND),
                per_page: 500,
                ..ListQuery::default()
            },
        )
        .await?;
    let zones = store.count_by_site(&ZONE_KIND).await?;
    let conduits = store.count_by_site(&CONDUIT_KIND).await?;
    let assets = store.count_by_site(&ASSET_KIND).await?;
    // One grouped query for all sites, not one per site.
    let by_crit = store
        .count_by_site_and_field(&ASSET_KIND, "criticality")
        .await?;
    let mut cards = Vec::new();
    for s in &sites.records {
        let n_assets = assets.get(&s.id).copied().unwrap_or(0);
        let criticality = otkeep_core::kinds::CRITICALITY
            .iter()
            .rev()
            .map(|c| {
                let n = by_crit
                    .get(&(s.id, c.key.to_string()))
                    .copied()
                    .unwrap_or(0);
                let pct = if n_assets > 0 { n * 100 / n_assets } else { 0 };
                (c.key.to_string(), c.label.to_string(), n, pct)
            })
            .collect();
        cards.push(SiteCard {
            id: s.id,
            code: s.get("code").to_text(),
            name: s.get("name").to_text(),
            time_zone: s.get("time_zone").to_text(),
            zones: zones.get(&s.id).copied().unwrap_or(0),
            conduits: conduits.get(&s.id).copied().unwrap_or(0),
            assets: n_assets,
            criticality,
        });
    }
    let events = store
        .recent_events(12, &p.access.sites_with(Capability::Read))
        .await?;
    let page = DashboardPage {
        nav: Nav::new("dashboard", &p),
        total_assets: cards.iter().map(|c| c.assets).sum(),
        total_zones: cards.iter().map(|c| c.zones).sum(),
        total_conduits: cards.iter().map(|c| c.conduits).sum(),
        sites: cards,
        events: events.iter().map(|e| event_row(e, None)).collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

fn event_row(e: &AuditEvent, tz: Option<&str>) -> EventRow {
    let kind = otkeep_core::kind(&e.kind);
    let json = e
        .after
        .as_deref()
        .or(e.before.as_deref())
        .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
        .unwrap_or_default();
    let text = |k: &str| json.get(k).and_then(|t| t.as_str()).map(str::to_string);
    let title = match (e.action.as_str(), kind) {
        // A signature event carries the signature, not the record.
        ("sign", _) => format!(
            "{} by {}",
            text("meaning").unwrap_or_default(),
            text("signer").unwrap_or_default()
        ),
        (_, Some(k)) => text(k.title_field).unwrap_or_default(),
        // Account events: sign-ins, grants, tokens.
        (_, None) => text("username")
            .or_else(|| text("name"))
            .or_else(|| text("role"))
            .or_else(|| text("file_name"))
            .or_else(|| text("source"))
            .unwrap_or_default(),
    };
    EventRow {
        at: local_time(&e.at, tz),
        actor: e.actor.clone(),
        action: e.action.replace('_', " "),
        kind_label: kind.map_or_else(
            || match e.kind.as_str() {
                "account" => "Account".to_string(),
                "catalog" => "Catalog".to_string(),
                "evidence" => "Evidence file".to_string(),
                other => other.to_string(),
            },
            |k| k.label.to_string(),
        ),
        href: match (kind, e.record_id, e.action.as_str()) {
            (Some(k), Some(id), a) if a != "delete" => Some(format!("/{}/{id}", k.plural)),
            _ => None,
        },
        title,
        reason: e.reason.clone().unwrap_or_default(),
    }
}

/// A stored UTC time shown in a time zone (UTC when none is known).
pub(crate) fn local_time(utc: &str, tz: Option<&str>) -> String {
    let Ok(ts) = utc.parse::<jiff::Timestamp>() else {
        return utc.to_string();
    };
    let zone = tz
        .and_then(|t| jiff::tz::TimeZone::get(t).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    ts.to_zoned(zone)
        .strftime("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

// ---------------------------------------------------------------- list

struct FilterView {
    name: &'static str,
    label: &'static str,
    options: Vec<SelectOption>,
    hint: String,
}

struct ColumnView {
    label: &'static str,
    href: Option<String>,
    /// "▲", "▼" or "".
    arrow: &'static str,
}

struct RowView {
    href: String,
    title: String,
    cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    nav: Nav,
    kind: &'static KindDef,
    filters: Vec<FilterView>,
    text: String,
    columns: Vec<ColumnView>,
    rows: Vec<RowView>,
    total: i64,
    page: u32,
    pages: u32,
    first: i64,
    last: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
    first_href: Option<String>,
    last_href: Option<String>,
    export_href: String,
    new_href: String,
    filtered: bool,
    can_write: bool,
    error: Option<String>,
}

/// The URL of the list with `params` changed by `set` (empty values removed).
fn list_href(plural: &str, params: &[(String, String)], set: &[(&str, String)]) -> String {
    let mut kept: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| !set.iter().any(|(s, _)| s == k))
        .cloned()
        .collect();
    kept.extend(set.iter().map(|(k, v)| (k.to_string(), v.clone())));
    kept.retain(|(_, v)| !v.is_empty());
    if kept.is_empty() {
        format!("/{plural}")
    } else {
        let query = kept
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        format!("/{plural}?{query}")
    }
}

pub(crate) fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Options for a reference select: every site, or the zones of one site (grouped by site
/// when no site is chosen), at most 2,000.
async fn ref_options(
    state: &AppState,
    scope: Scope,
    target: &'static KindDef,
    site: Option<i64>,
) -> Result<Vec<SelectOption>, StoreError> {
    let scope = match site {
        Some(s) if scope.covers_site(Some(s)) => Scope::Limited {
            sites: vec![s],
            records: Vec::new(),
        },
        Some(_) => Scope::nothing(),
        None => scope,
    };
    if scope.is_nothing() {
        return Ok(Vec::new());
    }
    let q = ListQuery {
        scope,
        per_page: 500,
        ..ListQuery::default()
    };
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let p = state
            .store
            .list(target, &ListQuery { page, ..q.clone() })
            .await?;
        let titles = state.store.ref_titles(target, &p.records).await?;
        for r in &p.records {
            let group = match target.site_field {
                Some(sf) if site.is_none() => r
                    .get(sf)
                    .as_int()
                    .and_then(|s| titles.get(&("site", s)).cloned())
                    .unwrap_or_default(),
                _ => String::new(),
            };
            out.push(SelectOption {
                value: r.id.to_string(),
                label: r.title(),
                selected: false,
                group,
            });
        }
        if page >= p.pages() || out.len() >= 2000 {
            break;
        }
        page += 1;
    }
    out.sort_by(|a, b| a.group.cmp(&b.group).then(a.label.cmp(&b.label)));
    Ok(out)
}

pub async fn list(
    State(state): State<AppState>,
    p: Principal,
    Path(plural): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let kind = kind_of(&plural)?;
    let scope = p.read_scope(kind)?;
    let (mut q, error) = match view::list_query(kind, &params, false) {
        Ok(q) => (q, None),
        Err(e) => (ListQuery::default(), Some(format!("Filter ignored: {e}"))),
    };
    q.scope = scope;
    let page = state.store.list(kind, &q).await?;
    let titles = state.store.ref_titles(kind, &page.records).await?;

    let chosen_site = kind
        .site_field
        .and_then(|sf| q.filters.get(sf))
        .and_then(|v| v.as_int());
    let mut filters = Vec::new();
    for f in kind.filter_fields() {
        let current = q
            .filters
            .get(f.name)
            .map(|v| v.to_text())
            .unwrap_or_default();
        let (options, hint) = match f.ty {
            FieldType::Choice(choices) => (
                choices
                    .iter()
                    .map(|c| SelectOption {
                        value: c.key.to_string(),
                        label: c.label.to_string(),
                        selected: c.key == current,
                        group: String::new(),
                    })
                    .collect(),
                String::new(),
            ),
            FieldType::Bool => (
                [("yes", "Yes"), ("no", "No")]
                    .iter()
                    .map(|(v, l)| SelectOption {
                        value: v.to_string(),
                        label: l.to_string(),
                        selected: q
                            .filters
                            .get(f.name)
                            .is_some_and(|x| x.as_bool() == (*v == "yes")),
                        group: String::new(),
                    })
                    .collect(),
                String::new(),
            ),
            FieldType::Ref(target_name) | FieldType::Refs(target_name) => {
                let Some(target) = otkeep_core::kind(target_name) else {
                    continue;
                };
                if target.is_site_scoped() && chosen_site.is_none() {
                    (Vec::new(), "choose a site first".to_string())
                } else {
                    let mut opts =
                        ref_options(&state, p.access.read_scope(target), target, chosen_site)
                            .await?;
                    for o in &mut opts {
                        o.selected = o.value == current;
                    }
                    (opts, String::new())
                }
            }
            _ => continue,
        };
        filters.push(FilterView {
            name: f.name,
            label: f.label,
            options,
            hint,
        });
    }

    let sort = q.sort.unwrap_or(kind.default_sort);
    let columns = std::iter::once(kind.field(kind.title_field))
        .flatten()
        .chain(kind.list_fields().filter(|f| f.name != kind.title_field))
        .map(|f| {
            let sorted = f.name == sort;
            let next = if sorted && q.order == SortOrder::Asc {
                "desc"
            } else {
                "asc"
            };
            ColumnView {
                label: f.label,
                href: f.sortable.then(|| {
                    list_href(
                        &plural,
                        &params,
                        &[
                            ("sort", f.name.to_string()),
                            ("order", next.to_string()),
                            ("page", String::new()),
                        ],
                    )
                }),
                arrow: match (sorted, q.order) {
                    (false, _) => "",
                    (true, SortOrder::Asc) => "▲",
                    (true, SortOrder::Desc) => "▼",
                },
            }
        })
        .collect();
    let shown: Vec<&'static otkeep_core::Field> = std::iter::once(kind.field(kind.title_field))
        .flatten()
        .chain(kind.list_fields().filter(|f| f.name != kind.title_field))
        .collect();
    let rows = page
        .records
        .iter()
        .map(|r| RowView {
            href: format!("/{plural}/{}", r.id),
            title: r.title(),
            cells: shown
                .iter()
                .skip(1)
                .map(|f| view::cell(f, r.get(f.name), &titles))
                .collect(),
        })
        .collect();
    let pages = page.pages();
    let at = |n: u32| {
        list_href(
            &plural,
            &params,
            &[("page", if n <= 1 { String::new() } else { n.to_string() })],
        )
    };
    let offset = i64::from(page.page - 1) * i64::from(page.per_page);
    let export_params: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "page" && k != "per_page")
        .cloned()
        .collect();
    let export_query = list_href(&plural, &export_params, &[]);
    let page_view = ListPage {
        nav: Nav::new(&plural, &p),
        kind,
        filtered: !q.filters.is_empty() || q.text.is_some(),
        filters,
        text: q.text.clone().unwrap_or_default(),
        columns,
        rows,
        total: page.total,
        page: page.page,
        pages,
        first: if page.total == 0 { 0 } else { offset + 1 },
        last: offset + page.records.len() as i64,
        prev_href: (page.page > 1).then(|| at(page.page - 1)),
        next_href: (page.page < pages).then(|| at(page.page + 1)),
        first_href: (page.page > 1).then(|| at(1)),
        last_href: (page.page < pages).then(|| at(pages)),
        export_href: export_query.replacen(
            &format!("/{plural}"),
            &format!("/{plural}/export.csv"),
            1,
        ),
        new_href: match chosen_site {
            Some(s) => format!("/{plural}/new?site_id={s}"),
            None => format!("/{plural}/new"),
        },
        can_write: p.access.can_write_somewhere(),
        error,
    };
    Ok(render(StatusCode::OK, &page_view))
}

pub async fn export_csv(
    State(state): State<AppState>,
    p: Principal,
    Path(plural): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    // Read-only: a fresh read replica may serve it.
    let state = state.for_heavy_reads().await;
    let kind = kind_of(&plural)?;
    let scope = p.read_scope(kind)?;
    let mut q =
        view::list_query(kind, &params, false).map_err(|e| UiError::BadRequest(e.to_string()))?;
    q.scope = scope;
    q.per_page = otkeep_store::read::MAX_PER_PAGE;
    let mut out = Vec::new();
    let mut writer = otkeep_report::CsvWriter::new(kind, &mut out)
        .map_err(|e| UiError::Internal(e.to_string()))?;
    let mut page = 1;
    loop {
        let p = state
            .store
            .list(kind, &ListQuery { page, ..q.clone() })
            .await?;
        let titles = state.store.ref_titles(kind, &p.records).await?;
        writer
            .write(&p.records, &titles)
            .map_err(|e| UiError::Internal(e.to_string()))?;
        if page >= p.pages() {
            break;
        }
        page += 1;
    }
    writer
        .finish()
        .map_err(|e| UiError::Internal(e.to_string()))?;
    let name = format!(
        "{}-{}.csv",
        kind.plural,
        jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        out,
    )
        .into_response())
}

// ---------------------------------------------------------------- detail and history

struct DetailField {
    name: &'static str,
    label: &'static str,
    help: &'static str,
    cell: Cell,
}

struct RelatedList {
    label: String,
    href: String,
    total: i64,
    rows: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "detail.html")]
struct DetailPage {
    nav: Nav,
    kind: &'static KindDef,
    record: Record,
    title: String,
    fields: Vec<DetailField>,
    related: Vec<RelatedList>,
    sl: Vec<SlCell>,
    sl_label: &'static str,
    signatures: Vec<crate::sign::SignatureView>,
    can_sign: bool,
    created: String,
    updated: String,
    can_write: bool,
    error: Option<String>,
    notice: Option<String>,
    /// State lines of risk records (exception state, ratings): (badge key, text).
    status: Vec<(String, String)>,
    /// The advisories matching an asset: (href, text, triage state).
    advisories: Vec<(String, String, &'static str)>,
    /// The SBOMs of an asset and of its model: (href, label).
    sboms: Vec<(String, String)>,
    /// The asset types (for recording a patch on assets of a type).
    asset_types: &'static [otkeep_core::kind::Choice],
    /// A document version's Markdown text, rendered as safe HTML.
    markdown: Option<String>,
}

async fn site_time_zone(state: &AppState, record: &Record) -> Option<String> {
    let site = record.site_id()?;
    let s = state.store.get(&SITE_KIND, site).await.ok()??;
    Some(s.get("time_zone").to_text())
}

async fn detail_page(
    state: &AppState,
    p: &Principal,
    kind: &'static KindDef,
    record: Record,
    error: Option<String>,
    notice: Option<String>,
) -> Result<DetailPage, UiError> {
    let titles = state
        .store
        .ref_titles(kind, std::slice::from_ref(&record))
        .await?;
    let fields = kind
        .fields
        .iter()
        .filter(|f| f.ty != FieldType::SlVector)
        .map(|f| DetailField {
            name: f.name,
            label: f.label,
            help: f.help,
            cell: view::cell(f, record.get(f.name), &titles),
        })
        .collect();
    let sl_field = kind.fields.iter().find(|f| f.ty == FieldType::SlVector);
    let sl = sl_field
        .and_then(|f| match record.get(f.name) {
            otkeep_core::Value::Sl(v) => Some(view::sl_cells(v.levels())),
            _ => None,
        })
        .unwrap_or_default();
    let sl_label = sl_field.map_or("", |f| f.label);
    // Records of other kinds that refer to this one (a zone's assets and conduits, …).
    let mut related = Vec::new();
    for (other, field) in otkeep_core::kinds::referrers(kind.name) {
        let scope = p.access.read_scope(other);
        if !field.filterable || scope.is_nothing() {
            continue;
        }
        let mut q = ListQuery {
            per_page: 10,
            scope,
            ..ListQuery::default()
        };
        q.filters
            .insert(field.name, otkeep_core::Value::Int(record.id));
        let p = state.store.list(other, &q).await?;
        if p.total == 0 {
            continue;
        }
        related.push(RelatedList {
            label: if other
                .fields
                .iter()
                .filter(|f| f.ref_kind() == Some(kind.name))
                .count()
                > 1
            {
                format!("{} ({})", other.label_plural, field.label)
            } else {
                other.label_plural.to_string()
            },
            href: format!("/{}?{}={}", other.plural, field.name, record.id),
            total: p.total,
            rows: p
                .records
                .iter()
                .map(|r| (format!("/{}/{}", other.plural, r.id), r.title()))
                .collect(),
        });
    }
    let tz = site_time_zone(state, &record).await;
    let signatures = crate::sign::signature_views(state, &record, tz.as_deref()).await?;
    let site = record.site_id();
    let status = crate::risk::status_lines(state, &record).await?;
    let advisories = crate::advisory::asset_lines(state, &record).await?;
    let sboms = crate::sbom::asset_lines(state, &record).await?;
    let markdown = Some(record.get("body").to_text())
        .filter(|b| kind.name == "document_version" && !b.trim().is_empty())
        .map(|b| otkeep_report::markdown::to_safe_html(&b));
    Ok(DetailPage {
        sboms,
        advisories,
        status,
        nav: Nav::new(kind.plural, p),
        signatures,
        can_sign: p.access.may(Capability::Sign, site),
        kind,
        title: record.title(),
        created: local_time(&record.created_at, tz.as_deref()),
        updated: local_time(&record.updated_at, tz.as_deref()),
        record,
        fields,
        related,
        sl,
        sl_label,
        can_write: p.access.may(Capability::Write, site),
        error,
        notice,
        asset_types: otkeep_core::kinds::ASSET_TYPES,
        markdown,
    })
}

#[derive(serde::Deserialize)]
pub struct DetailParams {
    saved: Option<String>,
    signed: Option<String>,
    applied: Option<String>,
    /// Patches applied to assets in bulk: how many were added, how many were there already.
    added: Option<u32>,
    already: Option<u32>,
}

pub async fn detail(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
    Query(params): Query<DetailParams>,
) -> Result<Response, UiError> {
    let kind = kind_of(&plural)?;
    let record = load(&state, &p, kind, id).await?;
    let notice = match (params.saved, params.signed, params.applied) {
        (Some(_), _, _) => Some(format!("{} saved.", kind.label)),
        (None, Some(_), _) => Some("Signature recorded.".to_string()),
        (None, None, Some(_)) => Some(
            "The recommended SL-T is now the target of its zones, with this justification."
                .to_string(),
        ),
        _ => params.added.map(|n| {
            format!(
                "Recorded on {n} more asset{} as evaluated ({} already had it).",
                if n == 1 { "" } else { "s" },
                params.already.unwrap_or(0)
            )
        }),
    };
    let page = detail_page(&state, &p, kind, record, None, notice).await?;
    Ok(render(StatusCode::OK, &page))
}

struct ChangeView {
    field: String,
    before: String,
    after: String,
}

struct HistoryRow {
    event: EventRow,
    seq: i64,
    changes: Vec<ChangeView>,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    nav: Nav,
    kind: &'static KindDef,
    id: i64,
    title: String,
    time_zone: String,
    rows: Vec<HistoryRow>,
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".to_string(),
        serde_json::Value::String(s) if s.is_empty() => "—".to_string(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) if items.iter().all(|i| i.is_number()) => items
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(","),
        serde_json::Value::Array(items) => items
            .iter()
            .map(
                |c| match serde_json::from_value::<otkeep_core::Channel>(c.clone()) {
                    Ok(ch) => ch.to_string(),
                    Err(_) => c.to_string(),
                },
            )
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

pub async fn history(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
) -> Result<Response, UiError> {
    let kind = kind_of(&plural)?;
    let (current, events) = visible_history(&state, &p, kind, id)
        .await?
        .ok_or_else(|| UiError::NotFound(format!("{} #{id} has no history.", kind.label)))?;
    let tz = match &current {
        Some(r) => site_time_zone(&state, r).await,
        None => None,
    };
    let rows = events
        .iter()
        .rev()
        .map(|e| HistoryRow {
            event: event_row(e, tz.as_deref()),
            seq: e.seq,
            changes: e
                .changes()
                .into_iter()
                .map(|c| ChangeView {
                    field: kind
                        .field(&c.field)
                        .map_or(c.field.clone(), |f| f.label.to_string()),
                    before: json_text(&c.before),
                    after: json_text(&c.after),
                })
                .collect(),
        })
        .collect();
    let page = HistoryPage {
        nav: Nav::new(kind.plural, &p),
        kind,
        id,
        title: current.map_or_else(|| format!("{} #{id} (deleted)", kind.label), |r| r.title()),
        time_zone: tz.unwrap_or_else(|| "UTC".into()),
        rows,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The record (if it still exists) and its history, when `p` may read them: the record's site
/// decides, or for a deleted record the site its last event names.
pub(crate) async fn visible_history(
    state: &AppState,
    p: &Principal,
    kind: &'static KindDef,
    id: i64,
) -> Result<Option<(Option<Record>, Vec<AuditEvent>)>, StoreError> {
    let current = state.store.get(kind, id).await?;
    let events = state.store.history(kind.name, id).await?;
    let visible = match &current {
        Some(r) => p.access.can_read(r),
        None => events
            .iter()
            .rev()
            .find(|e| e.action != "sign")
            .is_some_and(|e| p.access.read_scope(kind).covers(id, e.site_id)),
    };
    Ok((visible && !events.is_empty()).then_some((current, events)))
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    rows: Vec<(i64, EventRow, String)>,
}

pub async fn audit_trail(State(state): State<AppState>, p: Principal) -> Result<Response, UiError> {
    let events = state
        .store
        .recent_events(200, &p.access.sites_with(Capability::Audit))
        .await?;
    let rows = events
        .iter()
        .map(|e| (e.seq, event_row(e, None), e.hash.chars().take(12).collect()))
        .collect();
    Ok(render(
        StatusCode::OK,
        &AuditPage {
            nav: Nav::new("audit", &p),
            rows,
        },
    ))
}

// ---------------------------------------------------------------- forms

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage {
    nav: Nav,
    kind: &'static KindDef,
    /// `None` for a new record.
    id: Option<i64>,
    version: i64,
    title: String,
    action: String,
    cancel: String,
    inputs: Vec<FormInput>,
    errors: Vec<FieldError>,
    conflict: Option<String>,
    transports: Vec<&'static str>,
    directions: Vec<(&'static str, &'static str)>,
    reason: String,
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    p: &Principal,
    kind: &'static KindDef,
    existing: Option<&Record>,
    text: &BTreeMap<String, String>,
    errors: Vec<FieldError>,
    conflict: Option<String>,
    reason: String,
) -> Result<FormPage, UiError> {
    let site = kind
        .site_field
        .and_then(|sf| text.get(sf))
        .and_then(|s| s.parse::<i64>().ok());
    let mut options = BTreeMap::new();
    for f in kind.fields {
        if let Some(target) = f.ref_kind().and_then(otkeep_core::kind) {
            // Zones of the chosen site only when editing; all (grouped by site) otherwise.
            let restrict = if target.is_site_scoped() && existing.is_some() {
                site
            } else {
                None
            };
            // Only records of sites the user may write to.
            let scope = p.access.sites_with(Capability::Write);
            options.insert(f.name, ref_options(state, scope, target, restrict).await?);
        }
    }
    let (transports, directions) = view::channel_choices();
    let method = if kind.fields.iter().any(|f| f.ty == FieldType::Impacts) {
        state.store.risk_method(site).await?.method
    } else {
        otkeep_core::risk::RiskMethod::default_method()
    };
    Ok(FormPage {
        nav: Nav::new(kind.plural, p),
        kind,
        id: existing.map(|r| r.id),
        version: existing.map_or(0, |r| r.version),
        title: match existing {
            Some(r) => format!("Edit {} {}", kind.label.to_lowercase(), r.title()),
            None => format!("New {}", kind.label.to_lowercase()),
        },
        action: match existing {
            Some(r) => format!("/{}/{}", kind.plural, r.id),
            None => format!("/{}", kind.plural),
        },
        cancel: match existing {
            Some(r) => format!("/{}/{}", kind.plural, r.id),
            None => format!("/{}", kind.plural),
        },
        inputs: view::form_inputs(kind, text, &errors, &options, &method),
        errors,
        conflict,
        transports,
        directions,
        reason,
    })
}

/// Fills empty owner/reviewer fields of a new record of `kind` on `site` with the current
/// holders of the role its site's RACI matrix names (`gov_kinds::RACI_SUGGESTIONS`).
async fn suggest_from_raci(
    state: &AppState,
    p: &Principal,
    kind: &'static KindDef,
    site: i64,
    text: &mut BTreeMap<String, String>,
) -> Result<(), UiError> {
    use otkeep_core::gov_kinds::{RACI_KIND, RACI_SUGGESTIONS};
    let wanted: Vec<_> = RACI_SUGGESTIONS
        .iter()
        .filter(|(k, field, _, _)| {
            *k == kind.name && text.get(*field).is_none_or(|v| v.trim().is_empty())
        })
        .collect();
    if wanted.is_empty() || !p.access.read_scope(&RACI_KIND).covers_site(Some(site)) {
        return Ok(());
    }
    let scope = Scope::Limited {
        sites: vec![site],
        records: Vec::new(),
    };
    let people = state
        .store
        .raci_people(&scope, jiff::Zoned::now().date())
        .await?;
    for (_, field, activity, responsibility) in wanted {
        let Some((_, _, named)) = people.iter().find(|(_, a, _)| a == activity) else {
            continue;
        };
        let names = if *responsibility == "accountable" {
            &named.accountable
        } else {
            &named.responsible
        };
        if !names.is_empty() {
            text.insert(field.to_string(), names.join(", "));
        }
    }
    Ok(())
}

pub async fn new_form(
    State(state): State<AppState>,
    p: Principal,
    Path(plural): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let kind = kind_of(&plural)?;
    if kind.name == "site" {
        p.require(Capability::Write, None)?;
    }
    // Sensible defaults of the kind, then query parameters preset fields (e.g. the site when
    // coming from a filtered list).
    let mut text: BTreeMap<String, String> =
        otkeep_core::ops_kinds::form_defaults(kind.name, jiff::Zoned::now().datetime())
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
    text.extend(params.into_iter().filter(|(k, _)| kind.field(k).is_some()));
    // Owners and reviewers suggested by the site's RACI matrix, when the site is known.
    if let Some(site) = text
        .get("site_id")
        .and_then(|s| s.trim().parse::<i64>().ok())
    {
        suggest_from_raci(&state, &p, kind, site, &mut text).await?;
    }
    let page = form_page(
        &state,
        &p,
        kind,
        None,
        &text,
        Vec::new(),
        None,
        String::new(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

#[derive(serde::Deserialize, Default)]
pub struct EditParams {
    /// A reason to start with, e.g. `CR-12` when the edit is made under a change request.
    reason: Option<String>,
}

pub async fn edit_form(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
    Query(params): Query<EditParams>,
) -> Result<Response, UiError> {
    let kind = kind_of(&plural)?;
    let record = load(&state, &p, kind, id).await?;
    p.require(Capability::Write, record.site_id())?;
    let text = view::record_text(&record);
    let reason: String = params
        .reason
        .unwrap_or_default()
        .chars()
        .take(500)
        .collect();
    let page = form_page(
        &state,
        &p,
        kind,
        Some(&record),
        &text,
        Vec::new(),
        None,
        reason,
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

fn form_field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// The site a record written with these values belongs to: its site field, or for a site its
/// own id (`None` for a new site, which needs write access to every site).
pub(crate) fn target_site(
    kind: &KindDef,
    values: &otkeep_core::Values,
    existing: Option<i64>,
) -> Option<i64> {
    match kind.site_field {
        Some(sf) => values.get(sf).and_then(otkeep_core::Value::as_int),
        None if kind.name == "site" => existing,
        None => None,
    }
}

/// New references to records the principal may not read, refused as if those records did not
/// exist (the store's own words for a missing one, so ids of other sites cannot be probed).
///
/// The store checks that a reference exists and, where the field says so, stays within the
/// site; some fields have no site rule (a document reference may name a corporate document of
/// another site), so without this check a site engineer could link another site's record they
/// cannot read, and then read its title on their own record. References the record already
/// had are left alone (an administrator may have made them).
pub(crate) async fn unreadable_references(
    state: &AppState,
    p: &Principal,
    kind: &'static KindDef,
    values: &otkeep_core::Values,
    existing: Option<i64>,
) -> Result<Vec<FieldError>, StoreError> {
    let before = match existing {
        Some(id) => state.store.get(kind, id).await?,
        None => None,
    };
    let mut errors = Vec::new();
    for f in kind.fields {
        let (FieldType::Ref(target) | FieldType::Refs(target)) = f.ty else {
            continue;
        };
        let (Some(target), Some(value)) = (otkeep_core::kind(target), values.get(f.name)) else {
            continue;
        };
        let had = before
            .as_ref()
            .map(|r| r.get(f.name))
            .map(|v| v.ids().to_vec())
            .unwrap_or_default();
        for &id in value.ids() {
            if had.contains(&id) {
                continue;
            }
            if let Some(r) = state.store.get(target, id).await?
                && !p.access.can_read(&r)
            {
                errors.push(FieldError::new(
                    f.name,
                    format!("{} #{id} does not exist", target.label),
                ));
            }
        }
    }
    Ok(errors)
}

/// What became of a submitted form.
enum Saved {
    /// Written; the id of the record.
    Done(i64),
    /// Refused with field errors, or because the record moved on (a conflict message).
    Refused(Vec<FieldError>, Option<String>),
}

/// Parses a submitted form and creates the record (`existing` is `None`) or updates record
/// `id` from `version`, through the write path. Shared by the create and the edit form.
async fn save(
    state: &AppState,
    p: &Principal,
    kind: &'static KindDef,
    existing: Option<(i64, i64)>,
    text: &BTreeMap<String, String>,
    reason: &str,
) -> Result<Saved, UiError> {
    if kind.name == "site" && existing.is_none() {
        // A new site belongs to no site yet: only those who write everywhere may add one.
        p.require(Capability::Write, None)?;
    }
    let values = match values_from_text(kind, text) {
        Ok(values) => values,
        Err(errors) => return Ok(Saved::Refused(errors, None)),
    };
    p.require(
        Capability::Write,
        target_site(kind, &values, existing.map(|e| e.0)),
    )?;
    let errors = unreadable_references(state, p, kind, &values, existing.map(|e| e.0)).await?;
    if !errors.is_empty() {
        return Ok(Saved::Refused(errors, None));
    }
    let mut tx = state.store.begin_write(p.name(), Some(reason)).await?;
    let written = match existing {
        None => tx.create(kind, values).await,
        Some((id, version)) => tx.update(kind, id, version, values).await,
    };
    match written {
        Ok(record) => {
            tx.commit().await?;
            Ok(Saved::Done(record.id))
        }
        Err(StoreError::Invalid(errors)) => Ok(Saved::Refused(errors, None)),
        Err(e @ StoreError::Conflict { .. }) => Ok(Saved::Refused(Vec::new(), Some(e.to_string()))),
        Err(e) => Err(e.into()),
    }
}

/// The version a form or delete button was rendered from; required for optimistic concurrency.
fn form_version(pairs: &[(String, String)]) -> Result<i64, UiError> {
    form_field(pairs, "_version").parse().map_err(|_| {
        UiError::BadRequest("the form is missing the record version; reload the page".into())
    })
}

pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    Path(plural): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let kind = kind_of(&plural)?;
    let text = view::form_text(kind, &pairs);
    let reason = form_field(&pairs, "_reason");
    match save(&state, &p, kind, None, &text, &reason).await? {
        Saved::Done(id) => Ok(Redirect::to(&format!("/{plural}/{id}?saved=1")).into_response()),
        Saved::Refused(errors, _) => {
            let page = form_page(&state, &p, kind, None, &text, errors, None, reason).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

pub async fn update(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let kind = kind_of(&plural)?;
    let current = load(&state, &p, kind, id).await?;
    p.require(Capability::Write, current.site_id())?;
    let text = view::form_text(kind, &pairs);
    let reason = form_field(&pairs, "_reason");
    let version = form_version(&pairs)?;
    let (errors, conflict) =
        match save(&state, &p, kind, Some((id, version)), &text, &reason).await? {
            Saved::Done(_) => {
                return Ok(Redirect::to(&format!("/{plural}/{id}?saved=1")).into_response());
            }
            Saved::Refused(errors, conflict) => (errors, conflict),
        };
    // Keep the user's input. On a conflict the form carries the stored version, so saving again
    // deliberately overwrites the other person's change after the user has seen the warning.
    let status = if conflict.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let keep_version = conflict.is_none();
    let mut page = form_page(
        &state,
        &p,
        kind,
        Some(&current),
        &text,
        errors,
        conflict,
        reason,
    )
    .await?;
    if keep_version {
        page.version = version;
    }
    Ok(render(status, &page))
}

pub async fn delete(
    State(state): State<AppState>,
    p: Principal,
    Path((plural, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let kind = kind_of(&plural)?;
    let record = load(&state, &p, kind, id).await?;
    p.require(Capability::Write, record.site_id())?;
    let version = form_version(&pairs)?;
    let reason = form_field(&pairs, "_reason");
    let mut tx = state.store.begin_write(p.name(), Some(&reason)).await?;
    match tx.delete(kind, id, version).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/{plural}")).into_response())
        }
        Err(e @ (StoreError::Referenced(_) | StoreError::Conflict { .. })) => {
            drop(tx);
            let page = detail_page(&state, &p, kind, record, Some(e.to_string()), None).await?;
            Ok(render(StatusCode::CONFLICT, &page))
        }
        Err(e) => Err(e.into()),
    }
}
