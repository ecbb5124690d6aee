//! Firewall rulesets against the zone/conduit model (issue 11, item 4). Parsers in
//! `otkeep_ingest::firewall` turn iptables-save output and pfSense `config.xml` into
//! [`FwRule`]s; [`check`] maps rule addresses to zones (by their subnets) and reports:
//!
//! - `fw_any_rule`: an allow rule with any source or any destination and no port restriction;
//! - `fw_rule_without_conduit`: an allow rule letting traffic between two zones no conduit joins;
//! - `fw_port_not_declared`: an allow rule opening a port between two zones that no channel of
//!   their conduit lists;
//! - `fw_conduit_without_rule`: a conduit no rule enforces (no allow rule naming both its zones).

use crate::model::Finding;
use crate::value::{Record, Subnet, Value};

pub const RULES: &[(&str, &str)] = &[
    (
        "fw_any_rule",
        "Firewall rules allowing any source or destination on any port",
    ),
    (
        "fw_rule_without_conduit",
        "Firewall rules allowing traffic no conduit declares",
    ),
    (
        "fw_port_not_declared",
        "Firewall rules opening ports no channel lists",
    ),
    (
        "fw_conduit_without_rule",
        "Conduits no firewall rule enforces",
    ),
];

/// A source or destination of a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum FwAddr {
    Any,
    Net(Subnet),
}

/// One rule, as far as the model is concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct FwRule {
    /// Where it is: `iptables FORWARD rule 3`, `pfSense lan rule 1 (Default allow LAN to any rule)`.
    pub label: String,
    pub allow: bool,
    /// `tcp`, `udp`, …; `None` for any protocol.
    pub protocol: Option<String>,
    pub source: FwAddr,
    pub destination: FwAddr,
    /// Destination port range; `None` for any port.
    pub ports: Option<(u16, u16)>,
}

fn overlaps(a: &Subnet, b: &Subnet) -> bool {
    a.contains(b.network) || b.contains(a.network)
}

fn zone_nets(zone: &Record) -> Vec<Subnet> {
    zone.get("subnets")
        .to_text()
        .split(',')
        .filter_map(|s| Subnet::parse(s).ok())
        .collect()
}

/// The zones an address covers (every zone with subnets, for `any`).
fn zones_of<'z>(addr: &FwAddr, zones: &'z [(&'z Record, Vec<Subnet>)]) -> Vec<&'z Record> {
    zones
        .iter()
        .filter(|(_, nets)| match addr {
            FwAddr::Any => !nets.is_empty(),
            FwAddr::Net(n) => nets.iter().any(|z| overlaps(z, n)),
        })
        .map(|(z, _)| *z)
        .collect()
}

fn rec(r: &Record) -> (&'static str, i64, String) {
    (r.kind.plural, r.id, r.title())
}

impl FwRule {
    /// ` port 502`, ` ports 1000-2000`, or nothing for any port.
    pub fn ports_text(&self) -> String {
        match self.ports {
            Some((a, b)) if a == b => format!(" port {a}"),
            Some((a, b)) => format!(" ports {a}-{b}"),
            None => String::new(),
        }
    }
}

impl std::fmt::Display for FwAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FwAddr::Any => write!(f, "any"),
            FwAddr::Net(n) => write!(f, "{}/{}", n.network, n.prefix),
        }
    }
}

/// Checks `rules` (from `source`, e.g. the file name) against the site's zones and conduits.
pub fn check(
    zones: &[Record],
    conduits: &[Record],
    rules: &[FwRule],
    source: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let nets: Vec<(&Record, Vec<Subnet>)> = zones.iter().map(|z| (z, zone_nets(z))).collect();
    let joins = |a: i64, b: i64| -> Vec<&Record> {
        conduits
            .iter()
            .filter(|c| {
                let (x, y) = (c.get("zone_a_id").as_int(), c.get("zone_b_id").as_int());
                (x == Some(a) && y == Some(b)) || (x == Some(b) && y == Some(a))
            })
            .collect()
    };
    let mut enforced: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for r in rules.iter().filter(|r| r.allow) {
        let what = format!(
            "{} allows {} from {} to {}{}",
            r.label,
            r.protocol.clone().unwrap_or_else(|| "any protocol".into()),
            r.source,
            r.destination,
            r.ports_text()
        );
        if (r.source == FwAddr::Any || r.destination == FwAddr::Any) && r.ports.is_none() {
            out.push(Finding {
                rule: "fw_any_rule",
                message: format!("{what} (in {source})."),
                fix: "Narrow the rule to the addresses and ports of the conduits it implements.",
                records: Vec::new(),
                facts: vec![("file", source.to_string()), ("rule", r.label.clone())],
            });
        }
        let sources = zones_of(&r.source, &nets);
        let destinations = zones_of(&r.destination, &nets);
        for s in &sources {
            for d in &destinations {
                if s.id == d.id {
                    continue;
                }
                let conduits = joins(s.id, d.id);
                if conduits.is_empty() {
                    out.push(Finding {
                        rule: "fw_rule_without_conduit",
                        message: format!(
                            "{what}: traffic from zone {} to zone {}, which no conduit joins (in {source}).",
                            s.title(),
                            d.title()
                        ),
                        fix: "Remove or narrow the rule, or add the conduit if the traffic is intended.",
                        records: vec![rec(s), rec(d)],
                        facts: vec![
                            ("file", source.to_string()),
                            ("rule", r.label.clone()),
                            ("zone_a", s.id.to_string()),
                            ("zone_b", d.id.to_string()),
                        ],
                    });
                    continue;
                }
                if r.source != FwAddr::Any && r.destination != FwAddr::Any {
                    enforced.extend(conduits.iter().map(|c| c.id));
                }
                if let Some((lo, hi)) = r.ports {
                    let listed = conduits.iter().any(|c| match c.get("channels") {
                        Value::Channels(chs) => chs.iter().any(|ch| {
                            ch.port.is_some_and(|p| p >= lo && p <= hi)
                                && r.protocol.as_deref().is_none_or(|p| p == ch.transport)
                        }),
                        _ => false,
                    });
                    if !listed {
                        out.push(Finding {
                            rule: "fw_port_not_declared",
                            message: format!(
                                "{what}: between zones {} and {}, but no channel of {} lists that port (in {source}).",
                                s.title(),
                                d.title(),
                                conduits.iter().map(|c| c.title()).collect::<Vec<_>>().join(", ")
                            ),
                            fix: "Close the port, or add the channel to the conduit through a change.",
                            records: conduits.iter().map(|c| rec(c)).collect(),
                            facts: vec![
                                ("file", source.to_string()),
                                ("rule", r.label.clone()),
                                ("zone_a", s.id.to_string()),
                                ("zone_b", d.id.to_string()),
                            ],
                        });
                    }
                }
            }
        }
    }
    for c in conduits {
        let (Some(a), Some(b)) = (c.get("zone_a_id").as_int(), c.get("zone_b_id").as_int()) else {
            continue;
        };
        let with_nets = |id: i64| nets.iter().any(|(z, n)| z.id == id && !n.is_empty());
        if !enforced.contains(&c.id) && with_nets(a) && with_nets(b) {
            out.push(Finding {
                rule: "fw_conduit_without_rule",
                message: format!(
                    "Conduit {} has no rule in {source} that names both its zones' networks: nothing there enforces it.",
                    c.title()
                ),
                fix: "Add allow rules for its channels (and a default deny), or record which device enforces it.",
                records: vec![rec(c)],
                facts: vec![("file", source.to_string()), ("conduit", c.id.to_string())],
            });
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
    use crate::kinds::{CONDUIT_KIND, ZONE_KIND};
    use serde_json::json;

    use crate::value::fixture as record;

    fn net(s: &str) -> FwAddr {
        FwAddr::Net(Subnet::parse(s).expect("subnet"))
    }

    fn rule(label: &str, src: FwAddr, dst: FwAddr, ports: Option<(u16, u16)>) -> FwRule {
        FwRule {
            label: label.into(),
            allow: true,
            protocol: Some("tcp".into()),
            source: src,
            destination: dst,
            ports,
        }
    }

    #[test]
    fn rules_are_checked_against_zones_and_conduits() {
        let zone = |id: i64, name: &str, subnet: &str| {
            record(
                &ZONE_KIND,
                id,
                json!({"site_id": 1, "name": name, "owner": "o", "subnets": subnet}),
            )
        };
        let zones = vec![
            zone(1, "ICS", "192.168.95.0/24"),
            zone(2, "DMZ", "192.168.90.0/24"),
            zone(3, "Office", "10.0.0.0/8"),
        ];
        let conduit = |id: i64, a: i64, b: i64| {
            record(
                &CONDUIT_KIND,
                id,
                json!({"site_id": 1, "name": format!("C{id}"), "zone_a_id": a, "zone_b_id": b, "owner": "o",
                "channels": [{"protocol": "Modbus/TCP", "port": 502, "transport": "tcp", "direction": "a_to_b"}]}),
            )
        };
        let conduits = vec![conduit(10, 2, 1), conduit(11, 3, 2)];
        let rules = vec![
            rule(
                "r1",
                net("192.168.90.0/24"),
                net("192.168.95.2/32"),
                Some((502, 502)),
            ),
            rule(
                "r2",
                net("192.168.90.0/24"),
                net("192.168.95.0/24"),
                Some((22, 22)),
            ),
            rule(
                "r3",
                net("10.0.0.0/8"),
                net("192.168.95.0/24"),
                Some((502, 502)),
            ),
            rule("r4", net("192.168.95.0/24"), FwAddr::Any, None),
        ];
        let findings = check(&zones, &conduits, &rules, "fw.rules");
        let got: Vec<(&str, String)> = findings
            .iter()
            .map(|f| {
                (
                    f.rule,
                    f.message.split(' ').next().unwrap_or("").to_string(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("fw_any_rule", "r4".to_string()),
                ("fw_rule_without_conduit", "r3".to_string()),
                ("fw_rule_without_conduit", "r4".to_string()),
                ("fw_port_not_declared", "r2".to_string()),
                ("fw_conduit_without_rule", "Conduit".to_string()),
            ],
            "{findings:#?}"
        );
        assert!(findings[2].message.contains("zone ICS to zone Office"));
        assert!(
            findings[4].message.contains("C11"),
            "the office conduit has no rule"
        );
    }
}
