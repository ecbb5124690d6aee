//! The inventory of certificates and keys over HTTP, on SQLite and PostgreSQL: import from a
//! PEM file, weak keys flagged, expiry and rotation under What is due, site isolation.

use axum::http::StatusCode;
use otkeep_core::access::Role;
use otkeep_store::Store;
use otkeep_web::testing::{Answer, TestClient, grant};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(certificates_are_imported_flagged_and_due);

fn created(a: Answer) -> i64 {
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()["id"].as_i64().unwrap()
}

async fn import(c: &TestClient, site: i64, name: &str, bytes: &[u8]) -> Answer {
    let boundary = "otkeepCert3";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"site_id\"\r\n\r\n{site}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = axum::http::Request::post(format!("/certificates/import?_csrf={}", c.csrf()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(axum::body::Body::from(body))
        .unwrap();
    c.send(req).await
}

async fn certificates_are_imported_flagged_and_due(store: Arc<Store>) {
    let admin = TestClient::admin(store.clone(), "lead").await;
    let mut sites = Vec::new();
    for code in ["FRA1", "KAL1"] {
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
    let pem = std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../ingest/tests/fixtures/old-hmi-rsa1024.pem"),
    )
    .unwrap();
    let list = admin.get("/certificates").await.body;
    assert!(list.contains("Import a certificate"));
    let a = import(&admin, sites[0], "hmi.pem", &pem).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let id: i64 = a
        .location()
        .trim_start_matches("/certificates/")
        .trim_end_matches("?saved=1")
        .parse()
        .unwrap();
    let page = admin.get(&format!("/certificates/{id}")).await.body;
    assert!(page.contains("hmi-7.example.local"));
    assert!(page.contains("Weak: RSA key of 1024 bits"), "{page}");
    assert!(page.contains("SHA-1 is deprecated"), "{page}");

    // Rotation planned in the past: overdue under What is due; expiry listed too.
    let mut record = admin
        .json("GET", &format!("/api/v1/certificates/{id}"), Value::Null)
        .await
        .json();
    record["rotate_by"] = json!("2020-01-31");
    let a = admin
        .json("PUT", &format!("/api/v1/certificates/{id}"), record)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let due = admin
        .json("GET", "/api/v1/due?site=FRA1", Value::Null)
        .await
        .json();
    let whats: Vec<(&str, &str)> = due["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["what"].as_str().unwrap(), o["bucket"].as_str().unwrap()))
        .collect();
    assert!(whats.contains(&("rotate the key", "overdue")), "{whats:?}");
    assert!(
        whats
            .iter()
            .any(|(w, _)| *w == "certificate or key expires: renew it")
    );

    // Not a certificate: refused with the file named. Another site's engineer may not import
    // into this site.
    let a = import(&admin, sites[0], "notes.txt", b"hello").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.body.contains("notes.txt: not an X.509 certificate"),
        "{}",
        a.body
    );
    let kal = TestClient::user(
        store.clone(),
        "kal",
        &[grant(Role::SiteEngineer, Some(sites[1]))],
    )
    .await;
    assert_eq!(
        import(&kal, sites[0], "hmi.pem", &pem).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        kal.get(&format!("/certificates/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
}
