//! Concurrent edits through the API and the UI's edit form, on SQLite and PostgreSQL: many
//! clients on the same record and on different records. No acknowledged save is lost (each is
//! one version of the record, in the audit trail with the value its client wrote), stale saves
//! are refused with a message saying so, nothing deadlocks (the run finishes within its time
//! limit) and the audit chain verifies. Throughput: `cargo bench -p otkeep-web --bench
//! concurrent_edits`.

use otkeep_store::Store;
use otkeep_store::testing::TestDb;
use otkeep_web::edit_load::{self, Contention};
use otkeep_web::testing::TestClient;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_edits_sqlite() {
    let db = TestDb::sqlite();
    let store = Arc::new(db.open().await.expect("open"));
    concurrent_edits(store.clone()).await;
    db.cleanup(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_edits_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = Arc::new(db.open().await.expect("open"));
    concurrent_edits(store.clone()).await;
    db.cleanup(&store).await;
}

async fn concurrent_edits(store: Arc<Store>) {
    store
        .load_demo(1, 12, "test", &mut |_| {})
        .await
        .expect("demo");
    let api = TestClient::admin(store.clone(), "api-editor").await;
    let ui = TestClient::admin(store.clone(), "form-editor").await;
    let assets = edit_load::asset_ids(&store, 8).await;

    for contention in [Contention::Same, Contention::Different] {
        let base = edit_load::versions(&store, &assets).await;
        let run = edit_load::run(&api, &ui, &assets, 8, 6, contention);
        let outcome = tokio::time::timeout(Duration::from_secs(180), run)
            .await
            .expect("no deadlock: the load finishes");
        let problems = edit_load::check(&store, &outcome, &base).await;
        assert!(problems.is_empty(), "{contention:?}: {problems:#?}");
        assert_eq!(outcome.saves(), 8 * 6, "{contention:?}");
        if contention == Contention::Same {
            assert!(
                outcome.conflicts > 0,
                "eight clients on one record meet stale versions"
            );
        }
        println!(
            "{contention:?}: {} saves, {} stale refused, {:.0} saves/s",
            outcome.saves(),
            outcome.conflicts,
            outcome.throughput()
        );
    }

    // The check itself catches a lost update: an acknowledged save the trail does not hold.
    let base = edit_load::versions(&store, &assets).await;
    let mut fake = edit_load::Outcome::default();
    fake.acknowledged
        .entry(assets[0])
        .or_default()
        .insert("never-written".into());
    let problems = edit_load::check(&store, &fake, &base).await;
    assert!(
        problems.iter().any(|p| p.contains("lost updates")),
        "{problems:?}"
    );
}
