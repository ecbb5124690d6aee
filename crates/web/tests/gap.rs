//! The IEC 62443 pages over HTTP, on SQLite and PostgreSQL: a zone's requirements assessed FR
//! by FR, SL-A and the gap per zone, site and organization, the CSV requirement list.

use axum::http::StatusCode;
use otkeep_core::access::Role;
use otkeep_core::catalog::{Catalog, Target};
use otkeep_core::{SlVector, catalog};
use otkeep_store::Store;
use otkeep_web::testing::{Credential, TestClient, grant};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(
    countermeasures_count_only_while_approved_and_current,
    one_countermeasure_serves_several_zones_and_components,
    a_zone_is_assessed_fr_by_fr_and_its_sl_a_follows,
    invalid_rows_save_nothing_and_say_why,
    site_and_organization_roll_up_and_export,
    readers_see_without_editing_and_other_sites_see_nothing,
);

struct Fixture {
    admin: TestClient,
    site: i64,
    zone: i64,
    sl_t: [u8; 7],
}

async fn fixture(store: Arc<Store>) -> Fixture {
    let admin = TestClient::admin(store, "lead").await;
    let site = admin
        .json(
            "POST",
            "/api/v1/sites",
            json!({"code": "PH1", "name": "Pharma one", "time_zone": "UTC"}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let sl_t = [2, 2, 2, 2, 3, 1, 2];
    let zone = admin
        .json(
            "POST",
            "/api/v1/zones",
            json!({"site_id": site, "name": "Filling line control", "owner": "OT lead", "sl_t": sl_t}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    Fixture {
        admin,
        site,
        zone,
        sl_t,
    }
}

/// The form of one FR with every requirement in force set to `status`.
fn fr_form(fr: u8, sl_t: [u8; 7], status: &str) -> Vec<(String, String)> {
    let c = Catalog::iec62443_3_3();
    let t = SlVector::new(sl_t).unwrap();
    let mut pairs = vec![("fr".to_string(), fr.to_string())];
    for r in c.in_force(&t, Target::Zone).filter(|r| r.fr == fr) {
        pairs.push((format!("status.{}", r.id), status.to_string()));
        pairs.push((format!("owner.{}", r.id), "OT lead".to_string()));
    }
    pairs
}

async fn post(
    c: &TestClient,
    uri: &str,
    pairs: &[(String, String)],
) -> otkeep_web::testing::Answer {
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.form(uri, &refs).await
}

async fn assessments(c: &TestClient) -> i64 {
    c.json("GET", "/api/v1/assessments", Value::Null)
        .await
        .json()["total"]
        .as_i64()
        .unwrap()
}

async fn a_zone_is_assessed_fr_by_fr_and_its_sl_a_follows(store: Arc<Store>) {
    let f = fixture(store).await;
    let uri = format!("/gap/zones/{}", f.zone);
    let c = Catalog::iec62443_3_3();
    let in_force = c
        .in_force(&SlVector::new(f.sl_t).unwrap(), Target::Zone)
        .count();
    let page = f.admin.get(&uri).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!("0 of {in_force} requirements")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("SR 1.1 RE 1"),
        "FR1 level-2 enhancement in force"
    );
    assert!(
        !page.body.contains("SR 1.1 RE 2"),
        "level 3 is above SL-T 2"
    );
    // FR1 all implemented: FR1 reaches its target, nothing else moves.
    let a = post(&f.admin, &uri, &fr_form(1, f.sl_t, "implemented")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), format!("{uri}?fr=1&saved=1"));
    let page = f.admin.get(&format!("{uri}?fr=1&saved=1")).await.body;
    assert!(page.contains("Assessment saved."));
    assert!(
        page.contains("FR1 <span class=\"fr-sl\">2/2</span>"),
        "{page}"
    );
    assert!(page.contains("FR5 <span class=\"fr-sl\">0/3</span>"));
    let fr1 = c
        .in_force(&SlVector::new(f.sl_t).unwrap(), Target::Zone)
        .filter(|r| r.fr == 1)
        .count() as i64;
    assert_eq!(assessments(&f.admin).await, fr1);
    // FR5 implemented except one level-3 enhancement planned (with a date): SL-A 2 of 3.
    let mut form = fr_form(5, f.sl_t, "implemented");
    for (k, v) in form.iter_mut() {
        if k == "status.SR 5.2 RE 2" {
            *v = "planned".into();
        }
    }
    form.push(("target_date.SR 5.2 RE 2".into(), "2027-03-31".into()));
    let a = post(&f.admin, &uri, &form).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = f.admin.get(&format!("{uri}?fr=5")).await.body;
    assert!(
        page.contains("FR5 <span class=\"fr-sl\">2/3</span>"),
        "{page}"
    );
    assert!(page.contains("Planned: 1"));
    // Saving again without changes writes nothing (no new versions).
    let before = f
        .admin
        .json("GET", "/api/v1/audit?limit=1000", Value::Null)
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .len();
    post(&f.admin, &uri, &fr_form(1, f.sl_t, "implemented")).await;
    let after = f
        .admin
        .json("GET", "/api/v1/audit?limit=1000", Value::Null)
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "unchanged rows are not rewritten");
    // Each assessment is a record with history and the date it was assessed.
    let list = f
        .admin
        .json(
            "GET",
            "/api/v1/assessments?requirement=SR%205.2%20RE%202",
            Value::Null,
        )
        .await
        .json();
    let item = &list["items"][0];
    assert_eq!(item["status"], "planned");
    assert_eq!(item["target_date"], "2027-03-31");
    assert!(item["last_assessed"].is_string());
}

async fn invalid_rows_save_nothing_and_say_why(store: Arc<Store>) {
    let f = fixture(store).await;
    let uri = format!("/gap/zones/{}", f.zone);
    let mut form = fr_form(2, f.sl_t, "implemented");
    for (k, v) in form.iter_mut() {
        if k == "status.SR 2.1" {
            *v = "planned".into();
        }
        if k == "status.SR 2.5" {
            *v = "not_applicable".into();
        }
    }
    let a = post(&f.admin, &uri, &form).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body.contains("Nothing was saved: 2 problems"),
        "{}",
        a.body
    );
    assert!(a.body.contains("a planned measure needs its target date"));
    assert!(a.body.contains("say why the requirement does not apply"));
    assert!(
        a.body.contains("value=\"planned\" selected"),
        "the user's input is kept"
    );
    assert_eq!(assessments(&f.admin).await, 0, "all rows or none");
    // A row changed by someone else meanwhile is a conflict, not an overwrite.
    let ok = post(&f.admin, &uri, &fr_form(2, f.sl_t, "implemented")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let rec = f
        .admin
        .json(
            "GET",
            "/api/v1/assessments?requirement=SR%202.1",
            Value::Null,
        )
        .await
        .json()["items"][0]
        .clone();
    let mut changed = rec.clone();
    changed["notes"] = json!("reviewed by QA");
    assert_eq!(
        f.admin
            .json(
                "PUT",
                &format!("/api/v1/assessments/{}", rec["id"]),
                changed
            )
            .await
            .status,
        StatusCode::OK
    );
    let mut stale = fr_form(2, f.sl_t, "implemented");
    stale.push(("version.SR 2.1".into(), "1".into()));
    stale.push(("notes.SR 2.1".into(), "my older edit".into()));
    let a = post(&f.admin, &uri, &stale).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("changed by someone else"), "{}", a.body);
    // Unknown FR or page kind.
    let a = post(&f.admin, &uri, &[("fr".into(), "9".into())]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        f.admin.get(&format!("/gap/assets/{}", f.zone)).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn site_and_organization_roll_up_and_export(store: Arc<Store>) {
    let f = fixture(store.clone()).await;
    let second = f
        .admin
        .json(
            "POST",
            "/api/v1/zones",
            json!({"site_id": f.site, "name": "Office DMZ", "owner": "IT", "sl_t": [1,1,1,1,1,1,1]}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let sl1 = [1u8; 7];
    for fr in 1..=7 {
        let a = post(
            &f.admin,
            &format!("/gap/zones/{second}"),
            &fr_form(fr, sl1, "implemented"),
        )
        .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
    }
    let site = f.admin.get(&format!("/gap/sites/{}", f.site)).await.body;
    assert!(site.contains("Office DMZ") && site.contains("Filling line control"));
    assert!(
        site.contains("100% met"),
        "the DMZ zone meets SL 1 everywhere"
    );
    assert!(site.contains("fr-short"), "the control zone falls short");
    let org = f.admin.get("/gap").await.body;
    assert!(org.contains("PH1") || org.contains("Pharma one"));
    assert!(org.contains("2 zones, 1 below target"), "{org}");
    // The requirement list as CSV: one row per requirement in force of each zone.
    let csv = f
        .admin
        .get(&format!("/gap/sites/{}/export.csv", f.site))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let c = Catalog::iec62443_3_3();
    let expected = c
        .in_force(&SlVector::new(f.sl_t).unwrap(), Target::Zone)
        .count()
        + c.in_force(&SlVector::new(sl1).unwrap(), Target::Zone)
            .count();
    let lines: Vec<&str> = csv.body.trim_end().lines().collect();
    assert_eq!(lines.len(), 1 + expected);
    assert!(lines[0].starts_with("\u{feff}Kind,Zone or conduit,Requirement"));
    assert!(csv.body.contains("Zone,Office DMZ,SR 1.1,FR1,1,"));
    assert!(csv.body.contains(",implemented,"));
    assert!(csv.body.contains("Zone,Filling line control,SR 1.1,FR1,1,"));
    assert!(csv.body.contains(",not_assessed,"));
    // The diagram: both zones, coloured by their gap, as SVG.
    let svg = f
        .admin
        .get(&format!("/gap/sites/{}/diagram.svg", f.site))
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(
        svg.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    assert!(svg.body.contains("Office DMZ") && svg.body.contains("Filling line control"));
    assert!(
        svg.body.contains("#dff3e4"),
        "the DMZ zone meets its target"
    );
    assert!(site.contains("diagram.svg"), "shown on the site page");
    // XLSX reports: the site's (summary and requirement list) and the organization's.
    let x = f
        .admin
        .get(&format!("/gap/sites/{}/export.xlsx", f.site))
        .await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(
        x.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let x = f.admin.get("/gap/summary.xlsx").await;
    assert_eq!(x.status, StatusCode::OK);
    let x = f.admin.get("/gap/summary.csv").await;
    assert!(x.body.starts_with("\u{feff}Kind,Name,FR1,"), "{}", x.body);
    assert!(
        x.body.contains("Site,PH1,") && x.body.contains(",2,1\r\n"),
        "2 zones, 1 below: {}",
        x.body
    );
    // Upload of a filled-in sheet from the site page (multipart, token in the action URL).
    let sheet = "Kind,Zone or conduit,Requirement,Status,Owner\r\nZone,Filling line control,SR 1.2,implemented,OT lead\r\n";
    let upload = |csrf: &str, body: &str| {
        let boundary = "XyZ";
        let content = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"sheet\"; filename=\"sheet.csv\"\r\nContent-Type: text/csv\r\n\r\n{body}\r\n--{boundary}--\r\n"
        );
        axum::http::Request::post(format!("/gap/sites/{}/import?_csrf={csrf}", f.site))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(axum::body::Body::from(content))
            .unwrap()
    };
    let Credential::Session { cookie, csrf } = f.admin.credential.clone() else {
        panic!("session");
    };
    let bare = TestClient {
        credential: Credential::Session {
            cookie,
            csrf: String::new(),
        },
        ..f.admin.clone()
    };
    let a = bare.send(upload("wrong", sheet)).await;
    assert_eq!(
        a.status,
        StatusCode::FORBIDDEN,
        "the token is checked on uploads too"
    );
    let a = bare.send(upload(&csrf, sheet)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("1 assessments created"), "{}", a.body);
    let a = bare
        .send(upload(
            &csrf,
            "Kind,Zone or conduit,Requirement,Status\r\nZone,Nowhere,SR 1.2,implemented\r\n",
        ))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("line 2, Zone or conduit"), "{}", a.body);
    // An evidence file on an assessment: SHA-256 recorded, downloadable as an attachment.
    let rec = f
        .admin
        .json(
            "GET",
            "/api/v1/assessments?requirement=SR%201.2",
            Value::Null,
        )
        .await
        .json()["items"][0]
        .clone();
    let id = rec["id"].as_i64().unwrap();
    let file = b"<html><script>alert(1)</script>firewall export</html>";
    let boundary = "EvB";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fw export.html\"\r\nContent-Type: text/html\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = axum::http::Request::post(format!("/assessments/{id}/evidence?_csrf={csrf}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(axum::body::Body::from(body))
        .unwrap();
    let a = bare.send(req).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let after = f
        .admin
        .json("GET", &format!("/api/v1/assessments/{id}"), Value::Null)
        .await
        .json();
    use sha2::Digest;
    let expected: String = sha2::Sha256::digest(file)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(after["evidence_sha256"], json!(expected));
    let dl = f.admin.get(&format!("/evidence/{expected}")).await;
    assert_eq!(dl.status, StatusCode::OK);
    assert_eq!(dl.headers["content-type"], "application/octet-stream");
    assert!(
        dl.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(dl.body.as_bytes(), file);
    assert_eq!(
        f.admin
            .get(&format!("/evidence/{}", "0".repeat(64)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Imported catalog text shows on the requirements page.
    let mut tx = store.begin_write("lead", None).await.unwrap();
    tx.import_catalog(
        &[otkeep_store::CatalogEntry {
            requirement: "SR 1.1".into(),
            body: Some("Licensed wording of SR 1.1".into()),
            level: None,
        }],
        "copy.csv",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let page = f
        .admin
        .get(&format!("/gap/zones/{}?fr=1", f.zone))
        .await
        .body;
    assert!(page.contains("Licensed wording of SR 1.1"));
    let _ = catalog::IEC_62443_3_3;
}

async fn readers_see_without_editing_and_other_sites_see_nothing(store: Arc<Store>) {
    let f = fixture(store.clone()).await;
    let other = f
        .admin
        .json(
            "POST",
            "/api/v1/sites",
            json!({"code": "PK2", "name": "Packaging two", "time_zone": "UTC"}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let op = TestClient::user(
        store.clone(),
        "olga",
        &[grant(Role::Operator, Some(f.site))],
    )
    .await;
    let page = op.get(&format!("/gap/zones/{}", f.zone)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<select"), "read-only for operators");
    let a = post(
        &op,
        &format!("/gap/zones/{}", f.zone),
        &fr_form(1, f.sl_t, "implemented"),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let eng = TestClient::user(store, "bert", &[grant(Role::SiteEngineer, Some(other))]).await;
    assert_eq!(
        eng.get(&format!("/gap/zones/{}", f.zone)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        eng.get(&format!("/gap/sites/{}", f.site)).await.status,
        StatusCode::NOT_FOUND
    );
    let a = post(
        &eng,
        &format!("/gap/zones/{}", f.zone),
        &fr_form(1, f.sl_t, "implemented"),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let org = eng.get("/gap").await.body;
    assert!(!org.contains("Pharma one") && !org.contains("PH1"));
    assert_eq!(assessments(&f.admin).await, 0);
}

async fn fr1_cell(c: &TestClient, zone: i64) -> String {
    let page = c.get(&format!("/gap/zones/{zone}?fr=1")).await.body;
    let start = page.find("FR1 <span class=\"fr-sl\">").expect("FR1 tab") + 24;
    page[start..start + 3].to_string()
}

async fn countermeasures_count_only_while_approved_and_current(store: Arc<Store>) {
    let f = fixture(store.clone()).await;
    let uri = format!("/gap/zones/{}", f.zone);
    // FR1 implemented except SR 1.1 RE 1, which is claimed "compensated".
    let mut form = fr_form(1, f.sl_t, "implemented");
    for (k, v) in form.iter_mut() {
        if k == "status.SR 1.1 RE 1" {
            *v = "compensated".into();
        }
    }
    assert_eq!(
        post(&f.admin, &uri, &form).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        fr1_cell(&f.admin, f.zone).await,
        "1/2",
        "claimed, not backed: not met"
    );
    let page = f.admin.get(&format!("{uri}?fr=1")).await.body;
    assert!(page.contains("no approved, current countermeasure covers this"));

    let a = f
        .admin
        .json(
            "POST",
            "/api/v1/countermeasures",
            json!({"site_id": f.site, "name": "Unique accounts via jump host", "zones": [f.zone],
                   "requirements": "sr 1.1 re 1", "reasoning": "Every engineer signs in at the jump host with a personal account.",
                   "residual_risk": "low", "owner": "OT lead", "review_date": "2030-06-30"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let cm = a.json();
    let id = cm["id"].as_i64().unwrap();
    assert_eq!(fr1_cell(&f.admin, f.zone).await, "1/2", "awaiting approval");
    assert!(
        f.admin
            .get(&format!("{uri}?fr=1"))
            .await
            .body
            .contains("awaiting approval")
    );
    let sign = |version: i64| json!({"meaning": "approved", "password": otkeep_store::testing::TEST_PASSWORD, "version": version});
    let a = f
        .admin
        .json(
            "POST",
            &format!("/api/v1/countermeasures/{id}/signatures"),
            sign(1),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(fr1_cell(&f.admin, f.zone).await, "2/2", "approved: met");
    // An edit after approval makes it stale until approved again.
    let mut changed = cm.clone();
    changed["reasoning"] = json!("Changed wording.");
    assert_eq!(
        f.admin
            .json(
                "PUT",
                &format!("/api/v1/countermeasures/{id}"),
                changed.clone()
            )
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(fr1_cell(&f.admin, f.zone).await, "1/2");
    assert!(
        f.admin
            .get(&format!("{uri}?fr=1"))
            .await
            .body
            .contains("changed since approval")
    );
    f.admin
        .json(
            "POST",
            &format!("/api/v1/countermeasures/{id}/signatures"),
            sign(2),
        )
        .await;
    assert_eq!(fr1_cell(&f.admin, f.zone).await, "2/2");
    // Past its review date it no longer counts (the date moves, so it is re-approved first).
    let mut past = changed;
    past["version"] = json!(2);
    past["review_date"] = json!("2020-01-01");
    assert_eq!(
        f.admin
            .json("PUT", &format!("/api/v1/countermeasures/{id}"), past)
            .await
            .status,
        StatusCode::OK
    );
    f.admin
        .json(
            "POST",
            &format!("/api/v1/countermeasures/{id}/signatures"),
            sign(3),
        )
        .await;
    assert_eq!(fr1_cell(&f.admin, f.zone).await, "1/2", "past review");
    assert!(
        f.admin
            .get(&format!("{uri}?fr=1"))
            .await
            .body
            .contains("past its review date")
    );
    // Unknown requirement ids are refused with the field named.
    let a = f
        .admin
        .json(
            "POST",
            "/api/v1/countermeasures",
            json!({"site_id": f.site, "name": "Bad", "zones": [f.zone], "requirements": "SR 42",
                   "reasoning": "x", "residual_risk": "low", "owner": "o", "review_date": "2030-01-01"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["error"]["field"], "requirements");
}

async fn one_countermeasure_serves_several_zones_and_components(store: Arc<Store>) {
    let f = fixture(store).await;
    let created = |r: otkeep_web::testing::Answer| {
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    };
    let packing = created(
        f.admin
            .json(
                "POST",
                "/api/v1/zones",
                json!({"site_id": f.site, "name": "Packing line control", "owner": "OT lead", "sl_t": f.sl_t}),
            )
            .await,
    );
    // A PLC of the filling line that cannot reach SL 2 on FR1 (no user authentication).
    let plc = created(
        f.admin
            .json(
                "POST",
                "/api/v1/assets",
                json!({"site_id": f.site, "zone_id": f.zone, "name": "Filler PLC", "asset_type": "plc",
                       "criticality": "high", "owner": "o", "lifecycle": "operational",
                       "sl_c": [1, 2, 2, 2, 3, 1, 2]}),
            )
            .await,
    );
    let other_site = created(
        f.admin
            .json(
                "POST",
                "/api/v1/sites",
                json!({"code": "PH2", "name": "Pharma two", "time_zone": "UTC"}),
            )
            .await,
    );
    let elsewhere = created(
        f.admin
            .json(
                "POST",
                "/api/v1/zones",
                json!({"site_id": other_site, "name": "Elsewhere", "owner": "o", "sl_t": f.sl_t}),
            )
            .await,
    );
    let zone_page = format!("/gap/zones/{}?fr=1", f.zone);
    let page = f.admin.get(&zone_page).await.body;
    assert!(
        page.contains("Filler PLC") && page.contains("FR1 (SL-C 1 &#60; SL-T 2)"),
        "the shortfall is shown before any countermeasure: {page}"
    );

    // Created through the form: the zone and component checkboxes submit several values.
    let form = f.admin.get("/countermeasures/new").await.body;
    assert!(
        form.contains(&format!(
            "<input type=\"checkbox\" name=\"zones\" value=\"{packing}\""
        )),
        "zones are offered as checkboxes"
    );
    let mut pairs: Vec<(String, String)> = vec![
        ("site_id".into(), f.site.to_string()),
        ("name".into(), "Shared jump host".into()),
        ("zones".into(), f.zone.to_string()),
        ("zones".into(), packing.to_string()),
        ("assets".into(), plc.to_string()),
        ("requirements".into(), "SR 1.1 RE 1, SR 1.2".into()),
        (
            "reasoning".into(),
            "Engineers reach both lines only through the jump host, with personal accounts.".into(),
        ),
        ("residual_risk".into(), "low".into()),
        ("owner".into(), "OT lead".into()),
        ("review_date".into(), "2030-06-30".into()),
    ];
    let a = post(&f.admin, "/countermeasures", &pairs).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let detail_uri = a.location().to_string();
    let id: i64 = detail_uri
        .trim_start_matches("/countermeasures/")
        .trim_end_matches("?saved=1")
        .parse()
        .unwrap();
    let detail = f.admin.get(&detail_uri).await.body;
    assert!(
        detail.contains(&format!(
            "<a href=\"/zones/{}\">Filling line control</a>, <a href=\"/zones/{packing}\">Packing line control</a>",
            f.zone
        )),
        "both zones are linked: {detail}"
    );
    let api = f
        .admin
        .json("GET", &format!("/api/v1/countermeasures/{id}"), Value::Null)
        .await
        .json();
    assert_eq!(api["zones"], json!([f.zone, packing]));
    assert_eq!(api["assets"], json!([plc]));

    // Approved, it counts in both zones and makes up for the PLC's FR1 shortfall.
    let sign = f
        .admin
        .json(
            "POST",
            &format!("/api/v1/countermeasures/{id}/signatures"),
            json!({"meaning": "approved", "password": otkeep_store::testing::TEST_PASSWORD, "version": 1}),
        )
        .await;
    assert_eq!(sign.status, StatusCode::CREATED, "{}", sign.body);
    for zone in [f.zone, packing] {
        let mut form = fr_form(1, f.sl_t, "implemented");
        for (k, v) in form.iter_mut() {
            if k == "status.SR 1.1 RE 1" {
                *v = "compensated".into();
            }
        }
        let uri = format!("/gap/zones/{zone}");
        assert_eq!(
            post(&f.admin, &uri, &form).await.status,
            StatusCode::SEE_OTHER
        );
        assert_eq!(fr1_cell(&f.admin, zone).await, "2/2", "zone {zone}");
        assert!(
            f.admin
                .get(&format!("{uri}?fr=1"))
                .await
                .body
                .contains("Shared jump host")
        );
    }
    let page = f.admin.get(&zone_page).await.body;
    assert!(
        page.contains("compensated: FR1 by Shared jump host"),
        "{page}"
    );

    // Lists filter by any named zone; the zone's record page lists it; the zone cannot go.
    let listed = f
        .admin
        .json(
            "GET",
            &format!("/api/v1/countermeasures?zones={packing}"),
            Value::Null,
        )
        .await
        .json();
    assert_eq!(listed["total"], 1);
    let zone_record = f.admin.get(&format!("/zones/{packing}")).await.body;
    assert!(zone_record.contains(&format!("/countermeasures/{id}")));
    let del = f
        .admin
        .json(
            "DELETE",
            &format!("/api/v1/zones/{packing}?version=1"),
            Value::Null,
        )
        .await;
    assert_eq!(del.status, StatusCode::CONFLICT, "{}", del.body);
    assert!(
        del.body.contains("compensating countermeasure"),
        "{}",
        del.body
    );

    // The CSV export names the zones by title.
    let csv = f.admin.get("/countermeasures/export.csv").await.body;
    assert!(
        csv.contains("Filling line control; Packing line control"),
        "{csv}"
    );

    // A zone of another site, or no zone at all, is refused with the field named.
    pairs.retain(|(k, _)| k != "zones");
    pairs[1].1 = "Second".into();
    let none = post(&f.admin, "/countermeasures", &pairs).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        none.body.contains("name at least one: Zones"),
        "{}",
        none.body
    );
    let across = f
        .admin
        .json(
            "POST",
            "/api/v1/countermeasures",
            json!({"site_id": f.site, "name": "Across", "zones": [f.zone, elsewhere],
                   "requirements": "SR 1.2", "reasoning": "x", "residual_risk": "low",
                   "owner": "o", "review_date": "2030-01-01"}),
        )
        .await;
    assert_eq!(across.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(across.json()["error"]["field"], "zones");
    assert!(
        across.body.contains("belongs to another site"),
        "{}",
        across.body
    );
}
