//! Server time of the asset list page and the dashboard (routing, query, rendering; no network),
//! at two sizes in
//! one run: the default demo (2 sites × 200 assets, built here, the baseline) and a large
//! database given by `OTKEEP_BENCH_DB` (an SQLite file or a database URL), e.g. one made with
//! `otkeep --data-dir /var/tmp/otkeep-bench demo --sites 100 --assets-per-site 5000`.
//!
//! Run: `OTKEEP_BENCH_DB=/var/tmp/otkeep-bench/otkeep.db cargo bench -p otkeep-web --bench asset_list`

use axum::http::StatusCode;
use criterion::{Criterion, criterion_group, criterion_main};
use otkeep_core::kinds::SITE_KIND;
use otkeep_store::{ListQuery, Store};
use otkeep_web::testing::TestClient;
use std::sync::Arc;
use std::time::Duration;

/// One page as a signed-in administrator (the session check is part of what is measured).
async fn page(client: &TestClient, uri: &str) -> usize {
    let answer = client.get(uri).await;
    assert_eq!(answer.status, StatusCode::OK, "{uri}");
    answer.body.len()
}

fn bench_db(c: &mut Criterion, label: &str, rt: &tokio::runtime::Runtime, store: Store) {
    let (total, site) = rt.block_on(async {
        let total = store
            .list(
                &otkeep_core::kinds::ASSET_KIND,
                &ListQuery {
                    per_page: 1,
                    ..ListQuery::default()
                },
            )
            .await
            .expect("count")
            .total;
        let site = store
            .list(
                &SITE_KIND,
                &ListQuery {
                    per_page: 1,
                    ..ListQuery::default()
                },
            )
            .await
            .expect("sites")
            .records
            .first()
            .map(|s| s.id)
            .expect("a site");
        (total, site)
    });
    // A fresh bench account each run (the large database may be reused).
    let name = format!("bench-{}", jiff::Timestamp::now().as_millisecond());
    let router = rt.block_on(TestClient::admin(Arc::new(store), &name));
    let deep = (total / 50 / 2).max(1);
    let mut group = c.benchmark_group(format!("asset_list/{label}"));
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(6));
    for (name, uri) in [
        ("first_page", "/assets".to_string()),
        (
            "filtered_site_type",
            format!("/assets?site_id={site}&asset_type=plc"),
        ),
        (
            "filtered_criticality_text",
            "/assets?criticality=critical&q=siemens".to_string(),
        ),
        ("deep_page", format!("/assets?page={deep}")),
        ("dashboard", "/".to_string()),
    ] {
        group.bench_function(name, |b| b.iter(|| rt.block_on(page(&router, &uri))));
    }
    group.finish();
    eprintln!("{label}: {total} assets, deep page = {deep}");
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let small = otkeep_store::testing::TestDb::sqlite();
    let store = rt.block_on(async {
        let store = small.open().await.expect("open");
        store
            .load_demo(2, 200, "bench", &mut |_| {})
            .await
            .expect("demo");
        store
    });
    bench_db(c, "demo_2x200", &rt, store);

    if let Ok(db) = std::env::var("OTKEEP_BENCH_DB") {
        let url = if db.contains("://") {
            db
        } else {
            otkeep_store::sqlite_url(std::path::Path::new(&db))
        };
        let store = rt
            .block_on(Store::open(&url))
            .expect("open OTKEEP_BENCH_DB");
        bench_db(c, "large", &rt, store);
    } else {
        eprintln!("OTKEEP_BENCH_DB not set: only the small demo was measured");
    }
}

criterion_group!(asset_list, benches);
criterion_main!(asset_list);
