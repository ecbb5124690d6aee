//! Administration of accounts (administrators only): create accounts, grant and revoke roles,
//! reset passwords, disable and enable, revoke tokens. Every change is audited by the store.

use crate::AppState;
use crate::account::{TokenView, grant_lines, token_views};
use crate::auth::Principal;
use crate::ui::{Nav, UiError, render};
use crate::view::SelectOption;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use otkeep_core::access::{Grant, ROLES, Role};
use otkeep_core::kinds::SITE_KIND;
use otkeep_store::{Account, ListQuery, StoreError};

struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    status: &'static str,
    grants: Vec<String>,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Nav,
    users: Vec<UserRow>,
    errors: Vec<otkeep_core::FieldError>,
    username: String,
    display_name: String,
    /// The one-time password of an account just created or reset, shown this once.
    one_time: Option<(String, String)>,
}

async fn users_page(
    state: &AppState,
    p: &Principal,
    errors: Vec<otkeep_core::FieldError>,
    username: String,
    display_name: String,
    one_time: Option<(String, String)>,
) -> Result<UsersPage, UiError> {
    let mut users = Vec::new();
    for a in state.store.accounts().await? {
        users.push(UserRow {
            id: a.id,
            status: a.status(),
            grants: grant_lines(state, a.id)
                .await?
                .into_iter()
                .map(|g| g.1)
                .collect(),
            username: a.username,
            display_name: a.display_name,
        });
    }
    Ok(UsersPage {
        nav: Nav::new("users", p),
        users,
        errors,
        username,
        display_name,
        one_time,
    })
}

pub async fn list(State(state): State<AppState>, p: Principal) -> Result<Response, UiError> {
    let page = users_page(&state, &p, Vec::new(), String::new(), String::new(), None).await?;
    Ok(render(StatusCode::OK, &page))
}

#[derive(serde::Deserialize)]
pub struct NewUser {
    username: String,
    #[serde(default)]
    display_name: String,
}

/// Creates an account with a one-time password, shown once to the administrator.
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    Form(form): Form<NewUser>,
) -> Result<Response, UiError> {
    let (password, hashed) = state.store.new_one_time_password().await?;
    let mut tx = state.store.begin_write(p.name(), None).await?;
    match tx
        .create_account(&form.username, &form.display_name, hashed)
        .await
    {
        Ok(a) => {
            tx.commit().await?;
            let page = users_page(
                &state,
                &p,
                Vec::new(),
                String::new(),
                String::new(),
                Some((a.username, password)),
            )
            .await?;
            Ok(render(StatusCode::CREATED, &page))
        }
        Err(StoreError::Invalid(errors)) => {
            drop(tx);
            let page =
                users_page(&state, &p, errors, form.username, form.display_name, None).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    nav: Nav,
    account: Account,
    status: &'static str,
    grants: Vec<(i64, String)>,
    tokens: Vec<TokenView>,
    roles: Vec<(&'static str, &'static str)>,
    sites: Vec<SelectOption>,
    error: Option<String>,
    one_time: Option<String>,
    is_self: bool,
}

async fn user_page(
    state: &AppState,
    p: &Principal,
    id: i64,
    error: Option<String>,
    one_time: Option<String>,
) -> Result<UserPage, UiError> {
    let account = state
        .store
        .account(id)
        .await?
        .ok_or_else(|| UiError::NotFound(format!("User #{id} does not exist.")))?;
    let sites = state
        .store
        .list(
            &SITE_KIND,
            &ListQuery {
                per_page: 500,
                ..ListQuery::default()
            },
        )
        .await?
        .records
        .iter()
        .map(|s| SelectOption {
            value: s.id.to_string(),
            label: s.title(),
            selected: false,
            group: String::new(),
        })
        .collect();
    Ok(UserPage {
        nav: Nav::new("users", p),
        status: account.status(),
        grants: grant_lines(state, id).await?,
        tokens: token_views(&state.store.tokens_of(id).await?),
        roles: ROLES.iter().map(|r| (r.key(), r.label())).collect(),
        sites,
        error,
        one_time,
        is_self: account.id == p.account.id,
        account,
    })
}

pub async fn detail(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    let page = user_page(&state, &p, id, None, None).await?;
    Ok(render(StatusCode::OK, &page))
}

#[derive(serde::Deserialize)]
pub struct GrantForm {
    role: String,
    #[serde(default)]
    site_id: String,
    #[serde(default)]
    asset_id: String,
}

fn optional_id(s: &str, field: &str) -> Result<Option<i64>, String> {
    match s.trim() {
        "" => Ok(None),
        t => t
            .parse()
            .map(Some)
            .map_err(|_| format!("{field} must be a number")),
    }
}

pub async fn grant(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Form(form): Form<GrantForm>,
) -> Result<Response, UiError> {
    let parsed = (|| {
        let role = Role::from_key(&form.role).ok_or("choose a role")?;
        Ok::<_, String>(Grant {
            role,
            site: optional_id(&form.site_id, "site")?,
            asset: optional_id(&form.asset_id, "asset")?,
        })
    })();
    let grant = match parsed {
        Ok(g) => g,
        Err(e) => {
            let page = user_page(&state, &p, id, Some(e), None).await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let mut tx = state.store.begin_write(p.name(), None).await?;
    match tx.add_grant(id, &grant).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
        }
        Err(StoreError::Invalid(errors)) => {
            drop(tx);
            let msg = errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            let page = user_page(&state, &p, id, Some(msg), None).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    p: Principal,
    Path((id, grant)): Path<(i64, i64)>,
) -> Result<Response, UiError> {
    let mut tx = state.store.begin_write(p.name(), None).await?;
    tx.remove_grant(id, grant).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

/// Sets a new one-time password (shown once) that must be changed at the next sign-in; the
/// user's sessions end.
pub async fn reset_password(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    let (password, hashed) = state.store.new_one_time_password().await?;
    let mut tx = state.store.begin_write(p.name(), None).await?;
    tx.set_password(id, hashed, true).await?;
    tx.commit().await?;
    let page = user_page(&state, &p, id, None, Some(password)).await?;
    Ok(render(StatusCode::OK, &page))
}

async fn set_disabled(
    state: &AppState,
    p: &Principal,
    id: i64,
    disabled: bool,
) -> Result<Response, UiError> {
    if disabled && id == p.account.id {
        let page = user_page(
            state,
            p,
            id,
            Some("You cannot disable your own account.".into()),
            None,
        )
        .await?;
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let mut tx = state.store.begin_write(p.name(), None).await?;
    tx.set_disabled(id, disabled).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

pub async fn disable(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    set_disabled(&state, &p, id, true).await
}

pub async fn enable(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, UiError> {
    set_disabled(&state, &p, id, false).await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    p: Principal,
    Path((id, token)): Path<(i64, i64)>,
) -> Result<Response, UiError> {
    let mut tx = state.store.begin_write(p.name(), None).await?;
    tx.revoke_token(id, token).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}
