//! Change requests over HTTP, on SQLite and PostgreSQL: the workflow and what each state needs,
//! approval by e-signature of the roles the change needs (kept while the change moves on,
//! lost when its content changes), the records edited under a change, emergency changes due
//! for retrospective approval.

use axum::http::StatusCode;
use otkeep_core::access::Role;
use otkeep_store::Store;
use otkeep_store::testing::TEST_PASSWORD;
use otkeep_web::testing::{Answer, TestClient, grant};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(changes_are_approved_by_the_roles_they_need);

fn created(a: Answer) -> i64 {
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()["id"].as_i64().unwrap()
}

async fn put(c: &TestClient, id: i64, change: &mut Value, edits: Value) -> Answer {
    for (k, v) in edits.as_object().unwrap() {
        change[k] = v.clone();
    }
    let a = c
        .json("PUT", &format!("/api/v1/changes/{id}"), change.clone())
        .await;
    if a.status == StatusCode::OK {
        change["version"] = a.json()["version"].clone();
    }
    a
}

async fn sign(c: &TestClient, id: i64, version: i64) -> Answer {
    c.json(
        "POST",
        &format!("/api/v1/changes/{id}/signatures"),
        json!({"meaning": "approved", "password": TEST_PASSWORD, "version": version}),
    )
    .await
}

async fn changes_are_approved_by_the_roles_they_need(store: Arc<Store>) {
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
                json!({"site_id": site, "name": "DMZ", "owner": "o"}),
            )
            .await,
    );
    let asset = created(
        admin
            .json(
                "POST",
                "/api/v1/assets",
                json!({"site_id": site, "zone_id": zone, "name": "FW-1", "asset_type": "firewall",
                       "criticality": "high", "owner": "o", "lifecycle": "operational"}),
            )
            .await,
    );
    let engineer = TestClient::user(
        store.clone(),
        "eng",
        &[grant(Role::SiteEngineer, Some(site))],
    )
    .await;
    let owner = TestClient::user(store.clone(), "po", &[grant(Role::ProgramOwner, None)]).await;
    let id = created(
        engineer
            .json(
                "POST",
                "/api/v1/changes",
                json!({"site_id": site, "name": "Allow OPC UA from the historian", "change_type": "network_rule",
                       "status": "draft", "description": "New rule on FW-1", "requested_by": "eng",
                       "assets": [asset], "zones": [zone], "planned_start": "2030-01-10", "planned_end": "2030-01-11"}),
            )
            .await,
    );
    let mut change = engineer
        .json("GET", &format!("/api/v1/changes/{id}"), Value::Null)
        .await
        .json();
    // The workflow: no skipping, and each state needs its fields.
    let a = put(
        &engineer,
        id,
        &mut change,
        json!({"status": "approved", "cyber_impact": "x"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["error"]["field"], "status");
    assert!(a.body.contains("cannot become approved"), "{}", a.body);
    change["status"] = json!("draft");
    change["cyber_impact"] = Value::Null;
    assert_eq!(
        put(&engineer, id, &mut change, json!({"status": "submitted"}))
            .await
            .status,
        StatusCode::OK
    );
    let a = put(&engineer, id, &mut change, json!({"status": "assessed"})).await;
    assert_eq!(a.json()["error"]["field"], "cyber_impact");
    change["status"] = json!("submitted");
    let a = put(
        &engineer,
        id,
        &mut change,
        json!({"status": "assessed", "cyber_impact": "Opens 4840/tcp on the DMZ conduit", "changes_model": true}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    // "Approved" needs the signatures: a network rule needs a technical and a program-owner
    // approval, by two people.
    let a = put(&engineer, id, &mut change, json!({"status": "approved"})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body.contains("missing technical approval") && a.body.contains("program owner approval"),
        "{}",
        a.body
    );
    change["status"] = json!("assessed");
    let v = change["version"].as_i64().unwrap();
    assert_eq!(sign(&engineer, id, v).await.status, StatusCode::CREATED);
    let a = put(&engineer, id, &mut change, json!({"status": "approved"})).await;
    assert!(
        a.body.contains("program owner approval") && !a.body.contains("missing technical"),
        "{}",
        a.body
    );
    change["status"] = json!("assessed");
    assert_eq!(sign(&owner, id, v).await.status, StatusCode::CREATED);
    let page = engineer.get(&format!("/changes/{id}")).await.body;
    assert!(
        page.contains("technical approval: approved by eng"),
        "{page}"
    );
    assert!(
        page.contains("program owner approval: approved by po"),
        "{page}"
    );
    assert_eq!(
        put(&engineer, id, &mut change, json!({"status": "approved"}))
            .await
            .status,
        StatusCode::OK
    );

    // Implemented under the change: the firewall's record is edited naming CR-<id>.
    let mut fw = engineer
        .json("GET", &format!("/api/v1/assets/{asset}"), Value::Null)
        .await
        .json();
    fw["firmware_version"] = json!("7.2.5");
    let req = axum::http::Request::put(format!("/api/v1/assets/{asset}"))
        .header("content-type", "application/json")
        .header("x-otkeep-reason", format!("CR-{id}: rule added"))
        .body(axum::body::Body::from(fw.to_string()))
        .unwrap();
    assert_eq!(engineer.send(req).await.status, StatusCode::OK);
    let a = put(
        &engineer,
        id,
        &mut change,
        json!({"status": "implemented", "implemented_on": "2030-01-10", "test_evidence": "Historian reads tags; other ports closed (scan report)"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let page = engineer.get(&format!("/changes/{id}")).await.body;
    assert!(
        page.contains(&format!(
            "Changed under CR-{id}: update asset #{asset} by eng"
        )),
        "{page}"
    );
    assert!(
        page.contains("approved by po"),
        "moving on keeps the approvals"
    );
    // The change page links the edit forms of its records with the reason filled in.
    let link = format!("/assets/{asset}/edit?reason=CR-{id}");
    assert!(page.contains(&link), "{page}");
    let form = engineer.get(&link).await.body;
    assert!(
        form.contains(&format!("value=\"CR-{id}\"")),
        "the reason is filled in"
    );
    // Changing what was approved loses the approvals.
    let mut edited = change.clone();
    edited["description"] = json!("New rule on FW-1 and FW-2");
    let a = put(&engineer, id, &mut edited, json!({})).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        engineer
            .get(&format!("/changes/{id}"))
            .await
            .body
            .contains("awaiting the signature")
    );

    // A treatment action names the change that carries it out; the change lists it.
    let action = created(
        engineer
            .json(
                "POST",
                "/api/v1/treatments",
                json!({"site_id": site, "name": "Segment the historian", "owner": "eng",
                       "due_date": "2030-02-01", "status": "in_progress", "changes": [id]}),
            )
            .await,
    );
    let page = engineer.get(&format!("/changes/{id}")).await.body;
    assert!(
        page.contains(&format!("/treatments/{action}")),
        "related treatment actions: {page}"
    );

    // An emergency change goes in first; its approval is then due within 7 days.
    let e = created(
        engineer
            .json(
                "POST",
                "/api/v1/changes",
                json!({"site_id": site, "name": "Block the attacker's address", "change_type": "network_rule",
                       "status": "draft", "description": "Incident response", "requested_by": "eng", "emergency": true}),
            )
            .await,
    );
    let mut emergency = engineer
        .json("GET", &format!("/api/v1/changes/{e}"), Value::Null)
        .await
        .json();
    let a = put(
        &engineer,
        e,
        &mut emergency,
        json!({"status": "implemented", "implemented_on": "2026-01-05", "test_evidence": "blocked in the log"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let due = engineer
        .json("GET", "/api/v1/due", Value::Null)
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
    assert!(
        items.contains(&(
            "Block the attacker's address".into(),
            "approve the emergency change (retrospectively)".into(),
            "2026-01-12".into()
        )),
        "{items:?}"
    );
}
