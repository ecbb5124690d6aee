//! Generated reports over HTTP, on SQLite and PostgreSQL (issue 10, item 1): the gap report as
//! JSON, HTML, PDF (read back by a PDF text extractor) and XLSX (read back by calamine), with a
//! cover naming the audit position and record versions; a report as of a past instant shows the
//! records as they were; bad input is refused with the field named; other sites stay out of reach.

use axum::http::{StatusCode, header};
use otkeep_core::access::Role;
use otkeep_store::Store;
use otkeep_store::testing::TEST_PASSWORD;
use otkeep_web::testing::{Answer, TestClient, grant};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(reports_render_from_the_records_now_and_as_of_a_past_instant);

fn created(a: Answer) -> i64 {
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()["id"].as_i64().unwrap()
}

/// Every table row of a section of the document JSON, as text cells.
fn rows(doc: &Value, heading: &str) -> Vec<Vec<String>> {
    let section = doc["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["heading"] == heading)
        .unwrap_or_else(|| panic!("no section {heading}: {doc:#}"));
    section["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "table")
        .flat_map(|b| b["rows"].as_array().unwrap().clone())
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap_or("").to_string())
                .collect()
        })
        .collect()
}

async fn reports_render_from_the_records_now_and_as_of_a_past_instant(store: Arc<Store>) {
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
    let other = created(
        admin
            .json(
                "POST",
                "/api/v1/sites",
                json!({"code": "KAL1", "name": "Kalamazoo", "time_zone": "America/Detroit"}),
            )
            .await,
    );
    let zone = created(
        admin
            .json(
                "POST",
                "/api/v1/zones",
                json!({"site_id": site, "name": "Filling control", "sl_t": [1, 1, 1, 1, 1, 1, 1],
                       "owner": "OT lead", "purdue_level": "l1"}),
            )
            .await,
    );
    created(
        admin
            .json(
                "POST",
                "/api/v1/assessments",
                json!({"site_id": site, "zone_id": zone, "requirement": "SR 1.1", "status": "implemented"}),
            )
            .await,
    );
    let plc = created(
        admin
            .json(
                "POST",
                "/api/v1/assets",
                json!({"site_id": site, "zone_id": zone, "name": "PLC-01", "asset_type": "plc",
                       "vendor": "Siemens", "firmware_version": "V2.9.4", "criticality": "high",
                       "owner": "M. Keller", "lifecycle": "operational"}),
            )
            .await,
    );
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let then = jiff::Timestamp::now().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let a = admin.get(&format!("/api/v1/assets/{plc}")).await;
    let version = a.json()["version"].as_i64().unwrap();
    let mut body = a.json();
    body["firmware_version"] = json!("V3.0.1");
    body["version"] = json!(version);
    let put = admin
        .json("PUT", &format!("/api/v1/assets/{plc}"), body)
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    created(
        admin
            .json(
                "POST",
                "/api/v1/assets",
                json!({"site_id": site, "zone_id": zone, "name": "HMI-07", "asset_type": "hmi",
                       "criticality": "medium", "owner": "M. Keller", "lifecycle": "operational"}),
            )
            .await,
    );

    let signed = admin
        .json(
            "POST",
            &format!("/api/v1/zones/{zone}/signatures"),
            json!({"meaning": "reviewed", "password": TEST_PASSWORD, "version": 1}),
        )
        .await;
    assert!(signed.status.is_success(), "{}", signed.body);

    // The gap report as JSON: cover, summary and the open requirements of the zone.
    let gap = admin.get("/api/v1/reports/gap?site=fra1").await;
    assert_eq!(gap.status, StatusCode::OK, "{}", gap.body);
    let doc = gap.json();
    assert_eq!(doc["cover"]["title"], "Gap analysis");
    assert_eq!(doc["cover"]["scope"], "FRA1 Frankfurt");
    assert_eq!(doc["cover"]["point_in_time"], false);
    assert_eq!(doc["cover"]["generated_by"], "lead");
    assert!(doc["cover"]["audit_seq"].as_i64().unwrap() >= 6);
    let zones_used = doc["cover"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "Zones")
        .expect("zones listed as used");
    assert_eq!(zones_used["versions"], format!("{zone} v1"));
    let signature = &doc["cover"]["signatures"][0];
    assert_eq!(signature["record"], format!("Zones #{zone} v1"));
    assert_eq!(signature["meaning"], "reviewed");
    assert_eq!(signature["on_version_shown"], true);
    let zone_rows = rows(&doc, "Zones");
    assert_eq!(zone_rows.len(), 1);
    assert_eq!(zone_rows[0][1], "Filling control");
    assert_eq!(
        zone_rows[0][2], "0/1",
        "FR1: SR 1.1 met but not the rest of SL 1"
    );
    let open = rows(&doc, "Open requirements");
    assert!(open.iter().any(|r| r[1] == "SR 1.3"), "{open:?}");
    assert!(!open.iter().any(|r| r[1] == "SR 1.1"), "SR 1.1 is met");

    // The same as a page, a PDF and a workbook.
    let page = admin.get(&format!("/reports/gap?site_id={site}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Open requirements") && page.body.contains("SR 1.3"));
    assert!(
        page.body
            .contains(&format!("/reports/gap/pdf?site_id={site}"))
    );
    let pdf = admin.get(&format!("/reports/gap/pdf?site_id={site}")).await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
    assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(
        pdf.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("gap-FRA1-"),
    );
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    let text = pdf_extract::extract_text_from_mem(&pdf.bytes).expect("a readable PDF");
    for expected in [
        "Gap analysis",
        "FRA1 Frankfurt",
        "Filling control",
        "SR 1.3",
        "Page 1 of",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in the PDF:\n{text}"
        );
    }
    let xlsx = admin
        .get(&format!("/reports/inventory/xlsx?site_id={site}"))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK, "{}", xlsx.body);
    {
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.bytes.clone())).unwrap();
        assert_eq!(book.sheet_names(), vec!["Cover", "Assets"]);
        let assets = book.worksheet_range("Assets").unwrap();
        let cells: Vec<String> = assets.cells().map(|(_, _, c)| c.to_string()).collect();
        assert!(cells.contains(&"PLC-01".to_string()) && cells.contains(&"V3.0.1".to_string()));
    }

    // As of the instant before the edit: the old firmware, no HMI, the audit position then.
    let past = admin
        .get(&format!("/api/v1/reports/inventory?site=FRA1&as_of={then}"))
        .await;
    assert_eq!(past.status, StatusCode::OK, "{}", past.body);
    let past = past.json();
    assert_eq!(past["cover"]["point_in_time"], true);
    let assets = rows(&past, "Assets");
    assert_eq!(assets.len(), 1, "{assets:?}");
    assert_eq!(assets[0][0], format!("#{plc} v1"));
    assert!(assets[0].contains(&"V2.9.4".to_string()), "{assets:?}");
    assert!(past["cover"]["audit_seq"].as_i64() < doc["cover"]["audit_seq"].as_i64());
    let now = rows(
        &admin
            .get("/api/v1/reports/inventory?site=FRA1")
            .await
            .json(),
        "Assets",
    );
    assert_eq!(now.len(), 2);

    // Every report renders, for the site and for the organization.
    for slug in [
        "inventory",
        "zones",
        "sl-justification",
        "gap",
        "risk",
        "exceptions",
        "vulnerabilities",
        "changes",
        "operations",
        "kpis",
    ] {
        for q in [format!("site={}", "FRA1"), String::new()] {
            let a = admin.get(&format!("/api/v1/reports/{slug}?{q}")).await;
            assert_eq!(a.status, StatusCode::OK, "{slug}?{q}: {}", a.body);
        }
    }

    // The organization's gap report names each row's site.
    let org_gap = admin.get("/api/v1/reports/gap").await.json();
    assert_eq!(rows(&org_gap, "Zones")[0][1], "FRA1 · Filling control");
    assert!(
        rows(&org_gap, "Open requirements")
            .iter()
            .all(|r| r[0] == "FRA1 · Filling control")
    );

    // The zone model report draws each site's diagram (only FRA1 has zones).
    let model = admin.get("/api/v1/reports/zones").await.json();
    let figures: Vec<&Value> = model["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["blocks"].as_array().unwrap())
        .filter(|b| b["type"] == "figure")
        .collect();
    assert_eq!(figures.len(), 1, "{model:#}");
    assert!(
        figures[0]["svg"]
            .as_str()
            .unwrap()
            .contains("Filling control")
    );
    let channels = rows(&model, "Channels and data flows");
    assert!(channels.is_empty(), "no conduits yet");

    // Bad input names the field; unknown reports and sites are 404.
    for (q, field) in [
        ("as_of=2026-13-01", "as_of"),
        ("as_of=2999-01-01", "as_of"),
        ("from=2026-02-01&to=2026-01-01", "from"),
    ] {
        let a = admin.get(&format!("/api/v1/reports/changes?{q}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{q}: {}", a.body);
        assert!(a.body.contains(field), "{}", a.body);
    }
    let a = admin.get("/api/v1/reports/gap?format=docx").await;
    assert!(
        a.status.is_client_error() && a.body.contains("format"),
        "{}",
        a.body
    );
    assert_eq!(
        admin.get("/api/v1/reports/nonsense").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.get("/api/v1/reports/gap?site=NOPE").await.status,
        StatusCode::NOT_FOUND
    );

    // A site auditor reads its own site's reports, not the other site's.
    let auditor =
        TestClient::user(store.clone(), "audrey", &[grant(Role::Auditor, Some(site))]).await;
    assert_eq!(
        auditor
            .get(&format!("/reports/gap?site_id={site}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        auditor
            .get(&format!("/reports/gap?site_id={other}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let org = auditor.get("/api/v1/reports/inventory").await.json();
    assert_eq!(rows(&org, "Assets").len(), 2, "only the auditor's site");
}
