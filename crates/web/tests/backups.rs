//! Backup plans, backups and restore tests over HTTP, on SQLite and PostgreSQL: next backups
//! and restore tests under Due, and the restore-test KPI of critical assets.

use axum::http::StatusCode;
use otkeep_store::Store;
use otkeep_web::testing::{Answer, TestClient};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(backups_and_restore_tests_feed_due_and_the_kpi);

fn created(a: Answer) -> i64 {
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()["id"].as_i64().unwrap()
}

async fn backups_and_restore_tests_feed_due_and_the_kpi(store: Arc<Store>) {
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
                json!({"site_id": site, "name": "Z", "owner": "o"}),
            )
            .await,
    );
    let asset = |name: &str, criticality: &str| {
        json!({"site_id": site, "zone_id": zone, "name": name, "asset_type": "plc", "criticality": criticality,
               "owner": "o", "lifecycle": "operational"})
    };
    let plc1 = created(
        admin
            .json("POST", "/api/v1/assets", asset("PLC-1", "critical"))
            .await,
    );
    let plc2 = created(
        admin
            .json("POST", "/api/v1/assets", asset("PLC-2", "high"))
            .await,
    );
    created(
        admin
            .json("POST", "/api/v1/assets", asset("PLC-3", "high"))
            .await,
    );
    created(
        admin
            .json("POST", "/api/v1/assets", asset("PLC-4", "low"))
            .await,
    );
    let today = jiff::Zoned::now().date();
    let ago = |d: i64| {
        today
            .checked_sub(jiff::Span::new().days(d))
            .unwrap()
            .to_string()
    };
    let plan = |name: &str, assets: Vec<i64>| {
        json!({"site_id": site, "name": name, "assets": assets, "contents": "controller_program",
               "frequency_days": 7, "restore_test_days": 180, "storage": "NAS in the server room", "owner": "OT lead"})
    };
    let p1 = created(
        admin
            .json(
                "POST",
                "/api/v1/backup-plans",
                plan("Line 1 PLCs", vec![plc1]),
            )
            .await,
    );
    let p2 = created(
        admin
            .json(
                "POST",
                "/api/v1/backup-plans",
                plan("Line 2 PLCs", vec![plc2]),
            )
            .await,
    );
    let backup = |p: i64, on: String, result: &str| {
        json!({"site_id": site, "plan_id": p, "taken_on": on, "result": result, "size_bytes": 1048576,
               "checksum": "sha256:00ff", "taken_by": "lead"})
    };
    created(
        admin
            .json("POST", "/api/v1/backups", backup(p1, ago(3), "success"))
            .await,
    );
    created(
        admin
            .json("POST", "/api/v1/backups", backup(p1, ago(1), "failed"))
            .await,
    );
    created(
        admin
            .json("POST", "/api/v1/backups", backup(p2, ago(20), "success"))
            .await,
    );
    let restore = |p: i64, on: String, result: &str| {
        json!({"site_id": site, "plan_id": p, "tested_on": on, "result": result, "minutes_to_restore": 25,
               "tested_by": "lead", "scope": "program to a spare CPU"})
    };
    created(
        admin
            .json(
                "POST",
                "/api/v1/restore-tests",
                restore(p1, ago(30), "success"),
            )
            .await,
    );
    created(
        admin
            .json(
                "POST",
                "/api/v1/restore-tests",
                restore(p2, ago(400), "success"),
            )
            .await,
    );

    // Due: the next backup counts from the last successful one; failed ones do not count.
    let due = admin
        .json("GET", "/api/v1/due?site=FRA1", Value::Null)
        .await
        .json();
    let items: Vec<(String, String, String)> = due["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["title"].as_str().unwrap().into(),
                o["what"].as_str().unwrap().into(),
                o["due"].as_str().unwrap().into(),
            )
        })
        .collect();
    let in4 = today
        .checked_add(jiff::Span::new().days(4))
        .unwrap()
        .to_string();
    assert!(
        items.contains(&("Line 1 PLCs".into(), "take the backup".into(), in4)),
        "{items:?}"
    );
    let overdue_backup = today
        .checked_sub(jiff::Span::new().days(13))
        .unwrap()
        .to_string();
    assert!(
        items.contains(&(
            "Line 2 PLCs".into(),
            "take the backup".into(),
            overdue_backup
        )),
        "{items:?}"
    );
    let restore_due = today
        .checked_sub(jiff::Span::new().days(220))
        .unwrap()
        .to_string();
    assert!(
        items.contains(&(
            "Line 2 PLCs".into(),
            "test restoring the backup".into(),
            restore_due
        )),
        "{items:?}"
    );

    // KPI: 3 critical or high PLCs; PLC-1 restore-tested in time, PLC-2 too long ago, PLC-3 in
    // no plan; the low one does not count.
    let kpi = admin
        .json("GET", "/api/v1/kpi/restore-tests?site=FRA1", Value::Null)
        .await;
    assert_eq!(kpi.status, StatusCode::OK, "{}", kpi.body);
    let k = &kpi.json()["restore_tests"];
    assert_eq!(
        (
            k["critical_assets"].as_i64(),
            k["restore_tested"].as_i64(),
            k["without_plan"].as_i64(),
            k["percent"].as_i64()
        ),
        (Some(3), Some(1), Some(1), Some(33))
    );
    // Log reviews: the next one is due from the last; escalations name their incident.
    let source = created(
        admin
            .json(
                "POST",
                "/api/v1/log-sources",
                json!({"site_id": site, "name": "DMZ firewall denies", "zones": [zone],
                       "collected": "deny events", "destination": "site SIEM", "review_days": 30, "owner": "OT lead"}),
            )
            .await,
    );
    let review = |escalated: bool, incident: &str| {
        json!({"site_id": site, "source_id": source, "reviewed_on": ago(40), "reviewer": "lead",
               "period_from": ago(70), "period_to": ago(40), "anomalies": "port scan from the IT net",
               "escalated": escalated, "incident_ref": incident})
    };
    let a = admin
        .json("POST", "/api/v1/log-reviews", review(true, ""))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["error"]["field"], "incident_ref");
    created(
        admin
            .json("POST", "/api/v1/log-reviews", review(true, "INC-2026-014"))
            .await,
    );
    let due = admin
        .json("GET", "/api/v1/due?site=FRA1", Value::Null)
        .await
        .json();
    let logs: Vec<(String, String)> = due["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["what"] == "review the logs")
        .map(|o| {
            (
                o["due"].as_str().unwrap().into(),
                o["bucket"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(logs, [(ago(10), "overdue".to_string())]);

    // The plan's page shows its last backup and restore test.
    let page = admin.get(&format!("/backup-plans/{p1}")).await.body;
    assert!(
        page.contains(&format!("Last successful backup: {}", ago(3))),
        "{page}"
    );
    assert!(
        page.contains(&format!("Last successful restore test: {}", ago(30))),
        "{page}"
    );
}
