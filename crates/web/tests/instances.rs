//! Several `otkeep serve` instances on one database behind a load balancer (issue 13): a
//! session started on one instance works on another (and ends on all when signed out there);
//! heavy reads are served from a read replica only while it is within its staleness bound, and
//! ordinary pages always read the primary (read-your-writes).

use otkeep_store::testing::TestDb;
use otkeep_web::testing::TestClient;
use serde_json::json;
use std::sync::Arc;

fn site(code: &str) -> serde_json::Value {
    json!({"code": code, "name": format!("Plant {code}"), "time_zone": "UTC"})
}

async fn session_moves_between_instances(db: &TestDb) {
    let a = Arc::new(db.open().await.expect("instance A"));
    let b = Arc::new(db.open().await.expect("instance B"));
    let on_a = TestClient::admin(a.clone(), "alice").await;
    let on_b = on_a.on(b.clone());

    // Signed in on A, reading and writing on B (the CSRF token travels with the session).
    assert_eq!(on_b.get("/sites").await.status, 200);
    let id = on_b
        .json("POST", "/api/v1/sites", site("LB1"))
        .await
        .created_id();
    let page = on_a.get(&format!("/sites/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Plant LB1"));
    let form = on_b
        .form(
            "/sites",
            &[("code", "LB2"), ("name", "Plant LB2"), ("time_zone", "UTC")],
        )
        .await;
    assert_eq!(form.status, 303, "{}", form.body);

    // Signing out on B ends the session on A too.
    let out = on_b.form("/logout", &[]).await;
    assert!(out.status.is_redirection(), "{}", out.status);
    let after = on_a.get("/sites").await;
    assert_ne!(
        after.status, 200,
        "the session must be gone on every instance"
    );
    assert!(after.location().contains("/login"), "{}", after.location());
    a.close().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_moves_between_instances_sqlite() {
    let db = TestDb::sqlite();
    session_moves_between_instances(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_moves_between_instances_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    session_moves_between_instances(&db).await;
    let store = db.open().await.unwrap();
    db.cleanup(&store).await;
}

#[tokio::test]
async fn heavy_reads_use_the_replica_within_its_bound() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let setup = Arc::new(db.open().await.unwrap());
    let admin = TestClient::admin(setup.clone(), "alice").await;
    admin
        .json("POST", "/api/v1/sites", site("OLD"))
        .await
        .created_id();
    let replica = TestDb::frozen_copy(&setup).await.expect("PostgreSQL");
    admin
        .json("POST", "/api/v1/sites", site("NEW"))
        .await
        .created_id();

    for (bound_secs, replica_serves) in [(3600, true), (0, false)] {
        let store = db
            .open()
            .await
            .unwrap()
            .attach_replica(&replica.url, jiff::SignedDuration::from_secs(bound_secs))
            .await
            .expect("attach the replica");
        let client = admin.on(Arc::new(store));
        // The export is a heavy read: from the replica (without NEW) when it is within the bound.
        let export = client.get("/sites/export.csv").await;
        assert_eq!(export.status, 200);
        assert!(export.body.contains("OLD"));
        assert_eq!(
            !export.body.contains("NEW"),
            replica_serves,
            "bound {bound_secs}s: {}",
            export.body
        );
        // An ordinary page always reads the primary: the user sees their own write.
        let list = client.get("/sites").await;
        assert!(list.body.contains("NEW"));
        let used = client.state.store.replica_use();
        assert_eq!(
            (used.replica > 0, used.primary > 0),
            (replica_serves, !replica_serves)
        );
        client.state.store.close().await;
    }
    let replica_store = replica.open().await.unwrap();
    replica.cleanup(&replica_store).await;
    db.cleanup(&setup).await;
}
