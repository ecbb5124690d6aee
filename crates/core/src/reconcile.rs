//! Records against observed traffic (issue 11): what the inventory and the zone/conduit model
//! say, compared with the hosts and flows seen on the network. Pure; each [`Finding`] names the
//! records concerned, how to fix it, and the evidence (capture file, hash, time range).
//!
//! - A host is an asset when its IP or MAC is one of the asset's addresses.
//! - An address is in a zone when the zone's subnets contain it (else: the zone of the asset
//!   with that address).
//! - A conduit covers a flow between two zones when it joins them; a channel declares the flow
//!   when transport and port match (channels without a port, such as GOOSE, match by protocol
//!   name).
//! - A channel's direction is the direction data may flow (`a_to_b`: from zone A to zone B). A
//!   write (Modbus write, S7 download or stop, DNP3 operate, IEC 104 command) sends data from
//!   the client to the server, so it needs the direction from the client's zone.

use crate::model::Finding;
use crate::value::{Record, Subnet, Value};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

/// The rules, in report order: (id, title).
pub const RULES: &[(&str, &str)] = &[
    (
        "unknown_device",
        "Devices seen that are not in the inventory",
    ),
    (
        "asset_not_seen",
        "Inventoried devices never seen where traffic was captured",
    ),
    (
        "address_mismatch",
        "Devices seen at another address than the inventory gives",
    ),
    (
        "vendor_mismatch",
        "Vendor of the network card differs from the inventory",
    ),
    (
        "flow_without_conduit",
        "Traffic between zones with no conduit",
    ),
    (
        "channel_not_declared",
        "Traffic on a conduit that its channels do not list",
    ),
    (
        "write_against_direction",
        "Writes across a conduit against its declared direction",
    ),
];

/// A host as observed.
#[derive(Debug, Clone)]
pub struct SeenHost {
    pub ip: Option<IpAddr>,
    pub mac: Option<String>,
    pub vendor: Option<String>,
    /// Role hints and protocols, for the message.
    pub what: String,
    /// Where and when it was seen, e.g. `plant.pcap (sha256 1a2b…), 2026-10-01 08:00 to 08:10`.
    pub evidence: String,
}

/// A flow as observed.
#[derive(Debug, Clone)]
pub struct SeenFlow {
    pub client: Option<IpAddr>,
    pub server: Option<IpAddr>,
    /// `tcp`, `udp`, `l2`.
    pub transport: String,
    pub port: Option<u16>,
    pub protocol: String,
    pub packets: i64,
    /// Write operations (see `otkeep_ingest::observe::protocols::is_write`).
    pub writes: i64,
    pub evidence: String,
}

fn rec(r: &Record) -> (&'static str, i64, String) {
    (r.kind.plural, r.id, r.title())
}

fn list(r: &Record, field: &str) -> Vec<String> {
    r.get(field)
        .to_text()
        .split([',', ';', ' '])
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

fn ips(r: &Record) -> Vec<IpAddr> {
    list(r, "ip_addresses")
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect()
}

fn subnets(zone: &Record) -> Vec<Subnet> {
    zone.get("subnets")
        .to_text()
        .split(',')
        .filter_map(|s| Subnet::parse(s).ok())
        .collect()
}

/// Letters and digits only, lower case: `Modbus/TCP` and `modbus` compare.
fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The facts of a flow finding: the zones, the conduit (if any) and the flow.
fn flow_facts(
    f: &SeenFlow,
    client_zone: &Record,
    server_zone: &Record,
    conduit: Option<&Record>,
) -> Vec<(&'static str, String)> {
    let mut facts = vec![
        ("zone_a", client_zone.id.to_string()),
        ("zone_b", server_zone.id.to_string()),
        ("protocol", f.protocol.clone()),
        ("transport", f.transport.clone()),
    ];
    if let Some(p) = f.port {
        facts.push(("port", p.to_string()));
    }
    if let Some(c) = conduit {
        facts.push(("conduit", c.id.to_string()));
    }
    facts
}

/// Compares the observed hosts and flows of a site with its records.
pub fn reconcile(
    zones: &[Record],
    conduits: &[Record],
    assets: &[Record],
    hosts: &[SeenHost],
    flows: &[SeenFlow],
) -> Vec<Finding> {
    let mut out = Vec::new();
    let by_ip: HashMap<IpAddr, &Record> = assets
        .iter()
        .flat_map(|a| ips(a).into_iter().map(move |ip| (ip, a)))
        .collect();
    let by_mac: HashMap<String, &Record> = assets
        .iter()
        .flat_map(|a| {
            list(a, "mac_addresses")
                .into_iter()
                .map(move |m| (m.replace('-', ":"), a))
        })
        .collect();
    let zone_by_id: HashMap<i64, &Record> = zones.iter().map(|z| (z.id, z)).collect();
    let zone_nets: Vec<(&Record, Vec<Subnet>)> = zones.iter().map(|z| (z, subnets(z))).collect();
    let zone_of = |ip: IpAddr| -> Option<&Record> {
        zone_nets
            .iter()
            .find(|(_, nets)| nets.iter().any(|n| n.contains(ip)))
            .map(|(z, _)| *z)
            .or_else(|| {
                by_ip
                    .get(&ip)
                    .and_then(|a| a.get("zone_id").as_int())
                    .and_then(|z| zone_by_id.get(&z).copied())
            })
    };
    let asset_of = |h: &SeenHost| -> Option<&Record> {
        h.ip.and_then(|ip| by_ip.get(&ip).copied()).or_else(|| {
            h.mac
                .as_ref()
                .and_then(|m| by_mac.get(&m.to_ascii_lowercase()).copied())
        })
    };

    // Devices.
    let mut seen_assets: HashSet<i64> = HashSet::new();
    let mut observed_zones: HashSet<i64> = HashSet::new();
    for h in hosts {
        if let Some(z) = h.ip.and_then(zone_of) {
            observed_zones.insert(z.id);
        }
        match asset_of(h) {
            Some(a) => {
                seen_assets.insert(a.id);
                // Found by one address but not the other: the record or the device is wrong.
                let recorded_ips = ips(a);
                let recorded_macs: Vec<String> = list(a, "mac_addresses")
                    .into_iter()
                    .map(|m| m.replace('-', ":"))
                    .collect();
                let ip_differs =
                    h.ip.is_some_and(|ip| !recorded_ips.is_empty() && !recorded_ips.contains(&ip));
                let mac_differs = h.mac.as_ref().is_some_and(|m| {
                    !recorded_macs.is_empty() && !recorded_macs.contains(&m.to_ascii_lowercase())
                });
                if ip_differs || mac_differs {
                    let seen = [h.ip.map(|i| i.to_string()), h.mac.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" / ");
                    let recorded = recorded_ips
                        .iter()
                        .map(IpAddr::to_string)
                        .chain(recorded_macs.iter().cloned())
                        .collect::<Vec<_>>()
                        .join(", ");
                    out.push(Finding {
                        rule: "address_mismatch",
                        message: format!(
                            "Asset {} was seen as {seen}, but the inventory gives {recorded}. Seen in {}.",
                            a.title(),
                            h.evidence
                        ),
                        fix: "Correct the asset's addresses, or find out which device uses them.",
                        records: vec![rec(a)],
                        facts: vec![
                            ("asset", a.id.to_string()),
                            ("ip", h.ip.map(|i| i.to_string()).unwrap_or_default()),
                            ("mac", h.mac.clone().unwrap_or_default()),
                        ],
                    });
                }
                let recorded = a.get("vendor").to_text();
                if let Some(vendor) = &h.vendor {
                    let first = |s: &str| {
                        s.split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_ascii_lowercase()
                    };
                    let virtual_nic = ["vmware", "oracle", "qemu/kvm", "microsoft"]
                        .contains(&first(vendor).as_str());
                    if !recorded.is_empty() && !virtual_nic && first(&recorded) != first(vendor) {
                        out.push(Finding {
                            rule: "vendor_mismatch",
                            message: format!(
                                "Asset {} is recorded as {recorded}, but its network card ({}) is {vendor}. Seen in {}.",
                                a.title(),
                                h.mac.clone().unwrap_or_default(),
                                h.evidence
                            ),
                            fix: "Check the device: correct the vendor, or the address if it belongs to another device.",
                            records: vec![rec(a)],
                            facts: Vec::new(),
                        });
                    }
                }
            }
            None => {
                let address =
                    h.ip.map(|ip| ip.to_string())
                        .or_else(|| h.mac.clone())
                        .unwrap_or_default();
                let mut records = Vec::new();
                let zone = h.ip.and_then(zone_of);
                if let Some(z) = zone {
                    records.push(rec(z));
                }
                out.push(Finding {
                    rule: "unknown_device",
                    message: format!(
                        "{address}{}{} is on the network{} but not in the inventory. Seen in {}.",
                        h.vendor.as_ref().map(|v| format!(" ({v})")).unwrap_or_default(),
                        if h.what.is_empty() { String::new() } else { format!(", {}", h.what) },
                        zone.map(|z| format!(" in zone {}", z.title())).unwrap_or_default(),
                        h.evidence
                    ),
                    fix: "Add it to the inventory (with this address), or find out why it is there.",
                    records,
                    facts: [
                        ("ip", h.ip.map(|i| i.to_string()).unwrap_or_default()),
                        ("mac", h.mac.clone().unwrap_or_default()),
                        ("vendor", h.vendor.clone().unwrap_or_default()),
                        ("zone", zone.map(|z| z.id.to_string()).unwrap_or_default()),
                    ]
                    .into_iter()
                    .filter(|(_, v)| !v.is_empty())
                    .collect(),
                });
            }
        }
    }
    for a in assets {
        let addresses = ips(a);
        if addresses.is_empty() || seen_assets.contains(&a.id) {
            continue;
        }
        let Some(zone) = a.get("zone_id").as_int().and_then(|z| zone_by_id.get(&z)) else {
            continue;
        };
        if !observed_zones.contains(&zone.id) || a.get("lifecycle").to_text() == "decommissioned" {
            continue;
        }
        out.push(Finding {
            rule: "asset_not_seen",
            message: format!(
                "Asset {} ({}) in zone {} was not seen, although traffic of that zone was captured.",
                a.title(),
                addresses.iter().map(IpAddr::to_string).collect::<Vec<_>>().join(", "),
                zone.title()
            ),
            fix: "Check whether it is still installed and its address is right; decommission it if it is gone.",
            records: vec![rec(a), rec(zone)],
            facts: Vec::new(),
        });
    }

    // Flows across zones.
    let mut reported: HashSet<(i64, i64, String, Option<u16>, &'static str)> = HashSet::new();
    for f in flows {
        let (Some(cz), Some(sz)) = (f.client.and_then(zone_of), f.server.and_then(zone_of)) else {
            continue;
        };
        if cz.id == sz.id {
            continue;
        }
        let joining: Vec<&Record> = conduits
            .iter()
            .filter(|c| {
                let (a, b) = (c.get("zone_a_id").as_int(), c.get("zone_b_id").as_int());
                (a == Some(cz.id) && b == Some(sz.id)) || (a == Some(sz.id) && b == Some(cz.id))
            })
            .collect();
        let what = format!(
            "{} {} → {} ({}{})",
            f.protocol,
            f.client.map(|i| i.to_string()).unwrap_or_default(),
            f.server.map(|i| i.to_string()).unwrap_or_default(),
            f.transport,
            f.port.map(|p| format!("/{p}")).unwrap_or_default()
        );
        let mut once =
            |rule: &'static str| reported.insert((cz.id, sz.id, f.protocol.clone(), f.port, rule));
        if joining.is_empty() {
            if once("flow_without_conduit") {
                out.push(Finding {
                    rule: "flow_without_conduit",
                    message: format!(
                        "Traffic from zone {} to zone {}: {what}, {} packets, but no conduit joins the zones. Seen in {}.",
                        cz.title(),
                        sz.title(),
                        f.packets,
                        f.evidence
                    ),
                    fix: "Add the conduit (with this channel) if the traffic is intended; otherwise block it and find its source.",
                    records: vec![rec(cz), rec(sz)],
                    facts: flow_facts(f, cz, sz, None),
                });
            }
            continue;
        }
        // Channels of the joining conduits that declare this flow, with their conduit.
        let mut declared = Vec::new();
        for c in &joining {
            if let Value::Channels(channels) = c.get("channels") {
                for ch in channels {
                    let matches = match (ch.port, f.port) {
                        (Some(p), Some(q)) => p == q && ch.transport == f.transport,
                        (None, None) => {
                            squash(&ch.protocol).contains(&squash(&f.protocol))
                                || squash(&f.protocol).contains(&squash(&ch.protocol))
                        }
                        _ => false,
                    };
                    if matches {
                        declared.push((*c, ch));
                    }
                }
            }
        }
        if declared.is_empty() {
            if once("channel_not_declared") {
                out.push(Finding {
                    rule: "channel_not_declared",
                    message: format!(
                        "Conduit {} carries {what}, {} packets, which none of its channels lists. Seen in {}.",
                        joining.iter().map(|c| c.title()).collect::<Vec<_>>().join(", "),
                        f.packets,
                        f.evidence
                    ),
                    fix: "Add the channel to the conduit (through a change) if it is intended; otherwise block it.",
                    records: joining.iter().map(|c| rec(c)).collect(),
                    facts: flow_facts(f, cz, sz, joining.first().copied()),
                });
            }
            continue;
        }
        if f.writes > 0 {
            let allowed = declared.iter().any(|(c, ch)| {
                let client_is_a = c.get("zone_a_id").as_int() == Some(cz.id);
                ch.direction == "both" || (client_is_a == (ch.direction == "a_to_b"))
            });
            if !allowed && once("write_against_direction") {
                out.push(Finding {
                    rule: "write_against_direction",
                    message: format!(
                        "{} write operations from zone {} to zone {} ({what}) cross conduit {}, whose channel lets data flow only the other way. Seen in {}.",
                        f.writes,
                        cz.title(),
                        sz.title(),
                        declared[0].0.title(),
                        f.evidence
                    ),
                    fix: "Stop the writes at the boundary (firewall rule, protocol-aware filter), or change the conduit's declared direction through a change if they are intended.",
                    records: vec![rec(declared[0].0), rec(cz), rec(sz)],
                    facts: flow_facts(f, cz, sz, Some(declared[0].0)),
                });
            }
        }
    }
    let order = |rule: &str| {
        RULES
            .iter()
            .position(|(r, _)| *r == rule)
            .unwrap_or(RULES.len())
    };
    out.sort_by_key(|f| order(f.rule));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{ASSET_KIND, CONDUIT_KIND, ZONE_KIND};
    use crate::value::values_from_json;
    use serde_json::json;

    use crate::value::fixture as record;

    fn host(ip: &str, mac: &str, vendor: Option<&str>) -> SeenHost {
        SeenHost {
            ip: ip.parse().ok(),
            mac: (!mac.is_empty()).then(|| mac.to_string()),
            vendor: vendor.map(str::to_string),
            what: "modbus server".into(),
            evidence: "lab.pcap".into(),
        }
    }

    fn flow(client: &str, server: &str, port: u16, protocol: &str, writes: i64) -> SeenFlow {
        SeenFlow {
            client: client.parse().ok(),
            server: server.parse().ok(),
            transport: "tcp".into(),
            port: Some(port),
            protocol: protocol.into(),
            packets: 10,
            writes,
            evidence: "lab.pcap".into(),
        }
    }

    #[test]
    fn every_rule_finds_its_case_and_declared_traffic_passes() {
        let zone = |id: i64, name: &str, net: &str| {
            record(
                &ZONE_KIND,
                id,
                json!({"site_id": 1, "name": name, "owner": "o", "sl_t": [1,1,1,1,1,1,1], "subnets": net}),
            )
        };
        let zones = vec![
            zone(1, "Control", "10.1.0.0/24"),
            zone(2, "DMZ", "10.2.0.0/24"),
            zone(3, "Office", "10.3.0.0/24"),
        ];
        // DMZ (A) → Control (B): Modbus declared, data only from Control to DMZ (reads).
        let conduits = vec![record(
            &CONDUIT_KIND,
            10,
            json!({"site_id": 1, "name": "DMZ-Control", "zone_a_id": 2, "zone_b_id": 1, "owner": "o",
                   "channels": [{"protocol": "Modbus/TCP", "port": 502, "transport": "tcp", "direction": "b_to_a"}]}),
        )];
        let asset = |id: i64, zone: i64, ip: &str, vendor: &str| {
            record(
                &ASSET_KIND,
                id,
                json!({"site_id": 1, "zone_id": zone, "name": format!("A{id}"), "asset_type": "plc",
                       "vendor": vendor, "criticality": "high", "owner": "o", "lifecycle": "operational",
                       "ip_addresses": ip}),
            )
        };
        let assets = vec![
            asset(20, 1, "10.1.0.5", "Siemens"),
            asset(21, 2, "10.2.0.7", "Rockwell Automation"),
            asset(22, 1, "10.1.0.9", "Siemens"),
            {
                let mut a = asset(23, 1, "10.1.0.7", "Siemens");
                a.values
                    .insert("mac_addresses", Value::Text("00:1B:1B:00:00:09".into()));
                a
            },
        ];
        let hosts = vec![
            host("10.1.0.5", "00:1b:1b:00:00:01", Some("Siemens")),
            host("10.2.0.7", "00:1b:1b:00:00:02", Some("Siemens")),
            host("10.1.0.66", "", None),
            host("10.1.0.77", "00:1b:1b:00:00:09", Some("Siemens")),
            host("10.3.0.4", "", None),
        ];
        let flows = vec![
            flow("10.2.0.7", "10.1.0.5", 502, "modbus", 0),
            flow("10.2.0.7", "10.1.0.5", 502, "modbus", 3),
            flow("10.2.0.7", "10.1.0.5", 102, "s7comm", 0),
            flow("10.3.0.4", "10.1.0.5", 502, "modbus", 0),
            flow("10.1.0.66", "10.1.0.5", 502, "modbus", 5),
        ];
        let findings = reconcile(&zones, &conduits, &assets, &hosts, &flows);
        let rules: Vec<&str> = findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            [
                "unknown_device",
                "unknown_device",
                "asset_not_seen",
                "address_mismatch",
                "vendor_mismatch",
                "flow_without_conduit",
                "channel_not_declared",
                "write_against_direction"
            ],
            "{findings:#?}"
        );
        assert!(
            findings[0].message.contains("10.1.0.66")
                && findings[0].message.contains("zone Control")
        );
        assert!(findings[2].message.contains("A22"));
        assert!(
            findings[3]
                .message
                .contains("A23 was seen as 10.1.0.77 / 00:1b:1b:00:00:09"),
            "{}",
            findings[3].message
        );
        assert!(
            findings[4].message.contains("Rockwell Automation")
                && findings[4].message.contains("Siemens")
        );
        assert!(findings[5].message.contains("Office") && findings[5].message.contains("lab.pcap"));
        assert!(findings[6].message.contains("s7comm"));
        assert!(findings[7].message.contains("3 write operations"));
        let declared_both = {
            let mut c = conduits.clone();
            c[0].values = values_from_json(
                &CONDUIT_KIND,
                &json!({"site_id": 1, "name": "DMZ-Control", "zone_a_id": 2, "zone_b_id": 1, "owner": "o",
                        "channels": [{"protocol": "Modbus/TCP", "port": 502, "transport": "tcp", "direction": "both"}]}),
            )
            .expect("valid");
            c
        };
        let findings = reconcile(&zones, &declared_both, &assets, &hosts, &flows[..2]);
        assert!(
            findings.iter().all(|f| f.rule != "write_against_direction"),
            "writes are declared when data may flow both ways"
        );
    }
}
