//! Who is acting, and what they may do.
//!
//! Every handler takes the [`Operator`] extractor and asks [`Operator::require`] before it reads
//! or writes. Accounts, sign-in, roles and site grants arrive with the identity issue; until
//! then the server acts as one operator configured at start (`otkeep serve --operator NAME`,
//! optionally `--read-only`), and the checks are already in every route so that they only need
//! a richer operator, not new call sites.

use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::convert::Infallible;

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    Write,
}

/// The account a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub name: String,
    pub can_write: bool,
    /// Sites this operator may see; `None` means all sites.
    pub sites: Option<Vec<i64>>,
}

impl Operator {
    pub fn admin(name: &str) -> Operator {
        Operator {
            name: name.to_string(),
            can_write: true,
            sites: None,
        }
    }

    pub fn read_only(name: &str) -> Operator {
        Operator {
            name: name.to_string(),
            can_write: false,
            sites: None,
        }
    }

    /// `Ok` if allowed, else the message to show.
    pub fn require(&self, permission: Permission) -> Result<(), Denied> {
        match permission {
            Permission::Read => Ok(()),
            Permission::Write if self.can_write => Ok(()),
            Permission::Write => Err(Denied(format!(
                "{} has read-only access and cannot change records",
                self.name
            ))),
        }
    }
}

/// A refused operation (HTTP 403).
#[derive(Debug, Clone)]
pub struct Denied(pub String);

impl FromRequestParts<AppState> for Operator {
    type Rejection = Infallible;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok((*state.operator).clone())
    }
}
