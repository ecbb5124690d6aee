//! Document control over HTTP, on SQLite and PostgreSQL: versions move draft → in review →
//! approved (only once signed) → effective, superseding the previous one; a file's SHA-256 is
//! recorded on upload and changing it voids the approval; Markdown bodies render without
//! script; periodic reviews are due; the coverage view shows which requirements documents and
//! records evidence, and which nothing does; the sign page suggests the RACI's approver.

use axum::http::StatusCode;
use otkeep_core::access::Role;
use otkeep_store::Store;
use otkeep_store::testing::TEST_PASSWORD;
use otkeep_web::testing::{Answer, TestClient, grant};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(
    document_versions_are_approved_by_signature_and_supersede,
    coverage_shows_documents_records_and_gaps
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

async fn upload(c: &TestClient, id: i64, name: &str, content: &str) -> Answer {
    let boundary = "otkeepBoundary9";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    let req = axum::http::Request::post(format!(
        "/document-versions/{id}/evidence?_csrf={}",
        c.csrf()
    ))
    .header(
        "content-type",
        format!("multipart/form-data; boundary={boundary}"),
    )
    .body(axum::body::Body::from(body))
    .unwrap();
    c.send(req).await
}

async fn document_versions_are_approved_by_signature_and_supersede(store: Arc<Store>) {
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
    let engineer = TestClient::user(
        store.clone(),
        "eng",
        &[grant(Role::SiteEngineer, Some(site))],
    )
    .await;
    let operator =
        TestClient::user(store.clone(), "op", &[grant(Role::Operator, Some(site))]).await;
    // The RACI matrix: security is accountable for document review; Erin holds that role.
    for v in [
        json!({"site_id": site, "person": "Erin Security", "role": "security"}),
        json!({"site_id": site, "person": "Sam Engineer", "role": "engineering"}),
    ] {
        created(admin.json("POST", "/api/v1/role-assignments", v).await);
    }
    created(
        admin
            .json(
                "POST",
                "/api/v1/raci",
                json!({"site_id": site, "activity": "document_review", "role": "security",
                       "responsibility": "accountable"}),
            )
            .await,
    );
    let doc = created(
        admin
            .json(
                "POST",
                "/api/v1/documents",
                json!({"site_id": site, "key": "ot-pol-001", "title": "OT security policy",
                       "category": "policy", "domain": "ot_security", "scope": "corporate",
                       "owner": "Erin Security", "requirements": "SR 1.1, SR 2.1",
                       "review_interval_days": 365}),
            )
            .await,
    );
    // Keys are stored upper-case; requirements must exist.
    let d = admin.get(&format!("/api/v1/documents/{doc}")).await.json();
    assert_eq!(d["key"], "OT-POL-001");
    let bad = admin
        .json(
            "POST",
            "/api/v1/documents",
            json!({"site_id": site, "key": "OT-PRO-001", "title": "x", "category": "procedure",
                   "domain": "ot_security", "scope": "site", "owner": "o", "requirements": "SR 9.9"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("SR 9.9"), "{}", bad.body);
    // A site annex completes a corporate document, not a site one.
    let annex = created(
        admin
            .json(
                "POST",
                "/api/v1/documents",
                json!({"site_id": site, "key": "OT-POL-001-FRA1", "title": "Policy annex Frankfurt",
                       "category": "policy", "domain": "ot_security", "scope": "site",
                       "template_id": doc, "owner": "Sam Engineer"}),
            )
            .await,
    );
    let bad = admin
        .json(
            "POST",
            "/api/v1/documents",
            json!({"site_id": site, "key": "OT-X", "title": "x", "category": "policy",
                   "domain": "ot_security", "scope": "site", "template_id": annex, "owner": "o"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("corporate document"), "{}", bad.body);

    // A diagram names the zones it shows; the zone's page lists it.
    let zone = created(
        admin
            .json(
                "POST",
                "/api/v1/zones",
                json!({"site_id": site, "name": "Filling control", "sl_t": [2, 2, 2, 2, 2, 2, 2],
                       "owner": "Sam Engineer"}),
            )
            .await,
    );
    created(
        admin
            .json(
                "POST",
                "/api/v1/documents",
                json!({"site_id": site, "key": "FRA1-DRW-001", "title": "Logical network diagram",
                       "category": "diagram_logical", "domain": "ot_security", "scope": "site",
                       "owner": "Sam Engineer", "zones": [zone]}),
            )
            .await,
    );
    let page = admin.get(&format!("/zones/{zone}")).await.body;
    assert!(page.contains("FRA1-DRW-001"), "{page}");

    // Version 1.0: a Markdown body with an attempt at script.
    let v1 = created(
        admin
            .json(
                "POST",
                "/api/v1/document-versions",
                json!({"site_id": site, "document_id": doc, "number": "1.0", "status": "draft",
                       "author": "Erin Security",
                       "body": "# Purpose\n\nProtect the plant. <script>alert(1)</script> [x](javascript:alert(2))"}),
            )
            .await,
    );
    let page = admin.get(&format!("/document-versions/{v1}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Purpose</h1>"), "{}", page.body);
    assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
    assert!(!page.body.contains("href=\"javascript"), "{}", page.body);
    // It cannot jump to effective, nor be approved without a signature.
    let a = put(
        &admin,
        &format!("/api/v1/document-versions/{v1}"),
        json!({"status": "effective", "effective_on": day(-200)}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let a = put(
        &admin,
        &format!("/api/v1/document-versions/{v1}"),
        json!({"status": "in_review"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = put(
        &admin,
        &format!("/api/v1/document-versions/{v1}"),
        json!({"status": "approved"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("sign it as approved first"), "{}", a.body);
    // The sign page suggests the RACI's accountable person.
    let sign_page = engineer.get(&format!("/document-versions/{v1}/sign")).await;
    assert_eq!(sign_page.status, StatusCode::OK);
    assert!(
        sign_page.body.contains("Erin Security"),
        "{}",
        sign_page.body
    );
    let sign = async |c: &TestClient, id: i64| {
        let version = c
            .get(&format!("/api/v1/document-versions/{id}"))
            .await
            .json()["version"]
            .as_i64()
            .unwrap();
        c.json(
            "POST",
            &format!("/api/v1/document-versions/{id}/signatures"),
            json!({"meaning": "approved", "password": TEST_PASSWORD, "version": version}),
        )
        .await
    };
    assert_eq!(sign(&operator, v1).await.status, StatusCode::FORBIDDEN);
    assert_eq!(sign(&engineer, v1).await.status, StatusCode::CREATED);
    // The batched reading of approvals (the due engine's) agrees with the one-record reading.
    let record = store
        .get(&otkeep_core::doc_kinds::DOCUMENT_VERSION_KIND, v1)
        .await
        .unwrap()
        .unwrap();
    let one = store.change_approvals(&record).await.unwrap();
    assert!(one[0].signed_by.is_some(), "{one:?}");
    assert_eq!(store.approvals_of(&[record]).await.unwrap()[&v1], one);
    for (status, extra) in [
        ("approved", json!({})),
        ("effective", json!({"effective_on": day(-400)})),
    ] {
        let mut patch = extra;
        patch["status"] = json!(status);
        let a = put(&admin, &format!("/api/v1/document-versions/{v1}"), patch).await;
        assert_eq!(a.status, StatusCode::OK, "{status}: {}", a.body);
    }
    // Its review fell due 365 days after it took effect.
    let due = admin.get("/api/v1/due").await.json();
    let found = due["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["kind"] == "document" && o["record_id"] == doc && o["due"] == day(-35));
    assert!(found, "{due}");
    let page = admin.get(&format!("/documents/{doc}")).await;
    assert!(
        page.body.contains("Effective: version 1.0"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("Next review due {}", day(-35))));

    // Version 2.0 as a file: uploaded, its hash recorded; a new file voids the approval.
    let v2 = created(
        admin
            .json(
                "POST",
                "/api/v1/document-versions",
                json!({"site_id": site, "document_id": doc, "number": "2.0", "status": "draft"}),
            )
            .await,
    );
    let a = upload(&admin, v2, "OT-POL-001 v2.pdf", "%PDF-1.4 policy v2").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let rec = admin
        .get(&format!("/api/v1/document-versions/{v2}"))
        .await
        .json();
    let sha = rec["file_sha256"].as_str().unwrap().to_string();
    assert_eq!(sha.len(), 64);
    assert_eq!(rec["file_name"], "OT-POL-001 v2.pdf");
    let file = operator.get(&format!("/evidence/{sha}")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, "%PDF-1.4 policy v2");
    put(
        &admin,
        &format!("/api/v1/document-versions/{v2}"),
        json!({"status": "in_review"}),
    )
    .await;
    assert_eq!(sign(&engineer, v2).await.status, StatusCode::CREATED);
    let a = upload(
        &admin,
        v2,
        "OT-POL-001 v2b.pdf",
        "%PDF-1.4 policy v2, edited",
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = put(
        &admin,
        &format!("/api/v1/document-versions/{v2}"),
        json!({"status": "approved"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(sign(&engineer, v2).await.status, StatusCode::CREATED);
    for (status, extra) in [
        ("approved", json!({})),
        ("effective", json!({"effective_on": day(0)})),
    ] {
        let mut patch = extra;
        patch["status"] = json!(status);
        let a = put(&admin, &format!("/api/v1/document-versions/{v2}"), patch).await;
        assert_eq!(a.status, StatusCode::OK, "{status}: {}", a.body);
    }
    // 1.0 is superseded, in the same transaction, with its own audit event.
    let old = admin
        .get(&format!("/api/v1/document-versions/{v1}"))
        .await
        .json();
    assert_eq!(old["status"], "superseded");
    let history = admin
        .get(&format!("/api/v1/document-versions/{v1}/history"))
        .await;
    assert!(history.body.contains("superseded"), "{}", history.body);
    // The review is now due a year after 2.0 took effect.
    let due = admin.get("/api/v1/due").await.json();
    assert!(
        due["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["kind"] == "document" && o["due"] == day(365)),
        "{due}"
    );
    // An IT policy reference with the OT deviation.
    created(
        admin
            .json(
                "POST",
                "/api/v1/it-references",
                json!({"site_id": site, "document_id": doc, "reference": "IT-SEC-004 Password policy",
                       "clause": "4.2", "deviation": "HMI operator accounts are shared per shift",
                       "reason": "Operators must take over a running HMI session"}),
            )
            .await,
    );
    let page = admin.get(&format!("/documents/{doc}")).await;
    assert!(
        page.body.contains("IT-SEC-004 Password policy"),
        "{}",
        page.body
    );
}

async fn coverage_shows_documents_records_and_gaps(store: Arc<Store>) {
    let admin = TestClient::admin(store.clone(), "lead").await;
    let mut sites = Vec::new();
    for code in ["HQ", "KAL1"] {
        sites.push(created(
            admin
                .json(
                    "POST",
                    "/api/v1/sites",
                    json!({"code": code, "name": code, "time_zone": "UTC"}),
                )
                .await,
        ));
    }
    let (hq, kal) = (sites[0], sites[1]);
    let doc = async |site: i64, key: &str, scope: &str, reqs: &str| {
        created(
            admin
                .json(
                    "POST",
                    "/api/v1/documents",
                    json!({"site_id": site, "key": key, "title": format!("{key} title"),
                           "category": "procedure", "domain": "ot_security", "scope": scope,
                           "owner": "o", "requirements": reqs}),
                )
                .await,
        )
    };
    let corporate = doc(hq, "OT-POL-001", "corporate", "SR 1.1").await;
    let local = doc(kal, "KAL-PRO-007", "site", "SR 2.8").await;
    let _draft_only = doc(kal, "KAL-PRO-008", "site", "SR 3.1").await;
    // Documents count once effective (created so, as imported history).
    for d in [corporate, local] {
        created(
            admin
                .json(
                    "POST",
                    "/api/v1/document-versions",
                    json!({"site_id": if d == corporate { hq } else { kal }, "document_id": d,
                           "number": "1", "status": "effective", "effective_on": day(-10),
                           "body": "text"}),
                )
                .await,
        );
    }
    // An engineer of KAL1 only: the corporate policy at HQ still covers KAL1.
    let engineer = TestClient::user(
        store.clone(),
        "eng",
        &[grant(Role::SiteEngineer, Some(kal))],
    )
    .await;
    let c = engineer.get("/api/v1/coverage?site=KAL1").await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let items = c.json()["items"].as_array().unwrap().clone();
    let row = |id: &str| {
        items
            .iter()
            .find(|r| r["requirement"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(row("SR 1.1")["documents"][0]["key"], "OT-POL-001");
    assert_eq!(row("SR 1.1")["evidenced"], true);
    assert_eq!(row("SR 2.8")["evidenced"], true);
    // A draft is mapped but evidences nothing yet.
    assert_eq!(row("SR 3.1")["documents"][0]["effective"], false);
    assert_eq!(row("SR 3.1")["evidenced"], false);
    assert_eq!(row("SR 5.1")["evidenced"], false);
    // HQ's view does not show KAL1's own documents.
    let hq_view = admin.get("/api/v1/coverage?site=HQ").await.json();
    let sr28 = hq_view["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requirement"] == "SR 2.8")
        .unwrap()
        .clone();
    assert_eq!(sr28["documents"], json!([]));
    // The page lists only the gaps when asked.
    let page = engineer
        .get(&format!("/coverage?site_id={kal}&gaps=1"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("SR 5.1"), "{}", page.body);
    assert!(page.body.contains("SR 3.1"));
    assert!(!page.body.contains(">SR 1.1<"), "{}", page.body);
}
