//! Suppliers, incidents, security tests and periodic reviews over HTTP, on SQLite and
//! PostgreSQL: a capability declaration gives its SL-C to assets of its model without one (and
//! so shows their shortfalls in the zone's gap view); incidents follow their workflow, keep a
//! timeline and print as a report; FAT/SAT tests take their template's items and cannot pass
//! with a failed check; reviews, findings, agreements and recovered incidents are due.

use axum::http::StatusCode;
use otkeep_store::Store;
use otkeep_web::testing::{Answer, TestClient};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(
    capability_declarations_give_assets_their_sl_c,
    incidents_follow_their_workflow_and_print_a_report,
    security_tests_and_reviews_record_results_and_findings
);

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

async fn put(c: &TestClient, uri: &str, patch: Value) -> Answer {
    let mut v = c.get(uri).await.json();
    for (k, x) in patch.as_object().unwrap() {
        v[k] = x.clone();
    }
    c.json("PUT", uri, v).await
}

async fn site(admin: &TestClient) -> i64 {
    created(
        admin
            .json(
                "POST",
                "/api/v1/sites",
                json!({"code": "FRA1", "name": "F", "time_zone": "UTC"}),
            )
            .await,
    )
}

async fn due_whats(admin: &TestClient) -> Vec<(String, String, String)> {
    admin.get("/api/v1/due").await.json()["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap().to_string(),
                o["what"].as_str().unwrap().to_string(),
                o["due"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn capability_declarations_give_assets_their_sl_c(store: Arc<Store>) {
    let admin = TestClient::admin(store.clone(), "lead").await;
    let site = site(&admin).await;
    let zone = created(
        admin
            .json(
                "POST",
                "/api/v1/zones",
                json!({"site_id": site, "name": "Line 1 control", "sl_t": [2, 2, 2, 2, 2, 2, 2],
                       "owner": "OT lead"}),
            )
            .await,
    );
    let asset = async |name: &str, model: &str, sl_c: Option<[u8; 7]>| {
        created(
            admin
                .json(
                    "POST",
                    "/api/v1/assets",
                    json!({"site_id": site, "zone_id": zone, "name": name, "asset_type": "plc",
                           "vendor": "Siemens", "model": model, "criticality": "high",
                           "lifecycle": "operational", "sl_c": sl_c, "owner": "OT lead"}),
                )
                .await,
        )
    };
    let plc = asset("PLC-101", "SIMATIC S7-1500 CPU 1516-3", None).await;
    let own = asset("PLC-102", "SIMATIC S7-1500 CPU 1518", Some([2; 7])).await;
    let other = asset("PLC-103", "SIMATIC S7-300", None).await;
    let supplier = created(
        admin
            .json(
                "POST",
                "/api/v1/suppliers",
                json!({"site_id": site, "name": "Siemens", "supplier_type": "vendor",
                       "status": "approved", "owner": "OT lead", "contact": "productcert@siemens.com"}),
            )
            .await,
    );
    // 4-2 identifiers are checked; the SL-C is required.
    let bad = admin
        .json(
            "POST",
            "/api/v1/capability-declarations",
            json!({"site_id": site, "supplier_id": supplier, "vendor": "Siemens",
                   "model": "SIMATIC S7-1500", "component_requirements": "CR 1.1, SR 1.1"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(
        bad.body.contains("SR 1.1") && bad.body.contains("sl_c"),
        "{}",
        bad.body
    );
    let decl = created(
        admin
            .json(
                "POST",
                "/api/v1/capability-declarations",
                json!({"site_id": site, "supplier_id": supplier, "vendor": "siemens",
                       "model": "SIMATIC S7-1500", "sl_c": [2, 2, 1, 2, 2, 2, 2],
                       "component_requirements": "CR 1.1, CR 2.1, EDR 3.2 RE 1",
                       "certification": "IEC 62443-4-2 certificate (example)",
                       "valid_until": day(60)}),
            )
            .await,
    );
    // The asset without an SL-C takes the declared one; the gap view shows its FR3 shortfall.
    let page = admin.get(&format!("/assets/{plc}")).await.body;
    assert!(
        page.contains(
            "SL-C from the capability declaration for siemens SIMATIC S7-1500: FR1 2, FR2 2, FR3 1"
        ),
        "{page}"
    );
    let gap = admin.get(&format!("/gap/zones/{zone}?fr=3")).await.body;
    assert!(
        gap.contains("PLC-101 (SL-C declared for siemens SIMATIC S7-1500)"),
        "{gap}"
    );
    assert!(gap.contains("FR3 (SL-C 1 &#60; SL-T 2)"), "{gap}");
    assert!(
        !gap.contains("PLC-102"),
        "its own SL-C meets the target: {gap}"
    );
    assert!(
        gap.contains("1 component of this zone have no capability SL"),
        "{gap}"
    );
    let _ = (own, other);
    // An SBOM of a model of that family is linked from the declaration.
    let boundary = "otkeepGov1";
    let sbom = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {"component": {"type": "firmware", "name": "S7-1500 firmware", "version": "3.1"}},
        "components": [{"type": "library", "name": "openssl", "version": "3.0.13"}]}"#;
    let mut body = String::new();
    for (k, v) in [
        ("vendor", "Siemens"),
        ("model", "SIMATIC S7-1500 CPU 1516-3"),
        ("firmware", "3.1"),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fw.cdx.json\"\r\nContent-Type: application/json\r\n\r\n{sbom}\r\n--{boundary}--\r\n"
    ));
    let req = axum::http::Request::post(format!("/sboms/upload?_csrf={}", admin.csrf()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(axum::body::Body::from(body))
        .unwrap();
    let a = admin.send(req).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    // The declaration's page counts what it covers.
    let page = admin
        .get(&format!("/capability-declarations/{decl}"))
        .await
        .body;
    assert!(
        page.contains(
            "Covers 2 asset(s) of this site; 1 of them take this SL-C (1 have their own)"
        ),
        "{page}"
    );
    // Its expiry and an agreement's are due.
    created(
        admin
            .json(
                "POST",
                "/api/v1/support-agreements",
                json!({"site_id": site, "name": "Siemens remote service", "supplier_id": supplier,
                       "assets": [plc], "access_windows": "weekdays 07:00-18:00 on request",
                       "minimum_controls": "Named accounts, MFA, via jump host, recorded",
                       "logging_duties": "Session report within 24 h", "valid_from": day(-300),
                       "expires_on": day(20), "owner": "OT lead"}),
            )
            .await,
    );
    let due = due_whats(&admin).await;
    assert!(
        due.iter()
            .any(|(k, w, d)| k == "support_agreement" && w.contains("renew") && *d == day(20)),
        "{due:?}"
    );
    assert!(
        due.iter()
            .any(|(k, _, d)| k == "capability_declaration" && *d == day(60)),
        "{due:?}"
    );
    // Requirement sets carry clauses mapped to 62443.
    let set = created(
        admin
            .json(
                "POST",
                "/api/v1/supplier-requirement-sets",
                json!({"site_id": site, "name": "Integrator security requirements", "audience": "integrators", "owner": "OT lead"}),
            )
            .await,
    );
    let bad = admin
        .json(
            "POST",
            "/api/v1/supplier-clauses",
            json!({"site_id": site, "set_id": set, "number": "3.1", "text": "x", "requirements": "SR 8.1"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    created(
        admin
            .json(
                "POST",
                "/api/v1/supplier-clauses",
                json!({"site_id": site, "set_id": set, "number": "3.1",
                       "text": "Deliver systems without default passwords; hand over all accounts.",
                       "requirements": "SR 1.1, SR 1.5"}),
            )
            .await,
    );
    let page = admin
        .get(&format!("/supplier-requirement-sets/{set}"))
        .await
        .body;
    assert!(page.contains("3.1"), "{page}");
}

async fn incidents_follow_their_workflow_and_print_a_report(store: Arc<Store>) {
    let admin = TestClient::admin(store.clone(), "lead").await;
    let site = site(&admin).await;
    let playbook = created(
        admin
            .json(
                "POST",
                "/api/v1/documents",
                json!({"site_id": site, "key": "OT-PB-001", "title": "Malware on an HMI",
                       "category": "playbook", "domain": "ot_security", "scope": "site", "owner": "OT lead"}),
            )
            .await,
    );
    let now = jiff::Zoned::now().datetime();
    let at = |hours: i64| {
        otkeep_core::value::datetime_text(now.checked_add(jiff::Span::new().hours(hours)).unwrap())
    };
    let incident = created(
        admin
            .json(
                "POST",
                "/api/v1/incidents",
                json!({"site_id": site, "name": "Ransomware note on HMI-3", "detected_at": at(-24 * 40),
                       "reported_by": "Shift lead", "category": "malware", "severity": "high",
                       "safety_impact": "none", "quality_impact": "minor", "production_impact": "major",
                       "status": "open", "owner": "OT lead", "description": "Operator saw a ransom note.",
                       "playbook_id": playbook}),
            )
            .await,
    );
    let uri = format!("/api/v1/incidents/{incident}");
    // Containment needs its time and actions.
    let a = put(&admin, &uri, json!({"status": "contained"})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(
        a.body.contains("contained_at") && a.body.contains("actions_taken"),
        "{}",
        a.body
    );
    let a = put(
        &admin,
        &uri,
        json!({"status": "contained", "contained_at": at(-24 * 40 + 2),
               "actions_taken": "HMI-3 unplugged from the network."}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    for (entry_type, hours, text) in [
        ("observation", -24 * 40, "Ransom note on HMI-3 screen"),
        ("action", -24 * 40 + 2, "HMI-3 isolated"),
        ("communication", -24 * 40 + 3, "Plant manager informed"),
    ] {
        created(
            admin
                .json(
                    "POST",
                    "/api/v1/incident-entries",
                    json!({"site_id": site, "incident_id": incident, "at": at(hours),
                           "entry_type": entry_type, "author": "OT lead", "entry": text}),
                )
                .await,
        );
    }
    let a = put(
        &admin,
        &uri,
        json!({"status": "recovered", "recovered_at": at(-24 * 35)}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    // Back to open is refused.
    let a = put(&admin, &uri, json!({"status": "open"})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    // Recovered 35 days ago: closing with lessons learned was due 5 days ago.
    let due = due_whats(&admin).await;
    assert!(
        due.iter()
            .any(|(k, w, d)| k == "incident" && w.contains("lessons learned") && *d == day(-5)),
        "{due:?}"
    );
    // The report has the facts, the timeline in order and the playbook.
    let report = admin.get(&format!("/incidents/{incident}/report")).await;
    assert_eq!(report.status, StatusCode::OK);
    let body = report.body;
    assert!(
        body.contains("Incident report: Ransomware note on HMI-3"),
        "{body}"
    );
    assert!(body.contains("OT-PB-001"), "{body}");
    let (a1, a2) = (
        body.find("Ransom note on HMI-3 screen").unwrap(),
        body.find("Plant manager informed").unwrap(),
    );
    assert!(a1 < a2);
    assert!(body.contains("Major"), "production impact: {body}");
    // Closing asks for root cause and lessons learned.
    let a = put(
        &admin,
        &uri,
        json!({"status": "closed", "closed_at": at(-1)}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("root_cause") && a.body.contains("lessons_learned"));
    let a = put(
        &admin,
        &uri,
        json!({"status": "closed", "closed_at": at(-1), "root_cause": "USB stick from a contractor",
               "lessons_learned": "Block USB storage on HMIs; kiosk for contractor media."}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        !due_whats(&admin)
            .await
            .iter()
            .any(|(k, _, _)| k == "incident")
    );
}

async fn security_tests_and_reviews_record_results_and_findings(store: Arc<Store>) {
    let admin = TestClient::admin(store.clone(), "lead").await;
    let site = site(&admin).await;
    let template = created(
        admin
            .json(
                "POST",
                "/api/v1/checklist-templates",
                json!({"site_id": site, "name": "PLC SAT security items", "purpose": "acceptance_test",
                       "items": "Web server disabled\nCPU protection level set"}),
            )
            .await,
    );
    let checks = |v: &str| {
        json!({"check_accounts": v, "check_logging": v, "check_patch_level": v,
               "check_remote_access": v, "check_zone_design": v})
    };
    let mut body = json!({"site_id": site, "name": "SAT line 1 PLCs", "test_type": "sat",
                          "status": "planned", "template_id": template});
    for (k, v) in checks("not_tested").as_object().unwrap() {
        body[k] = v.clone();
    }
    let test = created(admin.json("POST", "/api/v1/validation-tests", body).await);
    let uri = format!("/api/v1/validation-tests/{test}");
    let rec = admin.get(&uri).await.json();
    assert_eq!(
        rec["template_items"],
        "[ ] Web server disabled\n[ ] CPU protection level set"
    );
    // Executed as passed while a template item did not pass: refused.
    let mut done = checks("pass");
    for (k, v) in [
        ("status", "executed"),
        ("result", "passed"),
        ("evidence", "SAT protocol signed by the integrator"),
        ("executed_by", "Integrator"),
        ("executed_on", &day(-1)),
        (
            "template_items",
            "[x] Web server disabled\n[ ] CPU protection level set",
        ),
    ] {
        done[k] = json!(v);
    }
    let a = put(&admin, &uri, done.clone()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("CPU protection level set"), "{}", a.body);
    done["result"] = json!("passed_with_findings");
    done["findings"] = json!("CPU protection level not set on PLC-104; fixed under CR-12.");
    let a = put(&admin, &uri, done).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    // A self-assessment with a major finding, which needs a treatment action.
    let review = created(
        admin
            .json(
                "POST",
                "/api/v1/periodic-reviews",
                json!({"site_id": site, "name": "Self-assessment 2026", "review_type": "self_assessment",
                       "scope": "Whole program on FRA1", "reviewer": "Quality lead", "status": "completed",
                       "reviewed_on": day(-30), "next_review": day(335)}),
            )
            .await,
    );
    let bad = admin
        .json(
            "POST",
            "/api/v1/review-findings",
            json!({"site_id": site, "review_id": review, "finding": "Access reviews not held",
                   "severity": "major", "status": "open", "owner": "OT lead", "requirements": "SR 1.3"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("treatment action"), "{}", bad.body);
    let action = created(
        admin
            .json(
                "POST",
                "/api/v1/treatments",
                json!({"site_id": site, "name": "Quarterly access reviews", "owner": "OT lead",
                       "due_date": day(45), "status": "planned"}),
            )
            .await,
    );
    let finding = created(
        admin
            .json(
                "POST",
                "/api/v1/review-findings",
                json!({"site_id": site, "review_id": review, "finding": "Access reviews not held",
                       "severity": "major", "status": "open", "owner": "OT lead",
                       "requirements": "SR 1.3", "treatment_id": action}),
            )
            .await,
    );
    // The review lists its findings; the next review and the action are due.
    let page = admin.get(&format!("/periodic-reviews/{review}")).await.body;
    assert!(
        page.contains(&format!("/review-findings/{finding}")),
        "{page}"
    );
    let due = due_whats(&admin).await;
    assert!(
        due.iter().any(|(k, w, d)| k == "periodic_review"
            && w == "hold the next review"
            && *d == day(335)),
        "{due:?}"
    );
    assert!(
        due.iter()
            .any(|(k, _, d)| k == "treatment" && *d == day(45)),
        "{due:?}"
    );
}
