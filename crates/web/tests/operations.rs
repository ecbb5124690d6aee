//! Patches, OT accounts, revocations and remote access sessions over HTTP, on SQLite and
//! PostgreSQL: the operations KPIs and their due obligations, remote-session approval by
//! e-signature, and vendors requesting and following their own remote access.

use axum::http::StatusCode;
use otkeep_core::access::{Grant, Role};
use otkeep_store::Store;
use otkeep_store::testing::TEST_PASSWORD;
use otkeep_web::testing::{Answer, TestClient, grant};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(
    operations_records_feed_the_kpis_and_due,
    remote_sessions_are_approved_by_signature,
    vendors_request_and_follow_their_own_remote_access,
    new_forms_start_with_sensible_defaults,
    a_patch_is_recorded_on_matching_assets_in_bulk
);

fn created(a: Answer) -> i64 {
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()["id"].as_i64().unwrap()
}

fn day(offset: i64) -> String {
    let today = jiff::Zoned::now().date();
    today
        .checked_add(jiff::Span::new().days(offset))
        .unwrap()
        .to_string()
}

fn at(offset_hours: i64) -> String {
    let now = jiff::Zoned::now().datetime();
    otkeep_core::value::datetime_text(
        now.checked_add(jiff::Span::new().hours(offset_hours))
            .unwrap(),
    )
}

struct Plant {
    admin: TestClient,
    site: i64,
    plc: i64,
    hmi: i64,
    pump: i64,
}

async fn plant(store: &Arc<Store>) -> Plant {
    let admin = TestClient::admin(store.clone(), "lead").await;
    let site = created(
        admin
            .json(
                "POST",
                "/api/v1/sites",
                json!({"code": "FRA1", "name": "Frankfurt", "time_zone": "UTC"}),
            )
            .await,
    );
    let zone = created(
        admin
            .json(
                "POST",
                "/api/v1/zones",
                json!({"site_id": site, "name": "Cell", "owner": "o"}),
            )
            .await,
    );
    let asset = async |name: &str, criticality: &str| {
        created(
            admin
                .json(
                    "POST",
                    "/api/v1/assets",
                    json!({"site_id": site, "zone_id": zone, "name": name, "asset_type": "plc",
                           "criticality": criticality, "owner": "o", "lifecycle": "operational"}),
                )
                .await,
        )
    };
    let plc = asset("PLC-1", "critical").await;
    let hmi = asset("HMI-1", "high").await;
    let pump = asset("PUMP-1", "low").await;
    Plant {
        admin,
        site,
        plc,
        hmi,
        pump,
    }
}

async fn operations_records_feed_the_kpis_and_due(store: Arc<Store>) {
    let Plant {
        admin,
        site,
        plc,
        hmi,
        pump,
    } = plant(&store).await;
    let patch = |name: &str, severity: &str, released: String| {
        json!({"site_id": site, "name": name, "vendor": "Acme", "products": "CPU 1500",
               "patch_type": "firmware", "severity": severity, "qualification": "qualified",
               "released_on": released})
    };
    let old = created(
        admin
            .json(
                "POST",
                "/api/v1/patches",
                patch("FW 3.1", "critical", day(-100)),
            )
            .await,
    );
    let fresh = created(
        admin
            .json(
                "POST",
                "/api/v1/patches",
                patch("FW 3.2", "critical", day(-10)),
            )
            .await,
    );
    let change = created(
        admin
            .json(
                "POST",
                "/api/v1/changes",
                json!({"site_id": site, "name": "CR firmware", "change_type": "firmware", "status": "draft",
                       "description": "d", "requested_by": "o"}),
            )
            .await,
    );
    let deployment = |patch: i64, asset: i64, extra: Value| {
        let mut v = json!({"site_id": site, "patch_id": patch, "asset_id": asset});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    // Deployed 20 days after release on the PLC (within the window), 70 on the HMI (late).
    let a = admin
        .json(
            "POST",
            "/api/v1/patch-deployments",
            deployment(
                old,
                plc,
                json!({"state": "deployed", "deployed_on": day(-80), "deployed_by": "Tom",
                       "test_evidence": "test bench", "change_id": change}),
            ),
        )
        .await;
    assert_eq!(
        a.json()["name"],
        "FW 3.1 on PLC-1",
        "a patch on an asset is named after both"
    );
    created(a);
    created(
        admin
            .json(
                "POST",
                "/api/v1/patch-deployments",
                deployment(
                    old,
                    hmi,
                    json!({"state": "deployed", "deployed_on": day(-30), "deployed_by": "Tom",
                           "test_evidence": "test bench", "change_id": change}),
                ),
            )
            .await,
    );
    // The fresh patch is still being tested on the PLC: due by the end of its 30-day window.
    created(
        admin
            .json(
                "POST",
                "/api/v1/patch-deployments",
                deployment(
                    fresh,
                    plc,
                    json!({"state": "tested", "test_evidence": "test bench"}),
                ),
            )
            .await,
    );
    // A deployed state without its date and deployer is refused, naming the fields.
    let a = admin
        .json(
            "POST",
            "/api/v1/patch-deployments",
            deployment(fresh, hmi, json!({"state": "deployed"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(
        a.body.contains("deployed_on") && a.body.contains("deployed_by"),
        "{}",
        a.body
    );
    let account = |name: &str, ty: &str, holders: &str, last: String| {
        json!({"site_id": site, "name": name, "asset_id": hmi, "account_type": ty, "holders": holders,
               "status": "active", "last_reviewed": last})
    };
    let ann = created(
        admin
            .json(
                "POST",
                "/api/v1/ot-accounts",
                account("ann", "personal", "Ann", day(-400)),
            )
            .await,
    );
    created(
        admin
            .json(
                "POST",
                "/api/v1/ot-accounts",
                account("operator", "shared", "", day(-10)),
            )
            .await,
    );
    created(
        admin
            .json(
                "POST",
                "/api/v1/revocations",
                json!({"site_id": site, "person": "Bob", "reason": "leaver", "accounts": [ann],
                       "requested_at": at(-100), "requested_by": "HR",
                       "completed_at": at(-94), "completed_by": "IT"}),
            )
            .await,
    );
    created(
        admin
            .json(
                "POST",
                "/api/v1/revocations",
                json!({"site_id": site, "person": "Carl", "reason": "contract_ended", "accounts": [ann],
                       "requested_at": at(-48), "requested_by": "HR"}),
            )
            .await,
    );
    // A vendor session past its window, never closed.
    created(
        admin
            .json(
                "POST",
                "/api/v1/remote-sessions",
                json!({"site_id": site, "name": "Drive tuning", "requester": "Acme support", "assets": [pump],
                       "purpose": "p", "window_start": at(-30), "window_end": at(-26),
                       "status": "access_granted", "access_path": "FW rule 42"}),
            )
            .await,
    );

    let k = admin
        .json("GET", "/api/v1/kpi/operations?site=FRA1", Value::Null)
        .await;
    assert_eq!(k.status, StatusCode::OK, "{}", k.body);
    let k = k.json();
    assert_eq!(k["critical_assets"], 2);
    assert_eq!(k["patches"]["latency_median_days"], 20);
    assert_eq!(k["patches"]["latency_worst_days"], 70);
    assert_eq!(k["patches"]["critical_due"], 2, "{k}");
    assert_eq!(k["patches"]["critical_in_window"], 1);
    assert_eq!(k["patches"]["percent_in_window"], 50);
    assert_eq!(k["access"]["revoke_median_hours"], 6);
    assert_eq!(k["access"]["revocations_open"], 1);
    assert_eq!(k["access"]["revocations_open_late"], 1);
    assert_eq!(k["access"]["not_reviewed"], 1);
    assert_eq!(k["access"]["shared_without_holder"], 1);
    assert_eq!(k["remote_access"]["flagged"], 1);
    let unknown = admin
        .json("GET", "/api/v1/kpi/operations?site=NOPE", Value::Null)
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    let page = admin.get(&format!("/kpi?site_id={site}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Critical patches deployed within 30 days")
    );
    assert!(page.body.contains("50 %"), "{}", page.body);
    assert!(page.body.contains("Shared accounts without a named holder"));

    let due = admin
        .json("GET", "/api/v1/due?site=FRA1", Value::Null)
        .await
        .json();
    let whats: Vec<(String, String)> = due["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["what"].as_str().unwrap().to_string(),
                o["due"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |what: &str, due: &str| whats.iter().any(|(w, d)| w.contains(what) && d == due);
    assert!(has("deploy the patch", &day(20)), "{whats:?}");
    assert!(has("review the account", &day(-35)), "{whats:?}");
    assert!(has("revoke the access", &at(-24)[..10]), "{whats:?}");
    assert!(has("close the remote session", &at(-26)[..10]), "{whats:?}");
}

async fn sign(c: &TestClient, id: i64, version: i64) -> Answer {
    c.json(
        "POST",
        &format!("/api/v1/remote-sessions/{id}/signatures"),
        json!({"meaning": "approved", "password": TEST_PASSWORD, "version": version}),
    )
    .await
}

async fn remote_sessions_are_approved_by_signature(store: Arc<Store>) {
    let Plant {
        admin, site, plc, ..
    } = plant(&store).await;
    let engineer = TestClient::user(
        store.clone(),
        "eng",
        &[grant(Role::SiteEngineer, Some(site))],
    )
    .await;
    let operator =
        TestClient::user(store.clone(), "op", &[grant(Role::Operator, Some(site))]).await;
    let mut session = json!({"site_id": site, "name": "Firmware support", "requester": "Acme",
        "assets": [plc], "purpose": "help with the update", "window_start": at(24), "window_end": at(28),
        "status": "requested"});
    let id = created(
        admin
            .json("POST", "/api/v1/remote-sessions", session.clone())
            .await,
    );
    let put = async |c: &TestClient, v: &mut Value, version: i64| {
        v["version"] = json!(version);
        c.json("PUT", &format!("/api/v1/remote-sessions/{id}"), v.clone())
            .await
    };
    // Not approved without a signature.
    session["status"] = json!("approved");
    let a = put(&engineer, &mut session, 1).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("sign it as approved first"), "{}", a.body);
    // An operator may not sign; the engineer may.
    assert_eq!(sign(&operator, id, 1).await.status, StatusCode::FORBIDDEN);
    assert_eq!(sign(&engineer, id, 1).await.status, StatusCode::CREATED);
    let a = put(&engineer, &mut session, 1).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let detail = admin.get(&format!("/remote-sessions/{id}")).await;
    assert!(detail.body.contains("approved by"), "{}", detail.body);
    // Recording the session keeps the approval; changing the window voids it.
    session["status"] = json!("access_granted");
    session["access_path"] = json!("Temporary rule 77 on FW-1");
    let a = put(&engineer, &mut session, 2).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let detail = admin.get(&format!("/remote-sessions/{id}")).await;
    assert!(detail.body.contains("approved by"), "{}", detail.body);
    // Closing needs the confirmation that access was removed.
    session["status"] = json!("closed");
    session["summary"] = json!("Updated the firmware");
    let a = put(&engineer, &mut session, 3).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("access_removed"), "{}", a.body);
    // A fresh request in "approved" whose window was changed after signing is refused.
    let mut other = json!({"site_id": site, "name": "Second", "requester": "Acme", "assets": [plc],
        "purpose": "p", "window_start": at(48), "window_end": at(50), "status": "requested"});
    let other_id = created(
        admin
            .json("POST", "/api/v1/remote-sessions", other.clone())
            .await,
    );
    assert_eq!(
        sign(&engineer, other_id, 1).await.status,
        StatusCode::CREATED
    );
    other["window_end"] = json!(at(60));
    other["status"] = json!("approved");
    other["version"] = json!(1);
    let a = engineer
        .json("PUT", &format!("/api/v1/remote-sessions/{other_id}"), other)
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
}

async fn vendors_request_and_follow_their_own_remote_access(store: Arc<Store>) {
    let Plant {
        admin, plc, hmi, ..
    } = plant(&store).await;
    let vendor = |name: &'static str, asset: i64| {
        let store = store.clone();
        async move {
            TestClient::user(
                store,
                name,
                &[Grant {
                    role: Role::Vendor,
                    site: None,
                    asset: Some(asset),
                }],
            )
            .await
        }
    };
    let acme = vendor("acme", plc).await;
    let other = vendor("other", hmi).await;
    let request = json!({"name": "PLC diagnostics", "company": "Acme", "assets": [plc],
        "purpose": "Read the diagnostic buffer", "window_start": at(24), "window_end": at(26)});
    let a = acme
        .json("POST", "/api/v1/remote-access", request.clone())
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.json()["status"], "requested");
    let id = a.json()["id"].as_i64().unwrap();
    // Assets not granted are refused like unknown ones.
    let mut wrong = request.clone();
    wrong["assets"] = json!([hmi]);
    let a = acme.json("POST", "/api/v1/remote-access", wrong).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let mut bad = request.clone();
    bad["window_end"] = json!("tomorrow-ish");
    let a = acme.json("POST", "/api/v1/remote-access", bad).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("window_end"), "{}", a.body);
    // Each vendor sees their own requests only; neither reads the register of sessions.
    let mine = acme
        .json("GET", "/api/v1/remote-access", Value::Null)
        .await
        .json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["id"], id);
    let theirs = other
        .json("GET", "/api/v1/remote-access", Value::Null)
        .await
        .json();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
    let a = acme.get(&format!("/remote-sessions/{id}")).await;
    assert!(
        matches!(a.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        a.status
    );
    // The request is an ordinary record for the site, created by the vendor.
    let r = admin
        .json("GET", &format!("/api/v1/remote-sessions/{id}"), Value::Null)
        .await;
    assert!(
        r.json()["requester"].as_str().unwrap().contains("acme"),
        "{}",
        r.body
    );
    let history = admin
        .json(
            "GET",
            &format!("/api/v1/remote-sessions/{id}/history"),
            Value::Null,
        )
        .await;
    assert!(history.body.contains("\"acme\""), "{}", history.body);
    // The page shows the request and offers only the granted asset.
    let page = acme.get("/remote-access").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("PLC diagnostics") && page.body.contains("PLC-1"));
    assert!(!page.body.contains("HMI-1"), "{}", page.body);
    // The form submits too.
    let a = acme
        .form(
            "/remote-access",
            &[
                ("name", "Second visit"),
                ("assets", &plc.to_string()),
                ("purpose", "Check"),
                ("window_start", &at(48)),
                ("window_end", &at(50)),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = acme.get("/remote-access?sent=1").await;
    assert!(page.body.contains("Second visit") && page.body.contains("was sent"));
}

async fn new_forms_start_with_sensible_defaults(store: Arc<Store>) {
    let Plant { admin, site, .. } = plant(&store).await;
    let today = day(0);
    let page = admin.get("/revocations/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!("value=\"{today}T")),
        "the request time is now"
    );
    let page = admin.get("/patch-deployments/new").await;
    assert!(
        page.body.contains("value=\"evaluated\" selected"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("value=\"{today}\"")));
    // Query parameters still win over the defaults.
    let page = admin
        .get(&format!("/backups/new?site_id={site}&result=failed"))
        .await;
    assert!(
        page.body.contains("value=\"failed\" selected"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("value=\"{today}\"")));
}

async fn a_patch_is_recorded_on_matching_assets_in_bulk(store: Arc<Store>) {
    let Plant {
        admin, site, plc, ..
    } = plant(&store).await;
    // PLC-1 already has it; HMI-1 and PUMP-1 are also of type plc (see plant()) but only
    // HMI-1 and PLC-1 are from Acme.
    for (id, vendor) in [(plc, "Acme"), (plc + 1, "ACME Corp"), (plc + 2, "Other")] {
        let mut a = admin
            .json("GET", &format!("/api/v1/assets/{id}"), Value::Null)
            .await
            .json();
        a["vendor"] = json!(vendor);
        let r = admin.json("PUT", &format!("/api/v1/assets/{id}"), a).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let patch = created(
        admin
            .json(
                "POST",
                "/api/v1/patches",
                json!({"site_id": site, "name": "FW 4.0", "vendor": "Acme", "products": "CPU",
                       "patch_type": "firmware", "severity": "high", "qualification": "pending",
                       "released_on": day(-5)}),
            )
            .await,
    );
    created(
        admin
            .json(
                "POST",
                "/api/v1/patch-deployments",
                json!({"site_id": site, "patch_id": patch, "asset_id": plc, "state": "evaluated"}),
            )
            .await,
    );
    let a = admin
        .json("POST", &format!("/api/v1/patches/{patch}/apply"), json!({}))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let a = admin
        .json(
            "POST",
            &format!("/api/v1/patches/{patch}/apply"),
            json!({"asset_type": "plc", "vendor": "acme"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json(), json!({"added": 1, "already": 1}));
    let list = admin
        .json(
            "GET",
            &format!("/api/v1/patch-deployments?patch_id={patch}"),
            Value::Null,
        )
        .await
        .json();
    assert_eq!(list["total"], 2, "{list}");
    // From the patch's page: nothing new the second time.
    let a = admin
        .form(
            &format!("/patches/{patch}/apply"),
            &[("asset_type", "plc"), ("vendor", "Acme"), ("model", "")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = admin.get(a.location()).await;
    assert!(
        page.body
            .contains("Recorded on 0 more assets as evaluated (2 already had it)."),
        "{}",
        page.body
    );
    // An operator may not.
    let op = TestClient::user(store.clone(), "op2", &[grant(Role::Operator, Some(site))]).await;
    let a = op
        .json(
            "POST",
            &format!("/api/v1/patches/{patch}/apply"),
            json!({"asset_type": "plc"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}
