//! Data migrations: a database as an older release left it is upgraded without losing records.
//! Run on SQLite and on PostgreSQL.

use otkeep_core::Value;
use otkeep_core::kinds::{COUNTERMEASURE_KIND, ZONE_KIND};
use otkeep_store::testing::TestDb;
use otkeep_store::{ListQuery, StoreError};
use sqlx::AssertSqlSafe;

#[tokio::test]
async fn countermeasure_zone_and_asset_become_lists_sqlite() {
    countermeasure_zone_and_asset_become_lists(TestDb::sqlite()).await;
}

#[tokio::test]
async fn countermeasure_zone_and_asset_become_lists_postgres() {
    if let Some(db) = TestDb::postgres().await {
        countermeasure_zone_and_asset_become_lists(db).await;
    }
}

/// Schema 6 had one `zone_id` (required) and one `asset_id` (optional) per countermeasure;
/// schema 7 keeps them as the lists `zones` and `assets`.
async fn countermeasure_zone_and_asset_become_lists(db: TestDb) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("connect");
    let applied = otkeep_store::migrate::migrate_to(&pool, db.backend, 6)
        .await
        .expect("migrate to 6");
    assert_eq!(applied, vec![1, 2, 3, 4, 5, 6]);
    let now = "2026-01-01T00:00:00.000000Z";
    for sql in [
        "INSERT INTO site (id, version, created_at, updated_at, code, name, time_zone) VALUES (1, 1, '{now}', '{now}', 'S1', 'Site', 'UTC')",
        "INSERT INTO zone (id, version, created_at, updated_at, site_id, name, owner) VALUES (10, 1, '{now}', '{now}', 1, 'Control', 'o')",
        "INSERT INTO zone (id, version, created_at, updated_at, site_id, name, owner) VALUES (11, 1, '{now}', '{now}', 1, 'DMZ', 'o')",
        "INSERT INTO asset (id, version, created_at, updated_at, site_id, zone_id, name, asset_type, criticality, owner, lifecycle) VALUES (20, 1, '{now}', '{now}', 1, 10, 'PLC-1', 'plc', 'high', 'o', 'operational')",
        "INSERT INTO countermeasure (id, version, created_at, updated_at, site_id, name, zone_id, asset_id, requirements, reasoning, residual_risk, owner, review_date) VALUES (30, 3, '{now}', '{now}', 1, 'Jump host', 10, 20, 'SR 1.1 RE 1', 'why', 'low', 'o', '2030-01-01')",
        "INSERT INTO countermeasure (id, version, created_at, updated_at, site_id, name, zone_id, asset_id, requirements, reasoning, residual_risk, owner, review_date) VALUES (31, 1, '{now}', '{now}', 1, 'Data diode', 11, NULL, 'SR 5.2', 'why', 'medium', 'o', '2030-01-01')",
    ] {
        sqlx::query(AssertSqlSafe(sql.replace("{now}", now)))
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    pool.close().await;

    let store = db.open().await.expect("open migrates to the latest schema");
    let jump = store
        .get(&COUNTERMEASURE_KIND, 30)
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(jump.version, 3, "the migration is not an edit");
    assert_eq!(jump.get("zones"), &Value::Ids(vec![10]));
    assert_eq!(jump.get("assets"), &Value::Ids(vec![20]));
    assert_eq!(jump.get("requirements").to_text(), "SR 1.1 RE 1");
    let diode = store
        .get(&COUNTERMEASURE_KIND, 31)
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(diode.get("zones"), &Value::Ids(vec![11]));
    assert_eq!(diode.get("assets"), &Value::Ids(vec![]));

    // The lists work as lists: filter by a named zone, and the zone cannot be deleted.
    let mut q = ListQuery::default();
    q.filters.insert("zones", Value::Int(11));
    let found = store.list(&COUNTERMEASURE_KIND, &q).await.unwrap();
    assert_eq!(
        found.records.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![31]
    );
    let mut tx = store.begin_write("alice", None).await.unwrap();
    match tx.delete(&ZONE_KIND, 11, 1).await {
        Err(StoreError::Referenced(m)) => {
            assert!(m.contains("1 compensating countermeasure (Zones)"), "{m}")
        }
        other => panic!("deleting a named zone must be refused, got {other:?}"),
    }
    drop(tx);
    db.cleanup(&store).await;
}
