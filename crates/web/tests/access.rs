//! Access control over HTTP, on SQLite and PostgreSQL: the authorization matrix of every route
//! and role, site isolation, CSRF, security headers, sessions, API tokens and signatures.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use otkeep_core::access::{Grant, Role};
use otkeep_store::Store;
use otkeep_store::testing::{TEST_PASSWORD, test_account};
use otkeep_web::testing::{Answer, Credential, TestClient, grant};
use otkeep_web::{Gate, route_specs};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(
    every_route_answers_every_role_as_declared,
    a_site_engineer_of_one_site_cannot_reach_another_sites_records,
    state_changes_need_the_csrf_token_and_the_same_origin,
    pages_carry_security_headers,
    sign_in_sets_a_hardened_cookie_rotates_and_sign_out_ends_it,
    first_sign_in_forces_a_password_change,
    api_tokens_authenticate_with_their_scope_until_revoked,
    signatures_need_the_password_and_show_when_content_changed,
    vendors_see_only_their_granted_assets,
);

/// Records of two sites, A and B, made by an administrator.
struct Plant {
    admin: TestClient,
    site_a: i64,
    site_b: i64,
    zone_a: i64,
    conduit_a: i64,
    asset_a: i64,
    asset_b: i64,
    assessment_a: i64,
    countermeasure_a: i64,
    /// Records of site A of the risk kinds, by plural.
    risk_a: std::collections::HashMap<&'static str, i64>,
    /// An advisory matching an asset of site A, and that match.
    advisory: i64,
    advisory_match: i64,
    /// The asset of site A the advisory matches.
    nms_a: i64,
    /// An SBOM of a model (readable by all who read assets).
    sbom: i64,
    evidence: String,
}

async fn created(c: &TestClient, uri: &str, body: Value) -> i64 {
    let a = c.json("POST", uri, body).await;
    assert_eq!(a.status, StatusCode::CREATED, "{uri}: {}", a.body);
    a.json()["id"].as_i64().expect("id")
}

async fn plant(store: Arc<Store>) -> Plant {
    let admin = TestClient::admin(store, "root").await;
    let site_a = created(
        &admin,
        "/api/v1/sites",
        json!({"code": "AAA", "name": "Alpha plant", "time_zone": "UTC"}),
    )
    .await;
    let site_b = created(
        &admin,
        "/api/v1/sites",
        json!({"code": "BBB", "name": "Bravo plant", "time_zone": "UTC"}),
    )
    .await;
    let mut zones = Vec::new();
    for (site, name) in [
        (site_a, "Alpha control"),
        (site_a, "Alpha DMZ"),
        (site_b, "Bravo control"),
    ] {
        zones.push(
            created(
                &admin,
                "/api/v1/zones",
                json!({"site_id": site, "name": name, "owner": "o"}),
            )
            .await,
        );
    }
    let conduit_a = created(
        &admin,
        "/api/v1/conduits",
        json!({"site_id": site_a, "name": "Alpha DMZ-control", "zone_a_id": zones[0], "zone_b_id": zones[1], "owner": "o"}),
    )
    .await;
    let asset = |site: i64, zone: i64, name: &str| {
        json!({"site_id": site, "zone_id": zone, "name": name, "asset_type": "plc",
               "criticality": "high", "owner": "o", "lifecycle": "operational"})
    };
    let asset_a = created(
        &admin,
        "/api/v1/assets",
        asset(site_a, zones[0], "ALPHA-PLC"),
    )
    .await;
    let asset_b = created(
        &admin,
        "/api/v1/assets",
        asset(site_b, zones[2], "BRAVO-PLC"),
    )
    .await;
    let assessment_a = created(
        &admin,
        "/api/v1/assessments",
        json!({"site_id": site_a, "zone_id": zones[0], "requirement": "SR 1.1", "status": "implemented"}),
    )
    .await;
    let countermeasure_a = created(
        &admin,
        "/api/v1/countermeasures",
        json!({"site_id": site_a, "name": "Jump host MFA", "zones": [zones[0]], "requirements": "SR 1.1 RE 2",
               "reasoning": "MFA at the jump host", "residual_risk": "low", "owner": "o", "review_date": "2030-01-01"}),
    )
    .await;
    let mut risk_a = std::collections::HashMap::new();
    let ra = created(
        &admin,
        "/api/v1/risk-assessments",
        json!({"site_id": site_a, "name": "RA-1", "zones": [zones[0]], "owner": "o", "status": "draft"}),
    )
    .await;
    risk_a.insert("risk-assessments", ra);
    let risk = created(
        &admin,
        "/api/v1/risks",
        json!({"site_id": site_a, "name": "Ransomware via remote access", "risk_assessment_id": ra,
               "threat_source": "criminal", "impacts": "production=4", "likelihood": 3, "owner": "o"}),
    )
    .await;
    risk_a.insert("risks", risk);
    risk_a.insert(
        "treatments",
        created(
            &admin,
            "/api/v1/treatments",
            json!({"site_id": site_a, "name": "MFA on the gateway", "risks": [risk], "owner": "o",
                   "due_date": "2027-03-31", "status": "planned"}),
        )
        .await,
    );
    let baseline = created(
        &admin,
        "/api/v1/baselines",
        json!({"site_id": site_a, "name": "PLC baseline", "asset_types": "plc", "review_interval_days": 365, "owner": "o"}),
    )
    .await;
    risk_a.insert("baselines", baseline);
    risk_a.insert(
        "baseline-items",
        created(
            &admin,
            "/api/v1/baseline-items",
            json!({"site_id": site_a, "baseline_id": baseline, "name": "Web server off", "expected": "disabled"}),
        )
        .await,
    );
    risk_a.insert(
        "conformance-checks",
        created(
            &admin,
            "/api/v1/conformance-checks",
            json!({"site_id": site_a, "asset_id": asset_a, "baseline_id": baseline, "checked_on": "2026-01-10",
                   "checked_by": "o", "passed": 5, "failed": 0}),
        )
        .await,
    );
    let plan = created(
        &admin,
        "/api/v1/backup-plans",
        json!({"site_id": site_a, "name": "PLC programs", "assets": [asset_a], "contents": "controller_program",
               "frequency_days": 7, "restore_test_days": 365, "owner": "o"}),
    )
    .await;
    risk_a.insert("backup-plans", plan);
    let source = created(
        &admin,
        "/api/v1/log-sources",
        json!({"site_id": site_a, "name": "FW denies", "collected": "denies", "review_days": 30, "owner": "o"}),
    )
    .await;
    risk_a.insert("log-sources", source);
    risk_a.insert(
        "log-reviews",
        created(
            &admin,
            "/api/v1/log-reviews",
            json!({"site_id": site_a, "source_id": source, "reviewed_on": "2026-11-01", "reviewer": "o",
                   "period_from": "2026-10-01", "period_to": "2026-10-31"}),
        )
        .await,
    );
    risk_a.insert(
        "backups",
        created(
            &admin,
            "/api/v1/backups",
            json!({"site_id": site_a, "plan_id": plan, "taken_on": "2026-11-01", "result": "success"}),
        )
        .await,
    );
    risk_a.insert(
        "restore-tests",
        created(
            &admin,
            "/api/v1/restore-tests",
            json!({"site_id": site_a, "plan_id": plan, "tested_on": "2026-11-02", "result": "success", "tested_by": "o"}),
        )
        .await,
    );
    risk_a.insert(
        "role-assignments",
        created(
            &admin,
            "/api/v1/role-assignments",
            json!({"site_id": site_a, "person": "Operator One", "role": "operations"}),
        )
        .await,
    );
    risk_a.insert(
        "raci",
        created(
            &admin,
            "/api/v1/raci",
            json!({"site_id": site_a, "activity": "patch_deployment", "role": "operations",
                   "responsibility": "informed"}),
        )
        .await,
    );
    let training = created(
        &admin,
        "/api/v1/trainings",
        json!({"site_id": site_a, "name": "OT security basics", "role": "operations",
               "refresh_days": 365, "owner": "o"}),
    )
    .await;
    risk_a.insert("trainings", training);
    risk_a.insert(
        "training-records",
        created(
            &admin,
            "/api/v1/training-records",
            json!({"site_id": site_a, "training_id": training, "person": "Operator One",
                   "completed_on": "2026-10-01"}),
        )
        .await,
    );
    let document = created(
        &admin,
        "/api/v1/documents",
        json!({"site_id": site_a, "key": "OT-POL-001", "title": "OT security policy",
               "category": "policy", "domain": "ot_security", "scope": "corporate",
               "owner": "o", "requirements": "SR 1.1"}),
    )
    .await;
    risk_a.insert("documents", document);
    risk_a.insert(
        "document-versions",
        created(
            &admin,
            "/api/v1/document-versions",
            json!({"site_id": site_a, "document_id": document, "number": "1.0",
                   "status": "draft", "body": "# Policy"}),
        )
        .await,
    );
    risk_a.insert(
        "it-references",
        created(
            &admin,
            "/api/v1/it-references",
            json!({"site_id": site_a, "document_id": document, "reference": "IT-SEC-004 Passwords",
                   "deviation": "Shared operator accounts on HMIs"}),
        )
        .await,
    );
    let set = created(
        &admin,
        "/api/v1/supplier-requirement-sets",
        json!({"site_id": site_a, "name": "Integrator requirements", "audience": "integrators", "owner": "o"}),
    )
    .await;
    risk_a.insert("supplier-requirement-sets", set);
    risk_a.insert(
        "supplier-clauses",
        created(
            &admin,
            "/api/v1/supplier-clauses",
            json!({"site_id": site_a, "set_id": set, "number": "4.1", "text": "Named accounts only",
                   "requirements": "SR 1.1"}),
        )
        .await,
    );
    let supplier = created(
        &admin,
        "/api/v1/suppliers",
        json!({"site_id": site_a, "name": "Acme Automation", "supplier_type": "integrator",
               "requirement_set_id": set, "status": "approved", "owner": "o"}),
    )
    .await;
    risk_a.insert("suppliers", supplier);
    risk_a.insert(
        "capability-declarations",
        created(
            &admin,
            "/api/v1/capability-declarations",
            json!({"site_id": site_a, "supplier_id": supplier, "vendor": "Acme", "model": "CPU 1500",
                   "sl_c": [2, 2, 1, 1, 1, 1, 1], "component_requirements": "CR 1.1"}),
        )
        .await,
    );
    risk_a.insert(
        "support-agreements",
        created(
            &admin,
            "/api/v1/support-agreements",
            json!({"site_id": site_a, "name": "Acme remote support", "supplier_id": supplier,
                   "access_windows": "weekdays", "minimum_controls": "MFA", "expires_on": "2027-12-31",
                   "owner": "o"}),
        )
        .await,
    );
    let incident = created(
        &admin,
        "/api/v1/incidents",
        json!({"site_id": site_a, "name": "Malware on HMI", "detected_at": "2026-11-01T08:00",
               "reported_by": "o", "category": "malware", "severity": "high", "safety_impact": "none",
               "quality_impact": "none", "production_impact": "minor", "status": "open", "owner": "o",
               "description": "USB stick"}),
    )
    .await;
    risk_a.insert("incidents", incident);
    risk_a.insert(
        "incident-entries",
        created(
            &admin,
            "/api/v1/incident-entries",
            json!({"site_id": site_a, "incident_id": incident, "at": "2026-11-01T08:05",
                   "entry_type": "action", "author": "o", "entry": "HMI isolated"}),
        )
        .await,
    );
    risk_a.insert(
        "validation-tests",
        created(
            &admin,
            "/api/v1/validation-tests",
            json!({"site_id": site_a, "name": "SAT line 1", "test_type": "sat", "status": "planned",
                   "check_accounts": "not_tested", "check_logging": "not_tested",
                   "check_patch_level": "not_tested", "check_remote_access": "not_tested",
                   "check_zone_design": "not_tested"}),
        )
        .await,
    );
    let review = created(
        &admin,
        "/api/v1/periodic-reviews",
        json!({"site_id": site_a, "name": "Self-assessment 2026", "review_type": "self_assessment",
               "scope": "Program", "reviewer": "o", "status": "planned"}),
    )
    .await;
    risk_a.insert("periodic-reviews", review);
    risk_a.insert(
        "review-findings",
        created(
            &admin,
            "/api/v1/review-findings",
            json!({"site_id": site_a, "review_id": review, "finding": "No log review records",
                   "severity": "observation", "status": "open", "owner": "o"}),
        )
        .await,
    );
    let patch = created(
        &admin,
        "/api/v1/patches",
        json!({"site_id": site_a, "name": "CPU firmware V3.1", "vendor": "Acme", "products": "CPU 1500",
               "patch_type": "firmware", "severity": "critical", "qualification": "qualified",
               "released_on": "2026-10-01"}),
    )
    .await;
    risk_a.insert("patches", patch);
    risk_a.insert(
        "patch-deployments",
        created(
            &admin,
            "/api/v1/patch-deployments",
            json!({"site_id": site_a, "patch_id": patch, "asset_id": asset_a, "state": "evaluated"}),
        )
        .await,
    );
    let account = created(
        &admin,
        "/api/v1/ot-accounts",
        json!({"site_id": site_a, "name": "operator1", "asset_id": asset_a, "account_type": "personal",
               "holders": "Operator One", "status": "active"}),
    )
    .await;
    risk_a.insert("ot-accounts", account);
    risk_a.insert(
        "access-reviews",
        created(
            &admin,
            "/api/v1/access-reviews",
            json!({"site_id": site_a, "asset_id": asset_a, "reviewed_on": "2026-11-01", "reviewer": "o",
                   "confirmed": [account]}),
        )
        .await,
    );
    risk_a.insert(
        "revocations",
        created(
            &admin,
            "/api/v1/revocations",
            json!({"site_id": site_a, "person": "Operator One", "reason": "leaver", "accounts": [account],
                   "requested_at": "2026-11-02T09:00", "requested_by": "o"}),
        )
        .await,
    );
    risk_a.insert(
        "remote-sessions",
        created(
            &admin,
            "/api/v1/remote-sessions",
            json!({"site_id": site_a, "name": "Drive tuning", "requester": "Acme support", "assets": [asset_a],
                   "purpose": "p", "window_start": "2026-12-01T08:00", "window_end": "2026-12-01T12:00",
                   "status": "requested"}),
        )
        .await,
    );
    risk_a.insert(
        "checklist-templates",
        created(
            &admin,
            "/api/v1/checklist-templates",
            json!({"site_id": site_a, "name": "PLC", "purpose": "commissioning", "items": "Web server off"}),
        )
        .await,
    );
    for plural in ["commissionings", "decommissionings"] {
        risk_a.insert(
            plural,
            created(
                &admin,
                &format!("/api/v1/{plural}"),
                json!({"site_id": site_a, "asset_id": asset_a, "status": "open"}),
            )
            .await,
        );
    }
    risk_a.insert(
        "changes",
        created(
            &admin,
            "/api/v1/changes",
            json!({"site_id": site_a, "name": "CR firewall", "change_type": "network_rule", "status": "draft",
                   "description": "d", "requested_by": "o"}),
        )
        .await,
    );
    risk_a.insert(
        "certificates",
        created(
            &admin,
            "/api/v1/certificates",
            json!({"site_id": site_a, "name": "Gateway TLS", "key_kind": "certificate", "owner": "o",
                   "algorithm": "ec", "key_bits": 256, "valid_to": "2030-01-01"}),
        )
        .await,
    );
    risk_a.insert(
        "exceptions",
        created(
            &admin,
            "/api/v1/exceptions",
            json!({"site_id": site_a, "name": "Legacy HMI", "assets": [asset_a], "justification": "j",
                   "compensating_controls": "c", "residual_risk": "medium", "requested_by": "o",
                   "expiry_date": "2027-12-31", "review_interval_days": 180}),
        )
        .await,
    );
    // A real advisory (Hitachi Energy UNEM) matching an asset of site A.
    let nms = created(
        &admin,
        "/api/v1/assets",
        json!({"site_id": site_a, "zone_id": zones[0], "name": "ALPHA-NMS", "asset_type": "application_server",
               "criticality": "high", "owner": "o", "lifecycle": "operational",
               "vendor": "Hitachi Energy", "model": "UNEM", "firmware_version": "R15B"}),
    )
    .await;
    let csaf = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/csaf/2023/icsa-23-005-01.json");
    let report = otkeep_ingest::import_csaf_files(&admin.state.store, &[csaf], "root", &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.created, 1);
    let all = otkeep_core::access::Scope::All;
    let m = admin
        .state
        .store
        .advisory_matches(&all, None, Some(nms))
        .await
        .unwrap();
    let (advisory, advisory_match) = (m[0].advisory_id, m[0].id);
    // An evidence file cited by the assessment.
    let evidence = {
        let mut tx = admin.state.store.begin_write("root", None).await.unwrap();
        let sha = tx
            .store_evidence("firewall-rules.pdf", "application/pdf", b"%PDF-1.4 rules")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut a = admin
            .json(
                "GET",
                &format!("/api/v1/assessments/{assessment_a}"),
                Value::Null,
            )
            .await
            .json();
        a["evidence_url"] = json!(format!("/evidence/{sha}"));
        a["evidence_sha256"] = json!(sha.clone());
        let put = admin
            .json("PUT", &format!("/api/v1/assessments/{assessment_a}"), a)
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
        sha
    };
    let sbom = {
        let s = otkeep_ingest::parse_sbom(
            b"SPDXVersion: SPDX-2.3\nDocumentName: fw\nPackageName: busybox\nPackageVersion: 1.36.1\n",
            "fw.spdx",
        )
        .unwrap();
        let mut tx = admin.state.store.begin_write("root", None).await.unwrap();
        let id = tx
            .store_sbom(
                &s,
                "fw.spdx",
                "00",
                &otkeep_store::Attach::Model {
                    vendor: "Hitachi Energy".into(),
                    model: "UNEM".into(),
                    firmware: "R15B".into(),
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    };
    Plant {
        sbom,
        nms_a: nms,
        advisory,
        advisory_match,
        risk_a,
        evidence,
        countermeasure_a,
        assessment_a,
        admin,
        site_a,
        site_b,
        zone_a: zones[0],
        conduit_a,
        asset_a,
        asset_b,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Admin,
    Owner,
    Engineer,
    Operator,
    Auditor,
    Vendor,
}

const EVERYONE: &[Who] = &[
    Who::Anonymous,
    Who::Admin,
    Who::Owner,
    Who::Engineer,
    Who::Operator,
    Who::Auditor,
    Who::Vendor,
];

/// The expected answer, written out per route independently of the implementation. `None`
/// for a route this test does not know: adding a route without adding it here fails.
fn allowed(method: &Method, path: &str, plural: Option<&str>, who: Who) -> Option<bool> {
    use Who::*;
    let signed_in = who != Anonymous;
    let any = |list: &[Who]| list.contains(&who);
    let reads = if plural == Some("assets") {
        signed_in
    } else {
        any(&[Admin, Owner, Engineer, Operator, Auditor])
    };
    let writes = if plural == Some("sites") && !path.contains("{id}") {
        any(&[Admin, Owner])
    } else {
        any(&[Admin, Owner, Engineer])
    };
    let signs = any(&[Admin, Owner, Engineer, Auditor]);
    let m = method.as_str();
    Some(match (m, path) {
        ("GET", "/healthz" | "/readyz" | "/static/style.css" | "/api/openapi.json" | "/login")
        | ("POST", "/login") => true,
        ("POST", "/logout")
        | ("GET", "/account" | "/account/password")
        | ("POST", "/account/password" | "/account/tokens" | "/account/tokens/{id}/revoke")
        | ("GET" | "POST", "/api/v1/me/tokens")
        | ("GET", "/api/v1/me")
        | ("DELETE", "/api/v1/me/tokens/{id}") => signed_in,
        (_, p) if p.starts_with("/admin/") => who == Admin,
        ("GET", "/") => signed_in,
        ("GET", "/audit" | "/api/v1/audit") => any(&[Admin, Owner, Auditor]),
        ("GET", "/gap" | "/model" | "/gap/summary.xlsx" | "/gap/summary.csv") => {
            any(&[Admin, Owner, Engineer, Operator, Auditor])
        }
        (
            "GET",
            "/due"
            | "/api/v1/due"
            | "/risk"
            | "/risk/register.csv"
            | "/risk/register.xlsx"
            | "/risk/heatmap.svg"
            | "/risk/method"
            | "/risk/method.json"
            | "/api/v1/kpi/restore-tests"
            | "/kpi"
            | "/kpi/program"
            | "/organization"
            | "/api/v1/kpi/program"
            | "/api/v1/kpi/history"
            | "/api/v1/kpi/operations"
            | "/training"
            | "/api/v1/training/coverage"
            | "/raci-matrix"
            | "/api/v1/raci/people"
            | "/coverage"
            | "/api/v1/coverage",
        ) => any(&[Admin, Owner, Engineer, Operator, Auditor]),
        ("GET", "/gap/{plural}/{id}/oscal.json") => {
            plural == Some("zones") && any(&[Admin, Owner, Engineer, Operator, Auditor])
        }
        (
            "GET",
            "/reports"
            | "/reports/{slug}"
            | "/reports/{slug}/pdf"
            | "/reports/{slug}/xlsx"
            | "/api/v1/reports"
            | "/api/v1/reports/{slug}",
        ) => any(&[Admin, Owner, Engineer, Operator, Auditor]),
        ("GET", "/observations" | "/api/v1/observations") => {
            any(&[Admin, Owner, Engineer, Operator, Auditor])
        }
        ("POST", "/observations/upload" | "/observations/dismiss") => {
            any(&[Admin, Owner, Engineer])
        }
        ("POST", "/kpi/targets") => any(&[Admin, Owner]),
        ("GET", "/risk/poam.json") => any(&[Admin, Owner, Engineer, Operator, Auditor]),
        ("GET", "/incidents/{id}/report") => any(&[Admin, Owner, Engineer, Operator, Auditor]),
        ("POST", "/patches/{id}/apply" | "/api/v1/patches/{id}/apply") => {
            any(&[Admin, Owner, Engineer])
        }
        ("GET" | "POST", "/remote-access" | "/api/v1/remote-access") => {
            any(&[Admin, Owner, Engineer, Operator, Vendor])
        }
        (
            "GET",
            "/advisories" | "/advisories/{id}" | "/api/v1/advisories" | "/api/v1/advisories/{id}",
        ) => signed_in,
        (
            "POST",
            "/advisories/upload"
            | "/advisories/matches/{id}"
            | "/api/v1/advisory-matches/{id}/triage",
        ) => any(&[Admin, Owner, Engineer]),
        // SBOMs are read like assets (a vendor reads those of its asset and of models).
        (
            "GET",
            "/sboms" | "/sboms/{id}" | "/sboms/{id}/diff" | "/api/v1/sboms" | "/api/v1/sboms/{id}",
        ) => signed_in,
        ("POST", "/sboms/upload") => any(&[Admin, Owner, Engineer]),
        ("POST", "/certificates/import") => any(&[Admin, Owner, Engineer]),
        // Aliases change matching on every site.
        ("POST", "/advisories/aliases") => any(&[Admin, Owner]),
        // The organization's method needs write access to every site.
        ("POST", "/risk/method") => any(&[Admin, Owner]),
        ("POST", "/risk-assessments/{id}/apply-sl-t") => any(&[Admin, Owner, Engineer]),
        ("POST", "/{plural}/{id}/evidence") => {
            matches!(plural, Some("assessments" | "document-versions")) && writes
        }
        ("GET", "/evidence/{sha}") => any(&[Admin, Owner, Engineer, Operator, Auditor]),
        ("POST", "/gap/{plural}/{id}/import") => {
            plural == Some("sites") && any(&[Admin, Owner, Engineer])
        }
        ("GET", "/gap/{plural}/{id}") => {
            matches!(plural, Some("sites" | "zones" | "conduits"))
                && any(&[Admin, Owner, Engineer, Operator, Auditor])
        }
        (
            "GET",
            "/gap/{plural}/{id}/export.csv"
            | "/gap/{plural}/{id}/export.xlsx"
            | "/gap/{plural}/{id}/diagram.svg",
        ) => plural == Some("sites") && any(&[Admin, Owner, Engineer, Operator, Auditor]),
        ("POST", "/gap/{plural}/{id}") => {
            matches!(plural, Some("zones" | "conduits")) && any(&[Admin, Owner, Engineer])
        }
        (
            "GET",
            "/{plural}"
            | "/{plural}/export.csv"
            | "/{plural}/{id}"
            | "/{plural}/{id}/history"
            | "/api/v1/{plural}"
            | "/api/v1/{plural}/{id}"
            | "/api/v1/{plural}/{id}/history"
            | "/api/v1/{plural}/{id}/signatures",
        ) => reads,
        ("GET", "/{plural}/new" | "/{plural}/{id}/edit")
        | ("POST", "/{plural}" | "/{plural}/{id}" | "/{plural}/{id}/delete" | "/api/v1/{plural}")
        | ("PUT", "/api/v1/{plural}/{id}")
        | ("DELETE", "/api/v1/{plural}/{id}") => writes,
        ("GET" | "POST", "/{plural}/{id}/sign") | ("POST", "/api/v1/{plural}/{id}/signatures") => {
            signs
        }
        _ => return None,
    })
}

/// A request for the route that, where allowed, changes nothing of consequence: forms are
/// incomplete, versions stale, ids of things that do not exist.
fn request(method: &Method, uri: &str) -> Request<Body> {
    let builder = Request::builder().method(method.clone()).uri(uri);
    let stale = uri.ends_with("/delete") || uri.contains("/sign");
    if uri.starts_with("/api/") && method != Method::GET {
        builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .expect("request")
    } else if method == Method::POST {
        let body = if uri == "/login" {
            "username=nobody-here&password=wrong".to_string()
        } else if stale {
            "_version=999".to_string()
        } else {
            String::new()
        };
        builder
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request")
    } else {
        builder.body(Body::empty()).expect("request")
    }
}

fn refused(a: &Answer) -> bool {
    matches!(
        a.status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ) || (a.status == StatusCode::SEE_OTHER && a.location().starts_with("/login"))
}

async fn every_route_answers_every_role_as_declared(store: Arc<Store>) {
    let p = plant(store.clone()).await;
    let on_a = |role| grant(role, Some(p.site_a));
    let vendor_grant = Grant {
        role: Role::Vendor,
        site: None,
        asset: Some(p.asset_a),
    };
    let mut clients = Vec::new();
    for who in EVERYONE {
        let name = format!("{who:?}").to_lowercase();
        let client = match who {
            Who::Anonymous => TestClient::anonymous(store.clone()),
            Who::Admin => p.admin.clone(),
            Who::Owner => {
                TestClient::user(store.clone(), &name, &[grant(Role::ProgramOwner, None)]).await
            }
            Who::Engineer => {
                TestClient::user(store.clone(), &name, &[on_a(Role::SiteEngineer)]).await
            }
            Who::Operator => TestClient::user(store.clone(), &name, &[on_a(Role::Operator)]).await,
            Who::Auditor => TestClient::user(store.clone(), &name, &[on_a(Role::Auditor)]).await,
            Who::Vendor => {
                TestClient::user(store.clone(), &name, std::slice::from_ref(&vendor_grant)).await
            }
        };
        clients.push((*who, name, client));
    }
    // Administration routes act on a bystander account.
    let victim = test_account(&store, "bystander", &[]).await.unwrap();
    let ids = |plural: &str| match plural {
        "sites" => p.site_a,
        "zones" => p.zone_a,
        "conduits" => p.conduit_a,
        "assessments" => p.assessment_a,
        "countermeasures" => p.countermeasure_a,
        "assets" => p.asset_a,
        other if p.risk_a.contains_key(other) => p.risk_a[other],
        other => panic!("no fixture for /{other}: add one to plant()"),
    };
    let specs = route_specs();
    assert!(specs.len() > 40, "the whole router is listed");
    let mut checked = 0;
    let mut failures = Vec::new();
    for spec in &specs {
        let plurals: Vec<Option<&str>> = if spec.path.contains("{plural}") {
            otkeep_core::KINDS.iter().map(|k| Some(k.plural)).collect()
        } else {
            vec![None]
        };
        for plural in plurals {
            for (who, name, client) in &clients {
                let Some(expected) = allowed(&spec.method, spec.path, plural, *who) else {
                    panic!(
                        "route {} {} has no expectation in this test: declare who may use it",
                        spec.method, spec.path
                    );
                };
                let uri = spec
                    .path
                    .replace("{plural}", plural.unwrap_or(""))
                    .replace(
                        "{id}",
                        &match plural {
                            Some(pl) => ids(pl).to_string(),
                            None if spec.path.starts_with("/admin/") => victim.id.to_string(),
                            None if spec.path.contains("matches/") => p.advisory_match.to_string(),
                            None if spec.path.starts_with("/incidents/") => {
                                ids("incidents").to_string()
                            }
                            None if spec.path.contains("sboms/") => p.sbom.to_string(),
                            None if spec.path.contains("advisories/") => p.advisory.to_string(),
                            None => "999999".to_string(),
                        },
                    )
                    .replace("{slug}", "inventory")
                    .replace("{grant}", "999999")
                    .replace("{sha}", &p.evidence)
                    .replace("{token}", "999999");
                // Signing out would end the shared session: use a fresh one.
                let client = if spec.path == "/logout" && *who != Who::Anonymous {
                    let user = if *who == Who::Admin {
                        "root"
                    } else {
                        name.as_str()
                    };
                    TestClient::sign_in(store.clone(), user, TEST_PASSWORD).await
                } else {
                    client.clone()
                };
                let answer = if spec.path == "/login" && spec.method == Method::POST {
                    // The sign-in form carries its own token (fetched with the form).
                    client
                        .sign_in_form(&[("username", "nobody-here"), ("password", "wrong")])
                        .await
                } else {
                    client.send(request(&spec.method, &uri)).await
                };
                let ok = if spec.path == "/logout" && expected {
                    answer.status == StatusCode::SEE_OTHER
                        && answer.headers[header::SET_COOKIE]
                            .to_str()
                            .is_ok_and(|c| c.contains("Max-Age=0"))
                } else if !expected {
                    refused(&answer)
                } else if spec.gate == Gate::Public {
                    answer.status != StatusCode::FORBIDDEN && !answer.status.is_server_error()
                } else if spec.method == Method::GET {
                    answer.status == StatusCode::OK
                } else {
                    !refused(&answer) && !answer.status.is_server_error()
                        || answer.status == StatusCode::NOT_FOUND && uri.contains("999999")
                };
                if !ok {
                    failures.push(format!(
                        "{who:?} {} {uri}: expected {}, got {} {}",
                        spec.method,
                        if expected { "allowed" } else { "refused" },
                        answer.status,
                        answer.body.chars().take(160).collect::<String>()
                    ));
                }
                checked += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Nothing was changed by the refused requests: the records are as created.
    let a = p
        .admin
        .json("GET", &format!("/api/v1/assets/{}", p.asset_a), Value::Null)
        .await;
    assert_eq!(a.json()["version"], 1);
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
}

async fn a_site_engineer_of_one_site_cannot_reach_another_sites_records(store: Arc<Store>) {
    let p = plant(store.clone()).await;
    let eng = TestClient::user(
        store.clone(),
        "eng",
        &[grant(Role::SiteEngineer, Some(p.site_a))],
    )
    .await;
    // Lists, search, filters and exports show site A only.
    for uri in ["/assets", "/assets?q=PLC", "/zones", "/sites", "/conduits"] {
        let a = eng.get(uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        assert!(
            !a.body.contains("Bravo") && !a.body.contains("BRAVO"),
            "{uri} leaks site B"
        );
    }
    let a = eng.get(&format!("/assets?site_id={}", p.site_b)).await;
    assert!(!a.body.contains("BRAVO-PLC"));
    let a = eng.get("/assets/export.csv").await;
    assert!(
        a.body.contains("ALPHA-PLC") && !a.body.contains("BRAVO-PLC"),
        "{}",
        a.body
    );
    let a = eng.json("GET", "/api/v1/assets?q=PLC", Value::Null).await;
    assert_eq!(a.json()["total"], 1);
    let a = eng.json("GET", "/api/v1/sites", Value::Null).await;
    assert_eq!(a.json()["total"], 1);
    // Dashboard: only site A's card and changes.
    let a = eng.get("/").await;
    assert!(a.body.contains("AAA") && !a.body.contains("BBB") && !a.body.contains("BRAVO"));
    // Guessing ids: every record of site B answers 404, exactly like a missing one.
    let b = p.asset_b;
    for uri in [
        format!("/assets/{b}"),
        format!("/assets/{b}/edit"),
        format!("/assets/{b}/history"),
        format!("/assets/{b}/sign"),
        format!("/api/v1/assets/{b}"),
        format!("/api/v1/assets/{b}/history"),
        format!("/api/v1/assets/{b}/signatures"),
        format!("/sites/{}", p.site_b),
    ] {
        let a = eng.get(&uri).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!a.body.contains("BRAVO"), "{uri}");
    }
    let mut visible = Vec::new();
    for id in 1..=40 {
        if eng
            .json("GET", &format!("/api/v1/assets/{id}"), Value::Null)
            .await
            .status
            == StatusCode::OK
        {
            visible.push(id);
        }
    }
    assert_eq!(
        visible,
        vec![p.asset_a, p.nms_a],
        "only site A's assets answer"
    );
    // Writes to site B are refused, and nothing moves there.
    let a = eng
        .form(&format!("/assets/{b}/delete"), &[("_version", "1")])
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = eng
        .json(
            "DELETE",
            &format!("/api/v1/assets/{b}?version=1"),
            Value::Null,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let zone_b = p
        .admin
        .json("GET", &format!("/api/v1/assets/{b}"), Value::Null)
        .await
        .json()["zone_id"]
        .clone();
    let a = eng
        .json(
            "POST",
            "/api/v1/assets",
            json!({"site_id": p.site_b, "zone_id": zone_b, "name": "SNEAK", "asset_type": "plc",
                   "criticality": "low", "owner": "o", "lifecycle": "operational"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    let mut mine = eng
        .json("GET", &format!("/api/v1/assets/{}", p.asset_a), Value::Null)
        .await
        .json();
    mine["site_id"] = json!(p.site_b);
    mine["zone_id"] = zone_b;
    let a = eng
        .json("PUT", &format!("/api/v1/assets/{}", p.asset_a), mine)
        .await;
    assert_eq!(
        a.status,
        StatusCode::FORBIDDEN,
        "cannot move a record to site B"
    );
    let a = eng.get(&format!("/assets/{}", p.asset_a)).await;
    assert!(
        a.body.contains("AAA") && !a.body.contains("BBB"),
        "still in site A"
    );
    // The engineer cannot add sites, and has no audit trail or administration.
    for uri in ["/sites/new", "/audit", "/admin/users"] {
        assert_eq!(eng.get(uri).await.status, StatusCode::FORBIDDEN, "{uri}");
    }
    // A site auditor reads site A's trail only.
    let aud = TestClient::user(
        store.clone(),
        "aud",
        &[grant(Role::Auditor, Some(p.site_a))],
    )
    .await;
    let a = aud.get("/audit").await;
    assert!(
        a.body.contains("ALPHA-PLC") && !a.body.contains("BRAVO"),
        "{}",
        a.body
    );
    let a = aud.json("GET", "/api/v1/audit", Value::Null).await;
    let items = a.json()["items"].as_array().cloned().unwrap_or_default();
    assert!(!items.is_empty());
    assert!(items.iter().all(|e| e["site_id"] == json!(p.site_a)));
}

async fn state_changes_need_the_csrf_token_and_the_same_origin(store: Arc<Store>) {
    let p = plant(store.clone()).await;
    let site = p.site_a.to_string();
    let form = [("code", "CSRF"), ("name", "Forged"), ("time_zone", "UTC")];
    let post = |csrf: Option<&str>, origin: Option<&str>| {
        let mut pairs: Vec<(&str, &str)> = form.to_vec();
        if let Some(c) = csrf {
            pairs.push(("_csrf", c));
        }
        let mut b = Request::post("/sites")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "otkeep.example");
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        b.body(Body::from(serde_urlencoded::to_string(&pairs).unwrap()))
            .unwrap()
    };
    // The test client adds the header token unless the credential has none: strip it.
    let Credential::Session { cookie, csrf } = p.admin.credential.clone() else {
        panic!("session expected");
    };
    let bare = TestClient {
        credential: Credential::Session {
            cookie,
            csrf: String::new(),
        },
        ..p.admin.clone()
    };
    let a = bare.send(post(None, None)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "no token");
    assert!(a.body.contains("security token"));
    let a = bare.send(post(Some("forged-token"), None)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "wrong token");
    let a = bare
        .send(post(Some(&csrf), Some("https://evil.example")))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "another site's origin");
    let a = bare
        .send(post(Some(&csrf), Some("http://otkeep.example")))
        .await;
    assert_eq!(
        a.status,
        StatusCode::SEE_OTHER,
        "same origin with the token: {}",
        a.body
    );
    // JSON through a session needs the header token as well.
    let a = bare
        .json(
            "DELETE",
            &format!("/api/v1/assets/{}?version=1", p.asset_a),
            Value::Null,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // A refused request changed nothing.
    let sites = p
        .admin
        .json("GET", "/api/v1/sites?q=Forged", Value::Null)
        .await;
    assert_eq!(
        sites.json()["total"],
        1,
        "only the legitimate post created a site"
    );
    let _ = site;
}

async fn pages_carry_security_headers(store: Arc<Store>) {
    let p = plant(store.clone()).await;
    let anon = TestClient::anonymous(store);
    for a in [
        p.admin.get("/assets").await,
        anon.get("/login").await,
        anon.get("/nothing").await,
        p.admin.json("GET", "/api/v1/assets", Value::Null).await,
    ] {
        let h = |n: &str| {
            a.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let csp = h("content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h("x-frame-options"), "DENY");
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("referrer-policy"), "same-origin");
    }
    // No inline script or style anywhere in the pages (the CSP would block them).
    for uri in [
        "/",
        "/assets",
        &format!("/assets/{}", p.asset_a),
        "/account",
        "/admin/users",
    ] {
        let body = p.admin.get(uri).await.body;
        assert!(
            !body.contains("<script") && !body.contains("style=\""),
            "{uri}"
        );
        assert!(!body.contains("javascript:"), "{uri}");
    }
}

async fn sign_in_sets_a_hardened_cookie_rotates_and_sign_out_ends_it(store: Arc<Store>) {
    test_account(&store, "gina", &[grant(Role::ProgramOwner, None)])
        .await
        .unwrap();
    let anon = TestClient::anonymous(store.clone());
    // Signed out, pages redirect to the sign-in page and the API answers 401.
    let a = anon.get("/assets?page=2").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location(), "/login?next=%2Fassets%3Fpage%3D2");
    let a = anon.json("GET", "/api/v1/assets", Value::Null).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.headers[header::WWW_AUTHENTICATE], "Bearer");

    let login = |pw: &'static str, next: &'static str| {
        let anon = anon.clone();
        async move {
            anon.sign_in_form(&[("username", "gina"), ("password", pw), ("next", next)])
                .await
        }
    };
    let bad = login("wrong password", "/").await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(
        bad.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .all(|c| !c.to_str().unwrap_or("").contains("otkeep_session")),
        "no session for a wrong password"
    );
    // Sign-in CSRF: a post without the form's token (or with another one) is refused.
    let forged = anon
        .form(
            "/login",
            &[("username", "gina"), ("password", TEST_PASSWORD)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("sign-in form expired"));
    let forged = anon
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, "otkeep_login=aaaa")
                .body(Body::from(format!(
                    "username=gina&password={}&_login_csrf=bbbb",
                    TEST_PASSWORD.replace(' ', "+")
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let first = login(TEST_PASSWORD, "/zones").await;
    assert_eq!(
        (first.status, first.location()),
        (StatusCode::SEE_OTHER, "/zones")
    );
    let cookie = first.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    assert!(
        !cookie.contains("Max-Age"),
        "a browser-session cookie: {cookie}"
    );
    let second = login(TEST_PASSWORD, "//evil.example/").await;
    assert_eq!(second.location(), "/", "no open redirect");
    let token = |a: &Answer| {
        a.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .split_once('=')
            .unwrap()
            .1
            .to_string()
    };
    let (t1, t2) = (token(&first), token(&second));
    assert_ne!(t1, t2, "each sign-in gets a new session id");
    // Signing out ends that session only.
    let policy = otkeep_store::AuthPolicy::default();
    let csrf = store
        .session(&t1, &policy)
        .await
        .unwrap()
        .unwrap()
        .csrf_token;
    let c1 = TestClient {
        credential: Credential::Session {
            cookie: t1.clone(),
            csrf,
        },
        ..anon.clone()
    };
    assert_eq!(c1.get("/zones").await.status, StatusCode::OK);
    let out = c1.form("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        out.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let a = c1.get("/zones").await;
    assert_eq!(
        a.location(),
        "/login?next=%2Fzones",
        "the old cookie is dead"
    );
    assert!(store.session(&t2, &policy).await.unwrap().is_some());
    let acts: Vec<String> = store
        .recent_events(50, &otkeep_core::access::Scope::All)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in ["login", "login_failed", "logout"] {
        assert!(acts.contains(&action.to_string()), "{action} audited");
    }
}

async fn first_sign_in_forces_a_password_change(store: Arc<Store>) {
    let (user, one_time) = store.ensure_first_admin().await.unwrap().unwrap();
    let c = TestClient::sign_in(store.clone(), &user, &one_time).await;
    let a = c.get("/assets").await;
    assert_eq!(
        (a.status, a.location()),
        (StatusCode::SEE_OTHER, "/account/password")
    );
    let a = c.json("GET", "/api/v1/assets", Value::Null).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = c.get("/account/password").await;
    assert!(a.body.contains("one-time password"));
    let a = c
        .form(
            "/account/password",
            &[
                ("current", &one_time),
                ("password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("at least 12"));
    let a = c
        .form(
            "/account/password",
            &[
                ("current", &one_time),
                ("password", &one_time),
                ("confirm", &one_time),
            ],
        )
        .await;
    assert!(
        a.body.contains("used recently"),
        "the one-time password cannot be kept"
    );
    let new = "my own long passphrase";
    let a = c
        .form(
            "/account/password",
            &[("current", &one_time), ("password", new), ("confirm", new)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(
        a.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("otkeep_session=")
    );
    // The old session ended with the change; the new password works and nothing is forced.
    assert_eq!(c.get("/assets").await.location(), "/login?next=%2Fassets");
    let fresh = TestClient::sign_in(store.clone(), &user, new).await;
    assert_eq!(fresh.get("/assets").await.status, StatusCode::OK);
}

async fn api_tokens_authenticate_with_their_scope_until_revoked(store: Arc<Store>) {
    let p = plant(store.clone()).await;
    let eng = TestClient::user(
        store.clone(),
        "hank",
        &[grant(Role::SiteEngineer, Some(p.site_a))],
    )
    .await;
    // Created on the account page: the secret is shown once.
    let a = eng
        .form(
            "/account/tokens",
            &[("name", "reader"), ("scope", "read"), ("days", "30")],
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let secret = a
        .body
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("secret shown")
        .to_string();
    assert!(secret.starts_with("otk_"));
    assert!(
        !eng.get("/account").await.body.contains(&secret),
        "shown only once"
    );
    let reader = eng.with_bearer(&secret);
    let a = reader.json("GET", "/api/v1/assets", Value::Null).await;
    assert_eq!(
        (a.status, a.json()["total"].as_i64()),
        (StatusCode::OK, Some(2)),
        "site scope applies"
    );
    let a = reader.json("GET", "/api/v1/me", Value::Null).await;
    assert_eq!(a.json()["via"]["scope"], "read");
    let a = reader
        .json(
            "DELETE",
            &format!("/api/v1/assets/{}?version=1", p.asset_a),
            Value::Null,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "read scope cannot write");
    // A read-write token made over the API writes, without any CSRF token.
    let a = eng
        .json(
            "POST",
            "/api/v1/me/tokens",
            json!({"name": "writer", "scope": "read-write", "expires_in_days": 7}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let writer_id = a.json()["id"].as_i64().unwrap();
    let writer = eng.with_bearer(a.json()["secret"].as_str().unwrap());
    let mut asset = writer
        .json("GET", &format!("/api/v1/assets/{}", p.asset_a), Value::Null)
        .await
        .json();
    asset["vendor"] = json!("Siemens");
    let a = writer
        .json("PUT", &format!("/api/v1/assets/{}", p.asset_a), asset)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["version"], 2);
    let a = writer
        .json("POST", "/api/v1/me/tokens", json!({"name": "more"}))
        .await;
    assert_eq!(
        a.status,
        StatusCode::FORBIDDEN,
        "a token cannot mint tokens"
    );
    let a = eng
        .json(
            "POST",
            "/api/v1/me/tokens",
            json!({"name": "x", "expires_in_days": 9999}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Revoked: 401 from then on.
    let a = eng
        .json(
            "DELETE",
            &format!("/api/v1/me/tokens/{writer_id}"),
            Value::Null,
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = writer.json("GET", "/api/v1/assets", Value::Null).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let listed = eng
        .json("GET", "/api/v1/me/tokens", Value::Null)
        .await
        .json();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|t| t.get("secret").is_none()));
    assert!(
        items
            .iter()
            .any(|t| t["name"] == "reader" && t["last_used_at"].is_string())
    );
    // An administrator revokes another user's token from the user page.
    let hank = store.account_by_name("hank").await.unwrap().unwrap();
    let reader_id = items.iter().find(|t| t["name"] == "reader").unwrap()["id"]
        .as_i64()
        .unwrap();
    let a = p
        .admin
        .form(
            &format!("/admin/users/{}/tokens/{reader_id}/revoke", hank.id),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reader.json("GET", "/api/v1/me", Value::Null).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn signatures_need_the_password_and_show_when_content_changed(store: Arc<Store>) {
    let p = plant(store.clone()).await;
    let eng = TestClient::user(
        store.clone(),
        "ivy",
        &[grant(Role::SiteEngineer, Some(p.site_a))],
    )
    .await;
    let zone = format!("/zones/{}", p.zone_a);
    let page = eng.get(&format!("{zone}/sign")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Approved"));
    let a = eng
        .form(
            &format!("{zone}/sign"),
            &[
                ("_version", "1"),
                ("meaning", "approved"),
                ("password", "not my password"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("nothing was signed"));
    let a = eng
        .form(
            &format!("{zone}/sign"),
            &[
                ("_version", "1"),
                ("meaning", "signed-ish"),
                ("password", TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "meaning must be one of the four"
    );
    let a = eng
        .form(
            &format!("{zone}/sign"),
            &[
                ("_version", "1"),
                ("meaning", "approved"),
                ("password", TEST_PASSWORD),
                ("comment", "Zone boundary reviewed with ops"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let detail = eng.get(&zone).await.body;
    assert!(detail.contains("Signatures") && detail.contains("Approved") && detail.contains("ivy"));
    assert!(detail.contains("matches") && detail.contains("Zone boundary reviewed"));
    let history = eng.get(&format!("{zone}/history")).await.body;
    assert!(history.contains("sign"));
    // An edit after signing shows the signature no longer matches.
    let mut z = eng
        .json("GET", &format!("/api/v1/zones/{}", p.zone_a), Value::Null)
        .await
        .json();
    z["owner"] = json!("someone else");
    assert_eq!(
        eng.json("PUT", &format!("/api/v1/zones/{}", p.zone_a), z)
            .await
            .status,
        StatusCode::OK
    );
    let detail = eng.get(&zone).await.body;
    assert!(detail.contains("changed since signing"));
    let sigs = eng
        .json(
            "GET",
            &format!("/api/v1/zones/{}/signatures", p.zone_a),
            Value::Null,
        )
        .await
        .json();
    assert_eq!(sigs["items"][0]["valid"], false);
    assert_eq!(sigs["items"][0]["meaning"], "approved");
    // Signing the stale version over the API is a conflict; the current one works.
    let a = eng
        .json(
            "POST",
            &format!("/api/v1/zones/{}/signatures", p.zone_a),
            json!({"meaning": "reviewed", "password": TEST_PASSWORD, "version": 1}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    let a = eng
        .json(
            "POST",
            &format!("/api/v1/zones/{}/signatures", p.zone_a),
            json!({"meaning": "reviewed", "password": TEST_PASSWORD, "version": 2}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    // Operators cannot sign.
    let op = TestClient::user(
        store.clone(),
        "olaf",
        &[grant(Role::Operator, Some(p.site_a))],
    )
    .await;
    assert_eq!(
        op.get(&format!("{zone}/sign")).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        !op.get(&zone).await.body.contains("/sign\""),
        "no sign button"
    );
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
}

async fn vendors_see_only_their_granted_assets(store: Arc<Store>) {
    let p = plant(store.clone()).await;
    let v = TestClient::user(
        store.clone(),
        "vendor-x",
        &[Grant {
            role: Role::Vendor,
            site: None,
            asset: Some(p.asset_a),
        }],
    )
    .await;
    let a = v.get("/assets").await;
    assert!(a.body.contains("ALPHA-PLC") && !a.body.contains("BRAVO-PLC"));
    assert!(!a.body.contains("href=\"/zones\""), "no zone navigation");
    assert_eq!(
        v.get(&format!("/assets/{}", p.asset_a)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        v.get(&format!("/assets/{}", p.asset_b)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(v.get("/zones").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        v.get(&format!("/zones/{}", p.zone_a)).await.status,
        StatusCode::NOT_FOUND
    );
    let a = v.json("GET", "/api/v1/assets", Value::Null).await;
    assert_eq!(a.json()["total"], 1);
    let a = v.get("/").await;
    assert!(!a.body.contains("AAA"), "no site cards for vendors");
    // The administrator sees the grant on the user page, and every grant is audited.
    let vid = store.account_by_name("vendor-x").await.unwrap().unwrap().id;
    let page = p.admin.get(&format!("/admin/users/{vid}")).await.body;
    assert!(
        page.contains("Vendor on site AAA, asset ALPHA-PLC"),
        "{page}"
    );
}
