//! Governance views over the 100-site demo organization (`Store::load_demo`: per site the demo
//! plant, its operations records and its governance records: roles, RACI, trainings, the
//! document set with the 14 corporate documents, suppliers, incidents, tests, reviews).
//! Measured: the requirement coverage view (`Store::requirement_coverage`) for the
//! organization and for one site, the `/coverage` page of one site, and an incident report.
//! Baseline: reading the records the coverage view reads, without computing anything
//! (`list_all` of documents, document versions and countermeasures), so the ratio is the
//! view's own cost.
//!
//! Run: `cargo bench -p otkeep-web --bench governance` (`OTKEEP_BENCH_ASSETS` sets the assets
//! per site, 200 by default).

use criterion::{Criterion, criterion_group, criterion_main};
use otkeep_core::access::Scope;
use otkeep_core::doc_kinds::{DOCUMENT_KIND, DOCUMENT_VERSION_KIND};
use otkeep_core::incident_kinds::INCIDENT_KIND;
use otkeep_core::kinds::COUNTERMEASURE_KIND;
use otkeep_store::{ListQuery, Store};
use otkeep_web::testing::TestClient;
use std::sync::Arc;
use std::time::Duration;

const SITES: usize = 100;

/// The baseline: the records the coverage view reads, read without computing anything.
async fn read_only(store: &Store, scope: &Scope) -> usize {
    let q = ListQuery {
        scope: scope.clone(),
        ..ListQuery::default()
    };
    let mut n = 0;
    for kind in [&DOCUMENT_KIND, &DOCUMENT_VERSION_KIND, &COUNTERMEASURE_KIND] {
        n += store.list_all(kind, &q).await.expect("list").len();
    }
    n
}

fn benches(c: &mut Criterion) {
    let assets: usize = std::env::var("OTKEEP_BENCH_ASSETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let db = otkeep_store::testing::TestDb::sqlite();
    let (store, site, incident, client) = rt.block_on(async {
        let store = Arc::new(db.open().await.expect("open"));
        let started = std::time::Instant::now();
        let load = store
            .load_demo(SITES, assets, "bench", &mut |_| {})
            .await
            .expect("demo");
        eprintln!(
            "loaded {} sites, {} assets, {} operations and {} governance records ({} documents) in {:.1?}",
            load.sites_created,
            load.assets_created,
            load.ops_records,
            load.governance_records,
            load.documents,
            started.elapsed()
        );
        let site = store
            .find_id(&otkeep_core::kinds::SITE_KIND, "code", "FRA1", None)
            .await
            .expect("find")
            .expect("the first demo site");
        let incident = store
            .list_all(&INCIDENT_KIND, &ListQuery::default())
            .await
            .expect("incidents")
            .first()
            .map(|i| i.id)
            .expect("a demo incident");
        let client = TestClient::admin(store.clone(), "reader").await;
        (store, site, incident, client)
    });
    let all = Scope::All;
    let one = Scope::Limited {
        sites: vec![site],
        records: Vec::new(),
    };
    let records = rt.block_on(read_only(&store, &all));
    let coverage = rt
        .block_on(store.requirement_coverage(&all, None))
        .expect("coverage");
    eprintln!(
        "{records} records read; {} of {} requirements evidenced organization-wide",
        coverage.iter().filter(|c| c.evidenced()).count(),
        coverage.len()
    );

    let mut group = c.benchmark_group("coverage/100_sites");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("baseline: read the records", |b| {
        b.iter(|| rt.block_on(read_only(&store, &all)))
    });
    group.bench_function("Store::requirement_coverage, organization", |b| {
        b.iter(|| {
            rt.block_on(store.requirement_coverage(&all, None))
                .expect("coverage")
        })
    });
    group.finish();
    let mut group = c.benchmark_group("coverage/one_site");
    group.bench_function("baseline: read the records", |b| {
        b.iter(|| rt.block_on(read_only(&store, &one)))
    });
    group.bench_function("Store::requirement_coverage, one site", |b| {
        b.iter(|| {
            rt.block_on(store.requirement_coverage(&one, Some(site)))
                .expect("coverage")
        })
    });
    let uri = format!("/coverage?site_id={site}");
    group.bench_function("GET /coverage, one site", |b| {
        b.iter(|| {
            let a = rt.block_on(client.get(&uri));
            assert_eq!(a.status, axum::http::StatusCode::OK);
            a.body.len()
        })
    });
    let uri = format!("/incidents/{incident}/report");
    group.bench_function("GET /incidents/{id}/report", |b| {
        b.iter(|| {
            let a = rt.block_on(client.get(&uri));
            assert_eq!(a.status, axum::http::StatusCode::OK);
            a.body.len()
        })
    });
    group.finish();
}

criterion_group!(governance, benches);
criterion_main!(governance);
