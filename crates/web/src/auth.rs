//! Who is acting, and the checks every request passes.
//!
//! Each route is declared with a [`Gate`] (see [`crate::routes`]); [`gate`] runs before the
//! handler and
//! 1. refuses cross-site state changes (the `Origin` and `Sec-Fetch-Site` headers);
//! 2. authenticates the request: an `Authorization: Bearer` API token, or the session cookie;
//! 3. for a session, checks the CSRF token of every state-changing request (form field
//!    `_csrf` or header `X-CSRF-Token`); bearer tokens are not sent by browsers on their own,
//!    so they need none;
//! 4. sends accounts that must change their password to the password form;
//! 5. checks that the account holds the gate's capability somewhere, and hands the
//!    [`Principal`] to the handler, which checks the record's site (a record out of scope
//!    answers 404, as if it did not exist).
//!
//! [`security_headers`] adds CSP (no inline script or style), frame, referrer and sniffing
//! headers to every response.

use crate::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::KindDef;
use otkeep_core::access::{Access, Capability, Scope};
use otkeep_store::{Account, TokenScope};
use serde_json::json;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "otkeep_session";

/// What a route requires before its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Anyone, signed in or not (sign-in page, health checks, static files).
    Public,
    /// Any signed-in account, even one that must change its password first.
    SignedIn,
    /// A capability held on at least one site; the handler checks the record's site.
    Can(Capability),
}

/// How the request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser session; state-changing requests must echo this CSRF token.
    Session { csrf: String, token: String },
    /// A personal API token.
    Token { id: i64, scope: TokenScope },
}

/// The signed-in account a request acts as, with what it may do.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account: Account,
    pub access: Access,
    pub via: Via,
}

/// A refused operation (HTTP 403).
#[derive(Debug, Clone)]
pub struct Denied(pub String);

impl Principal {
    /// The name recorded as the actor in the audit trail.
    pub fn name(&self) -> &str {
        &self.account.username
    }

    /// The CSRF token forms must carry (empty for API tokens).
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::Token { .. } => "",
        }
    }

    pub fn is_admin(&self) -> bool {
        self.access.has(Capability::ManageUsers)
    }

    /// The records of `kind` this principal may read; refused when none.
    pub fn read_scope(&self, kind: &KindDef) -> Result<Scope, Denied> {
        let scope = self.access.read_scope(kind);
        if scope.is_nothing() {
            Err(Denied(format!(
                "{} may not see {}",
                self.name(),
                kind.label_plural.to_lowercase()
            )))
        } else {
            Ok(scope)
        }
    }

    /// `Ok` if `cap` applies to records of `site`.
    pub fn require(&self, cap: Capability, site: Option<i64>) -> Result<(), Denied> {
        if self.access.may(cap, site) {
            return Ok(());
        }
        let what = match cap {
            Capability::Read => "read",
            Capability::Write => "change",
            Capability::Audit => "read the audit trail of",
            Capability::Sign => "sign",
            Capability::Request => "raise requests for",
            Capability::ManageUsers => "manage users for",
        };
        let place = match site {
            Some(s) => format!("records of site #{s}"),
            None => "records outside a single site".to_string(),
        };
        Err(Denied(format!("{} may not {what} {place}", self.name())))
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Principal>().cloned().ok_or_else(|| {
            // A handler that needs a principal on a public route is a programming error.
            tracing::error!(path = %parts.uri.path(), "route without authentication gate");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "route has no authentication gate",
            )
                .into_response()
        })
    }
}

/// The client's address, when the server knows it (not in in-process tests).
pub struct ClientAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// A refusal in the form the client expects: JSON for the API, a page or a redirect to the
/// sign-in page for the UI.
fn refuse(path: &str, status: StatusCode, message: &str) -> Response {
    if is_api(path) {
        let mut resp = (status, axum::Json(json!({"error": {"message": message}}))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    } else {
        crate::ui::error_page(status, message)
    }
}

/// The value of one cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value for a session (or, with `None`, one that removes it).
/// `AppState::secure_cookies` decides the `Secure` attribute.
pub fn session_cookie(state: &AppState, token: Option<&str>) -> String {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    match token {
        // No Max-Age: the cookie dies with the browser (shared plant workstations); the server
        // ends the session earlier on idle or absolute timeout.
        Some(t) => format!("{SESSION_COOKIE}={t}; Path=/; HttpOnly; SameSite=Lax{secure}"),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

/// Resolves the principal of a request, if any credential is valid.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Principal>, otkeep_store::StoreError> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let Some(secret) = auth.strip_prefix("Bearer ") else {
            return Ok(None);
        };
        let Some((account, token, grants)) = state.store.authenticate_token(secret.trim()).await?
        else {
            return Ok(None);
        };
        return Ok(Some(Principal {
            account,
            access: Access::new(grants, token.scope == TokenScope::Read),
            via: Via::Token {
                id: token.id,
                scope: token.scope,
            },
        }));
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = state.store.session(token, &state.policy).await? else {
        return Ok(None);
    };
    Ok(Some(Principal {
        account: session.account,
        access: Access::new(session.grants, false),
        via: Via::Session {
            csrf: session.csrf_token,
            token: token.to_string(),
        },
    }))
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses state changes that a browser says come from another site.
fn cross_site(headers: &HeaderMap) -> bool {
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
    {
        return true;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
            origin_host != host
        }
        _ => false,
    }
}

/// Largest form body the CSRF check reads (forms are small; file uploads carry the token in
/// the address): the body limit of routes without uploads.
const MAX_FORM_BYTES: usize = crate::routes::MAX_BODY_BYTES;

/// Finds the CSRF token of a request: the header, or the `_csrf` field of a form body (which
/// is read and put back for the handler).
async fn csrf_of(req: Request) -> Result<(Option<String>, Request), Response> {
    if let Some(t) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return Ok((Some(t.to_string()), req));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // File uploads (multipart) carry the token in the action URL's query, since the body is
    // streamed to the handler rather than read here.
    if content_type.starts_with("multipart/form-data") {
        let token = req
            .uri()
            .query()
            .and_then(|q| form_urlencoded_field(q.as_bytes(), "_csrf"));
        return Ok((token, req));
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok((None, req));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response())?;
    let token = form_urlencoded_field(&bytes, "_csrf");
    Ok((token, Request::from_parts(parts, Body::from(bytes))))
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The per-route check described in the module documentation.
pub async fn gate(state: AppState, gate: Gate, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    if is_unsafe(&method) && cross_site(req.headers()) {
        return refuse(
            &path,
            StatusCode::FORBIDDEN,
            "This request came from another site and was refused.",
        );
    }
    if gate == Gate::Public {
        return next.run(req).await;
    }
    let principal = match authenticate(&state, req.headers()).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            if is_api(&path) || is_unsafe(&method) {
                return refuse(
                    &path,
                    StatusCode::UNAUTHORIZED,
                    "Sign in first: send 'Authorization: Bearer <token>' or a session cookie.",
                );
            }
            let next_url = req
                .uri()
                .path_and_query()
                .map_or("/".to_string(), |p| p.to_string());
            return Redirect::to(&format!("/login?next={}", crate::ui::urlencode(&next_url)))
                .into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "authentication failed");
            return refuse(
                &path,
                StatusCode::SERVICE_UNAVAILABLE,
                "The account database is unreachable.",
            );
        }
    };
    let mut req = req;
    if let (Via::Session { csrf, .. }, true) = (&principal.via, is_unsafe(&method)) {
        let (sent, r) = match csrf_of(req).await {
            Ok(x) => x,
            Err(resp) => return resp,
        };
        req = r;
        let ok = sent
            .is_some_and(|s| subtle::ConstantTimeEq::ct_eq(s.as_bytes(), csrf.as_bytes()).into());
        if !ok {
            return refuse(
                &path,
                StatusCode::FORBIDDEN,
                "The form's security token is missing or out of date (you may have signed in again elsewhere). Reload the page and try again.",
            );
        }
    }
    let password_pages = ["/account/password", "/logout"];
    if principal.account.must_change_password
        && matches!(principal.via, Via::Session { .. })
        && !password_pages.contains(&path.as_str())
    {
        if is_api(&path) || is_unsafe(&method) {
            return refuse(&path, StatusCode::FORBIDDEN, "Change your password first.");
        }
        return Redirect::to("/account/password").into_response();
    }
    if let Gate::Can(cap) = gate
        && !principal.access.has(cap)
    {
        return refuse(
            &path,
            StatusCode::FORBIDDEN,
            &format!("{} is not allowed to do this.", principal.name()),
        );
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
}

/// Adds the security headers to every response (keeping any the handler set itself).
pub async fn security_headers(State(_): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
        if !h.contains_key(name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(
        h,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    set(h, "x-frame-options", "DENY");
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "same-origin");
    set(h, "cross-origin-opener-policy", "same-origin");
    // Records are confidential: no copies in shared caches or the browser's back button cache.
    set(h, "cache-control", "no-store");
    resp
}
