//! Throughput of concurrent edits (API and UI form clients, read-modify-write with optimistic
//! versions) against the baseline of one client saving alone, same server, same run.
//!
//! `cargo bench -p otkeep-web --bench concurrent_edits` (SQLite; PostgreSQL too when
//! `OTKEEP_TEST_POSTGRES` is set). Prints saves/s, stale saves refused and lost updates (0).

use otkeep_store::Store;
use otkeep_store::testing::TestDb;
use otkeep_web::edit_load::{self, Contention};
use otkeep_web::testing::TestClient;
use std::sync::Arc;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut dbs = vec![TestDb::sqlite()];
        if std::env::var("OTKEEP_TEST_POSTGRES").is_ok()
            && let Some(pg) = TestDb::postgres().await
        {
            dbs.push(pg);
        }
        for db in dbs {
            let store = Arc::new(db.open().await.expect("open"));
            bench(&store, &format!("{:?}", db.backend)).await;
            db.cleanup(&store).await;
        }
    });
}

async fn bench(store: &Arc<Store>, backend: &str) {
    store
        .load_demo(1, 64, "bench", &mut |_| {})
        .await
        .expect("demo");
    let api = TestClient::admin(store.clone(), "api-editor").await;
    let ui = TestClient::admin(store.clone(), "form-editor").await;
    let assets = edit_load::asset_ids(store, 32).await;
    let mut baseline = 0.0;
    for (label, clients, contention) in [
        ("1 client alone (baseline)", 1, Contention::Different),
        ("32 clients, different records", 32, Contention::Different),
        ("32 clients, the same record", 32, Contention::Same),
    ] {
        let base = edit_load::versions(store, &assets).await;
        let outcome = edit_load::run(&api, &ui, &assets, clients, 20, contention).await;
        let lost = edit_load::check(store, &outcome, &base).await;
        let throughput = outcome.throughput();
        if clients == 1 {
            baseline = throughput;
        }
        println!(
            "{backend}: {label}: {} saves in {:.2?} = {throughput:.0} saves/s ({:.2}x baseline), {} stale saves refused, problems {}",
            outcome.saves(),
            outcome.elapsed,
            throughput / baseline.max(1e-9),
            outcome.conflicts,
            lost.len()
        );
        for p in lost {
            println!("  PROBLEM: {p}");
        }
    }
}
