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
#[doc(hidden)]
pub mod edit_load;
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
pub mod throttle;
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
    /// The state heavy read-only handlers (reports, exports, roll-ups) work on: the same, with
    /// the store switched to the read replica when one is attached and fresh enough
    /// (`otkeep_store::replica`). Never use it for a handler that writes.
    pub async fn for_heavy_reads(&self) -> AppState {
        match self.store.heavy_reads().await {
            Some(replica) => AppState {
                store: replica.clone(),
                ..self.clone()
            },
            None => self.clone(),
        }
    }

    pub fn new(store: Arc<Store>) -> AppState {
        AppState {
            store,
            policy: Arc::new(AuthPolicy::default()),
            secure_cookies: true,
        }
    }
}

/// Limits of the server against abusive clients. [`ServeOptions::default`] is what `otkeep
/// serve` uses; tests shorten the timeouts.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// A client must send the complete header of a request within this time (from the start of
    /// the connection or the end of the previous response), else the connection is closed: a
    /// "slow-loris" client trickling header bytes cannot hold connections open for ever.
    pub header_read_timeout: std::time::Duration,
    /// A request (reading its body included) must be answered within this time, else 408: a
    /// client trickling a body cannot hold a handler for ever. Generous, for large captures.
    pub request_timeout: std::time::Duration,
    /// Sign-in attempts (`POST /login`) one client address may make per minute; more are
    /// refused with 429 and `Retry-After` (see [`throttle`]).
    pub login_attempts_per_minute: u32,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_read_timeout: std::time::Duration::from_secs(30),
            request_timeout: std::time::Duration::from_secs(15 * 60),
            login_attempts_per_minute: 20,
        }
    }
}

/// The whole application: UI, API, health checks and static assets (served from the binary,
/// no CDN: plants are often air-gapped). See [`routes`] for the route table.
pub fn router(state: AppState) -> Router {
    routes::router(state, &ServeOptions::default())
}

/// [`router`] with other limits.
pub fn router_with(state: AppState, options: &ServeOptions) -> Router {
    routes::router(state, options)
}

/// Serves the application on `listener` until `shutdown` completes, with the default
/// [`ServeOptions`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, ServeOptions::default(), shutdown).await
}

/// How long a stopping server waits for the requests in progress.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves the application on `listener` until `shutdown` completes; open connections then
/// finish their current request (for at most [`SHUTDOWN_GRACE`]).
///
/// Not `axum::serve`: it sets no timer on hyper's connections, so a client that sends its
/// request header one byte at a time keeps a connection (and a task) for ever. Here each
/// connection is served by hyper's HTTP/1 builder with `header_read_timeout`.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::extract::ConnectInfo;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;

    let request_timeout = options.request_timeout;
    let app = router_with(state, &options).layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| async move {
            match tokio::time::timeout(request_timeout, next.run(req)).await {
                Ok(resp) => resp,
                Err(_) => axum::response::IntoResponse::into_response((
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    "The request took too long and was abandoned.",
                )),
            }
        },
    ));
    // Connections watch this channel: a send asks them to finish; `closed` tells when all have.
    let (close_tx, close_rx) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service =
            app.clone()
                .map_request(move |req: axum::http::Request<hyper::body::Incoming>| {
                    let mut req = req.map(axum::body::Body::new);
                    req.extensions_mut().insert(ConnectInfo(addr));
                    req
                });
        let service = hyper_util::service::TowerToHyperService::new(service);
        let mut close = close_rx.clone();
        let header_read_timeout = options.header_read_timeout;
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, client = %addr, "connection ended");
                    }
                }
                _ = close.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(close);
        });
    }
    drop(close_rx);
    let _ = close_tx.send(());
    // Requests still waiting (for a database that went away, say) do not hold the stop for
    // ever: what was acknowledged is committed; the rest was never promised.
    if tokio::time::timeout(SHUTDOWN_GRACE, close_tx.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            "stopping with requests still in progress after {}s",
            SHUTDOWN_GRACE.as_secs()
        );
    }
    Ok(())
}
