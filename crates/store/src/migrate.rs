//! Versioned schema migrations, one list for both backends.
//!
//! Each migration is plain SQL written for both SQLite and PostgreSQL. The few places where
//! the two differ are spelled as placeholders (`{{ID}}` for an auto-assigned 64-bit primary
//! key, `{{BLOB}}` for binary content) or as a backend-specific tail (triggers). Migrations are never edited once released:
//! a schema change is a new entry at the end of [`MIGRATIONS`].

use crate::{Backend, StoreError};
use sqlx::{AnyPool, AssertSqlSafe, Row};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    /// SQL for both backends, with `{{ID}}` placeholders.
    pub common: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

pub static MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "record spine: sites, zones, conduits, assets, audit trail",
        common: include_str!("migrations/0001_spine.sql"),
        sqlite: include_str!("migrations/0001_spine.sqlite.sql"),
        postgres: include_str!("migrations/0001_spine.postgres.sql"),
    },
    Migration {
        version: 2,
        name: "identity: accounts, grants, sessions, API tokens, signatures; audit event sites",
        common: include_str!("migrations/0002_identity.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 3,
        name: "IEC 62443 requirement assessments; imported catalog text",
        common: include_str!("migrations/0003_assessment.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 4,
        name: "asset capability SL (SL-C); zone subnets",
        common: include_str!("migrations/0004_sl_c.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 5,
        name: "compensating countermeasures",
        common: include_str!("migrations/0005_countermeasure.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 6,
        name: "evidence files",
        common: include_str!("migrations/0006_evidence.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 7,
        name: "countermeasures name several zones and components",
        // The table change differs per backend and must come before the shared child tables.
        common: "",
        sqlite: concat!(
            include_str!("migrations/0007_countermeasure_lists.sqlite.sql"),
            include_str!("migrations/0007_countermeasure_lists.tail.sql")
        ),
        postgres: concat!(
            include_str!("migrations/0007_countermeasure_lists.postgres.sql"),
            include_str!("migrations/0007_countermeasure_lists.tail.sql")
        ),
    },
    Migration {
        version: 8,
        name: "risk management: methods, assessments, risks, treatment actions, exceptions",
        common: include_str!("migrations/0008_risk.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 9,
        name: "security advisories, their history, vendor index and triage of matches",
        common: include_str!("migrations/0009_advisory.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 10,
        name: "software bills of materials",
        common: include_str!("migrations/0010_sbom.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 11,
        name: "certificates and keys",
        common: include_str!("migrations/0011_certificate.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 12,
        name: "change requests",
        common: include_str!("migrations/0012_change.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 13,
        name: "configuration baselines, conformance, commissioning, decommissioning",
        common: include_str!("migrations/0013_configuration.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 14,
        name: "checklist templates",
        common: include_str!("migrations/0014_checklist_template.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 15,
        name: "treatment actions name their change requests",
        common: include_str!("migrations/0015_treatment_changes.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 16,
        name: "backup plans, backups and restore tests",
        common: include_str!("migrations/0016_backup.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 17,
        name: "log sources and log reviews",
        common: include_str!("migrations/0017_logs.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 18,
        name: "patches, OT accounts and access, remote access sessions",
        common: include_str!("migrations/0018_operations.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 19,
        name: "program roles, RACI matrix and training",
        common: include_str!("migrations/0019_training.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 20,
        name: "document control",
        common: include_str!("migrations/0020_documents.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 21,
        name: "suppliers, incidents, security tests and periodic reviews",
        common: include_str!("migrations/0021_governance.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 22,
        name: "KPI targets and daily snapshots",
        common: include_str!("migrations/0022_kpi.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 23,
        name: "Observed traffic: captures, hosts and flows",
        common: include_str!("migrations/0023_observation.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 24,
        name: "Dismissed findings of observed traffic",
        common: include_str!("migrations/0024_finding_dismissal.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 25,
        name: "Firewall rulesets of a site",
        common: include_str!("migrations/0025_firewall_ruleset.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 26,
        name: "Background job leases shared by every instance",
        common: include_str!("migrations/0026_job_run.sql"),
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 27,
        name: "Index of assets by vendor and model for advisory matching",
        common: include_str!("migrations/0027_asset_vendor_model.sql"),
        sqlite: "",
        postgres: "",
    },
];

impl Migration {
    fn sql(&self, backend: Backend) -> String {
        let id = match backend {
            Backend::Sqlite => "INTEGER PRIMARY KEY",
            Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        };
        let tail = match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        };
        let blob = match backend {
            Backend::Sqlite => "BLOB",
            Backend::Postgres => "BYTEA",
        };
        format!(
            "{}\n{}",
            self.common.replace("{{ID}}", id).replace("{{BLOB}}", blob),
            tail
        )
    }
}

/// Applies every migration not yet applied, each in its own transaction. Returns the versions
/// applied. On PostgreSQL an advisory lock keeps concurrent instances from racing.
pub async fn migrate(pool: &AnyPool, backend: Backend) -> Result<Vec<i64>, StoreError> {
    migrate_to(pool, backend, i64::MAX).await
}

/// Applies the pending migrations up to schema version `last`. Tests of data migrations use it
/// to build a database as an older release left it.
pub async fn migrate_to(
    pool: &AnyPool,
    backend: Backend,
    last: i64,
) -> Result<Vec<i64>, StoreError> {
    let mut conn = pool.acquire().await?;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock(70100)")
            .execute(&mut *conn)
            .await?;
    }
    let result = apply_pending(&mut conn, backend, last).await;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock(70100)")
            .execute(&mut *conn)
            .await?;
    }
    result
}

async fn apply_pending(
    conn: &mut sqlx::pool::PoolConnection<sqlx::Any>,
    backend: Backend,
    last: i64,
) -> Result<Vec<i64>, StoreError> {
    use sqlx::Connection;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(&mut **conn)
    .await?;
    let rows = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut **conn)
        .await?;
    let applied: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()?;
    if let Some(newest) = applied.iter().max()
        && *newest > MIGRATIONS.len() as i64
    {
        return Err(StoreError::Corrupt(format!(
            "the database has schema version {newest}, newer than this otkeep ({}); upgrade otkeep",
            MIGRATIONS.len()
        )));
    }
    let mut done = Vec::new();
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version <= last && !applied.contains(&m.version))
    {
        let mut tx = conn.begin().await?;
        sqlx::raw_sql(AssertSqlSafe(m.sql(backend)))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(crate::now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        done.push(m.version);
    }
    Ok(done)
}
