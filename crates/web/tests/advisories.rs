//! Security advisories over HTTP, on SQLite and PostgreSQL: upload of CSAF files, the list and
//! its filters, the advisory page with affected assets, triage from the page and the API, the
//! asset page, and what another site's engineer sees.

use axum::http::StatusCode;
use otkeep_core::access::Role;
use otkeep_store::Store;
use otkeep_web::testing::{Answer, TestClient, grant};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(advisories_are_uploaded_matched_and_triaged);

fn corpus(file: &str) -> String {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/csaf/2023")
        .join(file);
    std::fs::read_to_string(p).unwrap()
}

async fn upload(c: &TestClient, files: &[(&str, String)]) -> Answer {
    let boundary = "otkeepBoundary7";
    let mut body = String::new();
    for (name, content) in files {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/json\r\n\r\n{content}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let req = axum::http::Request::post(format!("/advisories/upload?_csrf={}", c.csrf()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(axum::body::Body::from(body))
        .unwrap();
    c.send(req).await
}

fn created(a: Answer) -> i64 {
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()["id"].as_i64().unwrap()
}

async fn advisories_are_uploaded_matched_and_triaged(store: Arc<Store>) {
    let admin = TestClient::admin(store.clone(), "lead").await;
    let mut sites = Vec::new();
    for code in ["FRA1", "KAL1"] {
        let site = created(
            admin
                .json(
                    "POST",
                    "/api/v1/sites",
                    json!({"code": code, "name": code, "time_zone": "UTC"}),
                )
                .await,
        );
        let zone = created(
            admin
                .json(
                    "POST",
                    "/api/v1/zones",
                    json!({"site_id": site, "name": "Control", "owner": "o"}),
                )
                .await,
        );
        sites.push((site, zone));
    }
    let asset = |site: (i64, i64), name: &str, vendor: &str, model: &str, fw: &str| {
        json!({"site_id": site.0, "zone_id": site.1, "name": name, "asset_type": "network_switch",
               "criticality": "high", "owner": "o", "lifecycle": "operational",
               "vendor": vendor, "model": model, "firmware_version": fw})
    };
    let fra_nms = created(
        admin
            .json(
                "POST",
                "/api/v1/assets",
                asset(sites[0], "FRA-NMS", "Hitachi Energy", "UNEM", "R15B"),
            )
            .await,
    );
    let kal_nms = created(
        admin
            .json(
                "POST",
                "/api/v1/assets",
                asset(sites[1], "KAL-NMS", "Hitachi Energy Ltd", "UNEM", "R14A"),
            )
            .await,
    );

    // Upload: two advisories and a broken file; the broken one is named, the rest imported.
    let a = upload(
        &admin,
        &[
            ("icsa-23-005-01.json", corpus("icsa-23-005-01.json")),
            ("icsa-23-348-12.json", corpus("icsa-23-348-12.json")),
            ("broken.json", "{\"document\": 3}".to_string()),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        a.body
            .contains("2 new advisories, 0 updated, 0 ignored, 1 failed; 2 matches with assets."),
        "{}",
        a.body
    );
    assert!(
        a.body.contains("Failed broken.json: document:"),
        "{}",
        a.body
    );

    // The list shows what affects my assets; all of them on request; filters.
    let list = admin.get("/advisories").await.body;
    assert!(list.contains("ICSA-23-005-01") && !list.contains("ICSA-23-348-12"));
    let all = admin.get("/advisories?show=all").await.body;
    assert!(all.contains("ICSA-23-348-12"));
    let api = admin
        .json(
            "GET",
            "/api/v1/advisories?show=all&q=cve-2021-40341",
            Value::Null,
        )
        .await
        .json();
    assert_eq!(api["total"], 1);
    assert_eq!(api["items"][0]["tracking_id"], "ICSA-23-005-01");
    let id = api["items"][0]["id"].as_i64().unwrap();
    assert_eq!(api["items"][0]["matches"], 2);

    // The advisory page: both sites' assets for the admin, with the reason.
    let page = admin.get(&format!("/advisories/{id}")).await.body;
    assert!(page.contains("FRA-NMS") && page.contains("KAL-NMS"));
    assert!(page.contains("firmware R15B in = R15B"), "{page}");
    assert!(page.contains("CVE-2021-40341"));

    // An engineer of KAL1 sees only KAL1's asset and cannot triage FRA1's match.
    let kal = TestClient::user(
        store.clone(),
        "kal",
        &[grant(Role::SiteEngineer, Some(sites[1].0))],
    )
    .await;
    let theirs = kal.get(&format!("/advisories/{id}")).await.body;
    assert!(theirs.contains("KAL-NMS") && !theirs.contains("FRA-NMS"));
    let matches = admin
        .json("GET", &format!("/api/v1/advisories/{id}"), Value::Null)
        .await
        .json()["matches"]
        .as_array()
        .unwrap()
        .clone();
    let fra_match = matches.iter().find(|m| m["asset_id"] == fra_nms).unwrap()["id"]
        .as_i64()
        .unwrap();
    let kal_match = matches.iter().find(|m| m["asset_id"] == kal_nms).unwrap()["id"]
        .as_i64()
        .unwrap();
    let denied = kal
        .form(
            &format!("/advisories/matches/{fra_match}"),
            &[("status", "under_review"), ("version", "1")],
        )
        .await;
    assert_eq!(denied.status, StatusCode::NOT_FOUND);

    // Triage from the page: under review, then "not affected" needs a justification.
    let uri = format!("/advisories/matches/{kal_match}");
    let a = kal
        .form(&uri, &[("status", "under_review"), ("version", "1")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = kal
        .form(&uri, &[("status", "not_affected"), ("version", "2")])
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("say why the asset is not affected"));
    let a = kal
        .form(&uri, &[("status", "affected"), ("version", "2")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    // Risk accepted needs an exception of the same site.
    let exception = created(
        kal.json(
            "POST",
            "/api/v1/exceptions",
            json!({"site_id": sites[1].0, "name": "UNEM until R16", "assets": [kal_nms],
                   "justification": "Upgrade with the next outage", "compensating_controls": "NMS isolated",
                   "residual_risk": "low", "requested_by": "kal", "expiry_date": "2030-01-01",
                   "review_interval_days": 90}),
        )
        .await,
    );
    let link = format!("exception:{exception}");
    let a = kal
        .form(
            &uri,
            &[
                ("status", "risk_accepted"),
                ("version", "3"),
                ("link", link.as_str()),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let asset_page = kal.get(&format!("/assets/{kal_nms}")).await.body;
    assert!(asset_page.contains("ICSA-23-005-01") && asset_page.contains("Risk accepted"));

    // Over the API: stale versions are refused; a remediation needs a treatment action.
    let api_uri = format!("/api/v1/advisory-matches/{fra_match}/triage");
    let a = admin
        .json(
            "POST",
            &api_uri,
            json!({"status": "affected", "version": 7}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    let a = admin
        .json(
            "POST",
            &api_uri,
            json!({"status": "affected", "version": 1}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["status"], "affected");
    let a = admin
        .json(
            "POST",
            &api_uri,
            json!({"status": "remediation_planned", "version": 2}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["error"]["field"], "link");
    let action = created(
        admin
            .json(
                "POST",
                "/api/v1/treatments",
                json!({"site_id": sites[0].0, "name": "Upgrade UNEM to R16A", "owner": "lead",
                       "due_date": "2030-03-31", "status": "planned"}),
            )
            .await,
    );
    let a = admin
        .json(
            "POST",
            &api_uri,
            json!({"status": "remediation_planned", "version": 2, "link": {"kind": "treatment", "id": action}}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let open = admin
        .json(
            "GET",
            "/api/v1/advisories?status=remediation_planned",
            Value::Null,
        )
        .await
        .json();
    assert_eq!(open["total"], 1);
    // The audit trail has the triage steps.
    let audit = admin.json("GET", "/api/v1/audit", Value::Null).await.body;
    assert!(audit.contains("advisory_match"), "{audit}");

    // Vendor aliases: only who may write everywhere adds them; matching follows at once.
    let rebadged = created(
        admin
            .json(
                "POST",
                "/api/v1/assets",
                asset(sites[1], "KAL-NMS-2", "Grid Controls Co", "UNEM", "R15B"),
            )
            .await,
    );
    let denied = kal
        .form(
            "/advisories/aliases",
            &[("alias", "Grid Controls Co"), ("vendor", "Hitachi Energy")],
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let a = admin
        .form(
            "/advisories/aliases",
            &[("alias", "Grid Controls Co"), ("vendor", "Hitachi Energy")],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.body.contains("is now read as &#39;Hitachi Energy&#39;")
            || a.body.contains("is now read as 'Hitachi Energy'"),
        "{}",
        a.body
    );
    assert!(
        kal.get(&format!("/assets/{rebadged}"))
            .await
            .body
            .contains("ICSA-23-005-01")
    );

    // An approved exception is re-opened when its asset gets a new critical advisory.
    let controller = created(
        admin
            .json(
                "POST",
                "/api/v1/assets",
                asset(sites[1], "KAL-TRAFFIC", "Econolite", "EOS", "3.2.10"),
            )
            .await,
    );
    let legacy = created(
        kal.json(
            "POST",
            "/api/v1/exceptions",
            json!({"site_id": sites[1].0, "name": "Old controller", "assets": [controller],
                   "justification": "j", "compensating_controls": "c", "residual_risk": "low",
                   "requested_by": "kal", "expiry_date": "2030-01-01", "review_interval_days": 90}),
        )
        .await,
    );
    let sign = kal
        .json(
            "POST",
            &format!("/api/v1/exceptions/{legacy}/signatures"),
            json!({"meaning": "approved", "password": otkeep_store::testing::TEST_PASSWORD, "version": 1}),
        )
        .await;
    assert_eq!(sign.status, StatusCode::CREATED, "{}", sign.body);
    assert!(
        kal.get(&format!("/exceptions/{legacy}"))
            .await
            .body
            .contains("approved by kal")
    );
    // ICSA-23-026-02: Econolite EOS below 3.2.23, CVSS 9.8.
    let a = upload(
        &admin,
        &[("icsa-23-026-02.json", corpus("icsa-23-026-02.json"))],
    )
    .await;
    assert!(a.body.contains("1 new advisories"), "{}", a.body);
    let page = kal.get(&format!("/exceptions/{legacy}")).await.body;
    assert!(page.contains("re-opened"), "{page}");
}
