//! Accounts, sign-in and lockout, sessions, tokens, grants and signatures in the store, on
//! SQLite and PostgreSQL.

use otkeep_core::access::{Grant, Role};
use otkeep_core::kinds::{ASSET_KIND, SITE_KIND, ZONE_KIND};
use otkeep_core::value::values_from_json;
use otkeep_core::{KindDef, Record};
use otkeep_store::testing::{TEST_PASSWORD, test_account};
use otkeep_store::{AuthPolicy, LoginOutcome, Meaning, Store, StoreError, TokenScope};
use serde_json::json;
use sqlx::Row;
use std::sync::Arc;

otkeep_store::on_both_backends!(
    first_start_creates_one_administrator_with_a_one_time_password,
    password_policy_refuses_short_and_reused_passwords,
    failed_logins_lock_the_account_and_are_audited,
    sessions_are_hashed_rotated_and_end_on_logout_timeout_and_password_change,
    api_tokens_are_hashed_expire_and_can_be_revoked,
    grants_are_checked_audited_and_block_deletes,
    signatures_bind_to_content_and_join_the_audit_chain,
);

async fn create(store: &Store, kind: &'static KindDef, body: serde_json::Value) -> Record {
    let values = values_from_json(kind, &body).expect("valid");
    let mut tx = store.begin_write("setup", None).await.expect("tx");
    let r = tx.create(kind, values).await.expect("create");
    tx.commit().await.expect("commit");
    r
}

async fn actions(store: &Store) -> Vec<String> {
    let mut events = store
        .recent_events(1000, &otkeep_core::access::Scope::All)
        .await
        .expect("events");
    events.reverse();
    events.into_iter().map(|e| e.action).collect()
}

async fn login(store: &Store, user: &str, pw: &str, policy: &AuthPolicy) -> Option<String> {
    match store.login(user, pw, None, policy).await.expect("login") {
        LoginOutcome::Success { session_token, .. } => Some(session_token),
        LoginOutcome::Refused { .. } => None,
    }
}

async fn first_start_creates_one_administrator_with_a_one_time_password(store: Arc<Store>) {
    let policy = AuthPolicy::default();
    let (user, password) = store.ensure_first_admin().await.unwrap().expect("created");
    assert_eq!(user, "admin");
    assert_eq!(
        password.len(),
        24,
        "20 random characters in groups: {password}"
    );
    assert!(
        store.ensure_first_admin().await.unwrap().is_none(),
        "only on first start"
    );
    let (_, other) = {
        let db = otkeep_store::testing::TestDb::sqlite();
        let s = db.open().await.unwrap();
        s.ensure_first_admin().await.unwrap().unwrap()
    };
    assert_ne!(password, other, "never a fixed default password");
    let token = login(&store, "admin", &password, &policy)
        .await
        .expect("signs in");
    let session = store.session(&token, &policy).await.unwrap().unwrap();
    assert!(session.account.must_change_password);
    let access = store.access_of(session.account.id, false).await.unwrap();
    assert!(access.has(otkeep_core::access::Capability::ManageUsers));
}

async fn password_policy_refuses_short_and_reused_passwords(store: Arc<Store>) {
    let policy = AuthPolicy::default();
    let a = test_account(&store, "alice", &[]).await.unwrap();
    let check = |pw: &'static str| {
        let store = store.clone();
        let policy = policy.clone();
        async move {
            store
                .check_new_password(Some(a.id), "alice", pw, &policy)
                .await
        }
    };
    let e = check("short").await.unwrap_err();
    assert!(e.message.contains("at least 12"), "{e}");
    let e = check("alice-is-my-password").await.unwrap_err();
    assert!(e.message.contains("username"), "{e}");
    let e = check(TEST_PASSWORD).await.unwrap_err();
    assert!(e.message.contains("used recently"), "current password: {e}");
    // Change through five passwords; the first comes back only after falling out of history.
    let pws = [
        "first new passphrase",
        "second new passphrase",
        "third new passphrase",
        "fourth new passphrase",
        "fifth new passphrase",
    ];
    for pw in pws {
        let new = check(pw).await.expect("acceptable");
        let mut tx = store.begin_write("alice", None).await.unwrap();
        tx.set_password(a.id, new, false).await.unwrap();
        tx.commit().await.unwrap();
    }
    let e = check("second new passphrase").await.unwrap_err();
    assert!(e.message.contains("last 5"), "{e}");
    assert!(
        check(TEST_PASSWORD).await.is_ok(),
        "six passwords ago may be reused"
    );
}

async fn failed_logins_lock_the_account_and_are_audited(store: Arc<Store>) {
    let policy = AuthPolicy::default();
    test_account(&store, "bob", &[]).await.unwrap();
    for i in 1..=5 {
        let outcome = store
            .login("bob", "wrong password!", Some("10.0.0.9"), &policy)
            .await
            .unwrap();
        let LoginOutcome::Refused { locked } = outcome else {
            panic!("wrong password accepted");
        };
        assert_eq!(locked, i == 5, "locked after the fifth failure");
    }
    assert!(
        login(&store, "bob", TEST_PASSWORD, &policy).await.is_none(),
        "the right password does not open a locked account"
    );
    let bob = store.account_by_name("bob").await.unwrap().unwrap();
    assert!(bob.is_locked());
    assert!(login(&store, "nobody", "whatever", &policy).await.is_none());
    let acts = actions(&store).await;
    let failed = acts.iter().filter(|a| *a == "login_failed").count();
    assert_eq!(
        failed, 7,
        "5 wrong, 1 while locked, 1 unknown user: {acts:?}"
    );
    assert!(acts.contains(&"lockout".to_string()));
    let events = store.history("account", bob.id).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.action, "login_failed");
    assert!(last.after.as_deref().unwrap().contains("account locked"));
    assert!(
        events
            .iter()
            .any(|e| e.after.as_deref().is_some_and(|a| a.contains("10.0.0.9"))),
        "the client address is recorded"
    );
    // An administrator enables the account again: the lock is lifted.
    let mut tx = store.begin_write("admin", None).await.unwrap();
    tx.set_disabled(bob.id, false).await.unwrap();
    tx.commit().await.unwrap();
    assert!(login(&store, "bob", TEST_PASSWORD, &policy).await.is_some());
    // Disabled accounts cannot sign in.
    let mut tx = store.begin_write("admin", None).await.unwrap();
    tx.set_disabled(bob.id, true).await.unwrap();
    tx.commit().await.unwrap();
    assert!(login(&store, "bob", TEST_PASSWORD, &policy).await.is_none());
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
}

async fn sessions_are_hashed_rotated_and_end_on_logout_timeout_and_password_change(
    store: Arc<Store>,
) {
    let policy = AuthPolicy::default();
    let carol = test_account(&store, "carol", &[]).await.unwrap();
    let t1 = login(&store, "carol", TEST_PASSWORD, &policy)
        .await
        .unwrap();
    let t2 = login(&store, "carol", TEST_PASSWORD, &policy)
        .await
        .unwrap();
    assert_ne!(t1, t2, "every sign-in gets a new session id");
    assert_eq!(t1.len(), 64, "256 random bits");
    let s1 = store.session(&t1, &policy).await.unwrap().unwrap();
    let s2 = store.session(&t2, &policy).await.unwrap().unwrap();
    assert_ne!(s1.csrf_token, s2.csrf_token);
    // Only hashes are stored.
    let stored: Vec<String> = sqlx::query("SELECT id_hash FROM session")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect();
    assert!(!stored.contains(&t1) && stored.len() == 2);

    store.logout(&t1).await.unwrap();
    assert!(store.session(&t1, &policy).await.unwrap().is_none());
    assert!(store.session(&t2, &policy).await.unwrap().is_some());
    assert!(actions(&store).await.contains(&"logout".to_string()));

    // A password change ends every session.
    let new = store
        .check_new_password(Some(carol.id), "carol", "a completely new one", &policy)
        .await
        .unwrap();
    let mut tx = store.begin_write("carol", None).await.unwrap();
    tx.set_password(carol.id, new, false).await.unwrap();
    tx.commit().await.unwrap();
    assert!(store.session(&t2, &policy).await.unwrap().is_none());

    // Idle and absolute timeouts.
    let idle = AuthPolicy {
        session_idle: jiff::SignedDuration::from_millis(200),
        ..AuthPolicy::default()
    };
    let t = login(&store, "carol", "a completely new one", &idle)
        .await
        .unwrap();
    assert!(store.session(&t, &idle).await.unwrap().is_some());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        store.session(&t, &idle).await.unwrap().is_none(),
        "idle timeout"
    );
    let short = AuthPolicy {
        session_absolute: jiff::SignedDuration::from_millis(200),
        ..AuthPolicy::default()
    };
    let t = login(&store, "carol", "a completely new one", &short)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        store.session(&t, &policy).await.unwrap().is_none(),
        "absolute timeout, even when active"
    );
    assert!(
        store
            .session("not-a-session", &policy)
            .await
            .unwrap()
            .is_none()
    );
}

async fn api_tokens_are_hashed_expire_and_can_be_revoked(store: Arc<Store>) {
    let dave = test_account(&store, "dave", &[]).await.unwrap();
    let in_a_week = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 7);
    let mut tx = store.begin_write("dave", None).await.unwrap();
    let (token, secret) = tx
        .create_token(dave.id, "nightly export", TokenScope::Read, in_a_week)
        .await
        .unwrap();
    let past = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    assert!(matches!(
        tx.create_token(dave.id, "x", TokenScope::Read, past).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        tx.create_token(dave.id, " ", TokenScope::Read, in_a_week)
            .await,
        Err(StoreError::Invalid(_))
    ));
    tx.commit().await.unwrap();
    assert!(secret.starts_with("otk_") && secret.starts_with(&token.prefix));
    let stored: String = sqlx::query("SELECT token_hash FROM api_token WHERE id = $1")
        .bind(token.id)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_ne!(stored, secret);
    let (who, t, _) = store.authenticate_token(&secret).await.unwrap().unwrap();
    assert_eq!((who.username.as_str(), t.scope), ("dave", TokenScope::Read));
    let used = store.tokens_of(dave.id).await.unwrap();
    assert!(used[0].last_used_at.is_some(), "last use is noted");
    assert!(
        store
            .authenticate_token("otk_guess")
            .await
            .unwrap()
            .is_none()
    );

    // Expired tokens stop working.
    let mut tx = store.begin_write("dave", None).await.unwrap();
    let (_, second) = tx
        .create_token(dave.id, "short-lived", TokenScope::ReadWrite, in_a_week)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("UPDATE api_token SET expires_at = '2020-01-01T00:00:00.000000Z' WHERE name = 'short-lived'")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(store.authenticate_token(&second).await.unwrap().is_none());

    let mut tx = store.begin_write("dave", None).await.unwrap();
    tx.revoke_token(dave.id, token.id).await.unwrap();
    tx.commit().await.unwrap();
    assert!(store.authenticate_token(&secret).await.unwrap().is_none());
    let acts = actions(&store).await;
    assert!(acts.contains(&"token_create".into()) && acts.contains(&"token_revoke".into()));
    let audit_text: Vec<String> = store
        .recent_events(100, &otkeep_core::access::Scope::All)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.after)
        .collect();
    assert!(
        audit_text.iter().all(|a| !a.contains(&secret[4..])),
        "secrets never reach the audit trail"
    );
}

async fn grants_are_checked_audited_and_block_deletes(store: Arc<Store>) {
    let site = create(
        &store,
        &SITE_KIND,
        json!({"code": "S1", "name": "One", "time_zone": "UTC"}),
    )
    .await;
    let zone = create(
        &store,
        &ZONE_KIND,
        json!({"site_id": site.id, "name": "Z", "owner": "o"}),
    )
    .await;
    let asset = create(
        &store,
        &ASSET_KIND,
        json!({"site_id": site.id, "zone_id": zone.id, "name": "PLC", "asset_type": "plc",
               "criticality": "high", "owner": "o", "lifecycle": "operational"}),
    )
    .await;
    let erin = test_account(&store, "erin", &[]).await.unwrap();
    let mut tx = store.begin_write("admin", None).await.unwrap();
    let bad = Grant {
        role: Role::Admin,
        site: Some(site.id),
        asset: None,
    };
    assert!(matches!(
        tx.add_grant(erin.id, &bad).await,
        Err(StoreError::Invalid(_))
    ));
    let missing = Grant {
        role: Role::SiteEngineer,
        site: Some(9999),
        asset: None,
    };
    assert!(matches!(
        tx.add_grant(erin.id, &missing).await,
        Err(StoreError::Invalid(_))
    ));
    let vendor = Grant {
        role: Role::Vendor,
        site: None,
        asset: Some(asset.id),
    };
    let g = tx.add_grant(erin.id, &vendor).await.unwrap();
    tx.commit().await.unwrap();
    let grants = store.grants_of(erin.id).await.unwrap();
    assert_eq!(
        grants[0].grant.site,
        Some(site.id),
        "a vendor grant takes its asset's site"
    );

    // The granted asset cannot be deleted while the grant exists.
    let mut tx = store.begin_write("admin", None).await.unwrap();
    let e = tx.delete(&ASSET_KIND, asset.id, 1).await.unwrap_err();
    assert!(e.to_string().contains("role grant"), "{e}");
    drop(tx);
    let mut tx = store.begin_write("admin", None).await.unwrap();
    tx.remove_grant(erin.id, g).await.unwrap();
    tx.delete(&ASSET_KIND, asset.id, 1).await.unwrap();
    tx.commit().await.unwrap();
    let acts = actions(&store).await;
    assert!(acts.contains(&"grant".into()) && acts.contains(&"revoke".into()));
    // The last administrator can neither lose the role nor be disabled.
    let admin = Grant {
        role: Role::Admin,
        site: None,
        asset: None,
    };
    let mut tx = store.begin_write("admin", None).await.unwrap();
    let only = tx.add_grant(erin.id, &admin).await.unwrap();
    assert!(matches!(
        tx.remove_grant(erin.id, only).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        tx.set_disabled(erin.id, true).await,
        Err(StoreError::Invalid(_))
    ));
    tx.commit().await.unwrap();
    let second = test_account(&store, "second-admin", std::slice::from_ref(&admin))
        .await
        .unwrap();
    let mut tx = store.begin_write("admin", None).await.unwrap();
    tx.remove_grant(erin.id, only).await.unwrap();
    assert!(matches!(
        tx.set_disabled(second.id, true).await,
        Err(StoreError::Invalid(_))
    ));
    tx.commit().await.unwrap();
    // Grant events name their site, so site auditors see them.
    let scoped = store
        .recent_events(
            100,
            &otkeep_core::access::Scope::Limited {
                sites: vec![site.id],
                records: vec![],
            },
        )
        .await
        .unwrap();
    assert!(scoped.iter().any(|e| e.action == "grant"));
    assert!(scoped.iter().all(|e| e.site_id == Some(site.id)));
}

async fn signatures_bind_to_content_and_join_the_audit_chain(store: Arc<Store>) {
    let site = create(
        &store,
        &SITE_KIND,
        json!({"code": "S1", "name": "One", "time_zone": "UTC"}),
    )
    .await;
    let frank = test_account(&store, "frank", &[]).await.unwrap();
    let mut tx = store.begin_write("frank", None).await.unwrap();
    let sig = tx
        .sign(&frank, &site, Meaning::Approved, "looks right")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let current = store.get(&SITE_KIND, site.id).await.unwrap().unwrap();
    assert!(sig.matches(&current));
    let sigs = store.signatures("site", site.id).await.unwrap();
    assert_eq!(sigs.len(), 1);
    assert_eq!(
        (sigs[0].meaning.as_str(), sigs[0].comment.as_deref()),
        ("approved", Some("looks right"))
    );
    // The signature is an event of the record's history, in the hash chain.
    let history = store.history("site", site.id).await.unwrap();
    let event = history.iter().find(|e| e.action == "sign").unwrap();
    assert_eq!(event.seq, sigs[0].audit_seq);
    assert!(
        event
            .after
            .as_deref()
            .unwrap()
            .contains(&sigs[0].content_hash)
    );
    assert_eq!(store.verify_audit().await.unwrap().broken, None);

    // Editing the record makes the signature stale; a no-op save does not.
    let mut tx = store.begin_write("frank", None).await.unwrap();
    let same = tx
        .update(&SITE_KIND, site.id, 1, current.values.clone())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(sig.matches(&same), "same content, new version: still valid");
    let mut values = same.values.clone();
    values.insert("name", otkeep_core::Value::Text("Renamed".into()));
    let mut tx = store.begin_write("frank", None).await.unwrap();
    let changed = tx.update(&SITE_KIND, site.id, 2, values).await.unwrap();
    tx.commit().await.unwrap();
    assert!(!sig.matches(&changed));

    // Signing a version that is no longer current is refused.
    let mut tx = store.begin_write("frank", None).await.unwrap();
    assert!(matches!(
        tx.sign(&frank, &current, Meaning::Reviewed, "").await,
        Err(StoreError::Conflict { .. })
    ));
}
