//! Server time of the gap pages for a site with 20 zones (each SL-T 2–3, every requirement in
//! force assessed), next to the asset list's first page of the same database as the baseline.
//!
//! Run: `cargo bench -p otkeep-web --bench gap_pages`

use axum::http::StatusCode;
use criterion::{Criterion, criterion_group, criterion_main};
use otkeep_core::SlVector;
use otkeep_core::catalog::{Catalog, Target};
use otkeep_core::gap::STATUSES;
use otkeep_core::kinds::ASSESSMENT_KIND;
use otkeep_core::value::values_from_json;
use otkeep_web::testing::TestClient;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

async fn ok(client: &TestClient, uri: &str) -> usize {
    let a = client.get(uri).await;
    assert_eq!(a.status, StatusCode::OK, "{uri}");
    a.body.len()
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let db = otkeep_store::testing::TestDb::sqlite();
    let (client, site, zone) = rt.block_on(async {
        let store = Arc::new(db.open().await.expect("open"));
        let client = TestClient::admin(store.clone(), "bench").await;
        let site = client
            .json(
                "POST",
                "/api/v1/sites",
                json!({"code": "GAP", "name": "Gap bench", "time_zone": "UTC"}),
            )
            .await
            .json()["id"]
            .as_i64()
            .expect("site");
        let catalog = Catalog::iec62443_3_3();
        let mut zones = Vec::new();
        for z in 0..20u8 {
            let levels: [u8; 7] = std::array::from_fn(|i| 2 + ((z as usize + i) % 2) as u8);
            let zone = client
                .json(
                    "POST",
                    "/api/v1/zones",
                    json!({"site_id": site, "name": format!("Zone {z:02}"), "owner": "o", "sl_t": levels}),
                )
                .await
                .json()["id"]
                .as_i64()
                .expect("zone");
            zones.push((z, zone, levels));
        }
        // One transaction for all assessments (the zones above each wrote their own).
        let mut tx = store.begin_write("bench", None).await.expect("tx");
        for &(z, zone, levels) in &zones {
            let t = SlVector::new(levels).expect("valid");
            for (i, r) in catalog.in_force(&t, Target::Zone).enumerate() {
                let status = STATUSES[(i + z as usize) % STATUSES.len()].key();
                let (status, date, reason) = match status {
                    "planned" => (status, Some("2027-01-31"), None),
                    "not_applicable" => (status, None, Some("no wireless in this zone")),
                    s => (s, None, None),
                };
                let values = values_from_json(
                    &ASSESSMENT_KIND,
                    &json!({"site_id": site, "zone_id": zone, "requirement": r.id,
                            "status": status, "target_date": date, "reason": reason, "owner": "o"}),
                )
                .expect("valid assessment");
                tx.create(&ASSESSMENT_KIND, values).await.expect("create");
            }
        }
        tx.commit().await.expect("commit");
        (client, site, zones[0].1)
    });
    let mut group = c.benchmark_group("gap_pages/site_20_zones");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(5));
    for (name, uri) in [
        ("asset_list_baseline", "/assets".to_string()),
        ("site_gap", format!("/gap/sites/{site}")),
        ("zone_requirements", format!("/gap/zones/{zone}?fr=1")),
        ("organization", "/gap".to_string()),
        ("site_csv", format!("/gap/sites/{site}/export.csv")),
    ] {
        group.bench_function(name, |b| b.iter(|| rt.block_on(ok(&client, &uri))));
    }
    group.finish();
}

criterion_group!(gap_pages, benches);
criterion_main!(gap_pages);
