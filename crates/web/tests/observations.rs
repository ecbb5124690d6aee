//! Observed traffic over HTTP, on SQLite and PostgreSQL (issue 11): a capture uploaded for a
//! site (multipart, binary) is imported once, its findings appear on the page and in the API,
//! and other sites' readers cannot see it.

use axum::http::StatusCode;
use otkeep_core::access::Role;
use otkeep_store::Store;
use otkeep_web::testing::{Answer, TestClient, grant};
use serde_json::json;
use std::sync::Arc;

otkeep_store::on_both_backends!(a_capture_is_imported_and_reconciled_with_the_site);

async fn upload(c: &TestClient, site: i64, file: &str, content: &[u8]) -> Answer {
    c.upload(
        &format!("/observations/upload?site_id={site}"),
        &[],
        file,
        content,
    )
    .await
}

fn created(a: Answer) -> i64 {
    a.created_id()
}

async fn a_capture_is_imported_and_reconciled_with_the_site(store: Arc<Store>) {
    let admin = TestClient::admin(store.clone(), "lead").await;
    let site = created(
        admin
            .json(
                "POST",
                "/api/v1/sites",
                json!({"code": "GEN1", "name": "Genf", "time_zone": "Europe/Zurich"}),
            )
            .await,
    );
    let other = created(
        admin
            .json(
                "POST",
                "/api/v1/sites",
                json!({"code": "OSL1", "name": "Oslo", "time_zone": "Europe/Oslo"}),
            )
            .await,
    );
    let zone = created(
        admin
            .json(
                "POST",
                "/api/v1/zones",
                json!({"site_id": site, "name": "Cell", "owner": "OT lead", "sl_t": [1,1,1,1,1,1,1],
                       "subnets": "10.0.0.0/8"}),
            )
            .await,
    );
    let capture = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/pcap/iti--ModbusTCP--modbus_test_data_part1.pcap"),
    )
    .expect("shared capture");
    let a = upload(&admin, site, "cell.pcap", &capture).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = admin.get(a.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Imported: cell.pcap"), "{}", page.body);
    assert!(
        page.body.contains("unknown_device"),
        "devices not in the inventory"
    );
    assert!(page.body.contains("modbus"));
    // Each unknown device offers the asset form, prefilled with its address and zone.
    let add = page
        .body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with("/assets/new?"))
        .expect("an 'Add to the inventory' link")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert!(
        add.contains(&format!("site_id={site}")) && add.contains("ip_addresses=10."),
        "{add}"
    );
    let form = admin.get(&add).await;
    assert_eq!(form.status, StatusCode::OK);
    let ip_field = form
        .body
        .split("name=\"ip_addresses\"")
        .nth(1)
        .unwrap_or("")
        .chars()
        .take(200)
        .collect::<String>();
    assert!(
        ip_field.contains("10."),
        "the form is prefilled: {add} {ip_field}"
    );

    let api = admin.get("/api/v1/observations?site=gen1").await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let doc = api.json();
    assert_eq!(doc["imports"][0]["file_name"], "cell.pcap");
    assert_eq!(doc["imports"][0]["sha256"].as_str().map(str::len), Some(64));
    assert!(doc["imports"][0]["packets"].as_i64() > Some(100));
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "unknown_device"
                && f["message"].as_str().unwrap().contains("cell.pcap"))
    );

    // A finding dismissed with a reason leaves the list, stays dismissed, and is audited.
    let before = admin.get("/api/v1/observations?site=GEN1").await.json()["findings"]
        .as_array()
        .map_or(0, Vec::len);
    let key = page
        .body
        .split("name=\"key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a dismiss form")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#61;", "=")
        .replace("&#124;", "|");
    let rule = key.split('|').next().unwrap_or("").to_string();
    let empty = admin
        .form(
            &format!("/observations/dismiss?site_id={site}"),
            &[("key", &key), ("rule", &rule), ("reason", " ")],
        )
        .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    let done = admin
        .form(
            &format!("/observations/dismiss?site_id={site}"),
            &[
                ("key", &key),
                ("rule", &rule),
                ("reason", "Test bench PC, removed next week"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = admin.get("/api/v1/observations?site=GEN1").await.json()["findings"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(after, before - 1);
    let listed = admin
        .get(&format!("/observations?site_id={site}"))
        .await
        .body;
    assert!(listed.contains("Test bench PC, removed next week"));
    let audit = admin.get("/api/v1/audit").await.body;
    assert!(audit.contains("dismiss"), "the dismissal is audited");

    // The site's and the zone's pages say how many findings concern them.
    let site_page = admin.get(&format!("/sites/{site}")).await.body;
    assert!(site_page.contains("Observed traffic: "), "{site_page}");
    let zone_page = admin.get(&format!("/zones/{zone}")).await.body;
    assert!(zone_page.contains("Observed traffic: "));

    // A firewall ruleset uploaded the same way is checked against the zones.
    let pfsense = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/topology/grficsv2/pfsense-config-20200129.xml"),
    )
    .expect("pfSense sample");
    let fw = upload(&admin, site, "pfsense.xml", &pfsense).await;
    assert_eq!(fw.status, StatusCode::SEE_OTHER, "{}", fw.body);
    let listed = admin
        .get(&format!("/observations?site_id={site}"))
        .await
        .body;
    assert!(
        listed.contains("firewall ruleset of 2 rules") || listed.contains("fw_any_rule"),
        "{listed}"
    );
    let doc = admin.get("/api/v1/observations?site=GEN1").await.json();
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "fw_any_rule"),
        "{doc:#}"
    );
    let again = upload(&admin, site, "pfsense.xml", &pfsense).await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the same ruleset twice"
    );

    // The model health check lists them with the model rules.
    let model = admin.get(&format!("/model?site_id={site}")).await;
    assert!(
        model
            .body
            .contains("Devices seen that are not in the inventory"),
        "{}",
        model.body
    );
    assert!(
        !model.body.contains("Traffic between zones with no conduit"),
        "rules without findings are not shown"
    );

    // The same file again is refused; a file that is no capture is refused, naming it.
    let again = upload(&admin, site, "again.pcap", &capture).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("already imported"), "{}", again.body);
    let text = upload(&admin, site, "notes.pcap", b"just some text, not a capture").await;
    assert_eq!(text.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.body.contains("notes.pcap"), "{}", text.body);

    // Readers of another site see neither the site nor its traffic; auditors cannot import.
    let oslo = TestClient::user(
        store.clone(),
        "olav",
        &[grant(Role::SiteEngineer, Some(other))],
    )
    .await;
    assert_eq!(
        oslo.get(&format!("/observations?site_id={site}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        oslo.get("/api/v1/observations?site=GEN1").await.status,
        StatusCode::NOT_FOUND
    );
    let auditor =
        TestClient::user(store.clone(), "audrey", &[grant(Role::Auditor, Some(site))]).await;
    assert_eq!(
        auditor
            .get(&format!("/observations?site_id={site}"))
            .await
            .status,
        StatusCode::OK
    );
    let refused = upload(&auditor, site, "x.pcap", &capture).await;
    assert!(
        matches!(
            refused.status,
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ),
        "{}",
        refused.status
    );
}
