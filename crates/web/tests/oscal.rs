//! OSCAL exports over HTTP, on SQLite and PostgreSQL, validated against NIST's OSCAL 1.0.6 JSON
//! schemas (`../shared/data/oscal`): a zone's assessment results and the treatment plan.

use axum::http::StatusCode;
use otkeep_store::Store;
use otkeep_web::testing::{Answer, TestClient};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(zone_assessment_and_treatment_plan_export_as_valid_oscal);

fn created(a: Answer) -> i64 {
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()["id"].as_i64().unwrap()
}

fn validator(name: &str) -> jsonschema::Validator {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/oscal")
        .join(name);
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file")).unwrap();
    jsonschema::validator_for(&schema).expect("schema")
}

fn assert_valid(schema: &str, doc: &Value) {
    let v = validator(schema);
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}\n{doc:#}", errors.join("\n"));
}

async fn zone_assessment_and_treatment_plan_export_as_valid_oscal(store: Arc<Store>) {
    let admin = TestClient::admin(store.clone(), "lead").await;
    let site = created(
        admin
            .json(
                "POST",
                "/api/v1/sites",
                json!({"code": "FRA1", "name": "Frankfurt", "time_zone": "Europe/Berlin"}),
            )
            .await,
    );
    let zone = created(
        admin
            .json(
                "POST",
                "/api/v1/zones",
                json!({"site_id": site, "name": "Filling control", "sl_t": [1, 1, 1, 1, 1, 1, 1],
                       "owner": "OT lead"}),
            )
            .await,
    );
    for (req, status, extra) in [
        (
            "SR 1.1",
            "implemented",
            json!({"evidence_url": "https://dms.example/ad-export.pdf", "last_assessed": "2026-10-01",
                   "notes": "Personal accounts on all HMIs"}),
        ),
        (
            "SR 1.3",
            "planned",
            json!({"target_date": "2027-03-31", "owner": "OT lead"}),
        ),
        (
            "SR 1.4",
            "not_applicable",
            json!({"reason": "No identifiers of that kind"}),
        ),
    ] {
        let mut body =
            json!({"site_id": site, "zone_id": zone, "requirement": req, "status": status});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        created(admin.json("POST", "/api/v1/assessments", body).await);
    }
    let a = admin.get(&format!("/gap/zones/{zone}/oscal.json")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let doc: Value = serde_json::from_str(&a.body).unwrap();
    assert_valid("oscal_assessment-results_schema.json", &doc);
    let result = &doc["assessment-results"]["results"][0];
    let findings = result["findings"].as_array().unwrap();
    let in_force = findings.len();
    assert!(
        in_force > 20,
        "every requirement in force at SL 1: {in_force}"
    );
    let state = |control: &str| {
        findings
            .iter()
            .find(|f| f["target"]["target-id"] == control)
            .map(|f| f["target"]["status"]["state"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(state("sr-1.1"), "satisfied");
    assert_eq!(state("sr-1.3"), "not-satisfied");
    assert_eq!(state("sr-1.4"), "satisfied");
    assert_eq!(state("sr-2.1"), "not-satisfied");
    assert_eq!(result["observations"].as_array().unwrap().len(), 3);
    assert!(a.body.contains("https://dms.example/ad-export.pdf"));
    // Only zones export assessment results; conduits and others are not found.
    let a = admin.get(&format!("/gap/sites/{site}/oscal.json")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    // The treatment plan: none yet, then one action on a risk.
    let a = admin.get(&format!("/risk/poam.json?site_id={site}")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    assert!(a.body.contains("no treatment actions"), "{}", a.body);
    let ra = created(
        admin
            .json(
                "POST",
                "/api/v1/risk-assessments",
                json!({"site_id": site, "name": "Site risk assessment 2026", "owner": "OT lead",
                       "zones": [zone], "status": "draft"}),
            )
            .await,
    );
    let risk = created(
        admin
            .json(
                "POST",
                "/api/v1/risks",
                json!({"site_id": site, "name": "Ransomware via remote access", "risk_assessment_id": ra,
                       "threat_source": "criminal", "impacts": "production=4", "likelihood": 3,
                       "owner": "OT lead"}),
            )
            .await,
    );
    created(
        admin
            .json(
                "POST",
                "/api/v1/treatments",
                json!({"site_id": site, "name": "MFA on the remote access gateway", "risks": [risk],
                       "requirements": "SR 1.13", "owner": "OT lead", "due_date": "2027-03-31",
                       "status": "in_progress"}),
            )
            .await,
    );
    for uri in [
        format!("/risk/poam.json?site_id={site}"),
        "/risk/poam.json".to_string(),
    ] {
        let a = admin.get(&uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.body);
        let doc: Value = serde_json::from_str(&a.body).unwrap();
        assert_valid("oscal_poam_schema.json", &doc);
        let p = &doc["plan-of-action-and-milestones"];
        assert_eq!(
            p["poam-items"][0]["title"],
            "MFA on the remote access gateway"
        );
        assert_eq!(p["risks"][0]["status"], "remediating");
    }
}
