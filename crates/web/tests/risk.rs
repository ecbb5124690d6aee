//! Risk management over HTTP, on SQLite and PostgreSQL: the versioned risk method, risk
//! assessments and the register, applying a recommended SL-T, exceptions with approval
//! authority and re-opening, and what is due.

use axum::http::StatusCode;
use otkeep_core::access::Role;
use otkeep_core::risk::RiskMethod;
use otkeep_store::Store;
use otkeep_store::testing::TEST_PASSWORD;
use otkeep_web::testing::{Answer, TestClient, grant};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(
    the_risk_method_is_versioned_and_assessments_keep_theirs,
    the_register_rates_exports_and_maps_risks,
    a_recommended_sl_t_is_applied_with_its_justification,
    exceptions_need_authority_and_reopen_when_inputs_change,
    what_is_due_lists_obligations_by_urgency,
);

struct Plant {
    admin: TestClient,
    site: i64,
    other_site: i64,
    zone: i64,
    asset: i64,
}

fn created(a: Answer) -> i64 {
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()["id"].as_i64().expect("id")
}

async fn plant(store: Arc<Store>) -> Plant {
    let admin = TestClient::admin(store, "lead").await;
    let site = created(
        admin
            .json(
                "POST",
                "/api/v1/sites",
                json!({"code": "FRA1", "name": "Frankfurt", "time_zone": "UTC"}),
            )
            .await,
    );
    let other_site = created(
        admin
            .json(
                "POST",
                "/api/v1/sites",
                json!({"code": "KAL1", "name": "Kalamazoo", "time_zone": "UTC"}),
            )
            .await,
    );
    let zone = created(
        admin
            .json(
                "POST",
                "/api/v1/zones",
                json!({"site_id": site, "name": "Filling", "owner": "lead", "sl_t": [1,1,1,1,1,1,1],
                       "sl_t_justification": "first guess"}),
            )
            .await,
    );
    let asset = created(
        admin
            .json(
                "POST",
                "/api/v1/assets",
                json!({"site_id": site, "zone_id": zone, "name": "HMI-7", "asset_type": "hmi",
                       "criticality": "high", "owner": "lead", "lifecycle": "end_of_support"}),
            )
            .await,
    );
    Plant {
        admin,
        site,
        other_site,
        zone,
        asset,
    }
}

async fn assessment(p: &Plant, name: &str) -> i64 {
    created(
        p.admin
            .json(
                "POST",
                "/api/v1/risk-assessments",
                json!({"site_id": p.site, "name": name, "zones": [p.zone], "owner": "lead",
                       "status": "complete", "initial_likelihood": 4, "initial_impacts": "safety=4, production=5"}),
            )
            .await,
    )
}

async fn risk(p: &Plant, ra: i64, name: &str, likelihood: u8, impacts: &str) -> i64 {
    created(
        p.admin
            .json(
                "POST",
                "/api/v1/risks",
                json!({"site_id": p.site, "name": name, "risk_assessment_id": ra, "threat_source": "criminal",
                       "vector": "vendor remote access", "assets": [p.asset], "impacts": impacts,
                       "likelihood": likelihood, "residual_likelihood": 1, "residual_impacts": impacts,
                       "owner": "lead", "treatment": "mitigate"}),
            )
            .await,
    )
}

async fn save_method(c: &TestClient, site: Option<i64>, method: &RiskMethod) -> Answer {
    let doc = serde_json::to_string(method).unwrap();
    let site = site.map(|s| s.to_string()).unwrap_or_default();
    c.form(
        "/risk/method",
        &[
            ("site_id", site.as_str()),
            ("document", doc.as_str()),
            ("reason", "test"),
        ],
    )
    .await
}

async fn the_risk_method_is_versioned_and_assessments_keep_theirs(store: Arc<Store>) {
    let p = plant(store.clone()).await;
    let page = p.admin.get("/risk/method").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("version 1"),
        "the default method is version 1"
    );
    assert!(page.body.contains("Almost certain") && page.body.contains("nobody: must be treated"));
    let first = assessment(&p, "RA-1").await;
    let ra1 = p
        .admin
        .json(
            "GET",
            &format!("/api/v1/risk-assessments/{first}"),
            Value::Null,
        )
        .await
        .json();
    assert_eq!(ra1["method_version"], 1, "stamped with the method in force");
    let r1 = risk(&p, first, "Ransomware", 3, "production=3").await;

    // A broken document is refused with the place named; nothing is stored.
    let bad = p
        .admin
        .form(
            "/risk/method",
            &[("document", "{\"name\": \"x\", \"likelihood\": []}")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Not saved"), "{}", bad.body);
    let mut stricter = RiskMethod::default_method();
    stricter.name = "Stricter".into();
    stricter.levels[2].from_score = 8;
    stricter.levels[1].accepted_by = vec!["site_engineer".into(), "program_owner".into()];
    stricter.levels[2].accepted_by.push("site_engineer".into());
    let mut broken = stricter.clone();
    broken.levels[3].from_score = 2;
    let a = save_method(&p.admin, None, &broken).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("levels[3].from_score"), "{}", a.body);

    // A site engineer may not change the organization's method.
    let engineer = TestClient::user(
        store.clone(),
        "eng",
        &[grant(Role::SiteEngineer, Some(p.site))],
    )
    .await;
    assert_eq!(
        save_method(&engineer, None, &stricter).await.status,
        StatusCode::FORBIDDEN
    );
    // Site methods are refused while the organization's does not allow them.
    let a = save_method(&p.admin, Some(p.site), &stricter).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("does not allow site methods"), "{}", a.body);

    let a = save_method(&p.admin, None, &stricter).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = p.admin.get("/risk/method?saved=1").await.body;
    assert!(page.contains("Stricter") && page.contains("version 2"));
    // New assessments use version 2; the old one and its risk keep version 1's rating.
    let second = assessment(&p, "RA-2").await;
    let ra2 = p
        .admin
        .json(
            "GET",
            &format!("/api/v1/risk-assessments/{second}"),
            Value::Null,
        )
        .await
        .json();
    assert_eq!(ra2["method_version"], 2);
    let r2 = risk(&p, second, "Ransomware again", 3, "production=3").await;
    let one = p.admin.get(&format!("/risks/{r1}")).await.body;
    assert!(
        one.contains("Inherent risk: Medium (L3 × I3)") && one.contains("risk method version 1"),
        "score 9 is medium under version 1: {one}"
    );
    let two = p.admin.get(&format!("/risks/{r2}")).await.body;
    assert!(
        two.contains("Inherent risk: High (L3 × I3)"),
        "score 9 is high under version 2: {two}"
    );
    // The method change is in the audit trail.
    let audit = p
        .admin
        .json("GET", "/api/v1/audit?kind=risk_method", Value::Null)
        .await;
    assert!(audit.body.contains("Stricter"), "{}", audit.body);
    // A version that does not exist is refused.
    let a = p
        .admin
        .json(
            "POST",
            "/api/v1/risk-assessments",
            json!({"site_id": p.site, "name": "RA-9", "zones": [p.zone], "owner": "lead",
                   "status": "draft", "method_version": 42}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["error"]["field"], "method_version");
}

async fn the_register_rates_exports_and_maps_risks(store: Arc<Store>) {
    let p = plant(store.clone()).await;
    let ra = assessment(&p, "RA-1").await;
    risk(
        &p,
        ra,
        "Ransomware via vendor access",
        4,
        "safety=2, production=5",
    )
    .await;
    risk(&p, ra, "USB malware", 2, "production=2").await;
    // Bad consequence ratings name the field.
    let a = p
        .admin
        .json(
            "POST",
            "/api/v1/risks",
            json!({"site_id": p.site, "name": "Bad", "risk_assessment_id": ra, "threat_source": "criminal",
                   "impacts": "safety", "likelihood": 3, "owner": "lead"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["error"]["field"], "impacts");
    // Ratings must fit the assessment's method: its categories and its scales.
    for (impacts, likelihood, field, message) in [
        (
            "reputation=3",
            3,
            "impacts",
            "not a consequence category of the risk method",
        ),
        (
            "safety=7",
            3,
            "impacts",
            "safety=7: the impact scale has 5 steps",
        ),
        (
            "safety=2",
            7,
            "likelihood",
            "the likelihood scale of the risk method has 5 steps",
        ),
    ] {
        let a = p
            .admin
            .json(
                "POST",
                "/api/v1/risks",
                json!({"site_id": p.site, "name": "Off the scale", "risk_assessment_id": ra,
                       "threat_source": "criminal", "impacts": impacts, "likelihood": likelihood, "owner": "lead"}),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{impacts}");
        assert_eq!(a.json()["error"]["field"], field, "{}", a.body);
        assert!(a.body.contains(message), "{}", a.body);
    }

    // The form rates consequences with one select per category of the method.
    let form = p.admin.get("/risks/new").await.body;
    assert!(form.contains("name=\"impacts.safety\""), "{form}");
    assert!(form.contains("5 Severe"));
    let ra_text = ra.to_string();
    let site_text = p.site.to_string();
    let a = p
        .admin
        .form(
            "/risks",
            &[
                ("site_id", site_text.as_str()),
                ("name", "Insider error"),
                ("risk_assessment_id", ra_text.as_str()),
                ("threat_source", "insider_error"),
                ("impacts.safety", "3"),
                ("impacts.production", "2"),
                ("impacts.quality", ""),
                ("likelihood", "2"),
                ("owner", "lead"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let id: i64 = a
        .location()
        .trim_start_matches("/risks/")
        .trim_end_matches("?saved=1")
        .parse()
        .unwrap();
    let stored = p
        .admin
        .json("GET", &format!("/api/v1/risks/{id}"), Value::Null)
        .await
        .json();
    assert_eq!(stored["impacts"], "production=2, safety=3");
    let edit = p.admin.get(&format!("/risks/{id}/edit")).await.body;
    assert!(
        edit.contains("<option value=\"3\" selected>3 Moderate</option>"),
        "the stored rating is selected again: {edit}"
    );

    let page = p.admin.get("/risk").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    let first = body.find("Ransomware via vendor access").expect("listed");
    let second = body.find("USB malware").expect("listed");
    assert!(first < second, "highest inherent risk first");
    assert!(
        body.contains("Critical (L4 × I5)"),
        "max of the categories: {body}"
    );
    assert!(body.contains("Low (L2 × I2)"));
    // Filter by level and site; another site's register is empty.
    let low = p.admin.get("/risk?level=low").await.body;
    assert!(low.contains("USB malware") && !low.contains("Ransomware via vendor access"));
    let other = p
        .admin
        .get(&format!("/risk?site_id={}", p.other_site))
        .await
        .body;
    assert!(!other.contains("USB malware"));

    let csv = p.admin.get("/risk/register.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.contains("Ransomware via vendor access,FRA1,RA-1,"),
        "{}",
        csv.body
    );
    let xlsx = p.admin.get("/risk/register.xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.body.as_bytes().starts_with(b"PK"), "an XLSX is a zip");
    let svg = p.admin.get("/risk/heatmap.svg").await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(
        svg.body.contains("likelihood 4, impact 5: 1 risk<"),
        "inherent cell"
    );
    assert!(
        svg.body.contains("likelihood 1, impact 5: 1 risk<"),
        "residual cell"
    );

    // A reader of another site sees none of it.
    let stranger = TestClient::user(
        store.clone(),
        "kal",
        &[grant(Role::SiteEngineer, Some(p.other_site))],
    )
    .await;
    let theirs = stranger.get("/risk").await.body;
    assert!(!theirs.contains("USB malware"));
    assert!(
        !stranger
            .get("/risk/register.csv")
            .await
            .body
            .contains("USB malware")
    );
}

async fn a_recommended_sl_t_is_applied_with_its_justification(store: Arc<Store>) {
    let p = plant(store.clone()).await;
    // Changing SL-T by hand without a new justification is refused.
    let zone = p
        .admin
        .json("GET", &format!("/api/v1/zones/{}", p.zone), Value::Null)
        .await
        .json();
    let mut changed = zone.clone();
    changed["sl_t"] = json!([2, 2, 2, 2, 2, 2, 2]);
    let a = p
        .admin
        .json("PUT", &format!("/api/v1/zones/{}", p.zone), changed)
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(a.json()["error"]["field"], "sl_t_justification");

    let ra = assessment(&p, "RA-3").await;
    let detail = p.admin.get(&format!("/risk-assessments/{ra}")).await.body;
    assert!(
        detail.contains("Initial (unmitigated) risk: Critical (L4 × I5)"),
        "{detail}"
    );
    assert!(!detail.contains("apply-sl-t"), "nothing to apply yet");
    let mut rec = p
        .admin
        .json(
            "GET",
            &format!("/api/v1/risk-assessments/{ra}"),
            Value::Null,
        )
        .await
        .json();
    rec["sl_t_recommended"] = json!([3, 3, 2, 2, 3, 1, 2]);
    let a = p
        .admin
        .json(
            "PUT",
            &format!("/api/v1/risk-assessments/{ra}"),
            rec.clone(),
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "needs its justification"
    );
    rec["sl_t_justification"] = json!("Safety consequences of a compromised filler.");
    let a = p
        .admin
        .json("PUT", &format!("/api/v1/risk-assessments/{ra}"), rec)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        p.admin
            .get(&format!("/risk-assessments/{ra}"))
            .await
            .body
            .contains("apply-sl-t")
    );

    // An operator may not apply it; the admin does.
    let operator =
        TestClient::user(store.clone(), "op", &[grant(Role::Operator, Some(p.site))]).await;
    assert_eq!(
        operator
            .form(&format!("/risk-assessments/{ra}/apply-sl-t"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let a = p
        .admin
        .form(&format!("/risk-assessments/{ra}/apply-sl-t"), &[])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), format!("/risk-assessments/{ra}?applied=1"));
    let zone = p
        .admin
        .json("GET", &format!("/api/v1/zones/{}", p.zone), Value::Null)
        .await
        .json();
    assert_eq!(zone["sl_t"], json!([3, 3, 2, 2, 3, 1, 2]));
    assert_eq!(
        zone["sl_t_justification"],
        "Risk assessment 'RA-3' (risk method version 1): Safety consequences of a compromised filler."
    );
    let history = p
        .admin
        .json(
            "GET",
            &format!("/api/v1/zones/{}/history", p.zone),
            Value::Null,
        )
        .await;
    assert!(
        history.body.contains("SL-T from risk assessment RA-3"),
        "{}",
        history.body
    );
}

async fn sign(c: &TestClient, id: i64, meaning: &str, version: i64) -> Answer {
    c.json(
        "POST",
        &format!("/api/v1/exceptions/{id}/signatures"),
        json!({"meaning": meaning, "password": TEST_PASSWORD, "version": version}),
    )
    .await
}

async fn exceptions_need_authority_and_reopen_when_inputs_change(store: Arc<Store>) {
    let p = plant(store.clone()).await;
    let a = p
        .admin
        .json(
            "POST",
            "/api/v1/exceptions",
            json!({"site_id": p.site, "name": "Legacy HMI-7", "assets": [p.asset], "zones": [p.zone],
                   "requirements": "SR 1.1, SR 2.8",
                   "constraints": "Windows XP, vendor support ended; the line is validated.",
                   "justification": "Replacement planned with the line retrofit.",
                   "compensating_controls": "No remote access; USB ports blocked; firewall allow-list.",
                   "residual_risk": "high", "requested_by": "lead",
                   "expiry_date": "2030-06-30", "review_interval_days": 90}),
        )
        .await;
    let id = created(a);
    let detail = p.admin.get(&format!("/exceptions/{id}")).await.body;
    assert!(detail.contains("requested: awaiting approval"), "{detail}");
    // Neither assets nor zones: refused.
    let a = p
        .admin
        .json(
            "POST",
            "/api/v1/exceptions",
            json!({"site_id": p.site, "name": "Nothing", "justification": "j", "compensating_controls": "c",
                   "residual_risk": "low", "requested_by": "lead", "expiry_date": "2030-01-01",
                   "review_interval_days": 30}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["error"]["field"], "assets");

    // A site engineer may not accept a high risk under the default method.
    let engineer = TestClient::user(
        store.clone(),
        "eng",
        &[grant(Role::SiteEngineer, Some(p.site))],
    )
    .await;
    let a = sign(&engineer, id, "approved", 1).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(
        a.body.contains("only program_owner may approve it"),
        "{}",
        a.body
    );
    // The program owner may.
    let owner = TestClient::user(store.clone(), "po", &[grant(Role::ProgramOwner, None)]).await;
    assert_eq!(
        sign(&owner, id, "approved", 1).await.status,
        StatusCode::CREATED
    );
    let detail = p.admin.get(&format!("/exceptions/{id}")).await.body;
    assert!(
        detail.contains("approved by po; next review by"),
        "{detail}"
    );
    let register = p.admin.get("/risk").await.body;
    assert!(register.contains("exc-approved"));

    // The zone's SL-T changes: the exception is under review again.
    let mut zone = p
        .admin
        .json("GET", &format!("/api/v1/zones/{}", p.zone), Value::Null)
        .await
        .json();
    zone["sl_t"] = json!([2, 2, 2, 2, 2, 2, 2]);
    zone["sl_t_justification"] = json!("RA-4 raised the target");
    assert_eq!(
        p.admin
            .json("PUT", &format!("/api/v1/zones/{}", p.zone), zone)
            .await
            .status,
        StatusCode::OK
    );
    let detail = p.admin.get(&format!("/exceptions/{id}")).await.body;
    assert!(detail.contains("re-opened"), "{detail}");
    let due = p.admin.json("GET", "/api/v1/due", Value::Null).await.json();
    assert!(
        due["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["what"] == "re-approve the exception (its inputs changed)"),
        "{due}"
    );
    // Approved again, then revoked.
    assert_eq!(
        sign(&owner, id, "approved", 1).await.status,
        StatusCode::CREATED
    );
    assert!(
        p.admin
            .get(&format!("/exceptions/{id}"))
            .await
            .body
            .contains("approved by po")
    );
    assert_eq!(
        sign(&owner, id, "revoked", 1).await.status,
        StatusCode::CREATED
    );
    assert!(
        p.admin
            .get(&format!("/exceptions/{id}"))
            .await
            .body
            .contains("revoked by po")
    );
    // A level the risk method does not have is refused, with the levels it has.
    let mut e = p
        .admin
        .json("GET", &format!("/api/v1/exceptions/{id}"), Value::Null)
        .await
        .json();
    e["residual_risk"] = json!("extreme");
    let a = p
        .admin
        .json("PUT", &format!("/api/v1/exceptions/{id}"), e)
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["error"]["field"], "residual_risk");
    assert!(
        a.body.contains("use one of: low, medium, high, critical"),
        "{}",
        a.body
    );
}

async fn what_is_due_lists_obligations_by_urgency(store: Arc<Store>) {
    let p = plant(store.clone()).await;
    let today = jiff::Zoned::now().date();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };
    let action = |name: &str, due: String, status: &str, owner: &str| json!({"site_id": p.site, "name": name, "owner": owner, "due_date": due, "status": status});
    for body in [
        action("Patch historian", day(-3), "in_progress", "lead"),
        action("MFA on gateway", day(2), "planned", "eng"),
        action("Segment line 2", day(20), "planned", "lead"),
        action("Retire XP", day(200), "planned", "lead"),
        action("Done already", day(-30), "done", "lead"),
    ] {
        created(p.admin.json("POST", "/api/v1/treatments", body).await);
    }
    created(
        p.admin
            .json(
                "POST",
                "/api/v1/treatments",
                json!({"site_id": p.other_site, "name": "Kalamazoo fix", "owner": "lead",
                       "due_date": day(-1), "status": "planned"}),
            )
            .await,
    );
    let page = p.admin.get(&format!("/due?site_id={}", p.site)).await.body;
    let section = |key: &str| {
        let start = page
            .find(&format!("id=\"due-{key}\""))
            .unwrap_or(page.len());
        let rest = &page[start.min(page.len())..];
        rest[..rest.find("</section>").unwrap_or(rest.len())].to_string()
    };
    assert!(section("overdue").contains("Patch historian"), "{page}");
    assert!(section("week").contains("MFA on gateway"));
    assert!(section("month").contains("Segment line 2"));
    assert!(section("later").contains("Retire XP"));
    assert!(
        !page.contains("Done already"),
        "finished actions are not due"
    );
    assert!(!page.contains("Kalamazoo fix"), "another site");

    // Only mine: the engineer's action.
    let engineer = TestClient::user(
        store.clone(),
        "eng",
        &[grant(Role::SiteEngineer, Some(p.site))],
    )
    .await;
    let mine = engineer.get("/due?mine=1").await.body;
    assert!(mine.contains("MFA on gateway") && !mine.contains("Patch historian"));
    // The engineer of FRA1 never sees KAL1's obligations.
    assert!(!engineer.get("/due").await.body.contains("Kalamazoo fix"));

    // The JSON feed by site code, within 30 days (overdue always included).
    let feed = p
        .admin
        .json("GET", "/api/v1/due?site=fra1&within=30", Value::Null)
        .await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
    let items = feed.json()["obligations"].as_array().unwrap().clone();
    let titles: Vec<&str> = items.iter().map(|o| o["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        ["Patch historian", "MFA on gateway", "Segment line 2"]
    );
    assert_eq!(items[0]["bucket"], "overdue");
    assert_eq!(items[0]["site"], "FRA1");
    assert_eq!(items[0]["what"], "complete the treatment action");
    assert!(
        items[0]["href"]
            .as_str()
            .unwrap()
            .starts_with("/treatments/")
    );
    let unknown = p
        .admin
        .json("GET", "/api/v1/due?site=NOPE", Value::Null)
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
}
