//! The store's behaviour, run against SQLite and against PostgreSQL (see `testing`).

use otkeep_core::access::Scope;
use otkeep_core::kinds::{ASSET_KIND, CONDUIT_KIND, SITE_KIND, ZONE_KIND};
use otkeep_core::value::{values_from_json, values_from_text};
use otkeep_core::{KindDef, Value, Values};
use otkeep_store::{Backend, ListQuery, SortOrder, Store, StoreError};
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;
use std::sync::Arc;

otkeep_store::on_both_backends!(
    records_round_trip_with_typed_fields,
    references_must_exist_and_stay_within_the_site,
    stale_edits_are_refused,
    names_are_unique_within_a_site,
    every_change_is_audited_and_the_chain_verifies,
    tampering_with_the_audit_trail_is_detected,
    a_removed_audit_event_is_detected,
    referenced_records_cannot_be_deleted,
    lists_filter_search_sort_and_paginate,
    list_all_returns_every_match_in_list_order,
    an_uncommitted_transaction_leaves_nothing,
    migrations_are_idempotent,
    sl_t_changes_need_a_new_justification,
    the_seeded_risk_method_is_the_default,
    the_demo_carries_years_of_operations_records,
    the_demo_loads_small_sites,
    the_demo_has_a_governance_program,
    records_are_rebuilt_as_of_a_past_instant,
    observed_traffic_is_kept_audited_and_reconciled,
);

fn vals(kind: &KindDef, json: serde_json::Value) -> Values {
    match values_from_json(kind, &json) {
        Ok(v) => v,
        Err(e) => panic!("fixture for {} invalid: {e:?}", kind.name),
    }
}

struct Fixture {
    site: i64,
    other_site: i64,
    control: i64,
    dmz: i64,
    other_zone: i64,
}

async fn fixture(store: &Store) -> Fixture {
    let mut tx = store
        .begin_write("alice", Some("initial load"))
        .await
        .unwrap();
    let site = tx
        .create(
            &SITE_KIND,
            vals(
                &SITE_KIND,
                json!({"code": "fra1", "name": "Frankfurt", "time_zone": "Europe/Berlin"}),
            ),
        )
        .await
        .unwrap();
    let other = tx
        .create(
            &SITE_KIND,
            vals(
                &SITE_KIND,
                json!({"code": "KAL1", "name": "Kalamazoo", "time_zone": "America/Detroit"}),
            ),
        )
        .await
        .unwrap();
    let zone = |site: i64, name: &str| {
        vals(
            &ZONE_KIND,
            json!({"site_id": site, "name": name, "purdue_level": "l1", "sl_t": [2,2,3,1,2,1,2], "owner": "OT lead"}),
        )
    };
    let control = tx
        .create(&ZONE_KIND, zone(site.id, "Control"))
        .await
        .unwrap();
    let dmz = tx.create(&ZONE_KIND, zone(site.id, "DMZ")).await.unwrap();
    let other_zone = tx
        .create(&ZONE_KIND, zone(other.id, "Control"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    Fixture {
        site: site.id,
        other_site: other.id,
        control: control.id,
        dmz: dmz.id,
        other_zone: other_zone.id,
    }
}

fn asset(site: i64, zone: i64, name: &str) -> Values {
    vals(
        &ASSET_KIND,
        json!({
            "site_id": site, "zone_id": zone, "name": name, "asset_type": "plc",
            "vendor": "Siemens", "model": "S7-1516-3 PN/DP", "firmware_version": "V2.9.4",
            "ip_addresses": "10.1.2.3", "criticality": "high", "owner": "M. Keller",
            "lifecycle": "operational"
        }),
    )
}

fn invalid_fields(err: StoreError) -> Vec<String> {
    match err {
        StoreError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a validation error, got {other}"),
    }
}

async fn records_round_trip_with_typed_fields(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let mut tx = store.begin_write("alice", None).await.unwrap();
    let conduit = tx
        .create(
            &CONDUIT_KIND,
            vals(
                &CONDUIT_KIND,
                json!({
                    "site_id": f.site, "name": "DMZ to control", "zone_a_id": f.dmz, "zone_b_id": f.control,
                    "channels": [
                        {"protocol": "OPC UA", "port": 4840, "transport": "tcp", "direction": "a_to_b"},
                        {"protocol": "PROFINET RT", "transport": "l2", "direction": "both"}
                    ],
                    "sl_t": [3,3,2,2,3,1,2], "owner": "OT lead"
                }),
            ),
        )
        .await
        .unwrap();
    let a = tx
        .create(&ASSET_KIND, asset(f.site, f.control, "PLC-01"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let read = store.get(&CONDUIT_KIND, conduit.id).await.unwrap().unwrap();
    assert_eq!(
        read.values, conduit.values,
        "conduit with channels and SL-T round-trips"
    );
    assert_eq!(read.version, 1);
    assert_eq!(
        read.get("channels").to_text(),
        "OPC UA 4840/tcp a_to_b; PROFINET RT l2 both"
    );
    let zone = store.get(&ZONE_KIND, f.control).await.unwrap().unwrap();
    assert_eq!(zone.get("sl_t").to_json(), json!([2, 2, 3, 1, 2, 1, 2]));
    let site = store.get(&SITE_KIND, f.site).await.unwrap().unwrap();
    assert_eq!(
        site.get("code"),
        &Value::Text("FRA1".into()),
        "codes are stored upper-case"
    );
    let read = store.get(&ASSET_KIND, a.id).await.unwrap().unwrap();
    assert_eq!(read.values, a.values);
    assert!(store.get(&ASSET_KIND, 999_999).await.unwrap().is_none());
}

async fn references_must_exist_and_stay_within_the_site(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let mut tx = store.begin_write("alice", None).await.unwrap();
    let err = tx
        .create(&ASSET_KIND, asset(f.site, f.other_zone, "PLC-X"))
        .await
        .unwrap_err();
    assert_eq!(invalid_fields(err), ["zone_id"]);
    let err = tx
        .create(&ASSET_KIND, asset(f.site, 424_242, "PLC-Y"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");

    let conduit = |cross: bool| {
        vals(
            &CONDUIT_KIND,
            json!({"site_id": f.site, "name": format!("to KAL {cross}"), "zone_a_id": f.control,
                   "zone_b_id": f.other_zone, "cross_site": cross, "owner": "x"}),
        )
    };
    let err = tx.create(&CONDUIT_KIND, conduit(false)).await.unwrap_err();
    assert_eq!(invalid_fields(err), ["zone_b_id"]);
    // Named explicitly as a cross-site link, it is accepted.
    tx.create(&CONDUIT_KIND, conduit(true)).await.unwrap();
    // Zone A must always be of the conduit's own site.
    let err = tx
        .create(
            &CONDUIT_KIND,
            vals(
                &CONDUIT_KIND,
                json!({"site_id": f.other_site, "name": "c", "zone_a_id": f.control,
                       "zone_b_id": f.other_zone, "cross_site": true, "owner": "x"}),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(invalid_fields(err), ["zone_a_id"]);
    tx.commit().await.unwrap();
}

async fn stale_edits_are_refused(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let mut tx = store.begin_write("alice", None).await.unwrap();
    let a = tx
        .create(&ASSET_KIND, asset(f.site, f.control, "PLC-01"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // Alice and Bob both open version 1; Alice saves first.
    let mut alice = a.values.clone();
    alice.insert("firmware_version", Value::Text("V3.0.1".into()));
    let mut tx = store
        .begin_write("alice", Some("firmware update"))
        .await
        .unwrap();
    let saved = tx.update(&ASSET_KIND, a.id, 1, alice).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(saved.version, 2);

    let mut bob = a.values.clone();
    bob.insert("location", Value::Text("Cabinet 4".into()));
    let mut tx = store.begin_write("bob", None).await.unwrap();
    match tx.update(&ASSET_KIND, a.id, 1, bob).await {
        Err(StoreError::Conflict {
            current: 2,
            expected: 1,
            ..
        }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    drop(tx);
    let now = store.get(&ASSET_KIND, a.id).await.unwrap().unwrap();
    assert_eq!(
        now.get("firmware_version").to_text(),
        "V3.0.1",
        "Alice's edit is kept"
    );
    assert!(
        now.get("location").is_null(),
        "Bob's stale edit was not applied"
    );

    let mut tx = store.begin_write("bob", None).await.unwrap();
    assert!(matches!(
        tx.delete(&ASSET_KIND, a.id, 1).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        tx.update(&ASSET_KIND, 777_777, 1, a.values.clone()).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn names_are_unique_within_a_site(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let mut tx = store.begin_write("alice", None).await.unwrap();
    let first = tx
        .create(&ASSET_KIND, asset(f.site, f.control, "PLC-01"))
        .await
        .unwrap();
    let err = tx
        .create(&ASSET_KIND, asset(f.site, f.dmz, "PLC-01"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("already has name 'PLC-01' in this site"),
        "{err}"
    );
    // The same name in another site is fine, and saving a record under its own name too.
    tx.create(&ASSET_KIND, asset(f.other_site, f.other_zone, "PLC-01"))
        .await
        .unwrap();
    tx.update(&ASSET_KIND, first.id, 1, first.values.clone())
        .await
        .unwrap();
    let err = tx
        .create(
            &SITE_KIND,
            vals(
                &SITE_KIND,
                json!({"code": "FRA1", "name": "again", "time_zone": "UTC"}),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(invalid_fields(err), ["code"]);
    tx.commit().await.unwrap();
}

async fn every_change_is_audited_and_the_chain_verifies(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let mut tx = store
        .begin_write("alice", Some("commissioning"))
        .await
        .unwrap();
    let a = tx
        .create(&ASSET_KIND, asset(f.site, f.control, "PLC-01"))
        .await
        .unwrap();
    let mut changed = a.values.clone();
    changed.insert("criticality", Value::Text("critical".into()));
    let a2 = tx.update(&ASSET_KIND, a.id, 1, changed).await.unwrap();
    tx.delete(&ASSET_KIND, a.id, a2.version).await.unwrap();
    tx.commit().await.unwrap();

    let history = store.history("asset", a.id).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "update", "delete"]);
    assert!(history.iter().all(|e| e.actor == "alice"));
    assert_eq!(history[1].reason.as_deref(), Some("commissioning"));
    let changes = history[1].changes();
    assert_eq!(
        changes.len(),
        1,
        "only the criticality changed: {changes:?}"
    );
    assert_eq!(changes[0].field, "criticality");
    assert_eq!(changes[0].before, json!("high"));
    assert_eq!(changes[0].after, json!("critical"));
    assert!(history[0].before.is_none() && history[2].after.is_none());

    let report = store.verify_audit().await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(report.checked, 5 + 3, "5 fixture records + 3 asset events");
    assert_eq!(report.head, history[2].hash);
}

async fn drop_audit_triggers(store: &Store) {
    let sql = match store.backend() {
        Backend::Sqlite => {
            "DROP TRIGGER audit_event_no_update; DROP TRIGGER audit_event_no_delete;"
        }
        Backend::Postgres => "DROP TRIGGER audit_event_no_update ON audit_event;",
    };
    sqlx::raw_sql(sql).execute(store.pool()).await.unwrap();
}

async fn tampering_with_the_audit_trail_is_detected(store: Arc<Store>) {
    let store = &*store;
    fixture(store).await;
    // The trail refuses ordinary updates.
    let refused = sqlx::query("UPDATE audit_event SET actor = 'mallory' WHERE seq = 3")
        .execute(store.pool())
        .await;
    assert!(refused.is_err(), "append-only trigger must refuse updates");

    // Someone with direct database access removes the guard and rewrites event 3.
    drop_audit_triggers(store).await;
    sqlx::query(AssertSqlSafe(
        "UPDATE audit_event SET after_json = REPLACE(after_json, 'OT lead', 'Mallory') WHERE seq = 3",
    ))
    .execute(store.pool())
    .await
    .unwrap();
    let report = store.verify_audit().await.unwrap();
    let (seq, why) = report.broken.expect("tampering must be detected");
    assert_eq!(seq, 3);
    assert!(why.contains("altered"), "{why}");
    assert_eq!(report.checked, 2);
}

async fn a_removed_audit_event_is_detected(store: Arc<Store>) {
    let store = &*store;
    fixture(store).await;
    drop_audit_triggers(store).await;
    sqlx::query("DELETE FROM audit_event WHERE seq = 2")
        .execute(store.pool())
        .await
        .unwrap();
    let report = store.verify_audit().await.unwrap();
    let (seq, why) = report.broken.expect("a gap must be detected");
    assert_eq!(seq, 2);
    assert!(why.contains("missing"), "{why}");
}

async fn referenced_records_cannot_be_deleted(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let mut tx = store.begin_write("alice", None).await.unwrap();
    tx.create(&ASSET_KIND, asset(f.site, f.control, "PLC-01"))
        .await
        .unwrap();
    let err = tx.delete(&ZONE_KIND, f.control, 1).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Referenced(m) if m.contains("1 asset (Zone) still refer")),
        "{err}"
    );
    // Nor moved to another site while its assets stay behind.
    let moved = |name: &str| {
        vals(
            &ZONE_KIND,
            json!({"site_id": f.other_site, "name": name, "owner": "OT lead",
                   "sl_t_justification": "Site reorganisation"}),
        )
    };
    let err = tx
        .update(&ZONE_KIND, f.control, 1, moved("Moved control"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot move to another site while 1 asset (Zone)"),
        "{err}"
    );
    // An empty zone may move.
    tx.update(&ZONE_KIND, f.dmz, 1, moved("Moved DMZ"))
        .await
        .unwrap();
    tx.delete(&ZONE_KIND, f.dmz, 2).await.unwrap();
    tx.commit().await.unwrap();
    assert!(store.get(&ZONE_KIND, f.dmz).await.unwrap().is_none());
}

async fn lists_filter_search_sort_and_paginate(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let mut tx = store.begin_write("alice", None).await.unwrap();
    for i in 0..30 {
        let mut v = asset(
            f.site,
            if i % 2 == 0 { f.control } else { f.dmz },
            &format!("A-{i:02}"),
        );
        if i % 3 == 0 {
            v.insert("asset_type", Value::Text("hmi".into()));
            v.insert("vendor", Value::Text("Rockwell 100%_special".into()));
        }
        tx.create(&ASSET_KIND, v).await.unwrap();
    }
    tx.create(&ASSET_KIND, asset(f.other_site, f.other_zone, "B-01"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let all = store
        .list(&ASSET_KIND, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(all.total, 31);
    assert_eq!(all.records.first().map(|r| r.title()), Some("A-00".into()));

    let mut q = ListQuery::default();
    q.filters.insert("asset_type", Value::Text("hmi".into()));
    q.filters.insert("site_id", Value::Int(f.site));
    let hmis = store.list(&ASSET_KIND, &q).await.unwrap();
    assert_eq!(hmis.total, 10);
    assert!(
        hmis.records
            .iter()
            .all(|r| r.get("asset_type").to_text() == "hmi")
    );

    // Free text is case-insensitive and treats % and _ literally.
    let q = ListQuery {
        text: Some("100%_SPECIAL".into()),
        ..ListQuery::default()
    };
    assert_eq!(store.list(&ASSET_KIND, &q).await.unwrap().total, 10);
    let q = ListQuery {
        text: Some("%".into()),
        ..ListQuery::default()
    };
    assert_eq!(store.list(&ASSET_KIND, &q).await.unwrap().total, 10);

    // Sorting by a reference sorts by the referenced title; pages do not overlap.
    let q = ListQuery {
        sort: Some("zone_id"),
        order: SortOrder::Desc,
        per_page: 20,
        ..ListQuery::default()
    };
    let p1 = store.list(&ASSET_KIND, &q).await.unwrap();
    assert_eq!(
        p1.records[0].get("zone_id").as_int(),
        Some(f.dmz),
        "DMZ sorts after Control"
    );
    let p2 = store
        .list(
            &ASSET_KIND,
            &ListQuery {
                page: 2,
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (p1.records.len(), p2.records.len(), p1.pages()),
        (20, 11, 2)
    );
    let ids: std::collections::HashSet<i64> =
        p1.records.iter().chain(&p2.records).map(|r| r.id).collect();
    assert_eq!(ids.len(), 31);

    // Site scope (authorization) restricts lists, even with no other filter.
    let q = ListQuery {
        scope: Scope::Limited {
            sites: vec![f.other_site],
            records: vec![],
        },
        ..ListQuery::default()
    };
    let scoped = store.list(&ASSET_KIND, &q).await.unwrap();
    assert_eq!(scoped.total, 1);
    // A record named one by one is visible beside whole sites (a vendor's granted asset).
    let q = ListQuery {
        scope: Scope::Limited {
            sites: vec![f.other_site],
            records: vec![p1.records[0].id],
        },
        ..ListQuery::default()
    };
    assert_eq!(store.list(&ASSET_KIND, &q).await.unwrap().total, 2);
    let q = ListQuery {
        scope: Scope::nothing(),
        ..ListQuery::default()
    };
    assert_eq!(store.list(&SITE_KIND, &q).await.unwrap().total, 0);

    let counts = store.count_by_site(&ASSET_KIND).await.unwrap();
    assert_eq!(counts.get(&f.site), Some(&30));
    let by_type = store
        .count_by_site_and_field(&ASSET_KIND, "asset_type")
        .await
        .unwrap();
    let count = |site: i64, t: &str| by_type.get(&(site, t.to_string())).copied();
    assert_eq!(count(f.site, "hmi"), Some(10));
    assert_eq!(count(f.site, "plc"), Some(20));
    assert_eq!(count(f.other_site, "plc"), Some(1));
    assert_eq!(count(f.other_site, "hmi"), None);
    assert_eq!(
        store
            .find_id(&ZONE_KIND, "name", "DMZ", Some(f.site))
            .await
            .unwrap(),
        Some(f.dmz)
    );
}

/// `list_all` (reports, exports, the KPI snapshot) returns the same records in the same order as
/// the list's pages, children included, beyond several chunks of `MAX_PER_PAGE`.
async fn list_all_returns_every_match_in_list_order(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let mut tx = store.begin_write("alice", None).await.unwrap();
    for i in 0..1_100 {
        // Sorted by zone A below: 550 records share each value, so the order rests on its tie-break.
        let (zone, name) = if i % 2 == 0 {
            (f.dmz, format!("C-{:04}", i / 2))
        } else {
            (f.control, format!("C-{:04}", i / 2))
        };
        let (other, tag) = if zone == f.dmz {
            (f.control, "d")
        } else {
            (f.dmz, "c")
        };
        let name = format!("{name}-{tag}");
        tx.create(
            &CONDUIT_KIND,
            vals(
                &CONDUIT_KIND,
                json!({
                    "site_id": f.site, "name": name, "zone_a_id": zone, "zone_b_id": other,
                    "channels": [
                        {"protocol": "Modbus/TCP", "port": 502 + (i % 7), "transport": "tcp", "direction": "a_to_b"},
                        {"protocol": "S7comm", "port": 102, "transport": "tcp", "direction": "both"}
                    ],
                    "sl_t": [2,2,2,2,2,1,2], "owner": "OT lead"
                }),
            ),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let mut q = ListQuery {
        sort: Some("zone_a_id"),
        order: SortOrder::Desc,
        ..ListQuery::default()
    };
    q.filters.insert("site_id", Value::Int(f.site));
    let all = store.list_all(&CONDUIT_KIND, &q).await.unwrap();
    assert_eq!(all.len(), 1_100);
    let mut paged = Vec::new();
    for page in 1..=3 {
        let p = store
            .list(
                &CONDUIT_KIND,
                &ListQuery {
                    page,
                    per_page: otkeep_store::read::MAX_PER_PAGE,
                    ..q.clone()
                },
            )
            .await
            .unwrap();
        paged.extend(p.records);
    }
    let ids = |rs: &[otkeep_core::Record]| rs.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(&all), ids(&paged), "the same records in the same order");
    assert_eq!(
        all.first().map(|r| r.get("zone_a_id").as_int()),
        Some(Some(f.dmz))
    );
    assert_eq!(
        all.last().map(|r| r.get("zone_a_id").as_int()),
        Some(Some(f.control))
    );
    for (a, p) in all.iter().zip(&paged) {
        assert_eq!(
            a.values,
            p.values,
            "children (channels) loaded for {}",
            a.title()
        );
    }
    let last = all.last().unwrap();
    assert!(
        matches!(last.get("channels"), Value::Channels(c) if c.len() == 2),
        "the last chunk has its children too"
    );

    // Filters and scope apply as in a list.
    let none = ListQuery {
        scope: Scope::Limited {
            sites: vec![f.other_site],
            records: vec![],
        },
        ..ListQuery::default()
    };
    assert!(
        store
            .list_all(&CONDUIT_KIND, &none)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn an_uncommitted_transaction_leaves_nothing(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let before = store.verify_audit().await.unwrap();
    {
        let mut tx = store.begin_write("alice", None).await.unwrap();
        tx.create(&ASSET_KIND, asset(f.site, f.control, "PLC-01"))
            .await
            .unwrap();
        // dropped without commit
    }
    let list = store
        .list(&ASSET_KIND, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(list.total, 0);
    assert_eq!(store.verify_audit().await.unwrap(), before);
    // And the next write continues the chain cleanly.
    let mut tx = store.begin_write("alice", None).await.unwrap();
    tx.create(&ASSET_KIND, asset(f.site, f.control, "PLC-01"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
}

async fn migrations_are_idempotent(store: Arc<Store>) {
    let store = &*store;
    let applied = otkeep_store::migrate::migrate(store.pool(), store.backend())
        .await
        .unwrap();
    assert!(applied.is_empty());
    // Form-style text input produces the same values as JSON input.
    let input: BTreeMap<String, String> = [("code", "x1"), ("name", "X"), ("time_zone", "UTC")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(
        values_from_text(&SITE_KIND, &input).unwrap(),
        vals(
            &SITE_KIND,
            json!({"code": "X1", "name": "X", "time_zone": "UTC"})
        )
    );
}

async fn sl_t_changes_need_a_new_justification(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let zone = store.get(&ZONE_KIND, f.dmz).await.unwrap().unwrap();
    let with = |sl_t: [u8; 7], why: &str| {
        let mut v = zone.values.clone();
        v.insert("sl_t", Value::Sl(otkeep_core::SlVector::new(sl_t).unwrap()));
        v.insert(
            "sl_t_justification",
            if why.is_empty() {
                Value::Null
            } else {
                Value::Text(why.into())
            },
        );
        v
    };
    let mut tx = store.begin_write("alice", None).await.unwrap();
    // Other fields change freely; SL-T without a (new) justification is refused.
    let err = tx
        .update(&ZONE_KIND, f.dmz, 1, with([3, 3, 3, 3, 3, 3, 3], ""))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(e) if e[0].field == "sl_t_justification"),
        "{err}"
    );
    let z = tx
        .update(
            &ZONE_KIND,
            f.dmz,
            1,
            with([3, 3, 3, 3, 3, 3, 3], "RA-7: remote access"),
        )
        .await
        .unwrap();
    let err = tx
        .update(
            &ZONE_KIND,
            f.dmz,
            z.version,
            with([2, 2, 2, 2, 2, 2, 2], "RA-7: remote access"),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("say why"),
        "the same text again is not a justification"
    );
    let mut same_sl_t = z.values.clone();
    same_sl_t.insert("owner", Value::Text("New owner".into()));
    tx.update(&ZONE_KIND, f.dmz, z.version, same_sl_t)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn the_seeded_risk_method_is_the_default(store: Arc<Store>) {
    let m = store.risk_method(None).await.unwrap();
    assert_eq!(m.version, 1);
    assert_eq!(m.method, otkeep_core::risk::RiskMethod::default_method());
    assert_eq!(m.site, None);
}

/// The demo's operations records of every kind (`load_demo` → `demo_ops`), with the states
/// the KPIs and the due list have something to show for.
async fn the_demo_carries_years_of_operations_records(store: Arc<Store>) {
    use otkeep_core::account_kinds::{ACCESS_REVIEW_KIND, OT_ACCOUNT_KIND, REVOCATION_KIND};
    use otkeep_core::config_kinds::CHANGE_KIND;
    use otkeep_core::ops_kinds::{
        BACKUP_PLAN_KIND, BACKUP_RECORD_KIND, LOG_REVIEW_KIND, LOG_SOURCE_KIND, RESTORE_TEST_KIND,
    };
    use otkeep_core::patch_kinds::{PATCH_DEPLOYMENT_KIND, PATCH_KIND};
    use otkeep_core::remote_kinds::{REMOTE_SESSION_KIND, flag_reason};
    use otkeep_core::risk_kinds::EXCEPTION_KIND;

    let load = store
        .load_demo(1, 60, "demo", &mut |_| {})
        .await
        .expect("the demo loads");
    assert_eq!((load.sites_created, load.assets_created), (1, 60));
    let all = ListQuery::default();
    let mut total = 0;
    let mut records = BTreeMap::new();
    for kind in [
        &PATCH_KIND,
        &PATCH_DEPLOYMENT_KIND,
        &CHANGE_KIND,
        &EXCEPTION_KIND,
        &OT_ACCOUNT_KIND,
        &ACCESS_REVIEW_KIND,
        &REVOCATION_KIND,
        &REMOTE_SESSION_KIND,
        &BACKUP_PLAN_KIND,
        &BACKUP_RECORD_KIND,
        &RESTORE_TEST_KIND,
        &LOG_SOURCE_KIND,
        &LOG_REVIEW_KIND,
    ] {
        let list = store.list_all(kind, &all).await.unwrap();
        eprintln!("{}: {}", kind.name, list.len());
        assert!(!list.is_empty(), "the demo has {}", kind.label_plural);
        if kind.name != "exception" {
            total += list.len();
        }
        records.insert(kind.name, list);
    }
    // Every operations record counted by the load; the demo's legacy exception is not one.
    let legacy_exceptions = records["exception"]
        .iter()
        .filter(|e| !e.get("name").to_text().starts_with("Patch deferral"))
        .count();
    assert_eq!(
        load.ops_records,
        total + records["exception"].len() - legacy_exceptions
    );

    let deployments = &records["patch_deployment"];
    let state = |r: &otkeep_core::Record| r.get("state").to_text();
    assert!(deployments.iter().any(|d| state(d) == "deployed"));
    assert!(deployments.iter().any(|d| state(d) == "deferred"));
    assert!(deployments.iter().any(|d| matches!(
        state(d).as_str(),
        "evaluated" | "vendor_approved" | "tested" | "scheduled"
    )));
    let exceptions: Vec<i64> = records["exception"].iter().map(|e| e.id).collect();
    for d in deployments.iter().filter(|d| state(d) == "deferred") {
        let exception = d.get("exception_id").as_int();
        assert!(
            exception.is_some_and(|e| exceptions.contains(&e)),
            "{} names its exception",
            d.title()
        );
    }
    for d in deployments.iter().filter(|d| state(d) == "scheduled") {
        assert!(d.get("change_id").as_int().is_some(), "{}", d.title());
    }
    assert!(records["ot_account"].iter().any(|a| {
        a.get("account_type").to_text() == "shared" && a.get("holders").to_text().is_empty()
    }));
    assert!(
        records["revocation"]
            .iter()
            .any(|r| r.get("completed_at").to_text().is_empty())
    );
    let now = otkeep_core::value::datetime_text(jiff::Zoned::now().datetime());
    assert!(
        records["remote_session"]
            .iter()
            .any(|s| flag_reason(&s.values, &now).is_some()),
        "a remote session is open past its window"
    );
    // The records are audited like any other and the chain holds.
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
}

/// Sites with few assets (the browser test's demo has 40) still get their operations records.
async fn the_demo_loads_small_sites(store: Arc<Store>) {
    let load = store
        .load_demo(3, 40, "demo", &mut |_| {})
        .await
        .expect("the demo loads");
    assert_eq!(load.sites_created, 3);
    assert!(load.ops_records > 3 * 200, "{load:?}");
}

/// Every demo site gets its program: roles, RACI, trainings, documents (the corporate set once,
/// annexes linking to it on every site), suppliers, incidents, tests and reviews; the coverage
/// view finds evidence for some requirements and none for others.
async fn the_demo_has_a_governance_program(store: Arc<Store>) {
    use otkeep_core::doc_kinds::{DOCUMENT_KIND, DOCUMENT_VERSION_KIND};
    let load = store
        .load_demo(2, 40, "demo", &mut |_| {})
        .await
        .expect("the demo loads");
    assert!(load.documents >= 2 * 4 + 14, "{load:?}");
    let all = ListQuery::default();
    for kind in otkeep_core::KINDS
        .iter()
        .filter(|k| k.group == "Governance" || k.group == "Suppliers")
    {
        let n = store.list_all(kind, &all).await.unwrap().len();
        assert!(n > 0, "the demo has {}", kind.label_plural);
    }
    let docs = store.list_all(&DOCUMENT_KIND, &all).await.unwrap();
    let corporate: Vec<_> = docs
        .iter()
        .filter(|d| d.get("scope").to_text() == "corporate")
        .collect();
    assert_eq!(corporate.len(), 14);
    let first_site = corporate[0].site_id();
    assert!(corporate.iter().all(|d| d.site_id() == first_site));
    let annexes: Vec<_> = docs
        .iter()
        .filter(|d| !d.get("template_id").is_null())
        .collect();
    assert_eq!(annexes.len(), 4, "two annexes per site");
    assert!(annexes.iter().any(|a| a.site_id() != first_site));
    let versions = store.list_all(&DOCUMENT_VERSION_KIND, &all).await.unwrap();
    assert!(
        versions
            .iter()
            .filter(|v| v.get("status").to_text() == "effective")
            .count()
            >= docs.len()
    );
    let second = annexes
        .iter()
        .find(|a| a.site_id() != first_site)
        .and_then(|a| a.site_id());
    let coverage = store
        .requirement_coverage(&Scope::All, second)
        .await
        .unwrap();
    let evidenced = coverage.iter().filter(|c| c.evidenced()).count();
    assert!(evidenced > 10 && evidenced < coverage.len(), "{evidenced}");
    // The corporate procedure counts at the second site.
    let sr13 = coverage.iter().find(|c| c.requirement == "SR 1.3").unwrap();
    assert!(
        sr13.documents
            .iter()
            .any(|d| d.key == "OT-PRO-001" && d.corporate)
    );
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
}

/// Point-in-time reads (issue 10): the records as they stood at an instant come back from the
/// audit trail with their values, versions and child rows; later edits, deletions and creations
/// are not there; a site-scoped rebuild leaves other sites out; the live store is untouched.
async fn records_are_rebuilt_as_of_a_past_instant(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let mut tx = store.begin_write("alice", None).await.unwrap();
    let conduit = tx
        .create(
            &CONDUIT_KIND,
            vals(
                &CONDUIT_KIND,
                json!({
                    "site_id": f.site, "name": "DMZ to control", "zone_a_id": f.dmz, "zone_b_id": f.control,
                    "channels": [{"protocol": "OPC UA", "port": 4840, "transport": "tcp", "direction": "a_to_b"}],
                    "sl_t": [3,3,2,2,3,1,2], "owner": "OT lead"
                }),
            ),
        )
        .await
        .unwrap();
    let a = tx
        .create(&ASSET_KIND, asset(f.site, f.control, "PLC-01"))
        .await
        .unwrap();
    let b = tx
        .create(&ASSET_KIND, asset(f.site, f.control, "PLC-02"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (seq_then, _) = store.audit_position(None).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let then = otkeep_store::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let mut tx = store.begin_write("bob", None).await.unwrap();
    let mut changed = a.values.clone();
    changed.insert("firmware_version", Value::Text("V3.0.1".into()));
    tx.update(&ASSET_KIND, a.id, 1, changed).await.unwrap();
    tx.delete(&ASSET_KIND, b.id, 1).await.unwrap();
    tx.create(&ASSET_KIND, asset(f.site, f.dmz, "HMI-07"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let past = store.as_of(&then, None).await.expect("rebuilt");
    assert_eq!(past.seq, seq_then, "the audit position at the instant");
    let assets = past
        .store
        .list_all(&ASSET_KIND, &ListQuery::default())
        .await
        .unwrap();
    let names: Vec<String> = assets.iter().map(|r| r.title()).collect();
    assert_eq!(
        names,
        vec!["PLC-01", "PLC-02"],
        "deleted one back, later one absent"
    );
    assert_eq!(assets[0].get("firmware_version").to_text(), "V2.9.4");
    assert_eq!(assets[0].version, 1);
    assert_eq!(assets[0].values, a.values, "every field as it was");
    let c = past
        .store
        .get(&CONDUIT_KIND, conduit.id)
        .await
        .unwrap()
        .expect("conduit rebuilt");
    assert_eq!(c.values, conduit.values, "channels and SL-T come back");
    assert_eq!(
        past.store
            .list_all(&ZONE_KIND, &ListQuery::default())
            .await
            .unwrap()
            .len(),
        3
    );

    let one_site = store.as_of(&then, Some(f.site)).await.expect("rebuilt");
    let zones = one_site
        .store
        .list_all(&ZONE_KIND, &ListQuery::default())
        .await
        .unwrap();
    assert!(
        zones.iter().all(|z| z.site_id() == Some(f.site)),
        "other sites left out"
    );
    assert_eq!(zones.len(), 2);
    assert!(
        one_site
            .store
            .get(&ZONE_KIND, f.other_zone)
            .await
            .unwrap()
            .is_none()
    );

    let now = store
        .as_of(&otkeep_store::now(), None)
        .await
        .expect("rebuilt");
    let live = store
        .list_all(&ASSET_KIND, &ListQuery::default())
        .await
        .unwrap();
    let rebuilt = now
        .store
        .list_all(&ASSET_KIND, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(
        rebuilt
            .iter()
            .map(|r| (r.id, r.version, r.values.clone()))
            .collect::<Vec<_>>(),
        live.iter()
            .map(|r| (r.id, r.version, r.values.clone()))
            .collect::<Vec<_>>(),
        "as of now is the live state"
    );
    let before_anything = store
        .as_of("2000-01-01T00:00:00.000000Z", None)
        .await
        .unwrap();
    assert_eq!(before_anything.seq, 0);
    assert_eq!(before_anything.records, 0);
    assert!(store.verify_audit().await.unwrap().broken.is_none());
}

/// Observed traffic (issue 11): an import is stored with its hosts and flows in one audited
/// transaction, the same file twice is refused, and the site's findings compare it with the
/// inventory and the conduits.
async fn observed_traffic_is_kept_audited_and_reconciled(store: Arc<Store>) {
    use otkeep_store::observe::{NewObservation, ObservedFlow, ObservedHost};
    let store = &*store;
    let f = fixture(store).await;
    let mut tx = store.begin_write("alice", None).await.unwrap();
    for (zone, net) in [(f.control, "10.1.2.0/24"), (f.dmz, "10.9.0.0/24")] {
        let current = store.get(&ZONE_KIND, zone).await.unwrap().unwrap();
        let mut values = current.values.clone();
        values.insert("subnets", Value::Text(net.into()));
        tx.update(&ZONE_KIND, zone, current.version, values)
            .await
            .unwrap();
    }
    tx.create(&ASSET_KIND, asset(f.site, f.control, "PLC-01"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let host = |ip: &str| ObservedHost {
        ip: Some(ip.into()),
        protocols: "modbus server".into(),
        first_seen: "2026-11-01T08:00:00Z".into(),
        last_seen: "2026-11-01T08:10:00Z".into(),
        ..ObservedHost::default()
    };
    let capture = NewObservation {
        source: "pcap".into(),
        file_name: "line3.pcap".into(),
        sha256: "ab".repeat(32),
        bytes: 1000,
        packets: 20,
        first_seen: Some("2026-11-01T08:00:00Z".into()),
        last_seen: Some("2026-11-01T08:10:00Z".into()),
        warnings: Vec::new(),
        hosts: vec![host("10.1.2.3"), host("10.9.0.8")],
        flows: vec![ObservedFlow {
            transport: "tcp".into(),
            client_ip: Some("10.9.0.8".into()),
            server_ip: Some("10.1.2.3".into()),
            port: Some(502),
            protocol: "modbus".into(),
            packets: 20,
            bytes: 1000,
            writes: 4,
            operations: "read 16, write 4".into(),
            first_seen: "2026-11-01T08:00:00Z".into(),
            last_seen: "2026-11-01T08:10:00Z".into(),
            ..ObservedFlow::default()
        }],
    };
    let mut tx = store
        .begin_write("alice", Some("line 3 capture"))
        .await
        .unwrap();
    let id = tx.import_observation(f.site, &capture).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin_write("alice", None).await.unwrap();
    let again = tx.import_observation(f.site, &capture).await.unwrap_err();
    assert!(again.to_string().contains("already imported"), "{again}");
    drop(tx);
    let imports = store.observations(f.site).await.unwrap();
    assert_eq!(imports.len(), 1);
    assert_eq!(
        (imports[0].id, imports[0].hosts, imports[0].flows),
        (id, 2, 1)
    );
    let history = store.history("observation", id).await.unwrap();
    assert_eq!(history.len(), 1, "one audit event for the import");
    assert_eq!(history[0].action, "import");
    assert_eq!(history[0].site_id, Some(f.site));

    let findings = store.traffic_findings(f.site).await.unwrap();
    let rules: Vec<&str> = findings.iter().map(|f| f.rule).collect();
    // PLC-01 is 10.1.2.3 (the fixture's asset); 10.9.0.8 is unknown; DMZ→Control has no conduit.
    assert_eq!(
        rules,
        ["unknown_device", "flow_without_conduit"],
        "{findings:#?}"
    );
    assert!(
        findings[0].message.contains("10.9.0.8")
            && findings[0]
                .message
                .contains("line3.pcap (sha256 abababababab…")
    );
    assert!(store.verify_audit().await.unwrap().broken.is_none());
}
