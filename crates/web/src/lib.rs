//! The HTTP server of otkeep.
//!
//! - [`ui`]: server-rendered HTML pages (askama templates, no JavaScript build step), one generic
//!   set of handlers for every kind of record: list, detail, form, history, CSV export.
//! - [`api`]: the JSON API under `/api/v1/…`, generic over kinds the same way.
//! - [`openapi`]: the OpenAPI document, generated from the kind descriptors.
//! - [`auth`]: who is acting and what they may do; every handler asks it.
//!
//! Handlers are thin: they parse the request into core types, call the store, and render.

pub mod api;
pub mod auth;
pub mod openapi;
pub mod ui;
mod view;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use otkeep_store::Store;
use std::sync::Arc;

pub use auth::{Operator, Permission};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// The account requests act as, until sign-in arrives (issue 3).
    pub operator: Arc<Operator>,
}

impl AppState {
    pub fn new(store: Arc<Store>, operator: Operator) -> AppState {
        AppState {
            store,
            operator: Arc::new(operator),
        }
    }
}

const STYLE_CSS: &str = include_str!("../static/style.css");

/// The whole application: UI, API, health checks and static assets (served from the binary,
/// no CDN: plants are often air-gapped).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route(
            "/static/style.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    STYLE_CSS,
                )
            }),
        )
        .route("/api/openapi.json", get(openapi::document))
        .nest("/api/v1", api::routes())
        .merge(ui::routes())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready".to_string()),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unreachable: {e}"),
        ),
    }
}

/// Serves the application on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
