//! Program roles and training over HTTP, on SQLite and PostgreSQL: the trainings a role holder
//! lacks or must refresh are under What is due.

use axum::http::StatusCode;
use otkeep_store::Store;
use otkeep_web::testing::{Answer, TestClient};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(role_holders_are_asked_for_their_trainings);

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
