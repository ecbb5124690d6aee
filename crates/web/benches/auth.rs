//! What identity and access control cost, in one run on the same machine:
//!
//! - `login/argon2id_verify`: checking one password against its argon2id hash (the parameters
//!   in `otkeep_store::identity`), the bulk of a sign-in;
//! - `login/http_post`: a whole sign-in over HTTP (verify, session row, audit event, cookie);
//! - `request/*`: one API read of an asset, signed in by session cookie or by bearer token,
//!   against the same read with authentication done beforehand (`authenticated_handler`,
//!   the baseline): the difference is the authorization layer per request;
//! - `authz/*`: the layer's parts: resolving the credential (database) and the policy check.
//!
//! Run: `cargo bench -p otkeep-web --bench auth`

use axum::http::StatusCode;
use criterion::{Criterion, criterion_group, criterion_main};
use otkeep_core::access::{Capability, Role};
use otkeep_core::kinds::ASSET_KIND;
use otkeep_store::testing::TEST_PASSWORD;
use otkeep_store::{ListQuery, TokenScope};
use otkeep_web::testing::{TestClient, grant};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let db = otkeep_store::testing::TestDb::sqlite();
    let (client, asset, secret) = rt.block_on(async {
        let store = Arc::new(db.open().await.expect("open"));
        store
            .load_demo(2, 200, "bench", &mut |_| {})
            .await
            .expect("demo");
        let site = store
            .list(&otkeep_core::kinds::SITE_KIND, &ListQuery::default())
            .await
            .expect("sites")
            .records[0]
            .id;
        let asset = store
            .list(
                &ASSET_KIND,
                &ListQuery {
                    per_page: 1,
                    ..ListQuery::default()
                },
            )
            .await
            .expect("assets")
            .records[0]
            .id;
        let client = TestClient::user(
            store.clone(),
            "engineer",
            &[
                grant(Role::SiteEngineer, Some(site)),
                grant(Role::Auditor, None),
            ],
        )
        .await;
        let account = store
            .account_by_name("engineer")
            .await
            .expect("account")
            .expect("exists");
        let mut tx = store.begin_write("bench", None).await.expect("tx");
        let (_, secret) = tx
            .create_token(
                account.id,
                "bench",
                TokenScope::Read,
                jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24),
            )
            .await
            .expect("token");
        tx.commit().await.expect("commit");
        (client, asset, secret)
    });
    let hash = otkeep_store::identity::hash_password(TEST_PASSWORD).expect("hash");
    eprintln!(
        "argon2id parameters: m = {} KiB, t = {}, p = {}",
        otkeep_store::identity::ARGON2_M_COST_KIB,
        otkeep_store::identity::ARGON2_T_COST,
        otkeep_store::identity::ARGON2_P_COST
    );

    let mut login = c.benchmark_group("login");
    login
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    login.bench_function("argon2id_verify", |b| {
        b.iter(|| {
            assert!(otkeep_store::identity::verify_password(
                black_box(TEST_PASSWORD),
                &hash
            ))
        })
    });
    let anon = TestClient::anonymous(client.state.store.clone());
    login.bench_function("http_post", |b| {
        b.iter(|| {
            rt.block_on(async {
                let a = anon
                    .sign_in_form(&[("username", "engineer"), ("password", TEST_PASSWORD)])
                    .await;
                assert_eq!(a.status, StatusCode::SEE_OTHER);
            })
        })
    });
    login.finish();

    let uri = format!("/api/v1/assets/{asset}");
    let bearer = client.with_bearer(&secret);
    let mut request = c.benchmark_group("request");
    request
        .sample_size(50)
        .measurement_time(Duration::from_secs(5));
    request.bench_function("session_cookie", |b| {
        b.iter(|| {
            rt.block_on(async {
                assert_eq!(client.get(&uri).await.status, StatusCode::OK);
            })
        })
    });
    request.bench_function("bearer_token", |b| {
        b.iter(|| {
            rt.block_on(async {
                assert_eq!(bearer.get(&uri).await.status, StatusCode::OK);
            })
        })
    });
    // The baseline: the same read and JSON rendering the handler does, without the layer.
    let store = client.state.store.clone();
    request.bench_function("authenticated_handler", |b| {
        b.iter(|| {
            rt.block_on(async {
                let r = store
                    .get(&ASSET_KIND, asset)
                    .await
                    .expect("get")
                    .expect("exists");
                black_box(serde_json::to_vec(&r.to_json()).expect("json"));
            })
        })
    });
    request.finish();

    let mut authz = c.benchmark_group("authz");
    authz
        .sample_size(50)
        .measurement_time(Duration::from_secs(5));
    let mut headers = axum::http::HeaderMap::new();
    if let otkeep_web::testing::Credential::Session { cookie, .. } = &client.credential {
        headers.insert(
            axum::http::header::COOKIE,
            format!("otkeep_session={cookie}").parse().expect("header"),
        );
    }
    authz.bench_function("resolve_session", |b| {
        b.iter(|| {
            rt.block_on(async {
                let p = otkeep_web::auth::authenticate(&client.state, &headers)
                    .await
                    .expect("auth")
                    .expect("principal");
                black_box(p);
            })
        })
    });
    let principal = rt
        .block_on(otkeep_web::auth::authenticate(&client.state, &headers))
        .expect("auth")
        .expect("principal");
    let record = rt
        .block_on(store.get(&ASSET_KIND, asset))
        .expect("get")
        .expect("exists");
    authz.bench_function("policy_check", |b| {
        b.iter(|| {
            black_box(principal.access.has(Capability::Read));
            black_box(principal.access.can_read(black_box(&record)));
        })
    });
    authz.finish();
}

criterion_group!(auth, benches);
criterion_main!(auth);
