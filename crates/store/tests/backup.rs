//! Backups of otkeep's own database and their restore (`otkeep backup` / `otkeep restore`), on
//! SQLite and PostgreSQL, including a backup taken while another task keeps writing, and the
//! upgrade of databases made by earlier schema versions (`tests/fixtures/schema-*.db`).

use otkeep_core::kinds::{ASSET_KIND, SITE_KIND};
use otkeep_core::{Value, Values};
use otkeep_store::testing::TestDb;
use otkeep_store::{ListQuery, Store};
use sqlx::Row;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn temp_file(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    (dir, path)
}

/// A store with one small demo site, one asset edited twice and an evidence file (binary).
async fn filled(db: &TestDb) -> Store {
    let store = db.open().await.expect("open");
    store
        .load_demo(1, 12, "test", &mut |_| {})
        .await
        .expect("demo");
    let asset = first_asset(&store).await;
    for name in ["PLC renamed", "PLC renamed again"] {
        let current = store.get(&ASSET_KIND, asset).await.unwrap().unwrap();
        let mut values = current.values.clone();
        values.insert("name", Value::Text(name.into()));
        let mut tx = store.begin_write("alice", Some("rename")).await.unwrap();
        tx.update(&ASSET_KIND, asset, current.version, values)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let mut tx = store.begin_write("alice", None).await.unwrap();
    tx.store_evidence(
        "scan.bin",
        "application/octet-stream",
        &[0, 159, 146, 150, 255],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    store
}

async fn first_asset(store: &Store) -> i64 {
    store
        .list(&ASSET_KIND, &ListQuery::default())
        .await
        .unwrap()
        .records[0]
        .id
}

#[tokio::test]
async fn backup_and_restore_sqlite() {
    backup_and_restore(TestDb::sqlite()).await;
}

#[tokio::test]
async fn backup_and_restore_postgres() {
    if let Some(db) = TestDb::postgres().await {
        backup_and_restore(db).await;
    }
}

/// A backup holds every row of every table; restored into a new database of either backend it
/// gives the same rows, the same audit chain head, and the restored database takes new records
/// (its id sequences are past the restored ids).
async fn backup_and_restore(db: TestDb) {
    let store = filled(&db).await;
    let (_dir, path) = temp_file("otkeep-backup.db");
    let backup = store.backup_to(&path).await.expect("backup");
    let source_audit = store.verify_audit().await.unwrap();
    assert!(backup.audit.broken.is_none());
    assert_eq!(backup.audit.head, source_audit.head);
    assert_eq!(backup.audit.checked, source_audit.checked);
    assert!(backup.rows > 100, "{backup:?}");
    let err = store
        .backup_to(&path)
        .await
        .expect_err("an existing file is never overwritten");
    assert!(err.to_string().contains("already exists"), "{err}");
    let source_digest = store.content_digest().await.unwrap();

    let mut targets = vec![TestDb::sqlite()];
    if let Some(pg) = TestDb::postgres().await {
        targets.push(pg);
    }
    for target in targets {
        let restored = target.open().await.expect("open target");
        let summary = restored.restore_from(&path).await.expect("restore");
        assert_eq!(
            summary.audit.head, source_audit.head,
            "{:?}",
            target.backend
        );
        assert_eq!(summary.rows, backup.rows);
        assert_eq!(
            restored.content_digest().await.unwrap(),
            source_digest,
            "restored into {:?}: every table holds the same rows",
            target.backend
        );
        // New records get fresh ids and extend the same chain.
        let before_max = store
            .list(&SITE_KIND, &ListQuery::default())
            .await
            .unwrap()
            .records
            .iter()
            .map(|r| r.id)
            .max()
            .unwrap();
        let mut values = Values::new();
        values.insert("code", Value::Text("NEW1".into()));
        values.insert("name", Value::Text("Restored plant".into()));
        values.insert("time_zone", Value::Text("UTC".into()));
        let mut tx = restored.begin_write("bob", None).await.unwrap();
        let site = tx
            .create(&SITE_KIND, values)
            .await
            .expect("create after restore");
        tx.commit().await.unwrap();
        assert!(site.id > before_max);
        let audit = restored.verify_audit().await.unwrap();
        assert!(audit.broken.is_none());
        assert_eq!(audit.checked, source_audit.checked + 1);
        // A second restore into the now non-empty database is refused.
        let err = restored
            .restore_from(&path)
            .await
            .expect_err("restore into a database with records");
        assert!(err.to_string().contains("not empty"), "{err}");
    }
}

#[tokio::test]
async fn backup_under_write_load_sqlite() {
    backup_under_write_load(TestDb::sqlite()).await;
}

#[tokio::test]
async fn backup_under_write_load_postgres() {
    if let Some(db) = TestDb::postgres().await {
        backup_under_write_load(db).await;
    }
}

/// Backups taken while another task keeps editing records are each consistent: every record's
/// version matches the audit events the copy holds for it, and the copy's chain verifies.
async fn backup_under_write_load(db: TestDb) {
    let store = Arc::new(filled(&db).await);
    let asset = first_asset(&store).await;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, stop) = (store.clone(), stop.clone());
        tokio::spawn(async move {
            let mut edits = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let current = store.get(&ASSET_KIND, asset).await.unwrap().unwrap();
                let mut values = current.values.clone();
                values.insert("name", Value::Text(format!("PLC edit {edits}")));
                let mut tx = store.begin_write("writer", None).await.unwrap();
                tx.update(&ASSET_KIND, asset, current.version, values)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                edits += 1;
                tokio::task::yield_now().await;
            }
            edits
        })
    };
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let path = dir.path().join(format!("b{i}.db"));
        let summary = store.backup_to(&path).await.expect("backup under load");
        assert!(summary.audit.broken.is_none());
        assert_versions_match_audit(&path).await;
    }
    stop.store(true, Ordering::Relaxed);
    let edits = writer.await.unwrap();
    assert!(edits > 0, "the writer ran during the backups");
}

/// In the backup at `path`, each asset's version is the number of its create/update events.
async fn assert_versions_match_audit(path: &Path) {
    let store = Store::open(&otkeep_store::sqlite_url(path)).await.unwrap();
    let rows = sqlx::query(
        "SELECT a.id, a.version, (SELECT COUNT(*) FROM audit_event e WHERE e.kind = 'asset' \
         AND e.record_id = a.id AND e.action IN ('create', 'update')) FROM asset a",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let (id, version, events): (i64, i64, i64) = (
            row.try_get(0).unwrap(),
            row.try_get(1).unwrap(),
            row.try_get(2).unwrap(),
        );
        assert_eq!(version, events, "asset #{id} in {}", path.display());
    }
    store.close().await;
}

/// Databases made by earlier releases (one fixture per schema version, made with
/// `OTKEEP_WRITE_FIXTURE=1 cargo test -p otkeep-store --test backup write_fixture`) open, are
/// upgraded by the migrations, keep their records and audit chain, and restore into PostgreSQL.
#[tokio::test]
async fn fixtures_of_every_schema_version_upgrade() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "db"))
        .collect();
    fixtures.sort();
    assert!(
        !fixtures.is_empty(),
        "no schema fixtures in {}",
        dir.display()
    );
    for fixture in fixtures {
        let (_tmp, copy) = temp_file("old.db");
        std::fs::copy(&fixture, &copy).unwrap();
        let store = Store::open(&otkeep_store::sqlite_url(&copy))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
        assert_eq!(
            store.schema_version().await.unwrap(),
            otkeep_store::migrate::MIGRATIONS.len() as i64
        );
        let audit = store.verify_audit().await.unwrap();
        assert!(audit.broken.is_none(), "{}: {audit:?}", fixture.display());
        assert!(audit.checked > 0);
        let assets = store
            .list(&ASSET_KIND, &ListQuery::default())
            .await
            .unwrap();
        assert!(assets.total > 0, "{}: assets kept", fixture.display());
        store.close().await;
        if let Some(pg) = TestDb::postgres().await {
            let target = pg.open().await.unwrap();
            let restored = target
                .restore_from(&fixture)
                .await
                .unwrap_or_else(|e| panic!("restore {}: {e}", fixture.display()));
            assert_eq!(restored.audit.head, audit.head);
        }
    }
}

/// Writes the fixture of the current schema version (run by hand when a migration is added).
#[tokio::test]
async fn write_fixture() {
    if std::env::var("OTKEEP_WRITE_FIXTURE").is_err() {
        return;
    }
    let db = TestDb::sqlite();
    let store = filled(&db).await;
    let version = store.schema_version().await.unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/schema-{version:03}.db"));
    let _ = std::fs::remove_file(&path);
    store.backup_to(&path).await.unwrap();
    println!("wrote {}", path.display());
}
