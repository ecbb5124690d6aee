//! The HTTP server of otkeep.
//!
//! - [`ui`]: server-rendered HTML pages (askama templates, no JavaScript build step), one generic
//!   set of handlers for every kind of record: list, detail, form, history, CSV export.
//! - [`api`]: the JSON API under `/api/v1/…`, generic over kinds the same way.
//! - [`openapi`]: the OpenAPI document, generated from the kind descriptors.
//! - [`routes`]: the route table; every route declares its access gate.
//! - [`auth`]: authentication (sessions, API tokens), CSRF, security headers, the gate.
//! - [`account`], [`admin`]: sign-in, one's own account and tokens, account administration.
//! - [`evidence`]: evidence files attached to assessments (SHA-256 recorded).
//! - [`sign`]: electronic signatures of records.
//! - [`model`]: the model health page (model rules' findings).
//! - [`gap`]: IEC 62443 gap analysis pages and the bulk assessment of a zone's requirements.
//! - [`risk`]: the risk register, heat map, risk method, and applying an assessment's SL-T.
//! - [`due`]: what is due (page and JSON feed), from `otkeep_core::due`.
//! - [`advisory`]: security advisories (CSAF): list, upload, matches and their triage.
//! - [`certificate`]: importing certificates (PEM, DER) into the inventory of certificates.
//! - [`sbom`]: SBOMs (CycloneDX, SPDX): upload, components, advisories naming them, diffs.
//!
//! Handlers are thin: they parse the request into core types, call the store, and render.

pub mod account;
pub mod admin;
pub mod advisory;
pub mod api;
pub mod auth;
pub mod certificate;
pub mod due;
pub mod evidence;
pub mod gap;
pub mod governance;
pub mod kpi;
pub mod model;
pub mod observe;
pub mod openapi;
pub mod org;
pub mod oscal;
pub mod patch;
pub mod program_kpi;
pub mod remote;
pub mod reports;
pub mod risk;
pub mod routes;
pub mod sbom;
pub mod sign;
#[doc(hidden)]
pub mod testing;
pub mod ui;
mod view;

use axum::Router;
use otkeep_store::{AuthPolicy, Store};
use std::sync::Arc;

pub use auth::{Gate, Principal};
pub use routes::{RouteSpec, route_specs};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub policy: Arc<AuthPolicy>,
    /// Mark the session cookie `Secure` (sent over HTTPS only; browsers also accept it on
    /// http://localhost). Turn off only behind a TLS-terminating proxy that speaks plain HTTP
    /// to a browser on another host, which should not happen.
    pub secure_cookies: bool,
}

impl AppState {
    pub fn new(store: Arc<Store>) -> AppState {
        AppState {
            store,
            policy: Arc::new(AuthPolicy::default()),
            secure_cookies: true,
        }
    }
}

/// The whole application: UI, API, health checks and static assets (served from the binary,
/// no CDN: plants are often air-gapped). See [`routes`] for the route table.
pub fn router(state: AppState) -> Router {
    routes::router(state)
}

/// Serves the application on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
