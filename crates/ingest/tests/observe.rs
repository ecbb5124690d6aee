//! Observed traffic from real captures and Zeek logs (issue 11, items 1 and 2): every capture of
//! `../shared/data/pcap` is read without error and shows the protocol its README row names;
//! truncated and non-capture files are handled; Zeek conn.log (TSV and JSON) gives flows.

use otkeep_ingest::observe::{Observation, Transport, pcap, zeek};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn data(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(dir)
}

/// (file, label) rows of the capture folder's README table.
fn labelled_captures() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(data("pcap").join("README.md")).expect("README");
    readme
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            Some((
                cells.get(1)?.trim_matches('`').to_string(),
                cells.get(2)?.to_string(),
            ))
        })
        .collect()
}

/// The protocols a README label promises, as otkeep names them.
fn expected(label: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    for (needle, ours) in [
        ("s7comm-plus", "s7comm-plus"),
        ("dnp3", "dnp3"),
        ("enip", "enip"),
        ("modbus", "modbus"),
        ("bacnet", "bacnet"),
        ("iec104", "iec104"),
        ("mms", "mms"),
        ("goose", "goose"),
        ("c37.118", "c37.118"),
        ("profinet", "profinet-rt"),
        ("opcua", "opcua"),
        ("omron-fins", "omron-fins"),
        ("niagara-fox", "niagara-fox"),
        ("melsec", "melsec"),
        ("hart-ip", "hart-ip"),
        ("beckhoff-ads", "ads"),
    ] {
        if label.contains(needle) {
            out.push(ours);
        }
    }
    if label.split([' ', '/', ':']).any(|w| w == "s7comm") {
        out.push("s7comm");
    }
    out
}

fn protocols(o: &Observation) -> BTreeSet<&'static str> {
    o.flows.iter().map(|f| f.protocol).collect()
}

#[test]
fn every_shared_capture_is_read_and_shows_its_protocol() {
    let rows = labelled_captures();
    assert!(rows.len() >= 80, "the README lists the captures");
    let mut missing = Vec::new();
    for (file, label) in &rows {
        let path = data("pcap").join(file);
        let mut last = 0;
        let o = pcap::observe(&path, &mut |n| last = n).unwrap_or_else(|e| panic!("{e}"));
        assert!(o.packets > 0, "{file}: no packets");
        assert!(!o.flows.is_empty(), "{file}: no flows");
        assert!(last > 0, "{file}: progress reported");
        let seen = protocols(&o);
        for want in expected(label) {
            // PROFINET over UDP (DCE/RPC on 34964) or on its EtherType.
            let ok = seen.contains(want) || (want == "profinet-rt" && seen.contains("profinet"));
            if !ok {
                missing.push(format!("{file} ({label}): no {want} in {seen:?}"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn modbus_reads_and_writes_are_counted_and_roles_hinted() {
    let o = pcap::observe(
        &data("pcap").join("iti--ModbusTCP--modbus_test_data_part2.pcap"),
        &mut |_| {},
    )
    .expect("capture");
    let modbus: Vec<_> = o.flows.iter().filter(|f| f.protocol == "modbus").collect();
    assert!(!modbus.is_empty());
    let reads: u64 = modbus
        .iter()
        .map(|f| f.operations.get("read").copied().unwrap_or(0))
        .sum();
    let writes: u64 = modbus.iter().map(|f| f.writes()).sum();
    assert!(reads > 0 && writes > 0, "reads {reads}, writes {writes}");
    let server = &modbus[0].server;
    assert_eq!(modbus[0].port, Some(502));
    assert_eq!(modbus[0].transport, Transport::Tcp);
    let host = o
        .hosts
        .iter()
        .find(|h| h.ip == server.ip)
        .expect("the server is a host");
    assert!(
        host.roles.contains("controller (modbus server)"),
        "{:?}",
        host.roles
    );
    assert!(host.protocols.contains("modbus server"));
    let first = modbus[0].first_seen;
    assert!(
        first > 1_000_000_000_000_000,
        "microseconds since the epoch: {first}"
    );
}

#[test]
fn s7_downloads_and_stops_are_write_operations() {
    for (file, op) in [
        ("iti--s7--s7comm_downloading_block_db1.pcap", "download"),
        ("iti--s7--step7_s300_stop.pcapng", "stop"),
    ] {
        let o = pcap::observe(&data("pcap").join(file), &mut |_| {}).expect("capture");
        let ops: u64 = o
            .flows
            .iter()
            .filter(|f| f.protocol == "s7comm")
            .map(|f| f.operations.get(op).copied().unwrap_or(0))
            .sum();
        assert!(ops > 0, "{file}: no {op} in {:?}", o.flows);
        assert!(o.flows.iter().any(|f| f.writes() > 0));
    }
}

#[test]
fn truncated_and_foreign_files_are_handled() {
    let dir = std::env::temp_dir().join(format!("otkeep-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let whole = std::fs::read(data("pcap").join("iti--ModbusTCP--modbus_test_data_part1.pcap"))
        .expect("capture");
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &whole[..whole.len() - 37]).expect("write");
    let o = pcap::observe(&cut, &mut |_| {}).expect("a truncated capture still reads");
    assert!(o.packets > 100);
    assert!(
        o.warnings.iter().any(|w| w.contains("truncated")),
        "{:?}",
        o.warnings
    );
    let text = dir.join("notes.pcap");
    std::fs::write(
        &text,
        "this is not a capture at all, just text\n".repeat(10),
    )
    .expect("write");
    let err = pcap::observe(&text, &mut |_| {}).expect_err("not a capture");
    assert!(
        err.to_string().contains("notes.pcap") && err.to_string().contains("not a"),
        "{err}"
    );
    let empty = dir.join("empty.pcap");
    std::fs::write(&empty, b"").expect("write");
    assert!(pcap::observe(&empty, &mut |_| {}).is_err());
    // Garbage after a valid header: no panic, whatever was readable is kept.
    let mut damaged = whole[..24].to_vec();
    damaged.extend((0..5000u32).map(|i| (i * 7919 % 251) as u8));
    let path = dir.join("damaged.pcap");
    std::fs::write(&path, &damaged).expect("write");
    let _ = pcap::observe(&path, &mut |_| {});
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn zeek_conn_logs_give_flows_in_tsv_and_json() {
    let o = zeek::observe(&data("topology/4sics-zeek").join("151020-conn.log")).expect("conn.log");
    assert!(o.flows.len() > 10, "{}", o.flows.len());
    assert!(o.packets > 1000);
    let s7 = o
        .flows
        .iter()
        .find(|f| f.port == Some(102) && f.transport == Transport::Tcp)
        .expect("S7 on tcp/102");
    assert!(s7.packets > 0 && s7.last_seen >= s7.first_seen);
    assert!(o.flows.iter().any(|f| f.protocol == "dns"));
    let ips: BTreeSet<_> = o.hosts.iter().filter_map(|h| h.ip.clone()).collect();
    assert!(ips.contains("192.168.89.2"), "{ips:?}");

    let mut observer = otkeep_ingest::observe::Observer::new();
    let json = r#"{"ts":1445353842.72,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":50000,"id.resp_h":"10.0.1.10","id.resp_p":502,"proto":"tcp","service":"modbus","duration":2.5,"orig_pkts":10,"resp_pkts":9,"orig_ip_bytes":800,"resp_ip_bytes":700}
{"ts":"2015-10-20T15:10:42.720000Z","id.orig_h":"10.0.0.5","id.orig_p":50001,"id.resp_h":"10.0.1.10","id.resp_p":502,"proto":"tcp","orig_pkts":1,"resp_pkts":1}"#;
    assert_eq!(
        zeek::read_into(&mut observer, json, "conn.json").expect("json lines"),
        2
    );
    let o = observer.finish();
    assert_eq!(o.flows.len(), 1, "both records are one flow");
    assert_eq!(o.flows[0].protocol, "modbus");
    assert_eq!(o.flows[0].packets, 21);

    let mut observer = otkeep_ingest::observe::Observer::new();
    let err =
        zeek::read_into(&mut observer, "{\"ts\": \"soon\"}\n", "bad.json").expect_err("bad time");
    assert!(err.to_string().starts_with("bad.json, line 1: ts"), "{err}");
    let err = zeek::read_into(&mut observer, "1\t2\t3\n", "bad.log").expect_err("no header");
    assert!(err.to_string().contains("line 1"), "{err}");
    let dns = "#fields\tts\tid.orig_h\tid.resp_h\n#path\tdns\n";
    assert!(
        zeek::read_into(&mut observer, dns, "dns.log").is_err(),
        "not a conn log"
    );
}

#[test]
fn the_pfsense_sample_is_read_and_checked_against_its_zones() {
    use otkeep_core::firewall::{FwAddr, check};
    use otkeep_core::kinds::{CONDUIT_KIND, ZONE_KIND};
    use otkeep_core::value::values_from_json;
    let path = data("topology/grficsv2").join("pfsense-config-20200129.xml");
    let text = std::fs::read_to_string(&path).expect("pfSense sample");
    let set = otkeep_ingest::firewall::parse(&text, "pfsense.xml").expect("parses");
    assert_eq!(set.rules.len(), 2, "{:#?}", set.rules);
    let lan = &set.rules[0];
    assert!(lan.allow && lan.protocol.is_none() && lan.destination == FwAddr::Any);
    assert_eq!(
        lan.label,
        "pfSense lan rule 1 (Default allow LAN to any rule)"
    );
    match &lan.source {
        FwAddr::Net(n) => assert_eq!(n.to_string(), "192.168.95.0/24"),
        other => panic!("lan net not resolved: {other:?}"),
    }
    assert_eq!(set.rules[1].protocol.as_deref(), Some("tcp"));

    let record = |kind: &'static otkeep_core::KindDef, id: i64, body: serde_json::Value| {
        otkeep_core::Record {
            kind,
            id,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            values: values_from_json(kind, &body).expect("valid"),
        }
    };
    let zones = vec![
        record(
            &ZONE_KIND,
            1,
            serde_json::json!({"site_id": 1, "name": "ICS network", "owner": "o", "subnets": "192.168.95.0/24"}),
        ),
        record(
            &ZONE_KIND,
            2,
            serde_json::json!({"site_id": 1, "name": "DMZ network", "owner": "o", "subnets": "192.168.90.0/24"}),
        ),
    ];
    let conduits = vec![record(
        &CONDUIT_KIND,
        3,
        serde_json::json!({"site_id": 1, "name": "HMI to PLC", "zone_a_id": 2, "zone_b_id": 1, "owner": "o",
            "channels": [{"protocol": "Modbus/TCP", "port": 502, "transport": "tcp", "direction": "a_to_b"}]}),
    )];
    let findings = check(&zones, &conduits, &set.rules, "pfsense.xml");
    let rules: Vec<&str> = findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        ["fw_any_rule", "fw_any_rule", "fw_conduit_without_rule"],
        "{findings:#?}"
    );
    assert!(
        findings[0]
            .message
            .contains("Default allow LAN to any rule")
    );

    let err = otkeep_ingest::firewall::parse("<config><x/></config>", "other.xml").unwrap_err();
    assert!(
        err.to_string().contains("not a pfSense configuration"),
        "{err}"
    );
    let err = otkeep_ingest::firewall::parse("<pfsense><filter>", "broken.xml").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("broken.xml, line 1: not valid XML"),
        "{err}"
    );
}
