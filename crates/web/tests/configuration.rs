//! Configuration baselines, conformance, commissioning and decommissioning over HTTP, on SQLite
//! and PostgreSQL: the KPI of a baseline, deviations, next checks under Due, checklists that
//! move an asset into operation and out of it.

use axum::http::StatusCode;
use otkeep_store::Store;
use otkeep_web::testing::{Answer, TestClient};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(baselines_checklists_and_the_asset_lifecycle);

fn created(a: Answer) -> i64 {
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()["id"].as_i64().unwrap()
}

async fn baselines_checklists_and_the_asset_lifecycle(store: Arc<Store>) {
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
    let asset = |name: &str, ty: &str, lifecycle: &str| {
        json!({"site_id": site, "zone_id": zone, "name": name, "asset_type": ty, "criticality": "high",
               "owner": "o", "lifecycle": lifecycle})
    };
    let plc1 = created(
        admin
            .json(
                "POST",
                "/api/v1/assets",
                asset("PLC-1", "plc", "operational"),
            )
            .await,
    );
    let plc2 = created(
        admin
            .json(
                "POST",
                "/api/v1/assets",
                asset("PLC-2", "plc", "operational"),
            )
            .await,
    );
    created(
        admin
            .json(
                "POST",
                "/api/v1/assets",
                asset("HMI-1", "hmi", "operational"),
            )
            .await,
    );

    let a = admin
        .json("POST", "/api/v1/baselines", json!({"site_id": site, "name": "S7 CPU", "asset_types": "plc, toaster", "review_interval_days": 365, "owner": "o"}))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["error"]["field"], "asset_types");
    let baseline = created(
        admin
            .json(
                "POST",
                "/api/v1/baselines",
                json!({"site_id": site, "name": "S7 CPU", "platform": "Siemens S7-1500",
                  "asset_types": "plc", "review_interval_days": 365, "owner": "OT lead"}),
            )
            .await,
    );
    created(
        admin
            .json("POST", "/api/v1/baseline-items", json!({"site_id": site, "baseline_id": baseline, "name": "Web server",
                  "expected": "disabled", "rationale": "Not used; attack surface", "requirements": "SR 7.7"}))
            .await,
    );

    // A failed item needs its deviation named (or an exception or change linked).
    let today = jiff::Zoned::now().date();
    let ago = |days: i64| {
        today
            .checked_sub(jiff::Span::new().days(days))
            .unwrap()
            .to_string()
    };
    let check = |asset: i64, on: String, failed: i64, deviations: &str| {
        json!({"site_id": site, "asset_id": asset, "baseline_id": baseline, "checked_on": on,
               "checked_by": "auditor", "passed": 10, "failed": failed, "deviations": deviations})
    };
    let a = admin
        .json(
            "POST",
            "/api/v1/conformance-checks",
            check(plc1, ago(10), 1, ""),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["error"]["field"], "deviations");
    created(
        admin
            .json(
                "POST",
                "/api/v1/conformance-checks",
                check(plc1, ago(10), 1, "Web server still on (CR-7)"),
            )
            .await,
    );
    created(
        admin
            .json(
                "POST",
                "/api/v1/conformance-checks",
                check(plc2, "2020-01-01".into(), 0, ""),
            )
            .await,
    );
    let page = admin.get(&format!("/baselines/{baseline}")).await.body;
    assert!(
        page.contains("1 of 2 assets in scope checked within 365 days (50 %); 0 never checked"),
        "{page}"
    );
    assert!(page.contains("Web server"), "its items are listed");

    // Next checks under Due: PLC-2's is overdue.
    let due = admin.json("GET", "/api/v1/due", Value::Null).await.json();
    let items: Vec<(String, String)> = due["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["what"].as_str().unwrap().into(),
                o["bucket"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        items.contains(&(
            "check PLC-2 against its baseline again".into(),
            "overdue".into()
        )),
        "{items:?}"
    );
    assert!(
        items.contains(&(
            "check PLC-1 against its baseline again".into(),
            "later".into()
        )),
        "{items:?}"
    );

    // Commissioning: a new PLC goes into operation when its checklist is complete.
    let plc3 = created(
        admin
            .json(
                "POST",
                "/api/v1/assets",
                asset("PLC-3", "plc", "commissioning"),
            )
            .await,
    );
    let template = created(
        admin
            .json(
                "POST",
                "/api/v1/checklist-templates",
                json!({"site_id": site, "name": "S7 PLC", "purpose": "commissioning", "asset_types": "plc",
                       "items": "Disable the PLC web server\nSet the CPU protection level"}),
            )
            .await,
    );
    let rec = created(
        admin
            .json(
                "POST",
                "/api/v1/commissionings",
                json!({"site_id": site, "asset_id": plc3, "status": "open", "template_id": template}),
            )
            .await,
    );
    // The template's items are copied in, open; the edit form shows them as checkboxes.
    let form = admin.get(&format!("/commissionings/{rec}/edit")).await.body;
    assert!(form.contains("name=\"template_items.done\""), "{form}");
    assert!(form.contains("Set the CPU protection level"));
    let mut c = admin
        .json("GET", &format!("/api/v1/commissionings/{rec}"), Value::Null)
        .await
        .json();
    c["status"] = json!("completed");
    c["services_disabled"] = json!(true);
    let a = admin
        .json("PUT", &format!("/api/v1/commissionings/{rec}"), c.clone())
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body
            .contains("not done yet: Default accounts changed or disabled"),
        "{}",
        a.body
    );
    assert!(
        a.body.contains("not done yet: Disable the PLC web server"),
        "{}",
        a.body
    );
    c["template_items"] = json!("[x] Disable the PLC web server\n[x] Set the CPU protection level");
    for f in [
        "default_accounts_changed",
        "baseline_applied",
        "logging_enabled",
        "time_synced",
        "parameters_recorded",
        "backup_planned",
        "zone_assigned",
    ] {
        c[f] = json!(true);
    }
    c["evidence"] = json!("Hardening protocol HP-3, port scan attached");
    c["completed_by"] = json!("lead");
    c["completed_on"] = json!(today.to_string());
    let a = admin
        .json("PUT", &format!("/api/v1/commissionings/{rec}"), c)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let plc = admin
        .json("GET", &format!("/api/v1/assets/{plc3}"), Value::Null)
        .await
        .json();
    assert_eq!(plc["lifecycle"], "operational");
    let page = admin.get(&format!("/baselines/{baseline}")).await.body;
    assert!(
        page.contains("of 3 assets in scope"),
        "PLC-3 now counts: {page}"
    );

    // Decommissioning takes PLC-2 out, keeping its history.
    let rec = created(
        admin
            .json("POST", "/api/v1/decommissionings", json!({"site_id": site, "asset_id": plc2, "status": "completed",
                  "data_wiped": true, "wipe_method": "Memory card destroyed", "keys_revoked": true,
                  "accounts_removed": true, "backup_decided": true, "backup_retention": "5 years (GMP)",
                  "removed_from_model": true, "evidence": "Photo of the shredded card", "completed_by": "lead",
                  "completed_on": today.to_string()}))
            .await,
    );
    assert!(rec > 0);
    let plc = admin
        .json("GET", &format!("/api/v1/assets/{plc2}"), Value::Null)
        .await
        .json();
    assert_eq!(plc["lifecycle"], "decommissioned");
    let history = admin
        .json(
            "GET",
            &format!("/api/v1/assets/{plc2}/history"),
            Value::Null,
        )
        .await
        .body;
    assert!(history.contains("decommissioned"), "{history}");
    let page = admin.get(&format!("/baselines/{baseline}")).await.body;
    assert!(
        page.contains("of 2 assets in scope"),
        "decommissioned assets leave the scope: {page}"
    );
}
