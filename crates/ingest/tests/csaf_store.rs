//! CSAF import into the store, on SQLite and PostgreSQL: versions, matching against assets
//! (also assets added or changed later), the triage workflow, and the whole 2023 corpus.

use otkeep_core::advisory::{Triage, TriageStep};
use otkeep_core::kinds::{ASSET_KIND, SITE_KIND, ZONE_KIND};
use otkeep_core::risk_kinds::TREATMENT_KIND;
use otkeep_core::value::values_from_json;
use otkeep_core::{KindDef, Record};
use otkeep_ingest::{csaf_files, import_csaf_files};
use otkeep_store::{AdvisoryFilter, Store, StoreError};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

otkeep_store::on_both_backends!(
    advisories_import_match_and_triage,
    the_whole_2023_corpus_imports,
);

fn corpus(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/csaf/2023")
        .join(file)
}

async fn create(store: &Store, kind: &'static KindDef, v: Value) -> Record {
    let mut tx = store.begin_write("alice", None).await.unwrap();
    let r = tx
        .create(kind, values_from_json(kind, &v).unwrap())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    r
}

fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("otkeep-csaf-{}-{name}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

async fn advisories_import_match_and_triage(store: Arc<Store>) {
    let store = &*store;
    let site = create(
        store,
        &SITE_KIND,
        json!({"code": "FRA1", "name": "F", "time_zone": "UTC"}),
    )
    .await
    .id;
    let other = create(
        store,
        &SITE_KIND,
        json!({"code": "KAL1", "name": "K", "time_zone": "UTC"}),
    )
    .await
    .id;
    let zone = create(
        store,
        &ZONE_KIND,
        json!({"site_id": site, "name": "Z", "owner": "o"}),
    )
    .await
    .id;
    let asset = |name: &str, vendor: &str, model: &str, fw: &str| {
        json!({"site_id": site, "zone_id": zone, "name": name, "asset_type": "plc", "criticality": "high",
               "owner": "o", "lifecycle": "operational", "vendor": vendor, "model": model, "firmware_version": fw})
    };
    let unem = create(
        store,
        &ASSET_KIND,
        asset("NMS-1", "Hitachi Energy", "UNEM", "R15B"),
    )
    .await
    .id;
    create(
        store,
        &ASSET_KIND,
        asset("SW-1", "Siemens AG", "6GK5804-0AP00-2AA2", "V7.1.0"),
    )
    .await;
    let en2t = create(
        store,
        &ASSET_KIND,
        asset("COMM-1", "Allen-Bradley", "1756-EN2T Series D", "11.002"),
    )
    .await
    .id;
    create(
        store,
        &ASSET_KIND,
        asset("PLC-9", "Siemens", "6ES7 999-9ZZ99-9ZZ9", "V1.0"),
    )
    .await;
    // The same product spelled otherwise falls in the SCALANCE group and matches too; one
    // vendor's name with another's model matches neither.
    let sw2 = create(
        store,
        &ASSET_KIND,
        asset("SW-1B", "SIEMENS AG", "6gk5804-0ap00-2aa2", "V7.1.0"),
    )
    .await
    .id;
    let crossed = create(
        store,
        &ASSET_KIND,
        asset("NMS-1B", "Hitachi Energy", "6GK5804-0AP00-2AA2", "V7.1.0"),
    )
    .await
    .id;

    let bad = temp(
        "bad.json",
        r#"{"document": {"category": "csaf_security_advisory", "csaf_version": "2.0", "title": 5}}"#,
    );
    let files = vec![
        corpus("icsa-23-005-01.json"),
        corpus("icsa-23-348-12.json"),
        corpus("icsa-23-193-01.json"),
        corpus("icsa-23-264-04.json"),
        bad.clone(),
    ];
    let mut seen = Vec::new();
    let report = import_csaf_files(store, &files, "alice", &mut |n| seen.push(n))
        .await
        .unwrap();
    assert_eq!(seen, [1, 2, 3, 4, 5], "progress after every file");
    assert_eq!(report.created, 4);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].path, "document.title");
    assert!(report.failed[0].file.ends_with("bad.json"));
    assert_eq!(
        report.matches, 5,
        "UNEM, SCALANCE in two spellings, EN2T twice"
    );
    let all = otkeep_core::access::Scope::All;
    let of = |asset: i64| store.advisory_matches(&all, None, Some(asset));
    assert_eq!(of(sw2).await.unwrap().len(), 1, "the other spelling");
    assert!(
        of(crossed).await.unwrap().is_empty(),
        "vendor of one, model of another"
    );

    let m = store
        .advisory_matches(&all, None, Some(unem))
        .await
        .unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].tracking_id, "ICSA-23-005-01");
    assert_eq!(m[0].status, Triage::New);
    assert!(m[0].reason.contains("firmware R15B"), "{}", m[0].reason);

    // The same files again: nothing changes.
    let again = import_csaf_files(store, &files[..4], "alice", &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        (again.created, again.updated, again.ignored.len()),
        (0, 0, 4)
    );
    assert!(
        again.ignored[0].1.contains("already stored"),
        "{:?}",
        again.ignored
    );

    // A newer version replaces it (the old one kept); an older one is ignored.
    let text = std::fs::read_to_string(corpus("icsa-23-005-01.json")).unwrap();
    let newer = text
        .replacen("\"version\": \"1\"", "\"version\": \"2\"", 1)
        .replacen(
            "\"current_release_date\": \"2023-01-05T00:00:00.000000Z\"",
            "\"current_release_date\": \"2023-03-01T00:00:00.000000Z\"",
            1,
        );
    assert_ne!(newer, text);
    let r = import_csaf_files(store, &[temp("v2.json", &newer)], "alice", &mut |_| {})
        .await
        .unwrap();
    assert_eq!(r.updated, 1);
    let older = text.replacen("\"version\": \"1\"", "\"version\": \"0\"", 1);
    let r = import_csaf_files(store, &[temp("v0.json", &older)], "alice", &mut |_| {})
        .await
        .unwrap();
    assert_eq!(r.ignored.len(), 1);
    assert!(
        r.ignored[0].1.contains("older than the stored version 2"),
        "{:?}",
        r.ignored
    );
    let list = store
        .advisories(&all, &AdvisoryFilter::default())
        .await
        .unwrap();
    let hitachi = list
        .iter()
        .find(|a| a.tracking_id == "ICSA-23-005-01")
        .unwrap();
    assert_eq!(hitachi.version, "2");
    let (_, history) = store.advisory(hitachi.id).await.unwrap().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].0, "1");
    assert_eq!(
        store
            .advisory_matches(&all, None, Some(unem))
            .await
            .unwrap()
            .len(),
        1,
        "still matched"
    );

    // Assets added or changed later are matched against the stored advisories.
    let late = create(
        store,
        &ASSET_KIND,
        asset("SW-2", "Siemens", "6GK5804-0AP00-2AA2", "V7.0"),
    )
    .await;
    assert_eq!(
        store
            .advisory_matches(&all, None, Some(late.id))
            .await
            .unwrap()
            .len(),
        1
    );
    let mut tx = store.begin_write("alice", None).await.unwrap();
    let mut v = late.values.clone();
    v.insert(
        "firmware_version",
        otkeep_core::Value::Text("V7.2.2".into()),
    );
    tx.update(&ASSET_KIND, late.id, 1, v).await.unwrap();
    tx.commit().await.unwrap();
    assert!(
        store
            .advisory_matches(&all, None, Some(late.id))
            .await
            .unwrap()
            .is_empty(),
        "patched"
    );

    // A user alias makes an asset of a distributor's name match; triage is kept elsewhere.
    let rebadged = create(
        store,
        &ASSET_KIND,
        asset("NMS-2", "Acme Grid Controls", "UNEM", "R15B"),
    )
    .await
    .id;
    assert!(
        store
            .advisory_matches(&all, None, Some(rebadged))
            .await
            .unwrap()
            .is_empty()
    );
    let mut tx = store.begin_write("alice", None).await.unwrap();
    let total = tx
        .set_vendor_alias("Acme Grid Controls", "Hitachi Energy")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(total >= 5, "{total}");
    assert_eq!(
        store
            .advisory_matches(&all, None, Some(rebadged))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store.vendor_aliases().await.unwrap()[0].0,
        "Acme Grid Controls"
    );

    // Triage: the workflow, justification, links within the site, stale versions.
    let step = |to, j: &str, link: Option<(&str, i64)>| TriageStep {
        to,
        justification: j.into(),
        link: link.map(|(k, i)| (k.to_string(), i)),
    };
    let id = m[0].id;
    let mut tx = store.begin_write("bob", None).await.unwrap();
    tx.triage(id, 1, &step(Triage::UnderReview, "", None))
        .await
        .unwrap();
    match tx.triage(id, 2, &step(Triage::NotAffected, "", None)).await {
        Err(StoreError::Invalid(e)) => assert_eq!(e[0].field, "justification"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        tx.triage(id, 1, &step(Triage::Affected, "", None)).await,
        Err(StoreError::Conflict { .. })
    ));
    tx.triage(
        id,
        2,
        &step(Triage::NotAffected, "RADIUS not used on this NMS", None),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let t = store
        .advisory_matches(&all, None, Some(unem))
        .await
        .unwrap();
    assert_eq!(t[0].status, Triage::NotAffected);
    assert_eq!(t[0].justification, "RADIUS not used on this NMS");
    assert_eq!(t[0].updated_by, "bob");

    let action = create(store, &TREATMENT_KIND, json!({"site_id": site, "name": "Update EN2T", "owner": "o", "due_date": "2030-01-01", "status": "planned"})).await.id;
    let elsewhere = create(store, &TREATMENT_KIND, json!({"site_id": other, "name": "Elsewhere", "owner": "o", "due_date": "2030-01-01", "status": "planned"})).await.id;
    let en2t_matches = store
        .advisory_matches(&all, None, Some(en2t))
        .await
        .unwrap();
    assert_eq!(en2t_matches.len(), 2);
    let e = en2t_matches[0].id;
    let mut tx = store.begin_write("bob", None).await.unwrap();
    tx.triage(e, 1, &step(Triage::Affected, "", None))
        .await
        .unwrap();
    match tx
        .triage(
            e,
            2,
            &step(
                Triage::RemediationPlanned,
                "",
                Some(("treatment", elsewhere)),
            ),
        )
        .await
    {
        Err(StoreError::Invalid(err)) => assert!(
            err[0].message.contains("not a record of this match's site"),
            "{err:?}"
        ),
        other => panic!("{other:?}"),
    }
    tx.triage(
        e,
        2,
        &step(Triage::RemediationPlanned, "", Some(("treatment", action))),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Filters: open matches, by status, by site scope.
    let planned = AdvisoryFilter {
        status: Some(Triage::RemediationPlanned),
        ..Default::default()
    };
    assert_eq!(store.advisories(&all, &planned).await.unwrap().len(), 1);
    let kal = otkeep_core::access::Scope::Limited {
        sites: vec![other],
        records: vec![],
    };
    let in_kal = AdvisoryFilter {
        matched_in: Some(kal.clone()),
        ..Default::default()
    };
    assert!(store.advisories(&kal, &in_kal).await.unwrap().is_empty());
    // Triage steps are in the audit trail, and the chain holds.
    let events = store.recent_events(100, &all).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "advisory_match" && e.action == "triage")
    );
    assert!(
        events
            .iter()
            .any(|e| e.kind == "advisory" && e.action == "update")
    );
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
}

async fn the_whole_2023_corpus_imports(store: Arc<Store>) {
    let files = csaf_files(&corpus("")).unwrap();
    assert_eq!(files.len(), 380);
    let r = import_csaf_files(&store, &files, "alice", &mut |_| {})
        .await
        .unwrap();
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    assert_eq!(r.created + r.updated + r.ignored.len(), 380);
    assert_eq!(r.created, 380, "one file per advisory in the corpus");
    let list = store
        .advisories(&otkeep_core::access::Scope::All, &AdvisoryFilter::default())
        .await
        .unwrap();
    assert_eq!(list.len(), 380);
    let critical = list.iter().filter(|a| a.severity == "critical").count();
    assert!(critical > 0);
}
