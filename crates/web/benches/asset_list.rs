//! Server time of the asset list page and the dashboard (routing, query, rendering; no network),
//! at two sizes in
//! one run: the default demo (2 sites × 200 assets, built here, the baseline) and a large
//! database given by `OTKEEP_BENCH_DB` (an SQLite file or a database URL), e.g. one made with
//! `otkeep --data-dir /var/tmp/otkeep-bench demo --sites 100 --assets-per-site 5000`.
//!
//! Run: `OTKEEP_BENCH_DB=/var/tmp/otkeep-bench/otkeep.db cargo bench -p otkeep-web --bench asset_list`

use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use otkeep_core::kinds::SITE_KIND;
use otkeep_store::{ListQuery, Store};
use otkeep_web::{AppState, Operator};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

async fn page(router: &axum::Router, uri: &str) -> usize {
    let resp = router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    assert_eq!(resp.status(), StatusCode::OK, "{uri}");
    resp.into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .len()
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
    let router = otkeep_web::router(AppState::new(Arc::new(store), Operator::admin("bench")));
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
