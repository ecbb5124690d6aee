//! Several otkeep instances on one database (issue 13): background jobs run once across them,
//! an expired lease is taken over, concurrent writers from every instance leave one unbroken
//! audit chain, and heavy reads go to a read replica only while it is fresh within its bound.
//! Jobs and the chain on SQLite and PostgreSQL; the replica on PostgreSQL.

use otkeep_core::kinds::SITE_KIND;
use otkeep_core::{Value, Values};
use otkeep_store::jobs::{JOBS, LEASE};
use otkeep_store::replica::Freshness;
use otkeep_store::testing::TestDb;
use otkeep_store::{Claim, Job, ListQuery, Store};
use sqlx::Row;
use std::sync::Arc;

const INSTANCES: usize = 3;

async fn instances(db: &TestDb) -> Vec<Arc<Store>> {
    let mut out = Vec::new();
    for _ in 0..INSTANCES {
        out.push(Arc::new(db.open().await.expect("open an instance")));
    }
    out
}

async fn close_all(stores: &[Arc<Store>]) {
    for s in stores {
        s.close().await;
    }
}

fn site_values(code: &str) -> Values {
    let mut v = Values::new();
    v.insert("code", Value::Text(code.into()));
    v.insert("name", Value::Text(format!("Plant {code}")));
    v.insert("time_zone", Value::Text("UTC".into()));
    v
}

async fn add_site(store: &Store, actor: &str, code: &str) -> i64 {
    let mut tx = store.begin_write(actor, None).await.expect("begin");
    let record = tx
        .create(&SITE_KIND, site_values(code))
        .await
        .expect("create site");
    tx.commit().await.expect("commit");
    record.id
}

async fn count_events(store: &Store, action: &str, kind: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM audit_event WHERE action = $1 AND kind = $2")
        .bind(action)
        .bind(kind)
        .fetch_one(store.pool())
        .await
        .expect("count")
        .try_get(0)
        .expect("count")
}

/// Every instance looks for due jobs at the same moment; each job runs on exactly one of them,
/// once per period, and runs again in the next period.
async fn jobs_run_once_across_instances(db: &TestDb) {
    let stores = instances(db).await;
    add_site(&stores[0], "alice", "P1").await;
    let now = jiff::Zoned::now();
    let runs = futures_util::future::join_all(stores.iter().enumerate().map(|(i, s)| {
        let now = now.clone();
        async move {
            s.run_due_jobs(&format!("instance-{i}"), &now)
                .await
                .expect("run jobs")
        }
    }))
    .await;
    for job in JOBS {
        let ran: Vec<_> = runs.iter().flatten().filter(|(j, _, _)| j == job).collect();
        assert_eq!(
            ran.len(),
            1,
            "{} must run on exactly one instance",
            job.name()
        );
        assert!(ran[0].2.is_ok(), "{} failed: {:?}", job.name(), ran[0].2);
        let rows = stores[1].job_runs(job.name()).await.expect("job runs");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].attempts, 1);
        assert!(rows[0].finished_at.is_some());
    }
    // Housekeeping gave SQLite's planner its statistics (PostgreSQL's autovacuum does that).
    if stores[0].backend() == otkeep_store::Backend::Sqlite {
        let analyzed: i64 = sqlx::query("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'site'")
            .fetch_one(stores[0].pool())
            .await
            .expect("sqlite_stat1 exists after housekeeping")
            .try_get(0)
            .unwrap();
        assert!(analyzed > 0, "no planner statistics for the site table");
    }
    // One KPI snapshot, its values stored once.
    assert_eq!(count_events(&stores[0], "kpi_snapshot", "kpi").await, 1);
    assert_eq!(
        count_events(&stores[0], "claim", "job").await,
        JOBS.len() as i64
    );
    assert_eq!(
        count_events(&stores[0], "finish", "job").await,
        JOBS.len() as i64
    );

    // Looking again in the same period runs nothing.
    for (i, s) in stores.iter().enumerate() {
        let ran = s
            .run_due_jobs(&format!("instance-{i}"), &now)
            .await
            .unwrap();
        assert!(ran.is_empty(), "ran again in the same period: {ran:?}");
    }
    // The next day the daily jobs run once more; the re-matching waits for a new matcher.
    let tomorrow = now.checked_add(jiff::Span::new().days(1)).unwrap();
    let ran = futures_util::future::join_all(stores.iter().enumerate().map(|(i, s)| {
        let tomorrow = tomorrow.clone();
        async move {
            s.run_due_jobs(&format!("instance-{i}"), &tomorrow)
                .await
                .unwrap()
        }
    }))
    .await;
    let jobs: Vec<Job> = ran.iter().flatten().map(|(j, _, _)| *j).collect();
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert!(jobs.contains(&Job::KpiSnapshot) && jobs.contains(&Job::Housekeeping));
    assert_eq!(count_events(&stores[0], "kpi_snapshot", "kpi").await, 2);
    let report = stores[2].verify_audit().await.unwrap();
    assert!(report.broken.is_none(), "{:?}", report.broken);
    close_all(&stores).await;
}

/// Advisories are matched again only when the matching rules changed since a recorded earlier
/// version: not on a database that never recorded one, then once after a change.
async fn advisory_rematch_follows_a_matcher_change(db: &TestDb) {
    let stores = instances(db).await;
    let now = jiff::Zoned::now();
    let first = stores[0]
        .run_job(Job::AdvisoryRematch, "a", &now)
        .await
        .unwrap();
    assert!(
        first
            .as_ref()
            .is_some_and(|o| o.as_ref().is_ok_and(|s| s.contains("nothing to redo"))),
        "{first:?}"
    );
    // As if an earlier release (matcher 0) had finished its run, and this one changed the rules.
    sqlx::query("DELETE FROM job_run WHERE job = 'advisory-rematch'")
        .execute(stores[0].pool())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO job_run (job, period, holder, claimed_at, lease_until, finished_at, attempts, outcome) \
         VALUES ('advisory-rematch', 'matcher-0', 'old', '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z', 1, 'ok')",
    )
    .execute(stores[0].pool())
    .await
    .unwrap();
    let ran = futures_util::future::join_all(stores.iter().enumerate().map(|(i, s)| {
        let now = now.clone();
        async move {
            s.run_job(Job::AdvisoryRematch, &format!("i{i}"), &now)
                .await
                .unwrap()
        }
    }))
    .await;
    let outcomes: Vec<_> = ran.into_iter().flatten().collect();
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert!(
        outcomes[0].as_ref().is_ok_and(|s| s.ends_with("matches")),
        "the re-match must have run: {outcomes:?}"
    );
    close_all(&stores).await;
}

/// A holder that died keeps its run until the lease expires; then another instance takes it
/// over, and the dead holder can no longer finish it.
async fn expired_lease_is_taken_over(db: &TestDb) {
    let stores = instances(db).await;
    let short = jiff::SignedDuration::from_millis(50);
    assert_eq!(
        stores[0]
            .claim_job("test-job", "p1", "a", short)
            .await
            .unwrap(),
        Claim::Claimed { attempt: 1 }
    );
    // Live lease: the others are told who holds it.
    match stores[1]
        .claim_job("test-job", "p1", "b", LEASE)
        .await
        .unwrap()
    {
        Claim::Held { holder, .. } => assert_eq!(holder, "a"),
        other => panic!("expected a held lease, got {other:?}"),
    }
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    assert_eq!(
        stores[1]
            .claim_job("test-job", "p1", "b", LEASE)
            .await
            .unwrap(),
        Claim::Claimed { attempt: 2 }
    );
    assert!(
        !stores[0]
            .finish_job("test-job", "p1", "a", "late")
            .await
            .unwrap(),
        "the holder whose lease expired must not finish the run"
    );
    assert!(matches!(
        stores[2]
            .claim_job("test-job", "p1", "c", LEASE)
            .await
            .unwrap(),
        Claim::Held { .. }
    ));
    assert!(
        stores[1]
            .finish_job("test-job", "p1", "b", "ok")
            .await
            .unwrap()
    );
    assert_eq!(
        stores[2]
            .claim_job("test-job", "p1", "c", LEASE)
            .await
            .unwrap(),
        Claim::Done
    );
    let rows = stores[0].job_runs("test-job").await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].holder.as_str(), rows[0].attempts), ("b", 2));
    assert_eq!(rows[0].outcome.as_deref(), Some("ok"));
    close_all(&stores).await;
}

/// Writers on every instance at once: one chain, no gap, no fork, every write in it.
async fn one_audit_chain_under_concurrent_instances(db: &TestDb) {
    const PER_INSTANCE: usize = 25;
    let stores = instances(db).await;
    let before = stores[0].verify_audit().await.unwrap().checked;
    futures_util::future::join_all(stores.iter().enumerate().map(|(i, s)| async move {
        for n in 0..PER_INSTANCE {
            add_site(s, &format!("writer-{i}"), &format!("S{i}N{n}")).await;
        }
    }))
    .await;
    let report = stores[1].verify_audit().await.unwrap();
    assert!(report.broken.is_none(), "{:?}", report.broken);
    assert_eq!(report.checked - before, (INSTANCES * PER_INSTANCE) as i64);
    let seqs: Vec<i64> = sqlx::query("SELECT seq FROM audit_event ORDER BY seq")
        .fetch_all(stores[2].pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect();
    assert!(
        seqs.iter().enumerate().all(|(i, s)| *s == i as i64 + 1),
        "sequence numbers must be 1..n without gaps"
    );
    let sites = stores[0]
        .list(&SITE_KIND, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(sites.total as usize, INSTANCES * PER_INSTANCE);
    close_all(&stores).await;
}

macro_rules! both {
    ($($name:ident),*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let db = otkeep_store::testing::TestDb::sqlite();
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(db) = otkeep_store::testing::TestDb::postgres().await else { return };
                    super::$name(&db).await;
                    let store = db.open().await.unwrap();
                    db.cleanup(&store).await;
                }
            )*
        }
    };
}

both!(
    jobs_run_once_across_instances,
    advisory_rematch_follows_a_matcher_change,
    expired_lease_is_taken_over,
    one_audit_chain_under_concurrent_instances
);

/// Drops a test database although connections are open (the replica going away).
async fn drop_database_now(url: &str) {
    use sqlx::Connection;
    let admin = std::env::var("OTKEEP_TEST_POSTGRES").expect("PostgreSQL tests run");
    let name = url.rsplit('/').next().expect("database name");
    let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .expect("drop the replica");
}

#[tokio::test]
async fn heavy_reads_go_to_a_fresh_replica_only() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let primary = db.open().await.unwrap();
    add_site(&primary, "alice", "P1").await;
    let replica_db = TestDb::frozen_copy(&primary).await.expect("PostgreSQL");

    // Up to date: the replica serves heavy reads even with a zero bound.
    let strict = db
        .open()
        .await
        .unwrap()
        .attach_replica(&replica_db.url, jiff::SignedDuration::ZERO)
        .await
        .expect("attach");
    assert_eq!(strict.replica_freshness().await, Some(Freshness::Current));
    assert!(strict.heavy_reads().await.is_some());

    // The primary moves on; the replica does not.
    add_site(&primary, "alice", "P2").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    match strict.replica_freshness().await {
        Some(Freshness::Behind(lag)) => assert!(lag > jiff::SignedDuration::ZERO),
        other => panic!("expected the replica behind, got {other:?}"),
    }
    assert!(
        strict.heavy_reads().await.is_none(),
        "a replica behind its bound must not serve"
    );
    let usage = strict.replica_use();
    assert_eq!((usage.replica, usage.primary), (1, 1));

    // Within a generous bound it serves, and what it serves is its (older) state.
    let lenient = db
        .open()
        .await
        .unwrap()
        .attach_replica(&replica_db.url, jiff::SignedDuration::from_secs(3600))
        .await
        .unwrap();
    let reader = lenient.heavy_reads().await.expect("fresh enough");
    let on_replica = reader
        .list(&SITE_KIND, &ListQuery::default())
        .await
        .unwrap();
    let on_primary = lenient
        .list(&SITE_KIND, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!((on_replica.total, on_primary.total), (1, 2));

    // A replica that goes away: reads fall back to the primary.
    drop_database_now(&replica_db.url).await;
    assert!(matches!(
        lenient.replica_freshness().await,
        Some(Freshness::Unreachable(_))
    ));
    assert!(lenient.heavy_reads().await.is_none());

    strict.close().await;
    lenient.close().await;
    db.cleanup(&primary).await;
}

#[tokio::test]
async fn a_replica_must_be_postgres_and_at_our_schema() {
    let sqlite = TestDb::sqlite();
    let s = sqlite.open().await.unwrap();
    let other = TestDb::sqlite();
    let err = s
        .attach_replica(&other.url, jiff::SignedDuration::from_secs(5))
        .await
        .err()
        .expect("SQLite has no replica");
    assert!(err.to_string().contains("PostgreSQL"), "{err}");

    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let primary = db.open().await.unwrap();
    // An empty database is not a replica of this one.
    let Some(empty) = TestDb::postgres().await else {
        return;
    };
    let err = db
        .open()
        .await
        .unwrap()
        .attach_replica(&empty.url, jiff::SignedDuration::from_secs(5))
        .await
        .err()
        .expect("an empty database is refused");
    assert!(!err.to_string().is_empty());
    let empty_store = Store::open(&empty.url).await.unwrap();
    empty.cleanup(&empty_store).await;
    db.cleanup(&primary).await;
}
