//! Operations KPIs over the 100-site demo organization (`Store::load_demo`: per site the
//! demo plant's assets plus about three years of generated operations records: patches and
//! their deployments, OT accounts, access reviews, revocations, remote sessions, backups,
//! restore tests, log reviews). Measured: `Store::operations_kpis` for the organization and
//! for one site, and the `/kpi` page of one site. Baseline: reading the same records without
//! computing anything (`list_all` of the kinds the KPIs read), so the ratio is the KPI
//! computation's own cost.
//!
//! Also the program KPIs (`Store::program_kpis` against `operations_kpis` as baseline), the
//! time of one daily snapshot of 100 sites, and the organization dashboard (`/organization`
//! against the gap roll-up `/gap` it builds on) and `/kpi/program`.
//!
//! Run: `cargo bench -p otkeep-web --bench kpi` (`OTKEEP_BENCH_ASSETS` sets the assets per
//! site, 200 by default).

use criterion::{Criterion, criterion_group, criterion_main};
use otkeep_core::access::Scope;
use otkeep_core::account_kinds::{ACCESS_REVIEW_KIND, OT_ACCOUNT_KIND, REVOCATION_KIND};
use otkeep_core::kinds::ASSET_KIND;
use otkeep_core::ops_kinds::{BACKUP_PLAN_KIND, BACKUP_RECORD_KIND, RESTORE_TEST_KIND};
use otkeep_core::patch_kinds::{PATCH_DEPLOYMENT_KIND, PATCH_KIND};
use otkeep_core::remote_kinds::REMOTE_SESSION_KIND;
use otkeep_store::{ListQuery, Store};
use otkeep_web::testing::TestClient;
use std::sync::Arc;
use std::time::Duration;

const SITES: usize = 100;

/// The baseline: the records the KPIs read, read without computing anything.
async fn read_only(store: &Store, scope: &Scope) -> usize {
    let q = ListQuery {
        scope: scope.clone(),
        ..ListQuery::default()
    };
    let mut n = 0;
    for kind in [
        &ASSET_KIND,
        &PATCH_KIND,
        &PATCH_DEPLOYMENT_KIND,
        &OT_ACCOUNT_KIND,
        &ACCESS_REVIEW_KIND,
        &REVOCATION_KIND,
        &REMOTE_SESSION_KIND,
        &BACKUP_PLAN_KIND,
        &BACKUP_RECORD_KIND,
        &RESTORE_TEST_KIND,
    ] {
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
    let (store, site, client) = rt.block_on(async {
        let store = Arc::new(db.open().await.expect("open"));
        let started = std::time::Instant::now();
        let load = store
            .load_demo(SITES, assets, "bench", &mut |_| {})
            .await
            .expect("demo");
        eprintln!(
            "loaded {} sites, {} assets in {:.1?}",
            load.sites_created,
            load.assets_created,
            started.elapsed()
        );
        let site = store
            .find_id(&otkeep_core::kinds::SITE_KIND, "code", "FRA1", None)
            .await
            .expect("find")
            .expect("the first demo site");
        let client = TestClient::admin(store.clone(), "reader").await;
        (store, site, client)
    });
    let now = jiff::Zoned::now().datetime();
    let all = Scope::All;
    let one = Scope::Limited {
        sites: vec![site],
        records: Vec::new(),
    };
    let records = rt.block_on(read_only(&store, &all));
    let kpis = rt.block_on(store.operations_kpis(&all, now)).expect("kpis");
    eprintln!("{records} records read by the KPIs");
    for l in kpis.lines() {
        eprintln!("  {}: {} ({})", l.label, l.value, l.note);
    }

    let mut group = c.benchmark_group("kpi/100_sites");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function("baseline: read the records", |b| {
        b.iter(|| rt.block_on(read_only(&store, &all)))
    });
    group.bench_function("Store::operations_kpis, organization", |b| {
        b.iter(|| rt.block_on(store.operations_kpis(&all, now)).expect("kpis"))
    });
    group.finish();
    let mut group = c.benchmark_group("kpi/one_site");
    group.bench_function("baseline: read the records", |b| {
        b.iter(|| rt.block_on(read_only(&store, &one)))
    });
    group.bench_function("Store::operations_kpis, one site", |b| {
        b.iter(|| rt.block_on(store.operations_kpis(&one, now)).expect("kpis"))
    });
    let uri = format!("/kpi?site_id={site}");
    group.bench_function("GET /kpi, one site", |b| {
        b.iter(|| {
            let a = rt.block_on(client.get(&uri));
            assert_eq!(a.status, axum::http::StatusCode::OK);
            a.body.len()
        })
    });
    group.finish();

    // Program KPIs, the daily snapshot and the organization dashboard at 100 sites.
    let started = std::time::Instant::now();
    let values = rt
        .block_on(store.snapshot_kpis("bench", now))
        .expect("snapshot");
    eprintln!(
        "snapshot of {values} KPI values (100 sites and the organization) in {:.1?}",
        started.elapsed()
    );
    let mut group = c.benchmark_group("program/100_sites");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function("baseline: Store::operations_kpis, organization", |b| {
        b.iter(|| rt.block_on(store.operations_kpis(&all, now)).expect("kpis"))
    });
    group.bench_function("Store::program_kpis, organization", |b| {
        b.iter(|| rt.block_on(store.program_kpis(&all, now)).expect("kpis"))
    });
    for (name, uri) in [
        ("baseline: GET /gap (roll-up only)", "/gap"),
        ("GET /organization", "/organization"),
        ("GET /kpi/program (organization)", "/kpi/program"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let a = rt.block_on(client.get(uri));
                assert_eq!(a.status, axum::http::StatusCode::OK);
                a.body.len()
            })
        });
    }
    group.finish();
}

criterion_group!(kpi, benches);
criterion_main!(kpi);
