//! What is due over 100 sites with three years of records: per site 5 zones, 8 countermeasures
//! (6 approved), 12 exceptions (8 approved), 36 monthly treatment actions (two thirds done),
//! 3 yearly risk assessments and 30 requirements planned for a date — about 10,000 records and
//! 1,400 signatures. Measured: `Store::due` for the organization and for one site, and the
//! `/due` page of one site. Baseline: reading the same records without computing anything
//! (`list_all` of the five kinds), so the ratio is the engine's own cost.
//!
//! Run: `cargo bench -p otkeep-web --bench due`

use criterion::{Criterion, criterion_group, criterion_main};
use otkeep_core::KindDef;
use otkeep_core::access::Scope;
use otkeep_core::catalog::Catalog;
use otkeep_core::kinds::{ASSESSMENT_KIND, COUNTERMEASURE_KIND, SITE_KIND, ZONE_KIND};
use otkeep_core::risk_kinds::{EXCEPTION_KIND, RISK_ASSESSMENT_KIND, TREATMENT_KIND};
use otkeep_core::value::values_from_json;
use otkeep_store::{ListQuery, Meaning, Store};
use otkeep_web::testing::TestClient;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const SITES: usize = 100;

fn date(months_from_2024: usize, day: usize) -> String {
    format!(
        "{}-{:02}-{:02}",
        2024 + months_from_2024 / 12,
        months_from_2024 % 12 + 1,
        day.clamp(1, 28)
    )
}

async fn create(
    tx: &mut otkeep_store::WriteTx<'_>,
    kind: &'static KindDef,
    v: Value,
) -> otkeep_core::Record {
    let values = values_from_json(kind, &v).unwrap_or_else(|e| panic!("{}: {e:?}", kind.name));
    tx.create(kind, values).await.expect("create")
}

async fn load(store: &Store) -> i64 {
    let account = otkeep_store::testing::test_account(
        store,
        "bench",
        &[otkeep_web::testing::grant(
            otkeep_core::access::Role::Admin,
            None,
        )],
    )
    .await
    .expect("account");
    let requirements: Vec<String> = Catalog::iec62443_3_3()
        .requirements
        .iter()
        .take(30)
        .map(|r| r.id.clone())
        .collect();
    let mut first = 0;
    for s in 0..SITES {
        let mut tx = store.begin_write("bench", None).await.expect("tx");
        let site = create(
            &mut tx,
            &SITE_KIND,
            json!({"code": format!("S{s:03}"), "name": format!("Site {s}"), "time_zone": "UTC"}),
        )
        .await
        .id;
        if s == 0 {
            first = site;
        }
        let mut zones = Vec::new();
        for z in 0..5 {
            zones.push(
                create(
                    &mut tx,
                    &ZONE_KIND,
                    json!({"site_id": site, "name": format!("Zone {z}"), "owner": "OT lead",
                           "sl_t": [2,2,2,2,2,2,2], "sl_t_justification": "RA"}),
                )
                .await
                .id,
            );
        }
        for i in 0..8 {
            let cm = create(
                &mut tx,
                &COUNTERMEASURE_KIND,
                json!({"site_id": site, "name": format!("CM {i}"), "zones": [zones[i % 5]],
                       "requirements": "SR 1.1", "reasoning": "r", "residual_risk": "low",
                       "owner": "OT lead", "review_date": date(i * 4 + 2, 15)}),
            )
            .await;
            if i < 6 {
                tx.sign(&account, &cm, Meaning::Approved, "")
                    .await
                    .expect("sign");
            }
        }
        for i in 0..12 {
            let e = create(
                &mut tx,
                &EXCEPTION_KIND,
                json!({"site_id": site, "name": format!("EX {i}"), "zones": [zones[i % 5]],
                       "justification": "j", "compensating_controls": "c", "residual_risk": "low",
                       "requested_by": "OT lead", "expiry_date": date(i * 3 + 1, 20),
                       "review_interval_days": 90 + i * 30}),
            )
            .await;
            if i < 8 {
                tx.sign(&account, &e, Meaning::Approved, "")
                    .await
                    .expect("sign");
            }
        }
        for m in 0..36 {
            let status = if m % 3 == 2 { "planned" } else { "done" };
            create(
                &mut tx,
                &TREATMENT_KIND,
                json!({"site_id": site, "name": format!("Action {m}"), "owner": "OT lead",
                       "due_date": date(m, 10), "status": status, "zones": [zones[m % 5]]}),
            )
            .await;
        }
        for y in 0..3 {
            create(
                &mut tx,
                &RISK_ASSESSMENT_KIND,
                json!({"site_id": site, "name": format!("RA {}", 2024 + y), "zones": zones,
                       "owner": "OT lead", "status": if y < 2 { "superseded" } else { "complete" },
                       "review_date": date(y * 12 + 11, 30)}),
            )
            .await;
        }
        for (i, r) in requirements.iter().enumerate() {
            create(
                &mut tx,
                &ASSESSMENT_KIND,
                json!({"site_id": site, "zone_id": zones[i % 5], "requirement": r, "status": "planned",
                       "target_date": date(i + 12, 5), "owner": "OT lead"}),
            )
            .await;
        }
        tx.commit().await.expect("commit");
    }
    first
}

/// The baseline: the same records read without the engine.
async fn read_only(store: &Store, scope: &Scope) -> usize {
    let q = ListQuery {
        scope: scope.clone(),
        ..ListQuery::default()
    };
    let mut n = 0;
    for kind in [
        &COUNTERMEASURE_KIND,
        &EXCEPTION_KIND,
        &TREATMENT_KIND,
        &RISK_ASSESSMENT_KIND,
        &ASSESSMENT_KIND,
    ] {
        n += store.list_all(kind, &q).await.expect("list").len();
    }
    n
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let db = otkeep_store::testing::TestDb::sqlite();
    let (store, site, client) = rt.block_on(async {
        let store = Arc::new(db.open().await.expect("open"));
        let started = std::time::Instant::now();
        let site = load(&store).await;
        eprintln!("loaded {SITES} sites in {:.1?}", started.elapsed());
        let client = TestClient::admin(store.clone(), "reader").await;
        (store, site, client)
    });
    let today = "2026-11-28";
    let all = Scope::All;
    let one = Scope::Limited {
        sites: vec![site],
        records: Vec::new(),
    };
    let n = rt.block_on(store.due(&all, today)).expect("due").len();
    let records = rt.block_on(read_only(&store, &all));
    eprintln!("{records} records give {n} obligations");

    let mut group = c.benchmark_group("due/100_sites");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("baseline: read the records", |b| {
        b.iter(|| rt.block_on(read_only(&store, &all)))
    });
    group.bench_function("Store::due, organization", |b| {
        b.iter(|| rt.block_on(store.due(&all, today)).expect("due").len())
    });
    group.finish();
    let mut group = c.benchmark_group("due/one_site");
    group.bench_function("baseline: read the records", |b| {
        b.iter(|| rt.block_on(read_only(&store, &one)))
    });
    group.bench_function("Store::due, one site", |b| {
        b.iter(|| rt.block_on(store.due(&one, today)).expect("due").len())
    });
    let uri = format!("/due?site_id={site}");
    group.bench_function("GET /due, one site", |b| {
        b.iter(|| {
            let a = rt.block_on(client.get(&uri));
            assert_eq!(a.status, axum::http::StatusCode::OK);
            a.body.len()
        })
    });
    group.finish();
}

criterion_group!(due, benches);
criterion_main!(due);
