//! Program KPIs over HTTP, on SQLite and PostgreSQL: values from the records, targets set by
//! program owners only (audited), daily snapshots (one per day, replaced when taken again) that
//! draw the trend charts and the site comparison.

use axum::http::StatusCode;
use otkeep_core::access::Role;
use otkeep_store::Store;
use otkeep_web::testing::{Answer, TestClient, grant};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(program_kpis_have_targets_snapshots_and_trends);

fn created(a: Answer) -> i64 {
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()["id"].as_i64().unwrap()
}

fn day(offset: i64) -> String {
    jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(offset))
        .unwrap()
        .to_string()
}

fn value(items: &Value, kpi: &str) -> Value {
    items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kpi"] == kpi)
        .unwrap_or_else(|| panic!("{kpi} in {items}"))
        .clone()
}

async fn program_kpis_have_targets_snapshots_and_trends(store: Arc<Store>) {
    let admin = TestClient::admin(store.clone(), "lead").await;
    let site = created(
        admin
            .json(
                "POST",
                "/api/v1/sites",
                json!({"code": "FRA1", "name": "F", "time_zone": "UTC"}),
            )
            .await,
    );
    let zone = created(
        admin
            .json(
                "POST",
                "/api/v1/zones",
                json!({"site_id": site, "name": "Control", "sl_t": [1, 1, 1, 1, 1, 1, 1], "owner": "o"}),
            )
            .await,
    );
    for (name, kind) in [("PLC-1", "plc"), ("HMI-1", "hmi")] {
        created(
            admin
                .json(
                    "POST",
                    "/api/v1/assets",
                    json!({"site_id": site, "zone_id": zone, "name": name, "asset_type": kind,
                           "criticality": "medium", "lifecycle": "operational", "owner": "o"}),
                )
                .await,
        );
    }
    created(
        admin
            .json(
                "POST",
                "/api/v1/baselines",
                json!({"site_id": site, "name": "PLC baseline", "asset_types": "plc",
                       "review_interval_days": 365, "owner": "o"}),
            )
            .await,
    );
    created(
        admin
            .json(
                "POST",
                "/api/v1/treatments",
                json!({"site_id": site, "name": "Segment the line", "owner": "o",
                       "due_date": day(-3), "status": "planned"}),
            )
            .await,
    );
    created(
        admin
            .json(
                "POST",
                "/api/v1/assessments",
                json!({"site_id": site, "zone_id": zone, "requirement": "SR 1.1", "status": "implemented"}),
            )
            .await,
    );
    let now = admin.get("/api/v1/kpi/program?site=FRA1").await;
    assert_eq!(now.status, StatusCode::OK, "{}", now.body);
    let now = now.json();
    assert_eq!(value(&now, "assets_with_baseline")["value"], 50);
    assert_eq!(value(&now, "overdue_actions")["value"], 1);
    assert_eq!(value(&now, "overdue_actions")["meets_target"], false);
    let fr1 = value(&now, "requirements_met_fr1")["value"]
        .as_i64()
        .unwrap();
    assert!(fr1 > 0 && fr1 < 100, "{fr1}");
    assert_eq!(value(&now, "requirements_met_fr2")["value"], 0);
    assert_eq!(value(&now, "time_to_revoke")["value"], Value::Null);

    // Targets: program owners and administrators only; percentages stay within 0–100.
    let engineer = TestClient::user(
        store.clone(),
        "eng",
        &[grant(Role::SiteEngineer, Some(site))],
    )
    .await;
    let form = [
        ("kpi", "overdue_actions"),
        ("target", "2"),
        ("owner", "Plant manager"),
    ];
    assert_eq!(
        engineer.form("/kpi/targets", &form).await.status,
        StatusCode::FORBIDDEN
    );
    let a = admin.form("/kpi/targets", &form).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = admin
        .form(
            "/kpi/targets",
            &[
                ("kpi", "assets_with_baseline"),
                ("target", "150"),
                ("owner", ""),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let now = admin.get("/api/v1/kpi/program?site=FRA1").await.json();
    let overdue = value(&now, "overdue_actions");
    assert_eq!(
        (overdue["target"].clone(), overdue["owner"].clone()),
        (json!(2), json!("Plant manager"))
    );
    assert_eq!(overdue["meets_target"], true);

    // Before any snapshot, the dashboard computes what is due itself.
    let org = admin.get("/organization").await.body;
    assert!(org.contains("as of now"), "{org}");
    assert!(
        org.contains(&format!("/due?site_id={site}\"><strong class=\"bad\">1<")),
        "{org}"
    );

    // Snapshots: yesterday and today (taken twice: replaced, not doubled).
    let at = |offset: i64| {
        jiff::Zoned::now()
            .datetime()
            .checked_add(jiff::Span::new().days(offset))
            .unwrap()
    };
    let n = store.snapshot_kpis("test", at(-1)).await.unwrap();
    assert_eq!(
        n,
        2 * (otkeep_core::kpi::KPIS.len() + 2),
        "organization and one site, with their due counts"
    );
    store.snapshot_kpis("test", at(0)).await.unwrap();
    store.snapshot_kpis("test", at(0)).await.unwrap();
    let history = admin
        .get("/api/v1/kpi/history?site=FRA1&days=7")
        .await
        .json();
    let points = history["points"].as_array().unwrap();
    assert_eq!(
        points.len(),
        2 * (otkeep_core::kpi::KPIS.len() + 2),
        "{history}"
    );
    assert!(points.iter().all(|p| p["site_id"] == site));
    let org = admin.get("/api/v1/kpi/history?days=7").await.json();
    assert!(
        org["points"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["site_id"] == 0)
    );
    // The engineer of the site does not see the organization's values.
    let mine = engineer.get("/api/v1/kpi/history?days=7").await.json();
    assert!(
        mine["points"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["site_id"] == site)
    );

    let page = admin.get(&format!("/kpi/program?site_id={site}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let row = &page.body[page.body.find("id=\"kpi-overdue_actions\"").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("<polyline"), "{row}");
    assert!(row.contains("class=\"target\""), "{row}");
    let page = admin.get("/kpi/program").await.body;
    assert!(page.contains("id=\"site-comparison\""), "{page}");
    assert!(page.contains(&format!("/kpi/program?site_id={site}")));
    // The organization dashboard: the site's gap, the KPIs it misses, what is overdue.
    let org = admin.get("/organization").await;
    assert_eq!(org.status, StatusCode::OK);
    let row = &org.body[org.body.find(&format!("id=\"site-{site}\"")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains(&format!("/gap/sites/{site}")), "{row}");
    assert!(row.contains("Assets with a documented baseline"), "{row}");
    assert!(
        !row.contains("Overdue treatment actions"),
        "target 2 is met: {row}"
    );
    assert!(
        row.contains(&format!("/due?site_id={site}\"><strong class=\"bad\">1<")),
        "{row}"
    );
    // Snapshots and targets are in the audit trail.
    let audit = admin.json("GET", "/api/v1/audit", Value::Null).await.body;
    assert!(
        audit.contains("kpi_snapshot") && audit.contains("kpi_target"),
        "{audit}"
    );
}
