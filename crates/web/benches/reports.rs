//! Generated reports on a 5,000-asset site (issue 10, item 1: "a report for a 5,000-asset site
//! must finish in seconds"). The demo loads one site with `OTKEEP_BENCH_ASSETS` assets (5,000 by
//! default) and its zones, assessments and operations records.
//!
//! Measured, for that site: building the asset inventory and the gap analysis documents from the
//! live records; rendering the inventory as PDF (typst) and XLSX; the inventory as of a past
//! instant (the site's records rebuilt from the audit trail, then the same builder); and the
//! whole `GET /reports/inventory/pdf` request. Baseline: the asset CSV export of the same site
//! (`report::write_csv` over `list_all`), the cheapest way to get the same rows out today.
//!
//! Run: `cargo bench -p otkeep-web --bench reports`.

use criterion::{Criterion, criterion_group, criterion_main};
use otkeep_core::access::{Access, Role};
use otkeep_core::kinds::{ASSET_KIND, SITE_KIND};
use otkeep_store::ListQuery;
use otkeep_web::reports::{PastInstant, Period, generate, report};
use otkeep_web::testing::{TestClient, grant};
use std::sync::Arc;
use std::time::Duration;

fn benches(c: &mut Criterion) {
    let assets: usize = std::env::var("OTKEEP_BENCH_ASSETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let db = otkeep_store::testing::TestDb::sqlite();
    let (store, site, client, then) = rt.block_on(async {
        let store = Arc::new(db.open().await.expect("open"));
        let started = std::time::Instant::now();
        let load = store
            .load_demo(1, assets, "bench", &mut |_| {})
            .await
            .expect("demo");
        eprintln!(
            "loaded {} site, {} assets, {} operations records in {:.1?}",
            load.sites_created,
            load.assets_created,
            load.ops_records,
            started.elapsed()
        );
        let id = store
            .find_id(&SITE_KIND, "code", "FRA1", None)
            .await
            .expect("find")
            .expect("the demo site");
        let site = store.get(&SITE_KIND, id).await.expect("get").expect("site");
        let client = TestClient::admin(store.clone(), "reader").await;
        (store, site, client, otkeep_store::now())
    });
    let access = Access::new(vec![grant(Role::Admin, None)], true);
    let period = || Period {
        from: "2025-01-01".into(),
        to: "2026-12-31".into(),
    };
    let inventory = report("inventory").expect("inventory");
    let gap = report("gap").expect("gap");
    let doc = rt
        .block_on(generate(
            &store,
            &access,
            inventory,
            Some(&site),
            None,
            period(),
            "bench",
        ))
        .expect("inventory");
    eprintln!(
        "inventory: {} rows, PDF {} bytes",
        doc.tables().map(|t| t.rows.len()).sum::<usize>(),
        otkeep_pdf::render(&doc).map(|p| p.len()).unwrap_or(0)
    );

    let mut g = c.benchmark_group(format!("reports/{assets}_assets"));
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("baseline_asset_csv_export", |b| {
        b.iter(|| {
            rt.block_on(async {
                let q = ListQuery {
                    scope: otkeep_core::access::Scope::Limited {
                        sites: vec![site.id],
                        records: Vec::new(),
                    },
                    ..ListQuery::default()
                };
                let records = store.list_all(&ASSET_KIND, &q).await.expect("list");
                let titles = store
                    .ref_titles(&ASSET_KIND, &records)
                    .await
                    .expect("titles");
                let mut out = Vec::new();
                otkeep_report::write_csv(&ASSET_KIND, &records, &titles, &mut out).expect("csv");
                out.len()
            })
        })
    });
    g.bench_function("inventory_document", |b| {
        b.iter(|| {
            rt.block_on(generate(
                &store,
                &access,
                inventory,
                Some(&site),
                None,
                period(),
                "bench",
            ))
            .expect("doc")
        })
    });
    g.bench_function("gap_document", |b| {
        b.iter(|| {
            rt.block_on(generate(
                &store,
                &access,
                gap,
                Some(&site),
                None,
                period(),
                "bench",
            ))
            .expect("doc")
        })
    });
    g.bench_function("inventory_pdf_render", |b| {
        b.iter(|| otkeep_pdf::render(&doc).expect("pdf").len())
    });
    g.bench_function("inventory_xlsx_render", |b| {
        b.iter(|| otkeep_report::document::xlsx(&doc).expect("xlsx").len())
    });
    g.bench_function("inventory_document_as_of", |b| {
        b.iter(|| {
            let past = PastInstant {
                day: jiff::Zoned::now().date(),
                at: then.clone(),
            };
            rt.block_on(generate(
                &store,
                &access,
                inventory,
                Some(&site),
                Some(past),
                period(),
                "bench",
            ))
            .expect("doc")
        })
    });
    g.bench_function("get_inventory_pdf", |b| {
        b.iter(|| {
            let a = rt.block_on(client.get(&format!("/reports/inventory/pdf?site_id={}", site.id)));
            assert_eq!(a.status, axum::http::StatusCode::OK);
            a.bytes.len()
        })
    });
    g.finish();
}

criterion_group!(reports, benches);
criterion_main!(reports);
