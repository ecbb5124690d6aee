//! Identity: accounts and passwords, sign-in with lockout, database sessions, API tokens,
//! role grants and electronic signatures.
//!
//! Secrets never rest in clear: passwords are argon2id hashes, session ids and API tokens are
//! stored as SHA-256 digests (they are long random values, so a fast hash is enough), and the
//! account JSON written to the audit trail leaves the password hash out. Every change of an
//! account, a grant or a token, every sign-in, failed sign-in, sign-out and signature is an
//! event of the audit chain, written through [`WriteTx`] like record changes.

use crate::{Store, StoreError, WriteTx};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use otkeep_core::access::{Access, Grant, Role};
use otkeep_core::{FieldError, Record};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::sync::OnceLock;

/// argon2id cost: 19 MiB of memory, 2 passes, 1 lane (the OWASP-recommended minimum).
/// `cargo bench -p otkeep-web --bench auth` measures what a sign-in costs with it.
pub const ARGON2_M_COST_KIB: u32 = 19 * 1024;
pub const ARGON2_T_COST: u32 = 2;
pub const ARGON2_P_COST: u32 = 1;

/// The rules for passwords, sign-in and sessions.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    pub min_password_length: usize,
    /// How many earlier passwords may not be reused.
    pub password_history: usize,
    /// Failed sign-ins in a row that lock the account.
    pub max_failed_logins: i64,
    pub lockout: jiff::SignedDuration,
    /// A session ends after this long without a request …
    pub session_idle: jiff::SignedDuration,
    /// … and at the latest this long after sign-in.
    pub session_absolute: jiff::SignedDuration,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            min_password_length: 12,
            password_history: 5,
            max_failed_logins: 5,
            lockout: jiff::SignedDuration::from_mins(15),
            session_idle: jiff::SignedDuration::from_mins(30),
            session_absolute: jiff::SignedDuration::from_hours(12),
        }
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_M_COST_KIB, ARGON2_T_COST, ARGON2_P_COST, None)
        .unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (CPU-bound: call from a blocking thread).
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Corrupt(format!("cannot hash password: {e}")))
}

/// Whether `password` matches the PHC string `hash` (CPU-bound).
pub fn verify_password(password: &str, hash: &str) -> bool {
    argon2().verify_password(password.as_bytes(), hash).is_ok()
}

/// A hash to verify against when the account does not exist, so that the answer takes as long
/// as for a real account and does not reveal which usernames exist.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("otkeep-no-such-account").unwrap_or_default())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Corrupt(format!("password hashing task failed: {e}")))
}

/// `n` random bytes from the operating system's CSPRNG, as lowercase hex.
pub fn random_hex(n: usize) -> Result<String, StoreError> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf)
        .map_err(|e| StoreError::Corrupt(format!("no system randomness: {e}")))?;
    Ok(hex(&buf))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `s`, as lowercase hex.
pub fn sha256_hex(s: &str) -> String {
    sha256_bytes(s.as_bytes())
}

/// SHA-256 of `bytes`, as lowercase hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A one-time password: 20 characters from an alphabet without look-alikes (100 bits), in
/// groups of four.
pub fn one_time_password() -> Result<String, StoreError> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 20];
    getrandom::fill(&mut buf)
        .map_err(|e| StoreError::Corrupt(format!("no system randomness: {e}")))?;
    let chars: Vec<char> = buf
        .iter()
        .map(|b| ALPHABET[usize::from(b % 32)] as char)
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// The hash a signature binds to: SHA-256 over the record's field values as canonical JSON
/// (sorted keys), leaving out id, version and timestamps, so that only a change of content
/// makes a signature stale.
pub fn content_hash(record: &Record) -> String {
    let mut json = record.to_json();
    if let Some(map) = json.as_object_mut() {
        for k in ["id", "version", "created_at", "updated_at"] {
            map.remove(k);
        }
    }
    sha256_hex(&json.to_string())
}

fn stamp(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn from_now(d: jiff::SignedDuration) -> String {
    stamp(
        jiff::Timestamp::now()
            .checked_add(d)
            .unwrap_or(jiff::Timestamp::MAX),
    )
}

/// A user account (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub version: i64,
    pub username: String,
    pub display_name: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
    pub created_at: String,
    pub password_changed_at: String,
}

const ACCOUNT_COLUMNS: &str = "a.id, a.version, a.username, a.display_name, a.must_change_password, a.disabled, a.failed_logins, a.locked_until, a.created_at, a.password_changed_at";

impl Account {
    fn from_row(row: &AnyRow) -> Result<Account, sqlx::Error> {
        Ok(Account {
            id: row.try_get("id")?,
            version: row.try_get("version")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
            disabled: row.try_get::<i64, _>("disabled")? != 0,
            failed_logins: row.try_get("failed_logins")?,
            locked_until: row.try_get("locked_until")?,
            created_at: row.try_get("created_at")?,
            password_changed_at: row.try_get("password_changed_at")?,
        })
    }

    /// One word for lists: disabled, locked, must change password, or active.
    pub fn status(&self) -> &'static str {
        if self.disabled {
            "disabled"
        } else if self.is_locked() {
            "locked"
        } else if self.must_change_password {
            "must change password"
        } else {
            "active"
        }
    }

    /// Whether a lockout is in force now.
    pub fn is_locked(&self) -> bool {
        self.locked_until
            .as_deref()
            .is_some_and(|until| until > crate::now().as_str())
    }

    /// The account as written to the audit trail (no secrets).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "version": self.version,
            "username": self.username,
            "display_name": self.display_name,
            "must_change_password": self.must_change_password,
            "disabled": self.disabled,
        })
    }
}

/// A grant as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    pub id: i64,
    pub account_id: i64,
    pub grant: Grant,
    pub granted_at: String,
    pub granted_by: String,
}

impl GrantRow {
    fn to_json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "account_id": self.account_id,
            "role": self.grant.role.key(),
            "site_id": self.grant.site,
            "asset_id": self.grant.asset,
        })
    }
}

/// A live session: who, and the token forms must echo.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub csrf_token: String,
    pub expires_at: String,
    /// The account's grants, read with the session.
    pub grants: Vec<Grant>,
}

/// What an API token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    Read,
    ReadWrite,
}

impl TokenScope {
    pub fn key(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::ReadWrite => "read-write",
        }
    }

    pub fn from_key(key: &str) -> Option<TokenScope> {
        match key {
            "read" => Some(TokenScope::Read),
            "read-write" => Some(TokenScope::ReadWrite),
            _ => None,
        }
    }
}

/// A personal API token (its secret is shown once, at creation, and stored only hashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub prefix: String,
    pub scope: TokenScope,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// The prefix of every token secret, so that secret scanners can recognise leaked ones.
pub const TOKEN_PREFIX: &str = "otk_";

impl ApiToken {
    fn from_row(row: &AnyRow) -> Result<ApiToken, sqlx::Error> {
        Self::from_columns(row, "id", "created_at")
    }

    /// Reads a token from a row whose id and creation columns may be renamed (in joins with
    /// `account`, whose columns have the same names).
    fn from_columns(row: &AnyRow, id: &str, created_at: &str) -> Result<ApiToken, sqlx::Error> {
        let scope: String = row.try_get("scope")?;
        Ok(ApiToken {
            id: row.try_get(id)?,
            account_id: row.try_get("account_id")?,
            name: row.try_get("name")?,
            prefix: row.try_get("prefix")?,
            scope: TokenScope::from_key(&scope).unwrap_or(TokenScope::Read),
            created_at: row.try_get(created_at)?,
            expires_at: row.try_get("expires_at")?,
            last_used_at: row.try_get("last_used_at")?,
            revoked_at: row.try_get("revoked_at")?,
        })
    }

    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none() && self.expires_at.as_str() > crate::now().as_str()
    }

    fn to_json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "account_id": self.account_id,
            "name": self.name,
            "prefix": self.prefix,
            "scope": self.scope.key(),
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
        })
    }
}

const TOKEN_COLUMNS: &str =
    "id, account_id, name, prefix, scope, created_at, expires_at, last_used_at, revoked_at";

/// What a signature attests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    Authored,
    Reviewed,
    Approved,
    Rejected,
    /// Withdraws an earlier approval (an exception that no longer holds).
    Revoked,
}

pub const MEANINGS: &[Meaning] = &[
    Meaning::Authored,
    Meaning::Reviewed,
    Meaning::Approved,
    Meaning::Rejected,
    Meaning::Revoked,
];

impl Meaning {
    pub fn key(self) -> &'static str {
        match self {
            Meaning::Authored => "authored",
            Meaning::Reviewed => "reviewed",
            Meaning::Approved => "approved",
            Meaning::Rejected => "rejected",
            Meaning::Revoked => "revoked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Meaning::Authored => "Authored",
            Meaning::Reviewed => "Reviewed",
            Meaning::Approved => "Approved",
            Meaning::Rejected => "Rejected",
            Meaning::Revoked => "Revoked",
        }
    }

    pub fn from_key(key: &str) -> Option<Meaning> {
        MEANINGS.iter().copied().find(|m| m.key() == key)
    }
}

/// An electronic signature of one version of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub id: i64,
    pub kind: String,
    pub record_id: i64,
    pub record_version: i64,
    pub account_id: i64,
    pub signer: String,
    pub signer_name: String,
    pub meaning: String,
    pub comment: Option<String>,
    pub content_hash: String,
    pub signed_at: String,
    /// The audit event that records the signature.
    pub audit_seq: i64,
}

impl Signature {
    /// Whether the record still has the content that was signed.
    pub fn matches(&self, record: &Record) -> bool {
        self.content_hash == content_hash(record)
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "kind": self.kind,
            "record_id": self.record_id,
            "record_version": self.record_version,
            "signer": self.signer,
            "signer_name": self.signer_name,
            "meaning": self.meaning,
            "comment": self.comment,
            "content_hash": self.content_hash,
            "signed_at": self.signed_at,
            "audit_seq": self.audit_seq,
        })
    }
}

/// A password that passed the policy, already hashed.
#[derive(Debug, Clone)]
pub struct NewPassword(pub(crate) String);

/// The outcome of a sign-in attempt. Refusals do not say whether the username exists.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Signed in: the new session's id (the cookie value) and the account.
    Success {
        session_token: String,
        account: Account,
    },
    Refused {
        /// The account is (now) locked after too many failures.
        locked: bool,
    },
}

/// The grants of rows that LEFT JOIN `role_grant` as `role`, `grant_site`, `grant_asset`.
fn grants_of_rows(rows: &[AnyRow]) -> Result<Vec<Grant>, StoreError> {
    let mut grants = Vec::new();
    for r in rows {
        let Some(role) = r.try_get::<Option<String>, _>("role")? else {
            continue;
        };
        grants.push(Grant {
            role: Role::from_key(&role).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown role '{role}' in role_grant"))
            })?,
            site: r.try_get("grant_site")?,
            asset: r.try_get("grant_asset")?,
        });
    }
    Ok(grants)
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

impl Store {
    /// Checks `password` against the policy for `username` (and, for an existing account,
    /// against its last passwords) and hashes it.
    pub async fn check_new_password(
        &self,
        account: Option<i64>,
        username: &str,
        password: &str,
        policy: &AuthPolicy,
    ) -> Result<NewPassword, FieldError> {
        let field = "password";
        let length = password.chars().count();
        if length < policy.min_password_length {
            return Err(FieldError::new(
                field,
                format!(
                    "use at least {} characters (a few words make a good one)",
                    policy.min_password_length
                ),
            ));
        }
        if length > 1024 {
            return Err(FieldError::new(field, "use at most 1024 characters"));
        }
        if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
            return Err(FieldError::new(
                field,
                "the password may not contain the username",
            ));
        }
        if let Some(id) = account {
            let earlier = self
                .password_history(id, policy.password_history)
                .await
                .map_err(|e| FieldError::new(field, e.to_string()))?;
            let pw = password.to_string();
            let reused = blocking(move || earlier.iter().any(|h| verify_password(&pw, h)))
                .await
                .map_err(|e| FieldError::new(field, e.to_string()))?;
            if reused {
                return Err(FieldError::new(
                    field,
                    format!(
                        "this password was used recently; choose one not among your last {}",
                        policy.password_history
                    ),
                ));
            }
        }
        let pw = password.to_string();
        let hash = blocking(move || hash_password(&pw))
            .await
            .and_then(|r| r)
            .map_err(|e| FieldError::new(field, e.to_string()))?;
        Ok(NewPassword(hash))
    }

    /// The current and the earlier password hashes of an account, newest first.
    async fn password_history(&self, id: i64, n: usize) -> Result<Vec<String>, StoreError> {
        let mut hashes = Vec::new();
        if let Some(row) = sqlx::query("SELECT password_hash FROM account WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
        {
            hashes.push(row.try_get(0)?);
        }
        let rows = sqlx::query(
            "SELECT password_hash FROM password_history WHERE account_id = $1 ORDER BY changed_at DESC",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        for r in rows.iter().take(n.saturating_sub(1)) {
            hashes.push(r.try_get(0)?);
        }
        Ok(hashes)
    }

    pub async fn account(&self, id: i64) -> Result<Option<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM account a WHERE a.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(Account::from_row).transpose()?)
    }

    pub async fn account_by_name(&self, username: &str) -> Result<Option<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM account a WHERE a.username = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(username.to_string())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(Account::from_row).transpose()?)
    }

    pub async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM account a ORDER BY a.username");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .iter()
            .map(Account::from_row)
            .collect::<Result<_, _>>()?)
    }

    /// The grants of an account.
    pub async fn grants_of(&self, account_id: i64) -> Result<Vec<GrantRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, account_id, role, site_id, asset_id, granted_at, granted_by FROM role_grant WHERE account_id = $1 ORDER BY id",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("role")?;
                Ok(GrantRow {
                    id: r.try_get("id")?,
                    account_id: r.try_get("account_id")?,
                    grant: Grant {
                        role: Role::from_key(&role).ok_or_else(|| {
                            StoreError::Corrupt(format!("unknown role '{role}' in role_grant"))
                        })?,
                        site: r.try_get("site_id")?,
                        asset: r.try_get("asset_id")?,
                    },
                    granted_at: r.try_get("granted_at")?,
                    granted_by: r.try_get("granted_by")?,
                })
            })
            .collect()
    }

    /// What an account may do (with `read_only` for a read-scoped token).
    pub async fn access_of(&self, account_id: i64, read_only: bool) -> Result<Access, StoreError> {
        let grants = self
            .grants_of(account_id)
            .await?
            .into_iter()
            .map(|g| g.grant)
            .collect();
        Ok(Access::new(grants, read_only))
    }

    /// Signs in: checks the password (and lockout), opens a new session on success, and
    /// records the attempt in the audit trail either way.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: Option<&str>,
        policy: &AuthPolicy,
    ) -> Result<LoginOutcome, StoreError> {
        let username = clip(username.trim(), 100);
        let account = self.account_by_name(&username).await?;
        let hash = match &account {
            Some(a) => sqlx::query("SELECT password_hash FROM account WHERE id = $1")
                .bind(a.id)
                .fetch_one(self.pool())
                .await?
                .try_get::<String, _>(0)?,
            None => dummy_hash().to_string(),
        };
        let locked = account.as_ref().is_some_and(Account::is_locked);
        let pw = password.to_string();
        // A locked account is not checked at all, so guessing on is useless while it lasts.
        let matches = !locked && blocking(move || verify_password(&pw, &hash)).await?;
        let mut tx = self.begin_write(&username, None).await?;
        let details = |cause: &str| {
            Some(json!({"username": username, "client": client, "cause": cause}).to_string())
        };
        let Some(account) = account else {
            tx.append_event(
                "login_failed",
                "account",
                None,
                None,
                details("unknown user"),
                None,
            )
            .await?;
            tx.commit().await?;
            return Ok(LoginOutcome::Refused { locked: false });
        };
        if locked || account.disabled || !matches {
            let cause = if locked {
                "account locked"
            } else if account.disabled {
                "account disabled"
            } else {
                "wrong password"
            };
            tx.append_event(
                "login_failed",
                "account",
                Some(account.id),
                None,
                details(cause),
                None,
            )
            .await?;
            let now_locked = if !locked && !account.disabled {
                tx.count_failure(&account, policy).await?
            } else {
                locked
            };
            tx.commit().await?;
            return Ok(LoginOutcome::Refused { locked: now_locked });
        }
        sqlx::query("UPDATE account SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(account.id)
            .execute(tx.conn())
            .await?;
        let session_token = tx.open_session(account.id, client, policy).await?;
        tx.append_event(
            "login",
            "account",
            Some(account.id),
            None,
            Some(json!({"username": account.username, "client": client}).to_string()),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(LoginOutcome::Success {
            session_token,
            account,
        })
    }

    /// Re-authentication for a signature: checks the password of a signed-in account. A wrong
    /// password counts towards the lockout like a failed sign-in and is audited.
    pub async fn reauthenticate(
        &self,
        account: &Account,
        password: &str,
        policy: &AuthPolicy,
    ) -> Result<bool, StoreError> {
        let current = self.account(account.id).await?;
        let Some(current) = current.filter(|a| !a.disabled && !a.is_locked()) else {
            return Ok(false);
        };
        let hash: String = sqlx::query("SELECT password_hash FROM account WHERE id = $1")
            .bind(current.id)
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        let pw = password.to_string();
        if blocking(move || verify_password(&pw, &hash)).await? {
            return Ok(true);
        }
        let mut tx = self.begin_write(&current.username, None).await?;
        tx.append_event(
            "reauth_failed",
            "account",
            Some(current.id),
            None,
            Some(json!({"username": current.username, "cause": "wrong password"}).to_string()),
            None,
        )
        .await?;
        tx.count_failure(&current, policy).await?;
        tx.commit().await?;
        Ok(false)
    }

    /// Records that sign-ins from `client` are being throttled (once per burst, not per refused
    /// attempt, so an attacker cannot flood the audit trail through it).
    pub async fn audit_login_throttled(
        &self,
        client: Option<&str>,
        username: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write(username, None).await?;
        tx.append_event(
            "login_throttled",
            "account",
            None,
            None,
            Some(json!({"username": username, "client": client, "cause": "too many sign-in attempts from this address"}).to_string()),
            None,
        )
        .await?;
        tx.commit().await
    }

    /// The live session behind a cookie value, with its account's grants (one query),
    /// extending its idle deadline; `None` when it is unknown, expired, or its account is
    /// disabled.
    pub async fn session(
        &self,
        token: &str,
        policy: &AuthPolicy,
    ) -> Result<Option<Session>, StoreError> {
        let id_hash = sha256_hex(token);
        let sql = format!(
            "SELECT s.csrf_token, s.idle_expires_at, s.expires_at, {ACCOUNT_COLUMNS}, g.role, g.site_id AS grant_site, g.asset_id AS grant_asset \
             FROM session s JOIN account a ON a.id = s.account_id LEFT JOIN role_grant g ON g.account_id = a.id \
             WHERE s.id_hash = $1 ORDER BY g.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id_hash.clone())
            .fetch_all(self.pool())
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let idle: String = row.try_get("idle_expires_at")?;
        let expires_at: String = row.try_get("expires_at")?;
        let account = Account::from_row(row)?;
        let now = crate::now();
        if now >= idle || now >= expires_at || account.disabled {
            sqlx::query("DELETE FROM session WHERE id_hash = $1")
                .bind(id_hash)
                .execute(self.pool())
                .await?;
            return Ok(None);
        }
        let grants = grants_of_rows(&rows)?;
        // Extend the idle deadline at most once a minute, not on every request.
        let refresh_after = from_now(policy.session_idle - jiff::SignedDuration::from_mins(1));
        if idle < refresh_after {
            sqlx::query(
                "UPDATE session SET idle_expires_at = $1, last_seen_at = $2 WHERE id_hash = $3",
            )
            .bind(from_now(policy.session_idle))
            .bind(now)
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        }
        Ok(Some(Session {
            account,
            csrf_token: row.try_get("csrf_token")?,
            expires_at,
            grants,
        }))
    }

    /// Ends a session (sign-out) and records it.
    pub async fn logout(&self, token: &str) -> Result<(), StoreError> {
        let Some(row) = sqlx::query(
            "SELECT a.id, a.username FROM session s JOIN account a ON a.id = s.account_id WHERE s.id_hash = $1",
        )
        .bind(sha256_hex(token))
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(());
        };
        let (id, username): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
        let mut tx = self.begin_write(&username, None).await?;
        sqlx::query("DELETE FROM session WHERE id_hash = $1")
            .bind(sha256_hex(token))
            .execute(tx.conn())
            .await?;
        tx.append_event(
            "logout",
            "account",
            Some(id),
            None,
            Some(json!({"username": username}).to_string()),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The account, token and grants behind a bearer secret (one query), if the token is
    /// active and the account enabled. Notes the time of use (at most once a minute).
    pub async fn authenticate_token(
        &self,
        secret: &str,
    ) -> Result<Option<(Account, ApiToken, Vec<Grant>)>, StoreError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let sql = format!(
            "SELECT t.id AS token_id, t.account_id, t.name, t.prefix, t.scope, t.created_at AS token_created_at, t.expires_at, t.last_used_at, t.revoked_at, \
             {ACCOUNT_COLUMNS}, g.role, g.site_id AS grant_site, g.asset_id AS grant_asset \
             FROM api_token t JOIN account a ON a.id = t.account_id LEFT JOIN role_grant g ON g.account_id = a.id \
             WHERE t.token_hash = $1 ORDER BY g.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(sha256_hex(secret))
            .fetch_all(self.pool())
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let token = ApiToken::from_columns(row, "token_id", "token_created_at")?;
        let account = Account::from_row(row)?;
        if !token.is_active() || account.disabled {
            return Ok(None);
        }
        let grants = grants_of_rows(&rows)?;
        let now = crate::now();
        let stale = from_now(-jiff::SignedDuration::from_mins(1));
        if token
            .last_used_at
            .as_deref()
            .is_none_or(|t| t < stale.as_str())
        {
            sqlx::query("UPDATE api_token SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(token.id)
                .execute(self.pool())
                .await?;
        }
        Ok(Some((account, token, grants)))
    }

    pub async fn tokens_of(&self, account_id: i64) -> Result<Vec<ApiToken>, StoreError> {
        let sql =
            format!("SELECT {TOKEN_COLUMNS} FROM api_token WHERE account_id = $1 ORDER BY id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account_id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .iter()
            .map(ApiToken::from_row)
            .collect::<Result<_, _>>()?)
    }

    /// The signatures of a record, oldest first.
    pub async fn signatures(&self, kind: &str, id: i64) -> Result<Vec<Signature>, StoreError> {
        Ok(self
            .signatures_of(kind, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default())
    }

    /// The signatures of several records of one kind in one query: record id → signatures,
    /// oldest first.
    pub async fn signatures_of(
        &self,
        kind: &str,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<Signature>>, StoreError> {
        let mut out: std::collections::HashMap<i64, Vec<Signature>> = Default::default();
        if ids.is_empty() {
            return Ok(out);
        }
        // Ids are integers, spelled inline.
        let list = ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT id, kind, record_id, record_version, account_id, signer, signer_name, meaning, comment, content_hash, signed_at, audit_seq FROM signature WHERE kind = $1 AND record_id IN ({list}) ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(kind.to_string())
            .fetch_all(self.pool())
            .await?;
        for r in &rows {
            let s = Signature {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                record_id: r.try_get("record_id")?,
                record_version: r.try_get("record_version")?,
                account_id: r.try_get("account_id")?,
                signer: r.try_get("signer")?,
                signer_name: r.try_get("signer_name")?,
                meaning: r.try_get("meaning")?,
                comment: r.try_get("comment")?,
                content_hash: r.try_get("content_hash")?,
                signed_at: r.try_get("signed_at")?,
                audit_seq: r.try_get("audit_seq")?,
            };
            out.entry(s.record_id).or_default().push(s);
        }
        Ok(out)
    }

    /// A fresh one-time password (to show once) and its hash, for a new account or a reset.
    /// It is random, so the policy's reuse check does not apply.
    pub async fn new_one_time_password(&self) -> Result<(String, NewPassword), StoreError> {
        let password = one_time_password()?;
        let pw = password.clone();
        let hash = blocking(move || hash_password(&pw)).await??;
        Ok((password, NewPassword(hash)))
    }

    /// On first start (no account at all), creates the administrator `admin` with a one-time
    /// password that must be changed at first sign-in, and returns that password so the
    /// caller can show it once. Never a fixed default password.
    pub async fn ensure_first_admin(&self) -> Result<Option<(String, String)>, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM account")
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        if n > 0 {
            return Ok(None);
        }
        let (password, hash) = self.new_one_time_password().await?;
        let mut tx = self.begin_write("otkeep (first start)", None).await?;
        // Another instance starting on the same database may have been first.
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM account")
            .fetch_one(tx.conn())
            .await?
            .try_get(0)?;
        if n > 0 {
            return Ok(None);
        }
        let account = tx.create_account("admin", "Administrator", hash).await?;
        tx.add_grant(
            account.id,
            &Grant {
                role: Role::Admin,
                site: None,
                asset: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(("admin".to_string(), password)))
    }

    /// Removes expired sessions (housekeeping; sessions are also checked on every use).
    pub async fn purge_sessions(&self) -> Result<u64, StoreError> {
        let now = crate::now();
        let done =
            sqlx::query("DELETE FROM session WHERE expires_at <= $1 OR idle_expires_at <= $1")
                .bind(now)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected())
    }
}

impl WriteTx<'_> {
    /// Counts a failed authentication; locks the account when the policy says so. Returns
    /// whether the account is now locked.
    async fn count_failure(
        &mut self,
        account: &Account,
        policy: &AuthPolicy,
    ) -> Result<bool, StoreError> {
        let failures = account.failed_logins + 1;
        if failures >= policy.max_failed_logins {
            let until = from_now(policy.lockout);
            sqlx::query("UPDATE account SET failed_logins = 0, locked_until = $1 WHERE id = $2")
                .bind(until.clone())
                .bind(account.id)
                .execute(self.conn())
                .await?;
            self.append_event(
                "lockout",
                "account",
                Some(account.id),
                None,
                Some(
                    json!({"username": account.username, "failures": failures, "locked_until": until})
                        .to_string(),
                ),
                None,
            )
            .await?;
            Ok(true)
        } else {
            sqlx::query("UPDATE account SET failed_logins = $1 WHERE id = $2")
                .bind(failures)
                .bind(account.id)
                .execute(self.conn())
                .await?;
            Ok(false)
        }
    }

    async fn account_in(&mut self, id: i64) -> Result<Account, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM account a WHERE a.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound {
                kind: "account",
                id,
            })?;
        Ok(Account::from_row(&row)?)
    }

    /// Opens a session for an account: a fresh random id (so a sign-in always rotates the
    /// session) and a fresh CSRF token. Returns the id to put in the cookie.
    pub(crate) async fn open_session(
        &mut self,
        account_id: i64,
        client: Option<&str>,
        policy: &AuthPolicy,
    ) -> Result<String, StoreError> {
        let token = random_hex(32)?;
        let now = crate::now();
        sqlx::query(
            "INSERT INTO session (id_hash, account_id, csrf_token, created_at, last_seen_at, idle_expires_at, expires_at, client) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(sha256_hex(&token))
        .bind(account_id)
        .bind(random_hex(32)?)
        .bind(now.clone())
        .bind(now)
        .bind(from_now(policy.session_idle))
        .bind(from_now(policy.session_absolute))
        .bind(client.map(|c| clip(c, 100)))
        .execute(self.conn())
        .await?;
        Ok(token)
    }

    /// Creates an account whose password must be changed at first sign-in.
    pub async fn create_account(
        &mut self,
        username: &str,
        display_name: &str,
        password: NewPassword,
    ) -> Result<Account, StoreError> {
        let username = username.trim();
        let valid = !username.is_empty()
            && username.len() <= 64
            && username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
        if !valid {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "username",
                "use 1 to 64 letters, digits, '.', '-', '_' or '@'",
            )]));
        }
        let taken: i64 = sqlx::query("SELECT COUNT(*) FROM account WHERE username = $1")
            .bind(username.to_string())
            .fetch_one(self.conn())
            .await?
            .try_get(0)?;
        if taken > 0 {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "username",
                format!("the username '{username}' is taken"),
            )]));
        }
        let display_name = match display_name.trim() {
            "" => username.to_string(),
            d => clip(d, 200),
        };
        let now = crate::now();
        let id: i64 = sqlx::query(
            "INSERT INTO account (version, created_at, updated_at, username, display_name, password_hash, password_changed_at, must_change_password, disabled, failed_logins) VALUES (1, $1, $2, $3, $4, $5, $6, 1, 0, 0) RETURNING id",
        )
        .bind(now.clone())
        .bind(now.clone())
        .bind(username.to_string())
        .bind(display_name)
        .bind(password.0)
        .bind(now)
        .fetch_one(self.conn())
        .await?
        .try_get(0)?;
        let account = self.account_in(id).await?;
        self.append_event(
            "create",
            "account",
            Some(id),
            None,
            Some(account.to_json().to_string()),
            None,
        )
        .await?;
        Ok(account)
    }

    /// Sets a new password. Every session of the account ends; `must_change` forces another
    /// change at the next sign-in (an administrator's reset).
    pub async fn set_password(
        &mut self,
        account_id: i64,
        password: NewPassword,
        must_change: bool,
    ) -> Result<Account, StoreError> {
        let before = self.account_in(account_id).await?;
        let old: String = sqlx::query("SELECT password_hash FROM account WHERE id = $1")
            .bind(account_id)
            .fetch_one(self.conn())
            .await?
            .try_get(0)?;
        let now = crate::now();
        sqlx::query(
            "INSERT INTO password_history (account_id, changed_at, password_hash) VALUES ($1, $2, $3)",
        )
        .bind(account_id)
        .bind(now.clone())
        .bind(old)
        .execute(self.conn())
        .await?;
        sqlx::query(
            "UPDATE account SET version = version + 1, updated_at = $1, password_hash = $2, password_changed_at = $3, must_change_password = $4, failed_logins = 0, locked_until = NULL WHERE id = $5",
        )
        .bind(now.clone())
        .bind(password.0)
        .bind(now)
        .bind(i64::from(must_change))
        .bind(account_id)
        .execute(self.conn())
        .await?;
        self.end_sessions(account_id).await?;
        let after = self.account_in(account_id).await?;
        let action = if must_change {
            "password_reset"
        } else {
            "password_change"
        };
        self.append_event(
            action,
            "account",
            Some(account_id),
            Some(before.to_json().to_string()),
            Some(after.to_json().to_string()),
            None,
        )
        .await?;
        Ok(after)
    }

    /// Ends every session of an account.
    pub async fn end_sessions(&mut self, account_id: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM session WHERE account_id = $1")
            .bind(account_id)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }

    /// Administrator grants of enabled accounts, leaving out one account or one grant: zero
    /// means the change would leave nobody to administer otkeep from the UI.
    async fn other_admins(
        &mut self,
        except_account: i64,
        except_grant: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query(
            "SELECT COUNT(*) FROM role_grant g JOIN account a ON a.id = g.account_id \
             WHERE g.role = 'admin' AND a.disabled = 0 AND a.id <> $1 AND g.id <> $2",
        )
        .bind(except_account)
        .bind(except_grant)
        .fetch_one(self.conn())
        .await?
        .try_get(0)?)
    }

    async fn is_admin(&mut self, account_id: i64) -> Result<bool, StoreError> {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) FROM role_grant WHERE account_id = $1 AND role = 'admin'")
                .bind(account_id)
                .fetch_one(self.conn())
                .await?
                .try_get(0)?;
        Ok(n > 0)
    }

    /// Disables (ending its sessions) or enables an account; enabling also lifts a lockout.
    /// The last enabled administrator cannot be disabled.
    pub async fn set_disabled(
        &mut self,
        account_id: i64,
        disabled: bool,
    ) -> Result<Account, StoreError> {
        let before = self.account_in(account_id).await?;
        if disabled
            && self.is_admin(account_id).await?
            && self.other_admins(account_id, 0).await? == 0
        {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "disabled",
                "this is the last enabled administrator; make someone else administrator first",
            )]));
        }
        sqlx::query(
            "UPDATE account SET version = version + 1, updated_at = $1, disabled = $2, failed_logins = 0, locked_until = NULL WHERE id = $3",
        )
        .bind(crate::now())
        .bind(i64::from(disabled))
        .bind(account_id)
        .execute(self.conn())
        .await?;
        if disabled {
            self.end_sessions(account_id).await?;
        }
        let after = self.account_in(account_id).await?;
        self.append_event(
            if disabled { "disable" } else { "enable" },
            "account",
            Some(account_id),
            Some(before.to_json().to_string()),
            Some(after.to_json().to_string()),
            None,
        )
        .await?;
        Ok(after)
    }

    /// Grants a role; checks the grant's shape and that its site and asset exist (and that a
    /// vendor's asset belongs to the named site, when one is named).
    pub async fn add_grant(&mut self, account_id: i64, grant: &Grant) -> Result<i64, StoreError> {
        self.account_in(account_id).await?;
        grant
            .validate()
            .map_err(|m| StoreError::Invalid(vec![FieldError::new("role", m)]))?;
        let mut site = grant.site;
        if let Some(asset) = grant.asset {
            let row = sqlx::query("SELECT site_id FROM asset WHERE id = $1")
                .bind(asset)
                .fetch_optional(self.conn())
                .await?
                .ok_or_else(|| {
                    StoreError::Invalid(vec![FieldError::new(
                        "asset_id",
                        format!("asset #{asset} does not exist"),
                    )])
                })?;
            let asset_site: i64 = row.try_get(0)?;
            if site.is_some_and(|s| s != asset_site) {
                return Err(StoreError::Invalid(vec![FieldError::new(
                    "asset_id",
                    format!("asset #{asset} belongs to another site"),
                )]));
            }
            site = Some(asset_site);
        }
        if let Some(s) = site {
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM site WHERE id = $1")
                .bind(s)
                .fetch_one(self.conn())
                .await?
                .try_get(0)?;
            if n == 0 {
                return Err(StoreError::Invalid(vec![FieldError::new(
                    "site_id",
                    format!("site #{s} does not exist"),
                )]));
            }
        }
        let now = crate::now();
        let granted_by = self.actor().to_string();
        let id: i64 = sqlx::query(
            "INSERT INTO role_grant (account_id, role, site_id, asset_id, granted_at, granted_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(account_id)
        .bind(grant.role.key())
        .bind(site)
        .bind(grant.asset)
        .bind(now.clone())
        .bind(granted_by.clone())
        .fetch_one(self.conn())
        .await?
        .try_get(0)?;
        let row = GrantRow {
            id,
            account_id,
            grant: Grant {
                site,
                ..grant.clone()
            },
            granted_at: now,
            granted_by,
        };
        self.append_event(
            "grant",
            "account",
            Some(account_id),
            None,
            Some(row.to_json().to_string()),
            site,
        )
        .await?;
        Ok(id)
    }

    /// Revokes one grant of an account.
    pub async fn remove_grant(&mut self, account_id: i64, grant_id: i64) -> Result<(), StoreError> {
        let row = sqlx::query(
            "SELECT role, site_id, asset_id FROM role_grant WHERE id = $1 AND account_id = $2",
        )
        .bind(grant_id)
        .bind(account_id)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound {
            kind: "grant",
            id: grant_id,
        })?;
        let role: String = row.try_get(0)?;
        let site: Option<i64> = row.try_get(1)?;
        let asset: Option<i64> = row.try_get(2)?;
        if role == Role::Admin.key() && self.other_admins(0, grant_id).await? == 0 {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "role",
                "this is the last administrator grant of an enabled account; grant administrator to someone else first",
            )]));
        }
        sqlx::query("DELETE FROM role_grant WHERE id = $1")
            .bind(grant_id)
            .execute(self.conn())
            .await?;
        self.append_event(
            "revoke",
            "account",
            Some(account_id),
            Some(
                json!({"id": grant_id, "account_id": account_id, "role": role, "site_id": site, "asset_id": asset})
                    .to_string(),
            ),
            None,
            site,
        )
        .await?;
        Ok(())
    }

    /// Creates a personal API token; returns it with its secret, which is not kept.
    pub async fn create_token(
        &mut self,
        account_id: i64,
        name: &str,
        scope: TokenScope,
        expires_at: jiff::Timestamp,
    ) -> Result<(ApiToken, String), StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "name",
                "name the token (1 to 100 characters), e.g. after the script that uses it",
            )]));
        }
        if expires_at <= jiff::Timestamp::now() {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "expires_at",
                "the expiry must be in the future",
            )]));
        }
        self.account_in(account_id).await?;
        let secret = format!("{TOKEN_PREFIX}{}", random_hex(32)?);
        let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 8).collect();
        let now = crate::now();
        let id: i64 = sqlx::query(
            "INSERT INTO api_token (account_id, name, prefix, token_hash, scope, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(account_id)
        .bind(name.to_string())
        .bind(prefix.clone())
        .bind(sha256_hex(&secret))
        .bind(scope.key())
        .bind(now.clone())
        .bind(stamp(expires_at))
        .fetch_one(self.conn())
        .await?
        .try_get(0)?;
        let token = ApiToken {
            id,
            account_id,
            name: name.to_string(),
            prefix,
            scope,
            created_at: now,
            expires_at: stamp(expires_at),
            last_used_at: None,
            revoked_at: None,
        };
        self.append_event(
            "token_create",
            "account",
            Some(account_id),
            None,
            Some(token.to_json().to_string()),
            None,
        )
        .await?;
        Ok((token, secret))
    }

    /// Revokes a token of an account (from then on it authenticates nothing).
    pub async fn revoke_token(&mut self, account_id: i64, token_id: i64) -> Result<(), StoreError> {
        let sql =
            format!("SELECT {TOKEN_COLUMNS} FROM api_token WHERE id = $1 AND account_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_id)
            .bind(account_id)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound {
                kind: "token",
                id: token_id,
            })?;
        let mut token = ApiToken::from_row(&row)?;
        if token.revoked_at.is_some() {
            return Ok(());
        }
        let now = crate::now();
        sqlx::query("UPDATE api_token SET revoked_at = $1 WHERE id = $2")
            .bind(now.clone())
            .bind(token_id)
            .execute(self.conn())
            .await?;
        let before = token.to_json().to_string();
        token.revoked_at = Some(now);
        self.append_event(
            "token_revoke",
            "account",
            Some(account_id),
            Some(before),
            Some(token.to_json().to_string()),
            None,
        )
        .await?;
        Ok(())
    }

    /// Signs `record` (as the caller last read it) on behalf of `account`. The record must still
    /// be at that version. The signature is stored and recorded in the audit chain as an event
    /// of the record, so it appears in the record's history.
    pub async fn sign(
        &mut self,
        account: &Account,
        record: &Record,
        meaning: Meaning,
        comment: &str,
    ) -> Result<Signature, StoreError> {
        let current = crate::read::get_in(self.conn(), record.kind, record.id)
            .await?
            .ok_or(StoreError::NotFound {
                kind: record.kind.name,
                id: record.id,
            })?;
        if current.version != record.version {
            return Err(StoreError::Conflict {
                kind: record.kind.name,
                id: record.id,
                expected: record.version,
                current: current.version,
            });
        }
        let comment = Some(clip(comment.trim(), 2000)).filter(|c| !c.is_empty());
        if meaning == Meaning::Approved {
            crate::risk::check_acceptance(self.conn(), account.id, &current).await?;
        }
        let hash = crate::risk::signed_hash(self.conn(), &current).await?;
        let now = crate::now();
        let details = json!({
            "signer": account.username,
            "signer_name": account.display_name,
            "meaning": meaning.key(),
            "comment": comment,
            "record_version": current.version,
            "content_hash": hash,
        });
        let seq = self
            .append_event(
                "sign",
                record.kind.name,
                Some(record.id),
                None,
                Some(details.to_string()),
                current.site_id(),
            )
            .await?;
        let id: i64 = sqlx::query(
            "INSERT INTO signature (kind, record_id, record_version, site_id, account_id, signer, signer_name, meaning, comment, content_hash, signed_at, audit_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(record.kind.name)
        .bind(record.id)
        .bind(current.version)
        .bind(current.site_id())
        .bind(account.id)
        .bind(account.username.clone())
        .bind(account.display_name.clone())
        .bind(meaning.key())
        .bind(comment.clone())
        .bind(hash.clone())
        .bind(now.clone())
        .bind(seq)
        .fetch_one(self.conn())
        .await?
        .try_get(0)?;
        Ok(Signature {
            id,
            kind: record.kind.name.to_string(),
            record_id: record.id,
            record_version: current.version,
            account_id: account.id,
            signer: account.username.clone(),
            signer_name: account.display_name.clone(),
            meaning: meaning.key().to_string(),
            comment,
            content_hash: hash,
            signed_at: now,
            audit_seq: seq,
        })
    }
}
