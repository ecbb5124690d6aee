//! SBOMs over HTTP, on SQLite and PostgreSQL: upload attached to an asset or a model, the
//! advisories naming their components, the difference of two versions, the asset page, site
//! isolation and the API.

use axum::http::StatusCode;
use otkeep_core::access::Role;
use otkeep_store::Store;
use otkeep_web::testing::{Answer, TestClient, grant};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(sboms_are_uploaded_compared_and_matched);

fn shared(path: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(path)
}

async fn upload(c: &TestClient, file: &str, content: &str, fields: &[(&str, &str)]) -> Answer {
    let boundary = "otkeepSbom9";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file}\"\r\nContent-Type: application/json\r\n\r\n{content}\r\n--{boundary}--\r\n"
    ));
    let req = axum::http::Request::post(format!("/sboms/upload?_csrf={}", c.csrf()))
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

async fn sboms_are_uploaded_compared_and_matched(store: Arc<Store>) {
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
    let other = created(
        admin
            .json(
                "POST",
                "/api/v1/sites",
                json!({"code": "KAL1", "name": "K", "time_zone": "UTC"}),
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
    let gateway = created(
        admin
            .json(
                "POST",
                "/api/v1/assets",
                json!({"site_id": site, "zone_id": zone, "name": "GW-1", "asset_type": "protocol_gateway",
                       "criticality": "high", "owner": "o", "lifecycle": "operational",
                       "vendor": "Acme", "model": "Gateway 3", "firmware_version": "3.1"}),
            )
            .await,
    );
    let csaf = shared("csaf/2023/icsa-23-005-01.json");
    otkeep_ingest::import_csaf_files(&admin.state.store, &[csaf], "lead", &mut |_| {})
        .await
        .unwrap();

    // The gateway's SBOM names a Hitachi Energy UNEM R15B component: the advisory shows.
    let sbom = json!({"bomFormat": "CycloneDX", "specVersion": "1.5",
        "metadata": {"component": {"type": "firmware", "name": "Gateway 3 firmware", "version": "3.1"}},
        "components": [
            {"type": "application", "name": "UNEM", "version": "R15B", "supplier": {"name": "Hitachi Energy"}},
            {"type": "library", "name": "openssl", "version": "1.1.1k", "purl": "pkg:generic/openssl@1.1.1k"}
        ]})
    .to_string();
    let gw = gateway.to_string();
    let a = upload(
        &admin,
        "gateway.cdx.json",
        &sbom,
        &[("asset_id", gw.as_str())],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page_uri = a.location().to_string();
    let page = admin.get(&page_uri).await.body;
    assert!(page.contains("Gateway 3 firmware") && page.contains("openssl"));
    assert!(
        page.contains("ICSA-23-005-01") && page.contains("UNEM R15B"),
        "{page}"
    );
    let asset_page = admin.get(&format!("/assets/{gateway}")).await.body;
    assert!(asset_page.contains(&page_uri), "the asset lists its SBOM");

    // Two versions of a product attached to its model, and what changed between them.
    let old = std::fs::read_to_string(shared("sbom/cyclonedx/sbom-proton-bridge-v1.6.3.cdx.json"))
        .unwrap();
    let new = std::fs::read_to_string(shared("sbom/cyclonedx/sbom-proton-bridge-v1.8.0.cdx.json"))
        .unwrap();
    let model = [
        ("vendor", "Proton"),
        ("model", "Bridge"),
        ("firmware", "1.6.3"),
    ];
    let a = upload(&admin, "bridge-1.6.3.cdx.json", &old, &model).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let first: i64 = a.location().trim_start_matches("/sboms/").parse().unwrap();
    let a = upload(
        &admin,
        "bridge-1.8.0.cdx.json",
        &new,
        &[
            ("vendor", "Proton"),
            ("model", "Bridge"),
            ("firmware", "1.8.0"),
        ],
    )
    .await;
    let second: i64 = a.location().trim_start_matches("/sboms/").parse().unwrap();
    let diff = admin
        .get(&format!("/sboms/{first}/diff?with={second}"))
        .await
        .body;
    assert!(diff.contains("changed version"), "{diff}");
    let changed = |body: &str| -> usize {
        body.split("<section class=\"panel\" id=\"changed\">")
            .nth(1)
            .map_or(0, |s| {
                s.split("</section>")
                    .next()
                    .unwrap_or("")
                    .matches("<tr><td>")
                    .count()
            })
    };
    assert!(changed(&diff) > 0, "{diff}");
    // Without ?with= it compares with the other SBOM of the same product.
    assert_eq!(
        changed(&admin.get(&format!("/sboms/{first}/diff")).await.body),
        changed(&diff)
    );

    // A broken file names the place; nothing is stored.
    let a = upload(
        &admin,
        "bad.json",
        "{\"bomFormat\": \"CycloneDX\", \"specVersion\": 5}",
        &[("asset_id", gw.as_str())],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("bad.json: specVersion"), "{}", a.body);
    // Neither an asset nor a model: refused.
    let a = upload(&admin, "x.cdx.json", &sbom, &[]).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("attach the SBOM to an asset"), "{}", a.body);

    // Another site's engineer sees the model SBOMs, not the gateway's.
    let kal = TestClient::user(
        store.clone(),
        "kal",
        &[grant(Role::SiteEngineer, Some(other))],
    )
    .await;
    assert_eq!(kal.get(&page_uri).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        kal.get(&format!("/sboms/{first}")).await.status,
        StatusCode::OK
    );
    let theirs = kal.json("GET", "/api/v1/sboms", Value::Null).await.json();
    assert_eq!(theirs["total"], 2);
    // Nor may they attach one to it.
    let a = upload(&kal, "gw.cdx.json", &sbom, &[("asset_id", gw.as_str())]).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    let api = admin
        .json("GET", &format!("/api/v1/sboms/{first}"), Value::Null)
        .await
        .json();
    assert_eq!(api["sbom"]["components"], 201);
    assert_eq!(api["components"].as_array().unwrap().len(), 201);
    let all = admin.json("GET", "/api/v1/sboms", Value::Null).await.json();
    assert_eq!(all["total"], 3);
    let audit = admin.json("GET", "/api/v1/audit", Value::Null).await.body;
    assert!(audit.contains("\"sbom\""), "SBOM imports are audited");
}
