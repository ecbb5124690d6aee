//! Persistence of otkeep: one interface over SQLite (embedded default) and PostgreSQL.
//!
//! - [`Store`] opens a database from a URL, runs the migrations and reads records generically
//!   from their [`KindDef`] descriptors (see [`read`]).
//! - [`WriteTx`] (see [`write`]) is the one write path: every create, update and delete goes
//!   through it, and each appends a hash-chained event to the audit trail in the same
//!   transaction (see [`audit`]).
//! - [`identity`]: accounts, sign-in and lockout, sessions, API tokens, grants and signatures,
//!   written through the same path and audited the same way.
//!
//! Both backends are reached through sqlx's `Any` driver with one set of SQL. Values are kept to
//! the types both share (64-bit integers and text; times as RFC 3339 UTC text), so the same
//! queries run on both. The few differences (primary key DDL, how a writer takes the write lock,
//! triggers) are in small `match backend` spots.

pub mod advisory;
pub mod as_of;
pub mod assessment;
pub mod audit;
pub mod backup;
pub mod baseline;
pub mod change;
mod columns;
pub mod db_backup;
mod demo;
mod demo_gov;
mod demo_ops;
pub mod document;
mod due;
pub mod governance;
pub mod identity;
pub mod jobs;
pub mod kpi;
pub mod migrate;
pub mod observe;
pub mod operations;
pub mod read;
pub mod replica;
pub mod risk;
pub mod sbom;
pub mod supplier;
pub mod testing;
pub mod write;

pub use advisory::{AdvisoryFilter, AdvisoryOutcome, AdvisoryRow, MatchIndex, MatchRow};
pub use as_of::AsOf;
pub use assessment::{
    Approval, AssessmentRow, CatalogEntry, Countermeasure, Coverage, SHEET_HEADERS, StatusMap,
};
pub use audit::{AuditEvent, VerifyReport};
pub use backup::RestoreKpi;
pub use baseline::BaselineKpi;
pub use demo::DemoLoad;
pub use governance::{RaciPeople, TrainingCoverage};
pub use identity::{
    Account, ApiToken, AuthPolicy, GrantRow, LoginOutcome, MEANINGS, Meaning, NewPassword, Session,
    Signature, TokenScope, sha256_bytes,
};
pub use jobs::{Claim, Job, JobRun};
pub use operations::{KpiLine, OperationsKpis};
pub use read::{ListQuery, Page, RefTitles, SortOrder};
pub use risk::{Exception, ExceptionState, MethodVersion, RegisterRow};
pub use sbom::{Attach, ComponentAdvisory, SbomRow};
pub use write::WriteTx;

use otkeep_core::FieldError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Errors of the store. `Invalid`, `Conflict`, `NotFound` and `Referenced` are the user's to fix;
/// `Db` and `Corrupt` are operational.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{}", format_invalid(.0))]
    Invalid(Vec<FieldError>),
    #[error(
        "{kind} #{id} was changed by someone else (it is now at version {current}, your edit was based on version {expected}); reload it and apply your change again"
    )]
    Conflict {
        kind: &'static str,
        id: i64,
        expected: i64,
        current: i64,
    },
    #[error("{kind} #{id} does not exist")]
    NotFound { kind: &'static str, id: i64 },
    #[error("{0}")]
    Referenced(String),
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
    #[error("database content is not as expected: {0}")]
    Corrupt(String),
}

fn format_invalid(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Current UTC time as stored: RFC 3339 with exactly six fractional digits, so text order is
/// time order.
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// The database behind otkeep.
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Serialises writers inside this process; across processes the database lock does it
    /// (`BEGIN IMMEDIATE` on SQLite, an advisory lock on PostgreSQL).
    write_lock: tokio::sync::Mutex<()>,
    /// A streaming replica for heavy reads, used while it is fresh enough (see [`replica`]).
    replica: Option<replica::Replica>,
}

impl Store {
    /// Opens (and creates, for SQLite) the database at `url` and applies pending migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Store::connect(url).await?;
        migrate::migrate(&store.pool, store.backend).await?;
        store.refresh_statistics().await?;
        Ok(store)
    }

    /// Refreshes the query planner's statistics where the database does not do it itself
    /// (SQLite: `ANALYZE` sampling at most 1,000 rows per index, about 0.1 s at 500,000 assets;
    /// PostgreSQL's autovacuum analyzes on its own). Run at start and daily. Without them
    /// SQLite counted a site's filtered assets through the lifecycle index, over every site:
    /// 2.2 s instead of 2 ms at 100 sites × 5,000 assets. (`PRAGMA optimize` did not analyze
    /// tables that had never been analyzed.)
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            let mut conn = self.pool.acquire().await?;
            conn.execute("PRAGMA analysis_limit = 1000; ANALYZE;")
                .await?;
        }
        Ok(())
    }

    /// Opens the database at `url` without migrating it.
    async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::BadUrl(url.to_string()));
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool_options = match backend {
            Backend::Sqlite => AnyPoolOptions::new()
                .max_connections(8)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        // WAL lets readers run beside the writer; FULL sync keeps every
                        // committed change across a power cut.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000; \
                             PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
                        )
                        .await?;
                        Ok(())
                    })
                }),
            Backend::Postgres => AnyPoolOptions::new().max_connections(16),
        };
        let pool = pool_options
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        Ok(Store {
            pool,
            backend,
            write_lock: tokio::sync::Mutex::new(()),
            replica: None,
        })
    }

    /// Opens the SQLite database `otkeep.db` in `dir`, creating the folder if needed.
    pub async fn open_data_dir(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Corrupt(format!("cannot create data folder {}: {e}", dir.display()))
        })?;
        Store::open(&sqlite_url(&dir.join("otkeep.db"))).await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for backend-specific SQL that the generic layer does not cover.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Checks that the database answers (readiness probe).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Starts a write transaction on behalf of `actor`; `reason` is recorded with every event.
    pub async fn begin_write(
        &self,
        actor: &str,
        reason: Option<&str>,
    ) -> Result<WriteTx<'_>, StoreError> {
        WriteTx::begin(self, actor, reason).await
    }

    pub async fn close(&self) {
        if let Some(replica) = &self.replica {
            replica.close().await;
        }
        self.pool.close().await;
    }
}

/// The sqlx URL of an SQLite file, created when missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}
