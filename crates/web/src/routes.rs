//! Every route of the server, each with the [`Gate`] it passes before its handler.
//!
//! The router is built from [`table`] only, and each route carries its own gate, so a route
//! cannot exist without an access rule. [`route_specs`] lists them for the authorization
//! matrix test, which must know the expected answer for every route and role.

use crate::auth::{self, Gate};
use crate::{
    AppState, account, admin, advisory, api, certificate, due, evidence, gap, governance, kpi,
    model, observe, openapi, org, oscal, patch, program_kpi, remote, reports, risk, sbom, sign, ui,
};
use axum::Router;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, delete, get, post, put};
use otkeep_core::access::Capability::{Audit, ManageUsers, Read, Request as Raise, Sign, Write};

/// One route: method, path pattern (axum syntax), gate and the largest request body it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub gate: Gate,
    /// Bodies larger than this are refused with 413 before the gate or handler reads them
    /// ([`MAX_BODY_BYTES`] unless the route takes file uploads).
    pub body_limit: usize,
}

/// The largest body of a route without file uploads: forms and JSON documents are small.
/// (axum's own default was 2 MB, and routes that never read their body accepted any size.)
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The largest assessment sheet (CSV or XLSX) imported on a site's gap page.
pub const MAX_SHEET_BYTES: usize = 10 * 1024 * 1024;

const STYLE_CSS: &str = include_str!("../static/style.css");

fn route(
    method: Method,
    path: &'static str,
    gate: Gate,
    handler: MethodRouter<AppState>,
) -> (RouteSpec, MethodRouter<AppState>) {
    (
        RouteSpec {
            method,
            path,
            gate,
            body_limit: MAX_BODY_BYTES,
        },
        handler,
    )
}

/// A route taking file uploads of up to `limit` bytes.
fn upload(
    path: &'static str,
    gate: Gate,
    handler: MethodRouter<AppState>,
    limit: usize,
) -> (RouteSpec, MethodRouter<AppState>) {
    let (mut spec, handler) = route(Method::POST, path, gate, handler);
    spec.body_limit = limit;
    (spec, handler)
}

/// The route table.
fn table() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use Gate::{Can, Public, SignedIn};
    use Method as M;
    vec![
        // Operations and static files.
        route(M::GET, "/healthz", Public, get(|| async { "ok" })),
        route(M::GET, "/readyz", Public, get(ui::readyz)),
        route(
            M::GET,
            "/static/style.css",
            Public,
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    STYLE_CSS,
                )
            }),
        ),
        route(M::GET, "/api/openapi.json", Public, get(openapi::document)),
        // Signing in and one's own account.
        route(M::GET, "/login", Public, get(account::login_form)),
        route(M::POST, "/login", Public, post(account::login)),
        route(M::POST, "/logout", SignedIn, post(account::logout)),
        route(M::GET, "/account", SignedIn, get(account::overview)),
        route(
            M::GET,
            "/account/password",
            SignedIn,
            get(account::password_form),
        ),
        route(
            M::POST,
            "/account/password",
            SignedIn,
            post(account::change_password),
        ),
        route(
            M::POST,
            "/account/tokens",
            SignedIn,
            post(account::create_token),
        ),
        route(
            M::POST,
            "/account/tokens/{id}/revoke",
            SignedIn,
            post(account::revoke_token),
        ),
        // Administration of accounts.
        route(M::GET, "/admin/users", Can(ManageUsers), get(admin::list)),
        route(
            M::POST,
            "/admin/users",
            Can(ManageUsers),
            post(admin::create),
        ),
        route(
            M::GET,
            "/admin/users/{id}",
            Can(ManageUsers),
            get(admin::detail),
        ),
        route(
            M::POST,
            "/admin/users/{id}/grants",
            Can(ManageUsers),
            post(admin::grant),
        ),
        route(
            M::POST,
            "/admin/users/{id}/grants/{grant}/revoke",
            Can(ManageUsers),
            post(admin::revoke),
        ),
        route(
            M::POST,
            "/admin/users/{id}/reset-password",
            Can(ManageUsers),
            post(admin::reset_password),
        ),
        route(
            M::POST,
            "/admin/users/{id}/disable",
            Can(ManageUsers),
            post(admin::disable),
        ),
        route(
            M::POST,
            "/admin/users/{id}/enable",
            Can(ManageUsers),
            post(admin::enable),
        ),
        route(
            M::POST,
            "/admin/users/{id}/tokens/{token}/revoke",
            Can(ManageUsers),
            post(admin::revoke_token),
        ),
        // Pages over records, generic over kinds.
        route(M::GET, "/", Can(Read), get(ui::dashboard)),
        route(M::GET, "/audit", Can(Audit), get(ui::audit_trail)),
        // IEC 62443 gap analysis.
        route(M::GET, "/gap", Can(Read), get(gap::organization)),
        route(M::GET, "/organization", Can(Read), get(org::page)),
        route(
            M::GET,
            "/gap/summary.xlsx",
            Can(Read),
            get(gap::organization_xlsx),
        ),
        route(
            M::GET,
            "/gap/summary.csv",
            Can(Read),
            get(gap::organization_csv),
        ),
        route(M::GET, "/model", Can(Read), get(model::page)),
        // Security advisories.
        route(M::GET, "/advisories", Can(Read), get(advisory::list)),
        upload(
            "/advisories/upload",
            Can(Write),
            post(advisory::upload),
            advisory::MAX_UPLOAD_BYTES,
        ),
        route(M::GET, "/advisories/{id}", Can(Read), get(advisory::detail)),
        route(
            M::POST,
            "/advisories/aliases",
            Can(Write),
            post(advisory::add_alias),
        ),
        route(
            M::POST,
            "/advisories/matches/{id}",
            Can(Write),
            post(advisory::triage),
        ),
        // Certificates and keys: import from a PEM or DER file.
        upload(
            "/certificates/import",
            Can(Write),
            post(certificate::import),
            certificate::MAX_CERTIFICATE_BYTES,
        ),
        // SBOMs.
        route(M::GET, "/sboms", Can(Read), get(sbom::list)),
        upload(
            "/sboms/upload",
            Can(Write),
            post(sbom::upload),
            sbom::MAX_SBOM_BYTES,
        ),
        route(M::GET, "/sboms/{id}", Can(Read), get(sbom::detail)),
        route(M::GET, "/sboms/{id}/diff", Can(Read), get(sbom::compare)),
        // Risk management and what is due.
        route(M::GET, "/due", Can(Read), get(due::page)),
        route(M::GET, "/kpi", Can(Read), get(kpi::page)),
        route(M::GET, "/kpi/program", Can(Read), get(program_kpi::page)),
        route(
            M::POST,
            "/kpi/targets",
            Can(Write),
            post(program_kpi::set_target),
        ),
        route(
            M::GET,
            "/training",
            Can(Read),
            get(governance::training_page),
        ),
        route(
            M::GET,
            "/raci-matrix",
            Can(Read),
            get(governance::raci_page),
        ),
        route(
            M::GET,
            "/coverage",
            Can(Read),
            get(governance::coverage_page),
        ),
        route(
            M::GET,
            "/gap/{plural}/{id}/oscal.json",
            Can(Read),
            get(oscal::zone),
        ),
        route(M::GET, "/risk/poam.json", Can(Read), get(oscal::plan)),
        // Observed traffic of a site, reconciled with its records.
        route(M::GET, "/observations", Can(Read), get(observe::list)),
        upload(
            "/observations/upload",
            Can(Write),
            post(observe::upload),
            observe::MAX_UPLOAD_BYTES,
        ),
        route(
            M::POST,
            "/observations/dismiss",
            Can(Write),
            post(observe::dismiss),
        ),
        route(M::GET, "/api/v1/observations", Can(Read), get(observe::api)),
        // Generated reports (HTML, PDF, XLSX; as of a past date from the audit trail).
        route(M::GET, "/reports", Can(Read), get(reports::index)),
        route(M::GET, "/reports/{slug}", Can(Read), get(reports::page)),
        route(
            M::GET,
            "/reports/{slug}/pdf",
            Can(Read),
            get(reports::pdf_download),
        ),
        route(
            M::GET,
            "/reports/{slug}/xlsx",
            Can(Read),
            get(reports::xlsx_download),
        ),
        route(M::GET, "/api/v1/reports", Can(Read), get(reports::api_list)),
        route(
            M::GET,
            "/api/v1/reports/{slug}",
            Can(Read),
            get(reports::api_report),
        ),
        route(
            M::GET,
            "/incidents/{id}/report",
            Can(Read),
            get(governance::incident_report),
        ),
        route(
            M::POST,
            "/patches/{id}/apply",
            Can(Write),
            post(patch::submit),
        ),
        // Remote-access requests of one's own (vendors included).
        route(M::GET, "/remote-access", Can(Raise), get(remote::page)),
        route(M::POST, "/remote-access", Can(Raise), post(remote::submit)),
        route(M::GET, "/risk", Can(Read), get(risk::register)),
        route(
            M::GET,
            "/risk/register.csv",
            Can(Read),
            get(risk::register_csv),
        ),
        route(
            M::GET,
            "/risk/register.xlsx",
            Can(Read),
            get(risk::register_xlsx),
        ),
        route(M::GET, "/risk/heatmap.svg", Can(Read), get(risk::heatmap)),
        route(M::GET, "/risk/method", Can(Read), get(risk::method)),
        route(
            M::GET,
            "/risk/method.json",
            Can(Read),
            get(risk::method_json),
        ),
        route(M::POST, "/risk/method", Can(Write), post(risk::method_save)),
        route(
            M::POST,
            "/risk-assessments/{id}/apply-sl-t",
            Can(Write),
            post(risk::apply_sl_t),
        ),
        route(M::GET, "/gap/{plural}/{id}", Can(Read), get(gap::page)),
        route(M::POST, "/gap/{plural}/{id}", Can(Write), post(gap::save)),
        route(
            M::GET,
            "/gap/{plural}/{id}/export.csv",
            Can(Read),
            get(gap::site_csv),
        ),
        route(
            M::GET,
            "/gap/{plural}/{id}/export.xlsx",
            Can(Read),
            get(gap::site_xlsx),
        ),
        upload(
            "/gap/{plural}/{id}/import",
            Can(Write),
            post(gap::import_sheet),
            MAX_SHEET_BYTES,
        ),
        route(
            M::GET,
            "/gap/{plural}/{id}/diagram.svg",
            Can(Read),
            get(gap::site_diagram),
        ),
        route(M::GET, "/{plural}", Can(Read), get(ui::list)),
        route(M::POST, "/{plural}", Can(Write), post(ui::create)),
        route(M::GET, "/{plural}/new", Can(Write), get(ui::new_form)),
        route(
            M::GET,
            "/{plural}/export.csv",
            Can(Read),
            get(ui::export_csv),
        ),
        route(M::GET, "/{plural}/{id}", Can(Read), get(ui::detail)),
        route(M::POST, "/{plural}/{id}", Can(Write), post(ui::update)),
        route(
            M::GET,
            "/{plural}/{id}/edit",
            Can(Write),
            get(ui::edit_form),
        ),
        route(
            M::POST,
            "/{plural}/{id}/delete",
            Can(Write),
            post(ui::delete),
        ),
        route(
            M::GET,
            "/{plural}/{id}/history",
            Can(Read),
            get(ui::history),
        ),
        upload(
            "/{plural}/{id}/evidence",
            Can(Write),
            post(evidence::upload),
            evidence::MAX_EVIDENCE_BYTES + 64 * 1024,
        ),
        route(
            M::GET,
            "/evidence/{sha}",
            Can(Read),
            get(evidence::download),
        ),
        route(M::GET, "/{plural}/{id}/sign", Can(Sign), get(sign::form)),
        route(
            M::POST,
            "/{plural}/{id}/sign",
            Can(Sign),
            post(sign::submit),
        ),
        // The JSON API.
        route(M::GET, "/api/v1/me", SignedIn, get(api::me)),
        route(M::GET, "/api/v1/me/tokens", SignedIn, get(api::my_tokens)),
        route(
            M::POST,
            "/api/v1/me/tokens",
            SignedIn,
            post(api::create_token),
        ),
        route(
            M::DELETE,
            "/api/v1/me/tokens/{id}",
            SignedIn,
            delete(api::revoke_token),
        ),
        route(M::GET, "/api/v1/audit", Can(Audit), get(api::audit)),
        route(M::GET, "/api/v1/due", Can(Read), get(due::feed)),
        route(
            M::POST,
            "/api/v1/patches/{id}/apply",
            Can(Write),
            post(patch::api),
        ),
        route(M::GET, "/api/v1/kpi/operations", Can(Read), get(kpi::api)),
        route(
            M::GET,
            "/api/v1/kpi/program",
            Can(Read),
            get(program_kpi::api_current),
        ),
        route(
            M::GET,
            "/api/v1/kpi/history",
            Can(Read),
            get(program_kpi::api_history),
        ),
        route(
            M::GET,
            "/api/v1/training/coverage",
            Can(Read),
            get(governance::training_api),
        ),
        route(
            M::GET,
            "/api/v1/raci/people",
            Can(Read),
            get(governance::raci_people),
        ),
        route(
            M::GET,
            "/api/v1/coverage",
            Can(Read),
            get(governance::coverage_api),
        ),
        route(
            M::GET,
            "/api/v1/remote-access",
            Can(Raise),
            get(remote::api_list),
        ),
        route(
            M::POST,
            "/api/v1/remote-access",
            Can(Raise),
            post(remote::api_create),
        ),
        route(
            M::GET,
            "/api/v1/kpi/restore-tests",
            Can(Read),
            get(due::restore_kpi),
        ),
        route(
            M::GET,
            "/api/v1/advisories",
            Can(Read),
            get(advisory::api_list),
        ),
        route(M::GET, "/api/v1/sboms", Can(Read), get(sbom::api_list)),
        route(M::GET, "/api/v1/sboms/{id}", Can(Read), get(sbom::api_read)),
        route(
            M::GET,
            "/api/v1/advisories/{id}",
            Can(Read),
            get(advisory::api_read),
        ),
        route(
            M::POST,
            "/api/v1/advisory-matches/{id}/triage",
            Can(Write),
            post(advisory::api_triage),
        ),
        route(M::GET, "/api/v1/{plural}", Can(Read), get(api::list)),
        route(M::POST, "/api/v1/{plural}", Can(Write), post(api::create)),
        route(M::GET, "/api/v1/{plural}/{id}", Can(Read), get(api::read)),
        route(
            M::PUT,
            "/api/v1/{plural}/{id}",
            Can(Write),
            put(api::replace),
        ),
        route(
            M::DELETE,
            "/api/v1/{plural}/{id}",
            Can(Write),
            delete(api::remove),
        ),
        route(
            M::GET,
            "/api/v1/{plural}/{id}/history",
            Can(Read),
            get(api::history),
        ),
        route(
            M::GET,
            "/api/v1/{plural}/{id}/signatures",
            Can(Read),
            get(sign::api_list),
        ),
        route(
            M::POST,
            "/api/v1/{plural}/{id}/signatures",
            Can(Sign),
            post(sign::api_sign),
        ),
    ]
}

/// Every route with its gate, in table order.
pub fn route_specs() -> Vec<RouteSpec> {
    table().into_iter().map(|(spec, _)| spec).collect()
}

/// The router: each route wrapped in its own gate, behind its body limit.
pub fn router(state: AppState, options: &crate::ServeOptions) -> Router {
    let mut router = Router::new();
    for (spec, handler) in table() {
        let st = state.clone();
        let gate = spec.gate;
        let limit = spec.body_limit;
        let guarded = handler
            .layer::<_, std::convert::Infallible>(axum::middleware::from_fn(
                move |req: Request, next: Next| {
                    let st = st.clone();
                    async move { auth::gate(st, gate, req, next).await }
                },
            ))
            // The extractors (form, JSON, multipart) stop reading at the limit …
            .layer::<_, std::convert::Infallible>(axum::extract::DefaultBodyLimit::max(limit))
            // … and a body announced larger is refused before anything reads it.
            .layer(axum::middleware::from_fn(
                move |req: Request, next: Next| async move {
                    let announced = req
                        .headers()
                        .get(header::CONTENT_LENGTH)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0)
                        .max(axum::body::HttpBody::size_hint(req.body()).lower());
                    if announced > limit as u64 {
                        return too_large(req.uri().path(), limit);
                    }
                    next.run(req).await
                },
            ));
        router = router.route(spec.path, guarded);
    }
    let throttle = std::sync::Arc::new(crate::throttle::LoginThrottle::new(
        options.login_attempts_per_minute,
    ));
    router
        .fallback(|req: Request| async move {
            let path = req.uri().path();
            if path.starts_with("/api/") {
                api::not_found().into_response()
            } else {
                ui::error_page(StatusCode::NOT_FOUND, "There is no such page.")
            }
        })
        .layer(axum::Extension(throttle))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::security_headers,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// 413 in the form the client expects.
fn too_large(path: &str, limit: usize) -> axum::response::Response {
    let message = format!("The request is too large (at most {} KiB).", limit / 1024);
    if path.starts_with("/api/") {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(serde_json::json!({"error": {"message": message}})),
        )
            .into_response()
    } else {
        ui::error_page(StatusCode::PAYLOAD_TOO_LARGE, &message)
    }
}
