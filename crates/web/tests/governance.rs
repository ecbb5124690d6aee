//! Program roles and training over HTTP, on SQLite and PostgreSQL: the trainings a role holder
//! lacks or must refresh are under What is due.

use axum::http::StatusCode;
use otkeep_store::Store;
use otkeep_web::testing::{Answer, TestClient};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(
    role_holders_are_asked_for_their_trainings,
    the_raci_matrix_names_approvers_and_owners
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

async fn role_holders_are_asked_for_their_trainings(store: Arc<Store>) {
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
    let post = async |uri: &str, v: Value| created(admin.json("POST", uri, v).await);
    // Ann operates since long ago, Bob since 10 days, Carl left the role.
    for (person, since, until) in [
        ("Ann Operator", day(-400), None),
        ("Bob Operator", day(-10), None),
        ("Carl Operator", day(-400), Some(day(-5))),
    ] {
        post(
            "/api/v1/role-assignments",
            json!({"site_id": site, "person": person, "role": "operations", "since": since, "until": until}),
        )
        .await;
    }
    post(
        "/api/v1/role-assignments",
        json!({"site_id": site, "person": "Dora Engineer", "role": "engineering"}),
    )
    .await;
    let yearly = post(
        "/api/v1/trainings",
        json!({"site_id": site, "name": "OT security basics", "role": "operations",
               "refresh_days": 365, "owner": "OT lead"}),
    )
    .await;
    let once = post(
        "/api/v1/trainings",
        json!({"site_id": site, "name": "Removable media rules", "role": "operations", "owner": "OT lead"}),
    )
    .await;
    // Ann did both (the yearly one 300 days ago; names compared without case).
    post(
        "/api/v1/training-records",
        json!({"site_id": site, "training_id": yearly, "person": "ann operator",
               "completed_on": day(-300), "trainer": "OT lead", "evidence": "attendance list"}),
    )
    .await;
    post(
        "/api/v1/training-records",
        json!({"site_id": site, "training_id": once, "person": "Ann Operator", "completed_on": day(-380)}),
    )
    .await;
    // A record cannot expire before it was completed.
    let a = admin
        .json(
            "POST",
            "/api/v1/training-records",
            json!({"site_id": site, "training_id": once, "person": "Bob Operator",
                   "completed_on": day(-1), "expires_on": day(-2)}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("expires_on"), "{}", a.body);

    let due = admin
        .json("GET", "/api/v1/due?site=FRA1", Value::Null)
        .await
        .json();
    let mut got: Vec<(String, String, String)> = due["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "role_assignment")
        .map(|o| {
            (
                o["owner"].as_str().unwrap().to_string(),
                o["what"].as_str().unwrap().to_string(),
                o["due"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let expected = vec![
        (
            "Ann Operator".to_string(),
            "refresh the training 'OT security basics'".to_string(),
            day(65),
        ),
        (
            "Bob Operator".to_string(),
            "complete the training 'OT security basics'".to_string(),
            day(20),
        ),
        (
            "Bob Operator".to_string(),
            "complete the training 'Removable media rules'".to_string(),
            day(20),
        ),
    ];
    assert_eq!(got, expected);

    // Coverage: operations has two current holders (Carl left), Ann fully trained, Bob not;
    // engineering has Dora and no required training, so she counts as trained.
    let cov = admin
        .json("GET", "/api/v1/training/coverage?site=FRA1", Value::Null)
        .await;
    assert_eq!(cov.status, StatusCode::OK, "{}", cov.body);
    let cov = cov.json();
    let rows = cov["coverage"].as_array().unwrap();
    let row = |role: &str| rows.iter().find(|r| r["role"] == role).unwrap().clone();
    let ops = row("operations");
    assert_eq!(
        (
            &ops["holders"],
            &ops["trainings"],
            &ops["current"],
            &ops["percent"]
        ),
        (&json!(2), &json!(2), &json!(1), &json!(50))
    );
    assert_eq!(ops["gaps"].as_array().unwrap().len(), 2);
    assert!(
        ops["gaps"][0]["why"]
            .as_str()
            .unwrap()
            .starts_with("never completed")
    );
    let eng = row("engineering");
    assert_eq!((&eng["holders"], &eng["current"]), (&json!(1), &json!(1)));
    let page = admin.get(&format!("/training?site_id={site}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Operations (operators)") && page.body.contains("50 %"));
    assert!(page.body.contains("Bob Operator") && page.body.contains("Removable media rules"));
    assert!(
        !page.body.contains("Carl Operator"),
        "former holders are not listed"
    );
}

async fn the_raci_matrix_names_approvers_and_owners(store: Arc<Store>) {
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
    let post = async |uri: &str, v: Value| created(admin.json("POST", uri, v).await);
    for (person, role, until) in [
        ("Eva Security", "security", None),
        ("Max Maintenance", "maintenance", None),
        ("Old Maintainer", "maintenance", Some(day(-1))),
        ("Otto Operator", "operations", None),
    ] {
        post(
            "/api/v1/role-assignments",
            json!({"site_id": site, "person": person, "role": role, "until": until}),
        )
        .await;
    }
    for (activity, role, r) in [
        ("patch_deployment", "security", "accountable"),
        ("patch_deployment", "maintenance", "responsible"),
        ("patch_deployment", "operations", "informed"),
        ("access_review", "operations", "responsible"),
    ] {
        post(
            "/api/v1/raci",
            json!({"site_id": site, "activity": activity, "role": role, "responsibility": r}),
        )
        .await;
    }
    // One entry per activity and role.
    let a = admin
        .json(
            "POST",
            "/api/v1/raci",
            json!({"site_id": site, "activity": "access_review", "role": "operations", "responsibility": "informed"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);

    let people = admin
        .json(
            "GET",
            "/api/v1/raci/people?site=FRA1&activity=patch_deployment",
            Value::Null,
        )
        .await;
    assert_eq!(people.status, StatusCode::OK, "{}", people.body);
    assert_eq!(
        people.json()["items"],
        json!([{"site_id": site, "activity": "patch_deployment",
                "accountable": ["Eva Security"], "responsible": ["Max Maintenance"]}])
    );
    let all = admin
        .json("GET", "/api/v1/raci/people", Value::Null)
        .await
        .json();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let bad = admin
        .json("GET", "/api/v1/raci/people?activity=golf", Value::Null)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let page = admin.get(&format!("/raci-matrix?site_id={site}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Eva Security") && page.body.contains("Max Maintenance"));
    assert!(
        !page.body.contains("Old Maintainer"),
        "former holders are not suggested"
    );
    assert!(
        page.body.contains("no role is accountable"),
        "access review has a responsible role but no accountable one"
    );
    // New records' forms suggest the people the matrix names.
    let form = admin
        .get(&format!("/access-reviews/new?site_id={site}"))
        .await;
    assert!(
        form.body.contains("value=\"Otto Operator\""),
        "{}",
        form.body
    );
    // A name given in the link wins; without a site nothing is suggested.
    let form = admin
        .get(&format!(
            "/access-reviews/new?site_id={site}&reviewer=Someone"
        ))
        .await;
    assert!(form.body.contains("value=\"Someone\"") && !form.body.contains("Otto Operator"));
    let form = admin.get("/access-reviews/new").await;
    assert!(!form.body.contains("Otto Operator"));
}
