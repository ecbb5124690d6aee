//! Throw-away databases for tests, on SQLite and on PostgreSQL.
//!
//! PostgreSQL tests need `OTKEEP_TEST_POSTGRES` (a URL to a server where databases may be
//! created, e.g. `postgres://postgres@127.0.0.1:5432/postgres`). Without it they are skipped
//! with a printed reason, except under CI (`CI=true`), where its absence is a failure.

use crate::{Backend, Store, StoreError};
use sqlx::{AssertSqlSafe, Connection};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database that exists for the lifetime of this value.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    dir: Option<PathBuf>,
    pg: Option<(String, String)>,
}

fn unique_name() -> String {
    format!(
        "otkeep_test_{}_{}_{}",
        std::process::id(),
        jiff::Timestamp::now().as_microsecond(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestDb {
    /// A fresh SQLite database in a temporary folder.
    pub fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique_name());
        let _ = std::fs::create_dir_all(&dir);
        TestDb {
            url: crate::sqlite_url(&dir.join("otkeep.db")),
            backend: Backend::Sqlite,
            dir: Some(dir),
            pg: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (with a printed reason) when no server is
    /// configured outside CI.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(admin) = std::env::var("OTKEEP_TEST_POSTGRES") else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("OTKEEP_TEST_POSTGRES is not set; CI must test PostgreSQL");
            }
            eprintln!(
                "skipping PostgreSQL test: set OTKEEP_TEST_POSTGRES=postgres://USER@HOST/DB to run it"
            );
            return None;
        };
        sqlx::any::install_default_drivers();
        let name = unique_name();
        let mut conn = match sqlx::AnyConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => panic!("cannot reach PostgreSQL at {admin}: {e}"),
        };
        if let Err(e) = sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
        {
            panic!("cannot create test database on {admin}: {e}");
        }
        let _ = conn.close().await;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Some(TestDb {
            url: format!("{base}/{name}"),
            backend: Backend::Postgres,
            dir: None,
            pg: Some((admin.clone(), name)),
        })
    }

    /// A new PostgreSQL database holding a copy of `primary` as it is now: a read replica
    /// that stopped replaying at this point, so its staleness is known exactly. `None` when
    /// PostgreSQL tests are not configured.
    pub async fn frozen_copy(primary: &Store) -> Option<TestDb> {
        let replica = TestDb::postgres().await?;
        let file = std::env::temp_dir().join(format!("{}.db", unique_name()));
        primary
            .backup_to(&file)
            .await
            .expect("backup of the primary");
        let target = replica.open().await.expect("open the copy");
        target
            .restore_from(&file)
            .await
            .expect("restore into the copy");
        target.close().await;
        let _ = std::fs::remove_file(&file);
        Some(replica)
    }

    pub async fn open(&self) -> Result<Store, StoreError> {
        Store::open(&self.url).await
    }

    /// Closes the store and drops the PostgreSQL database (SQLite folders are removed on drop).
    pub async fn cleanup(mut self, store: &Store) {
        store.close().await;
        if let Some((admin, name)) = self.pg.take()
            && let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await
        {
            let _ = sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                .execute(&mut conn)
                .await;
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Runs each named `async fn NAME(store: Arc<Store>)` of the calling module as two tests, one on
/// a fresh SQLite database and one on a fresh PostgreSQL database (skipped, with the reason
/// printed, when `OTKEEP_TEST_POSTGRES` is not set outside CI). The caller needs `tokio` with the
/// `macros` feature as a dev-dependency.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = $crate::testing::TestDb::sqlite();
                    let store = ::std::sync::Arc::new(db.open().await.expect("open SQLite"));
                    super::$name(store.clone()).await;
                    db.cleanup(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = $crate::testing::TestDb::postgres().await else { return };
                    let store = ::std::sync::Arc::new(db.open().await.expect("open PostgreSQL"));
                    super::$name(store.clone()).await;
                    db.cleanup(&store).await;
                }
            )*
        }
    };
}

/// The password of accounts made by [`test_account`].
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// An account with [`TEST_PASSWORD`] (already changed, so no forced change) and `grants`.
pub async fn test_account(
    store: &Store,
    username: &str,
    grants: &[otkeep_core::access::Grant],
) -> Result<crate::Account, StoreError> {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = match HASH.get() {
        Some(h) => h.clone(),
        None => {
            let h = crate::identity::hash_password(TEST_PASSWORD)?;
            HASH.get_or_init(|| h).clone()
        }
    };
    let mut tx = store.begin_write("test setup", None).await?;
    let account = tx
        .create_account(username, username, crate::NewPassword(hash.clone()))
        .await?;
    for g in grants {
        tx.add_grant(account.id, g).await?;
    }
    let account = tx
        .set_password(account.id, crate::NewPassword(hash), false)
        .await?;
    tx.commit().await?;
    Ok(account)
}
