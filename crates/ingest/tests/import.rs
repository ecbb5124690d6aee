//! CSV import, run against SQLite and against PostgreSQL (see `otkeep_store::testing`).

use otkeep_core::kinds::{ASSET_KIND, COUNTERMEASURE_KIND, SITE_KIND, ZONE_KIND};
use otkeep_core::value::values_from_json;
use otkeep_core::{KindDef, Record, Value, Values};
use otkeep_ingest::{ImportError, ImportReport, RowError, import_csv};
use otkeep_store::{ListQuery, Store};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

otkeep_store::on_both_backends!(
    a_good_file_imports_every_row_with_references_resolved,
    bad_rows_are_all_reported_and_nothing_is_imported,
    duplicate_names_within_the_file_are_reported,
    unknown_columns_are_rejected,
    the_site_option_sets_and_guards_the_site,
    an_export_imports_back_into_another_site,
    unreadable_input_names_the_file_and_line,
    empty_lines_before_the_header_are_skipped_and_counted,
    malformed_input_is_an_error_not_a_panic,
    reference_lists_import_by_name,
);

const GOOD: &[u8] = include_bytes!("fixtures/good_assets.csv");
const BAD: &[u8] = include_bytes!("fixtures/bad_assets.csv");
const DUPLICATES: &[u8] = include_bytes!("fixtures/duplicate_names.csv");

fn vals(kind: &KindDef, json: serde_json::Value) -> Values {
    match values_from_json(kind, &json) {
        Ok(v) => v,
        Err(e) => panic!("fixture for {} invalid: {e:?}", kind.name),
    }
}

struct Fixture {
    fra1: i64,
    kal1: i64,
    /// Zone name → id, per site.
    fra1_zones: BTreeMap<String, i64>,
    kal1_zones: BTreeMap<String, i64>,
}

/// Two sites, FRA1 and KAL1, each with the zones Control and DMZ.
async fn fixture(store: &Store) -> Fixture {
    let mut tx = store.begin_write("alice", Some("setup")).await.unwrap();
    let mut site = async |code: &str, tz: &str| {
        let site = tx
            .create(
                &SITE_KIND,
                vals(
                    &SITE_KIND,
                    json!({"code": code, "name": code, "time_zone": tz}),
                ),
            )
            .await
            .unwrap();
        let mut zones = BTreeMap::new();
        for name in ["Control", "DMZ"] {
            let zone = tx
                .create(
                    &ZONE_KIND,
                    vals(
                        &ZONE_KIND,
                        json!({"site_id": site.id, "name": name, "purdue_level": "l2",
                               "sl_t": [2,2,2,1,2,1,2], "owner": "OT lead"}),
                    ),
                )
                .await
                .unwrap();
            zones.insert(name.to_string(), zone.id);
        }
        (site.id, zones)
    };
    let (fra1, fra1_zones) = site("FRA1", "Europe/Berlin").await;
    let (kal1, kal1_zones) = site("KAL1", "America/Detroit").await;
    tx.commit().await.unwrap();
    Fixture {
        fra1,
        kal1,
        fra1_zones,
        kal1_zones,
    }
}

async fn run(
    store: &Store,
    bytes: &[u8],
    file: &str,
    site: Option<&str>,
) -> Result<ImportReport, ImportError> {
    let mut progress = Vec::new();
    let result = import_csv(store, &ASSET_KIND, bytes, file, site, "bob", &mut |n| {
        progress.push(n)
    })
    .await;
    if let Ok(report) = &result {
        let expected: Vec<u64> = (1..=report.rows as u64).collect();
        assert_eq!(progress, expected, "progress is reported after every row");
    }
    result
}

fn rejected(result: Result<ImportReport, ImportError>) -> Vec<RowError> {
    match result {
        Err(ImportError::Rejected { errors, .. }) => errors,
        other => panic!("expected the file to be rejected, got {other:?}"),
    }
}

/// (line, field) of each error.
fn places(errors: &[RowError]) -> Vec<(u64, &str)> {
    errors.iter().map(|e| (e.line, e.field.as_str())).collect()
}

async fn assets(store: &Store, site: Option<i64>) -> Vec<Record> {
    let q = ListQuery {
        scope: site.map_or(otkeep_core::access::Scope::All, |s| {
            otkeep_core::access::Scope::Limited {
                sites: vec![s],
                records: vec![],
            }
        }),
        per_page: 500,
        ..ListQuery::default()
    };
    store.list(&ASSET_KIND, &q).await.unwrap().records
}

fn by_name(records: &[Record], name: &str) -> Record {
    records
        .iter()
        .find(|r| r.get("name").as_text() == Some(name))
        .unwrap_or_else(|| panic!("no asset {name}"))
        .clone()
}

async fn a_good_file_imports_every_row_with_references_resolved(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let report = run(store, GOOD, "good_assets.csv", None).await.unwrap();
    assert_eq!(
        report,
        ImportReport {
            created: 4,
            rows: 4
        },
        "empty lines are skipped"
    );

    let all = assets(store, Some(f.fra1)).await;
    assert_eq!(all.len(), 4);
    let plc = by_name(&all, "PLC-01");
    assert_eq!(
        plc.get("site_id"),
        &Value::Int(f.fra1),
        "site code in any case"
    );
    assert_eq!(plc.get("zone_id"), &Value::Int(f.fra1_zones["Control"]));
    assert_eq!(plc.get("asset_type").to_text(), "plc", "choice by label");
    assert_eq!(plc.get("mac_addresses").to_text(), "00:1b:1b:aa:bb:cc");
    let hist = by_name(&all, "HIST-01");
    assert_eq!(hist.get("zone_id"), &Value::Int(f.fra1_zones["DMZ"]));
    assert_eq!(hist.get("ip_addresses").to_text(), "10.1.3.10, 10.1.3.11");
    assert_eq!(hist.get("owner").to_text(), "OT team", "cells are trimmed");
    assert_eq!(hist.get("lifecycle").to_text(), "operational");
    let hmi = by_name(&all, "HMI-01");
    assert_eq!(hmi.get("owner").to_text(), "Keller; M.");
    assert_eq!(hmi.get("legacy"), &Value::Bool(true));
    assert_eq!(
        hmi.get("compensating_controls").to_text(),
        "Isolated VLAN, no internet;\njump host only",
        "a quoted cell keeps its line break"
    );
    let switch = by_name(&all, "SW-01");
    assert!(
        switch.get("zone_id").is_null(),
        "an empty reference is none"
    );

    for asset in &all {
        let history = store.history("asset", asset.id).await.unwrap();
        assert_eq!(history.len(), 1, "one audit event per imported row");
        assert_eq!(history[0].action, "create");
        assert_eq!(history[0].actor, "bob");
        assert_eq!(history[0].reason.as_deref(), Some("import good_assets.csv"));
    }
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
}

async fn bad_rows_are_all_reported_and_nothing_is_imported(store: Arc<Store>) {
    let store = &*store;
    fixture(store).await;
    let before = store.verify_audit().await.unwrap();
    let errors = rejected(run(store, BAD, "bad_assets.csv", None).await);
    // Line 2 holds a quoted cell spanning two lines, so the rows after it start one line later.
    assert_eq!(
        places(&errors),
        [(4, "owner"), (6, "zone_id"), (7, "ip_addresses")],
        "{errors:?}"
    );
    assert_eq!(errors[0].to_string(), "line 4, owner: Owner is required");
    assert_eq!(errors[1].message, "no zone named 'Packaging' in site FRA1");
    assert!(
        errors[2]
            .message
            .contains("'10.1.2.300' is not an IP address")
    );

    assert!(assets(store, None).await.is_empty(), "no partial import");
    assert_eq!(
        store.verify_audit().await.unwrap(),
        before,
        "no audit events were added"
    );

    let shown = ImportError::Rejected {
        file: "bad_assets.csv".into(),
        errors,
    }
    .to_string();
    assert!(
        shown.starts_with("bad_assets.csv: nothing was imported; 3 problems found"),
        "{shown}"
    );
}

async fn duplicate_names_within_the_file_are_reported(store: Arc<Store>) {
    let store = &*store;
    fixture(store).await;
    let errors = rejected(run(store, DUPLICATES, "dup.csv", Some("FRA1")).await);
    assert_eq!(places(&errors), [(4, "name")], "{errors:?}");
    assert!(
        errors[0]
            .message
            .contains("already has name 'PLC-01' in this site"),
        "{}",
        errors[0].message
    );
    assert!(assets(store, None).await.is_empty());

    // The same file imports into a site once, and a second time is refused row by row.
    let once = b"Zone,Name,Type,Criticality,Owner,Lifecycle state\nControl,PLC-01,plc,high,K,operational\n";
    run(store, once, "once.csv", Some("KAL1")).await.unwrap();
    let errors = rejected(run(store, once, "once.csv", Some("KAL1")).await);
    assert_eq!(places(&errors), [(2, "name")]);
}

async fn unknown_columns_are_rejected(store: Arc<Store>) {
    let store = &*store;
    fixture(store).await;
    let file = b"Site,Name,Colour,Type,Criticality,Owner,Lifecycle state,Name\n\
                 FRA1,PLC-01,red,plc,high,K,operational,PLC-01\n";
    let errors = rejected(run(store, file, "colour.csv", None).await);
    assert_eq!(places(&errors), [(1, "Colour"), (1, "Name")], "{errors:?}");
    assert!(errors[0].message.contains("unknown column 'Colour'"));
    assert!(
        errors[0].message.contains("Zone (zone_id)"),
        "lists the accepted names: {}",
        errors[0].message
    );
    assert!(errors[1].message.contains("repeats column 'Name'"));
    assert!(assets(store, None).await.is_empty());
}

async fn the_site_option_sets_and_guards_the_site(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let no_site = b"Zone,Name,Type,Criticality,Owner,Lifecycle state\nDMZ,FW-01,firewall,high,K,operational\n";
    // Neither a site column nor --site.
    let errors = rejected(run(store, no_site, "fw.csv", None).await);
    assert_eq!(places(&errors), [(1, "site_id")]);
    assert!(
        errors[0].message.contains("--site"),
        "{}",
        errors[0].message
    );
    // An unknown --site.
    let errors = rejected(run(store, no_site, "fw.csv", Some("NOPE")).await);
    assert_eq!(places(&errors), [(0, "site_id")]);
    assert!(errors[0].message.contains("'NOPE'"));
    // --site in any case; the zone is looked up in that site.
    run(store, no_site, "fw.csv", Some("kal1")).await.unwrap();
    let fw = by_name(&assets(store, Some(f.kal1)).await, "FW-01");
    assert_eq!(fw.get("zone_id"), &Value::Int(f.kal1_zones["DMZ"]));

    // A site column may repeat --site, or be empty, but not name another site.
    let mixed = format!(
        "Site,Zone,Name,Type,Criticality,Owner,Lifecycle state\n\
         FRA1,Control,PLC-01,plc,high,K,operational\n\
         ,Control,PLC-02,plc,high,K,operational\n\
         KAL1,Control,PLC-03,plc,high,K,operational\n\
         #{},Control,PLC-04,plc,high,K,operational\n",
        f.kal1
    );
    let errors = rejected(run(store, mixed.as_bytes(), "mixed.csv", Some("FRA1")).await);
    assert_eq!(
        places(&errors),
        [(4, "site_id"), (5, "site_id")],
        "{errors:?}"
    );
    assert_eq!(
        errors[0].message,
        "this row is for site KAL1, but the import is for site FRA1 (--site)"
    );
    assert!(assets(store, Some(f.fra1)).await.is_empty());
}

async fn an_export_imports_back_into_another_site(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    run(store, GOOD, "good_assets.csv", None).await.unwrap();
    let mut tx = store.begin_write("alice", None).await.unwrap();
    tx.create(
        &ASSET_KIND,
        vals(
            &ASSET_KIND,
            json!({
                "site_id": f.fra1, "zone_id": f.fra1_zones["DMZ"], "name": "EWS, \"old\"",
                "asset_type": "engineering_workstation", "serial_number": "SN;42",
                "criticality": "high", "owner": "OT team", "lifecycle": "end_of_support",
                "legacy": true, "compensating_controls": "No network,\n\"air-gapped\"",
                "description": "Windows 7\n\nkept for TIA Portal V13", "location": "Room 1.04",
                "model": "=1+1 (defused on export, restored on import)"
            }),
        ),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let source = assets(store, Some(f.fra1)).await;
    assert_eq!(source.len(), 5);
    let titles = store.ref_titles(&ASSET_KIND, &source).await.unwrap();
    let mut exported = Vec::new();
    otkeep_report::write_csv(&ASSET_KIND, &source, &titles, &mut exported).unwrap();

    // The file names FRA1 in its Site column; for another site, drop that column and say --site.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&exported[3..]);
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in reader.records() {
        let row = row.unwrap();
        writer
            .write_record(
                row.iter()
                    .enumerate()
                    .filter(|(i, _)| *i != 1)
                    .map(|(_, c)| c),
            )
            .unwrap();
    }
    let without_site = writer.into_inner().unwrap();
    let report = run(store, &without_site, "export.csv", Some("KAL1"))
        .await
        .unwrap();
    assert_eq!(report.created, 5);

    let imported = assets(store, Some(f.kal1)).await;
    assert_eq!(imported.len(), 5);
    let zone_names: BTreeMap<i64, &str> = f
        .fra1_zones
        .iter()
        .chain(&f.kal1_zones)
        .map(|(name, id)| (*id, name.as_str()))
        .collect();
    let comparable = |r: &Record| {
        let mut values = r.values.clone();
        values.remove("site_id");
        let zone = r.get("zone_id").as_int().map(|z| zone_names[&z]);
        values.insert(
            "zone_id",
            zone.map_or(Value::Null, |z| Value::Text(z.into())),
        );
        values
    };
    for original in &source {
        let copy = by_name(&imported, &original.title());
        assert_eq!(copy.get("site_id"), &Value::Int(f.kal1));
        assert_eq!(
            comparable(&copy),
            comparable(original),
            "{}",
            original.title()
        );
    }
}

async fn unreadable_input_names_the_file_and_line(store: Arc<Store>) {
    let store = &*store;
    fixture(store).await;
    let latin1 = b"Site;Name;Type;Criticality;Owner;Lifecycle state\r\n\
                   FRA1;PLC-01;plc;high;K;operational\r\n\
                   FRA1;PLC-02;plc;high;J. M\xFCller;operational\r\n";
    match run(store, latin1, "latin1.csv", None).await {
        Err(ImportError::Unreadable { file, message }) => {
            assert_eq!(file, "latin1.csv");
            assert!(message.starts_with("line 3, column 'Owner'"), "{message}");
        }
        other => panic!("expected unreadable, got {other:?}"),
    }
    assert!(assets(store, None).await.is_empty());

    let errors = rejected(run(store, b"", "empty.csv", None).await);
    assert_eq!(places(&errors), [(1, "")]);
    // A header alone imports nothing, successfully.
    let report = run(
        store,
        b"Site,Name,Type,Criticality,Owner,Lifecycle state\n",
        "h.csv",
        None,
    )
    .await
    .unwrap();
    assert_eq!(report, ImportReport::default());
}

async fn empty_lines_before_the_header_are_skipped_and_counted(store: Arc<Store>) {
    let store = &*store;
    fixture(store).await;
    let file = b"\xEF\xBB\xBF\r\n;;\r\nZone;Name;Type;Criticality;Owner;Lifecycle state\r\n\
                 Control;PLC-01;plc;high;;operational\r\n";
    let errors = rejected(run(store, file, "late.csv", Some("FRA1")).await);
    assert_eq!(places(&errors), [(4, "owner")], "{errors:?}");
}

async fn malformed_input_is_an_error_not_a_panic(store: Arc<Store>) {
    let store = &*store;
    fixture(store).await;
    let inputs: [&[u8]; 8] = [
        b"\"",
        b"\0\0\0\n\0",
        b"\xEF\xBB\xBF",
        b";;;\r\n,,,\n",
        b"Site\n\xFF\xFE",
        b"Name,Owner\n\"unterminated, quote\n",
        b"Zone,Name,Type,Criticality,Owner,Lifecycle state\n#,#,#,#,#,#,#,#\n#-1,x,plc,high,K,operational\n",
        b"Zone,Name,Type,Criticality,Owner,Lifecycle state\n#99999999999999999999,x\r\r\r,plc\n",
    ];
    for input in inputs {
        let result = run(store, input, "junk.csv", Some("FRA1")).await;
        assert!(
            matches!(
                result,
                Err(ImportError::Rejected { .. } | ImportError::Unreadable { .. })
            ),
            "{input:?}: {result:?}"
        );
    }
    assert!(assets(store, None).await.is_empty());
}

/// A countermeasure's zones are named `Control; DMZ` in a file, as the export writes them;
/// each name is resolved within the row's site and each unknown one is reported.
async fn reference_lists_import_by_name(store: Arc<Store>) {
    let store = &*store;
    let f = fixture(store).await;
    let file = "Site,Name,Zones,Requirements,Reasoning,Residual risk,Owner,Review by\n\
                FRA1,Shared jump host,Control; DMZ,SR 1.1 RE 1,Personal accounts at the jump host,low,OT lead,2030-06-30\n\
                KAL1,Diode,DMZ,SR 5.2,One-way gateway,medium,OT lead,2030-06-30\n";
    let report = import_csv(
        store,
        &COUNTERMEASURE_KIND,
        file.as_bytes(),
        "cm.csv",
        None,
        "bob",
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.created, 2);
    let all = store
        .list(&COUNTERMEASURE_KIND, &ListQuery::default())
        .await
        .unwrap()
        .records;
    let jump = all
        .iter()
        .find(|r| r.title() == "Shared jump host")
        .unwrap();
    assert_eq!(
        jump.get("zones"),
        &Value::Ids(vec![f.fra1_zones["Control"], f.fra1_zones["DMZ"]])
    );
    let diode = all.iter().find(|r| r.title() == "Diode").unwrap();
    assert_eq!(diode.get("zones"), &Value::Ids(vec![f.kal1_zones["DMZ"]]));

    // The export writes the list back by name, and it reads back the same.
    let titles = store.ref_titles(&COUNTERMEASURE_KIND, &all).await.unwrap();
    let mut exported = Vec::new();
    otkeep_report::write_csv(&COUNTERMEASURE_KIND, &all, &titles, &mut exported).unwrap();
    let text = String::from_utf8(exported).unwrap();
    assert!(text.contains("Control; DMZ"), "{text}");

    let bad = "Site,Name,Zones,Requirements,Reasoning,Residual risk,Owner,Review by\n\
               FRA1,Bad,Control; Packing; Nowhere,SR 1.2,x,low,o,2030-06-30\n\
               FRA1,Empty,,SR 1.2,x,low,o,2030-06-30\n";
    let errors = rejected(
        import_csv(
            store,
            &COUNTERMEASURE_KIND,
            bad.as_bytes(),
            "bad.csv",
            None,
            "bob",
            &mut |_| {},
        )
        .await,
    );
    let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        places(&errors),
        vec![(2, "zones"), (2, "zones"), (3, "zones")],
        "{messages:?}"
    );
    assert!(
        errors[0]
            .message
            .contains("no zone named 'Packing' in site FRA1")
    );
    assert!(errors[1].message.contains("'Nowhere'"));
    assert!(
        errors[2].message.contains("name at least one"),
        "{messages:?}"
    );
}
