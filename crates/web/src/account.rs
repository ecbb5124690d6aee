//! Signing in and out, and one's own account: password change and personal API tokens.

use crate::AppState;
use crate::auth::{ClientAddr, Principal, Via, session_cookie};
use crate::ui::{Nav, UiError, render};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::FieldError;
use otkeep_store::{ApiToken, LoginOutcome, StoreError, TokenScope};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Nav,
    username: String,
    next: String,
    error: Option<String>,
    /// The sign-in form's own CSRF token (there is no session yet): it must come back both in
    /// the form and in the `otkeep_login` cookie (double submit).
    login_csrf: String,
}

/// The cookie holding the sign-in form's token.
pub const LOGIN_COOKIE: &str = "otkeep_login";

/// A sign-in page with its form token, and the cookie that carries it. The token of an
/// existing cookie is kept: a browser may load the sign-in page more than once (a redirect for
/// its favicon, a second tab), and each form must stay valid.
fn login_page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    status: StatusCode,
    username: String,
    next: String,
    error: Option<String>,
) -> Result<Response, UiError> {
    let token = match crate::auth::cookie(headers, LOGIN_COOKIE) {
        Some(t) if t.len() == 32 && t.chars().all(|c| c.is_ascii_hexdigit()) => t.to_string(),
        _ => otkeep_store::identity::random_hex(16)?,
    };
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("{LOGIN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}");
    let page = render(
        status,
        &LoginPage {
            nav: Nav::anonymous(),
            username,
            next,
            error,
            login_csrf: token,
        },
    );
    Ok(([(header::SET_COOKIE, cookie)], page).into_response())
}

#[derive(serde::Deserialize)]
pub struct LoginParams {
    next: Option<String>,
}

/// Only same-site paths are followed after sign-in (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(params): Query<LoginParams>,
) -> Result<Response, UiError> {
    login_page(
        &state,
        &headers,
        StatusCode::OK,
        String::new(),
        safe_next(params.next.as_deref()),
        None,
    )
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    _login_csrf: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    throttle: Option<axum::Extension<std::sync::Arc<crate::throttle::LoginThrottle>>>,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, UiError> {
    // Attempts per client address, before any password is hashed: the account lockout alone
    // does not stop one client trying a few passwords on each of many accounts.
    if let Some(axum::Extension(throttle)) = throttle
        && let Err(refused) = throttle.attempt(client.as_deref())
    {
        let wait = refused.wait;
        let username: String = form.username.chars().take(100).collect();
        if refused.first {
            state
                .store
                .audit_login_throttled(client.as_deref(), &username)
                .await?;
        }
        tracing::warn!(
            client = client.as_deref().unwrap_or("unknown"),
            username = %form.username.chars().take(100).collect::<String>(),
            "sign-in attempts throttled"
        );
        let mut resp = login_page(
            &state,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            form.username.chars().take(100).collect(),
            safe_next(form.next.as_deref()),
            Some(format!(
                "Too many sign-in attempts from your address: wait {} seconds and try again.",
                wait.as_secs()
            )),
        )?;
        if let Ok(v) = wait.as_secs().to_string().parse() {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(resp);
    }
    // Sign-in CSRF: the form's token must match the cookie set with the form, so another site
    // cannot sign a browser into an account of its choosing.
    let cookie = crate::auth::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    let fresh = !cookie.is_empty()
        && bool::from(subtle::ConstantTimeEq::ct_eq(
            cookie.as_bytes(),
            form._login_csrf.as_bytes(),
        ));
    if !fresh {
        return login_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            form.username.chars().take(100).collect(),
            safe_next(form.next.as_deref()),
            Some("The sign-in form expired or came from elsewhere. Please sign in again.".into()),
        );
    }
    let outcome = state
        .store
        .login(
            &form.username,
            &form.password,
            client.as_deref(),
            &state.policy,
        )
        .await?;
    match outcome {
        LoginOutcome::Success {
            session_token,
            account,
        } => {
            let to = if account.must_change_password {
                "/account/password".to_string()
            } else {
                safe_next(form.next.as_deref())
            };
            Ok((
                [(
                    header::SET_COOKIE,
                    session_cookie(&state, Some(&session_token)),
                )],
                Redirect::to(&to),
            )
                .into_response())
        }
        LoginOutcome::Refused { locked } => {
            let error = if locked {
                format!(
                    "Too many failed attempts: this account is locked for {} minutes. An administrator can unlock it.",
                    state.policy.lockout.as_mins()
                )
            } else {
                "The username or password is not right (or the account is locked or disabled)."
                    .to_string()
            };
            login_page(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                form.username.chars().take(100).collect(),
                safe_next(form.next.as_deref()),
                Some(error),
            )
        }
    }
}

pub async fn logout(State(state): State<AppState>, p: Principal) -> Result<Response, UiError> {
    if let Via::Session { token, .. } = &p.via {
        state.store.logout(token).await?;
    }
    Ok((
        [(header::SET_COOKIE, session_cookie(&state, None))],
        Redirect::to("/login"),
    )
        .into_response())
}

pub(crate) struct TokenView {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) prefix: String,
    pub(crate) scope: &'static str,
    pub(crate) created: String,
    pub(crate) expires: String,
    pub(crate) last_used: String,
    pub(crate) status: &'static str,
    pub(crate) active: bool,
}

pub(crate) fn token_views(tokens: &[ApiToken]) -> Vec<TokenView> {
    tokens
        .iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            scope: t.scope.key(),
            created: short(&t.created_at),
            expires: short(&t.expires_at),
            last_used: t.last_used_at.as_deref().map_or("never".into(), short),
            status: if t.revoked_at.is_some() {
                "revoked"
            } else if t.is_active() {
                "active"
            } else {
                "expired"
            },
            active: t.is_active(),
        })
        .collect()
}

/// A stored time to the minute (UTC).
pub(crate) fn short(t: &str) -> String {
    let mut s: String = t.chars().take(16).collect();
    s = s.replace('T', " ");
    format!("{s} UTC")
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    nav: Nav,
    username: String,
    display_name: String,
    grants: Vec<String>,
    tokens: Vec<TokenView>,
    /// A token just created: its secret, shown this once.
    new_secret: Option<String>,
    token_error: Option<String>,
    token_name: String,
    notice: Option<String>,
}

pub(crate) async fn grant_lines(
    state: &AppState,
    account_id: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    let grants = state.store.grants_of(account_id).await?;
    let mut out = Vec::new();
    for g in grants {
        let site = match g.grant.site {
            Some(s) => match state.store.get(&otkeep_core::kinds::SITE_KIND, s).await? {
                Some(r) => format!("site {}", r.title()),
                None => format!("site #{s}"),
            },
            None => "all sites".to_string(),
        };
        let asset = match g.grant.asset {
            Some(a) => match state.store.get(&otkeep_core::kinds::ASSET_KIND, a).await? {
                Some(r) => format!(", asset {}", r.title()),
                None => format!(", asset #{a}"),
            },
            None => String::new(),
        };
        out.push((g.id, format!("{} on {site}{asset}", g.grant.role.label())));
    }
    Ok(out)
}

async fn account_page(
    state: &AppState,
    p: &Principal,
    new_secret: Option<String>,
    token_error: Option<String>,
    token_name: String,
    notice: Option<String>,
) -> Result<AccountPage, UiError> {
    let tokens = state.store.tokens_of(p.account.id).await?;
    Ok(AccountPage {
        nav: Nav::new("account", p),
        username: p.account.username.clone(),
        display_name: p.account.display_name.clone(),
        grants: grant_lines(state, p.account.id)
            .await?
            .into_iter()
            .map(|g| g.1)
            .collect(),
        tokens: token_views(&tokens),
        new_secret,
        token_error,
        token_name,
        notice,
    })
}

#[derive(serde::Deserialize)]
pub struct AccountParams {
    changed: Option<String>,
    revoked: Option<String>,
}

pub async fn overview(
    State(state): State<AppState>,
    p: Principal,
    Query(params): Query<AccountParams>,
) -> Result<Response, UiError> {
    let notice = match (params.changed, params.revoked) {
        (Some(_), _) => Some("Password changed.".to_string()),
        (_, Some(_)) => Some("Token revoked.".to_string()),
        _ => None,
    };
    let page = account_page(&state, &p, None, None, String::new(), notice).await?;
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    nav: Nav,
    forced: bool,
    min_length: usize,
    errors: Vec<FieldError>,
}

pub async fn password_form(State(state): State<AppState>, p: Principal) -> Response {
    render(
        StatusCode::OK,
        &PasswordPage {
            nav: Nav::new("account", &p),
            forced: p.account.must_change_password,
            min_length: state.policy.min_password_length,
            errors: Vec::new(),
        },
    )
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    current: String,
    password: String,
    confirm: String,
}

/// Changes one's own password: the current one is required, the new one must pass the policy.
/// Every session of the account ends, and a new one starts for this browser.
pub async fn change_password(
    State(state): State<AppState>,
    p: Principal,
    ClientAddr(client): ClientAddr,
    Form(form): Form<PasswordForm>,
) -> Result<Response, UiError> {
    let refuse = |errors: Vec<FieldError>| {
        render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                nav: Nav::new("account", &p),
                forced: p.account.must_change_password,
                min_length: state.policy.min_password_length,
                errors,
            },
        )
    };
    if form.password != form.confirm {
        return Ok(refuse(vec![FieldError::new(
            "confirm",
            "the two new passwords differ",
        )]));
    }
    if !state
        .store
        .reauthenticate(&p.account, &form.current, &state.policy)
        .await?
    {
        return Ok(refuse(vec![FieldError::new(
            "current",
            "the current password is not right",
        )]));
    }
    let new = match state
        .store
        .check_new_password(
            Some(p.account.id),
            &p.account.username,
            &form.password,
            &state.policy,
        )
        .await
    {
        Ok(n) => n,
        Err(e) => return Ok(refuse(vec![e])),
    };
    let mut tx = state.store.begin_write(p.name(), None).await?;
    tx.set_password(p.account.id, new, false).await?;
    tx.commit().await?;
    // The change ended every session, this one too: sign this browser in afresh.
    let outcome = state
        .store
        .login(
            &p.account.username,
            &form.password,
            client.as_deref(),
            &state.policy,
        )
        .await?;
    let cookie = match outcome {
        LoginOutcome::Success { session_token, .. } => session_cookie(&state, Some(&session_token)),
        LoginOutcome::Refused { .. } => session_cookie(&state, None),
    };
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/account?changed=1"),
    )
        .into_response())
}

/// Why a token could not be made.
pub enum TokenError {
    Invalid(FieldError),
    Store(StoreError),
}

/// Creates a personal token for `p` (shared by the account page and the API).
pub async fn make_token(
    state: &AppState,
    p: &Principal,
    name: &str,
    scope: &str,
    days: i64,
) -> Result<(ApiToken, String), TokenError> {
    let scope = TokenScope::from_key(scope).ok_or_else(|| {
        TokenError::Invalid(FieldError::new("scope", "choose 'read' or 'read-write'"))
    })?;
    if !(1..=365).contains(&days) {
        return Err(TokenError::Invalid(FieldError::new(
            "expires_in_days",
            "a token lives 1 to 365 days",
        )));
    }
    let expires = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .map_err(|e| TokenError::Invalid(FieldError::new("expires_in_days", e.to_string())))?;
    let mut tx = state
        .store
        .begin_write(p.name(), None)
        .await
        .map_err(TokenError::Store)?;
    let made = tx.create_token(p.account.id, name, scope, expires).await;
    match made {
        Ok(t) => {
            tx.commit().await.map_err(TokenError::Store)?;
            Ok(t)
        }
        Err(StoreError::Invalid(mut errors)) if !errors.is_empty() => {
            Err(TokenError::Invalid(errors.remove(0)))
        }
        Err(e) => Err(TokenError::Store(e)),
    }
}

#[derive(serde::Deserialize)]
pub struct TokenForm {
    name: String,
    scope: String,
    days: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    p: Principal,
    Form(form): Form<TokenForm>,
) -> Result<Response, UiError> {
    let days = form.days.trim().parse::<i64>().unwrap_or(0);
    match make_token(&state, &p, &form.name, &form.scope, days).await {
        Ok((_, secret)) => {
            let page = account_page(&state, &p, Some(secret), None, String::new(), None).await?;
            Ok(render(StatusCode::CREATED, &page))
        }
        Err(TokenError::Invalid(e)) => {
            let page = account_page(&state, &p, None, Some(e.to_string()), form.name, None).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(TokenError::Store(e)) => Err(e.into()),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    let mut tx = state.store.begin_write(p.name(), None).await?;
    tx.revoke_token(p.account.id, id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/account?revoked=1").into_response())
}
