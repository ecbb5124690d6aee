//! An in-process HTTP client for tests and benchmarks: it sends requests to the router, signed
//! in as a test account (session cookie plus CSRF token on changes), with an API token, or
//! anonymously.

use crate::auth::SESSION_COOKIE;
use crate::{AppState, router};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use otkeep_core::access::{Grant, Role};
use otkeep_store::testing::{TEST_PASSWORD, test_account};
use otkeep_store::{LoginOutcome, Store};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

/// How the client authenticates.
#[derive(Clone, Debug)]
pub enum Credential {
    None,
    Session { cookie: String, csrf: String },
    Bearer(String),
}

/// A response as tests look at it.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent (for downloads: PDF, XLSX).
    pub bytes: Vec<u8>,
}

impl Answer {
    /// The id of a record the API created (panics with the body otherwise: for tests).
    pub fn created_id(&self) -> i64 {
        assert_eq!(self.status, StatusCode::CREATED, "{}", self.body);
        self.json()["id"].as_i64().expect("an id")
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

#[derive(Clone)]
pub struct TestClient {
    pub router: Router,
    pub state: AppState,
    pub credential: Credential,
}

/// A grant of `role` on `site` (all sites when `None`).
pub fn grant(role: Role, site: Option<i64>) -> Grant {
    Grant {
        role,
        site,
        asset: None,
    }
}

impl TestClient {
    pub fn anonymous(store: Arc<Store>) -> TestClient {
        let state = AppState::new(store);
        TestClient {
            router: router(state.clone()),
            state,
            credential: Credential::None,
        }
    }

    /// Creates account `username` with `grants` and signs it in.
    pub async fn user(store: Arc<Store>, username: &str, grants: &[Grant]) -> TestClient {
        test_account(&store, username, grants)
            .await
            .expect("test account");
        Self::sign_in(store, username, TEST_PASSWORD).await
    }

    /// An administrator (all sites, all rights).
    pub async fn admin(store: Arc<Store>, username: &str) -> TestClient {
        Self::user(store, username, &[grant(Role::Admin, None)]).await
    }

    /// Signs in an existing account.
    pub async fn sign_in(store: Arc<Store>, username: &str, password: &str) -> TestClient {
        let mut client = Self::anonymous(store);
        let outcome = client
            .state
            .store
            .login(username, password, None, &client.state.policy)
            .await
            .expect("login");
        let LoginOutcome::Success { session_token, .. } = outcome else {
            panic!("{username} could not sign in");
        };
        let session = client
            .state
            .store
            .session(&session_token, &client.state.policy)
            .await
            .expect("session")
            .expect("live session");
        client.credential = Credential::Session {
            cookie: session_token,
            csrf: session.csrf_token,
        };
        client
    }

    /// The same credential against another instance: a server of its own on `store` (a second
    /// connection to the same database), as a load balancer would send the next request.
    pub fn on(&self, store: Arc<Store>) -> TestClient {
        let state = AppState {
            store,
            ..self.state.clone()
        };
        TestClient {
            router: router(state.clone()),
            state,
            credential: self.credential.clone(),
        }
    }

    /// The same server, with a bearer token instead.
    pub fn with_bearer(&self, token: &str) -> TestClient {
        TestClient {
            credential: Credential::Bearer(token.to_string()),
            ..self.clone()
        }
    }

    /// Fetches the sign-in form and posts it with `fields` (the form token and its cookie
    /// included, as a browser would).
    pub async fn sign_in_form(&self, fields: &[(&str, &str)]) -> Answer {
        let page = self.get("/login").await;
        let cookie = page
            .headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .unwrap_or_default()
            .to_string();
        let token = cookie
            .split_once('=')
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("_login_csrf", &token));
        let body = serde_urlencoded::to_string(&all).expect("form");
        let req = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    pub fn csrf(&self) -> String {
        match &self.credential {
            Credential::Session { csrf, .. } => csrf.clone(),
            _ => String::new(),
        }
    }

    /// Sends `req` with the client's credential (and the CSRF header on changes).
    pub async fn send(&self, mut req: Request<Body>) -> Answer {
        let h = req.headers_mut();
        match &self.credential {
            Credential::None => {}
            Credential::Session { cookie, csrf } => {
                // Keep cookies the request already carries (the sign-in form's).
                let existing = h
                    .get(header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .map(|c| format!("{c}; "))
                    .unwrap_or_default();
                if let Ok(v) = format!("{existing}{SESSION_COOKIE}={cookie}").parse() {
                    h.insert(header::COOKIE, v);
                }
                if !csrf.is_empty()
                    && !h.contains_key("x-csrf-token")
                    && let Ok(v) = csrf.parse()
                {
                    h.insert("x-csrf-token", v);
                }
            }
            Credential::Bearer(t) => {
                if let Ok(v) = format!("Bearer {t}").parse() {
                    h.insert(header::AUTHORIZATION, v);
                }
            }
        }
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    /// A multipart form posted to `uri` (the CSRF token is added to the address, as the UI's
    /// upload forms do): text `fields`, then `file_name` with `content`.
    pub async fn upload(
        &self,
        uri: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        content: &[u8],
    ) -> Answer {
        let boundary = "otkeepTestBoundary42";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let sep = if uri.contains('?') { '&' } else { '?' };
        let req = Request::post(format!("{uri}{sep}_csrf={}", self.csrf()))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }

    /// A JSON request (`body` `Null` sends none).
    pub async fn json(&self, method: &str, uri: &str, body: Value) -> Answer {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-otkeep-reason", "test")
            .body(if body.is_null() {
                Body::empty()
            } else {
                Body::from(body.to_string())
            })
            .expect("request");
        self.send(req).await
    }

    /// A form post; the CSRF token goes in the `_csrf` field as a browser's form would send
    /// it (not in the header).
    pub async fn form(&self, uri: &str, pairs: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = pairs.to_vec();
        if !csrf.is_empty() && !pairs.iter().any(|(k, _)| *k == "_csrf") {
            all.push(("_csrf", &csrf));
        }
        let body = serde_urlencoded::to_string(&all).expect("form");
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        let mut client = self.clone();
        if let Credential::Session { cookie, .. } = &self.credential {
            // Leave the header out: the form field must carry the token.
            client.credential = Credential::Session {
                cookie: cookie.clone(),
                csrf: String::new(),
            };
        }
        client.send(req).await
    }
}
