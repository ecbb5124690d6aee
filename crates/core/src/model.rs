//! Model rules: checks of the zone and conduit model that a reviewer would otherwise do by
//! hand. Each [`Finding`] names its rule, the records concerned and how to fix it.

use crate::gap::Status;
use crate::value::{Record, Subnet, Value};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

/// One problem of the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable identifier of the rule (`asset_without_zone`, …).
    pub rule: &'static str,
    pub message: String,
    pub fix: &'static str,
    /// The records concerned: (kind plural, id, title).
    pub records: Vec<(&'static str, i64, String)>,
    /// What the finding is about, as named values (`ip`, `zone_a`, `port`, …), from which the
    /// UI offers the fitting action (add the asset, add the conduit, raise a change).
    pub facts: Vec<(&'static str, String)>,
}

impl Finding {
    /// A stable key of what the finding is about (its rule and facts, not its evidence), so a
    /// dismissal holds across later imports that find the same thing.
    pub fn key(&self) -> String {
        let mut facts: Vec<String> = self.facts.iter().map(|(k, v)| format!("{k}={v}")).collect();
        facts.sort();
        format!("{}|{}", self.rule, facts.join("|"))
    }
}

/// The rules, in the order findings are reported: (id, title).
pub const RULES: &[(&str, &str)] = &[
    ("asset_without_zone", "Assets in no zone"),
    ("zone_without_sl_t", "Zones without owner or target SL"),
    (
        "conduit_sl_step",
        "Conduits across an FR5 step of 2 or more without boundary controls",
    ),
    ("zone_without_conduit", "Zones with no conduit"),
    ("conduit_to_other_site", "Conduits to zones of other sites"),
    (
        "asset_outside_subnets",
        "Assets outside their zone's subnets",
    ),
];

fn sl(record: &Record, field: &str) -> Option<[u8; 7]> {
    match record.get(field) {
        Value::Sl(v) => Some(v.levels()),
        _ => None,
    }
}

fn rec(r: &Record) -> (&'static str, i64, String) {
    (r.kind.plural, r.id, r.title())
}

/// Checks the model of zones, conduits and assets. `conduit_statuses` gives the assessment
/// status of a conduit's requirements: boundary controls count as recorded when SR 5.2 is met
/// on the conduit.
pub fn check_model(
    zones: &[Record],
    conduits: &[Record],
    assets: &[Record],
    conduit_statuses: &HashMap<i64, HashMap<String, Status>>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let zone_by_id: HashMap<i64, &Record> = zones.iter().map(|z| (z.id, z)).collect();

    for a in assets.iter().filter(|a| a.get("zone_id").is_null()) {
        out.push(Finding {
            rule: "asset_without_zone",
            message: format!("Asset {} belongs to no zone.", a.title()),
            fix: "Assign the asset to the zone it is connected to, or create that zone.",
            records: vec![rec(a)],
            facts: Vec::new(),
        });
    }
    for z in zones {
        let missing_sl = sl(z, "sl_t").is_none_or(|v| v.iter().all(|l| *l == 0));
        let missing_owner = z.get("owner").to_text().trim().is_empty();
        if missing_sl || missing_owner {
            let what = match (missing_owner, missing_sl) {
                (true, true) => "no owner and no target SL",
                (true, false) => "no owner",
                _ => "no target SL (SL-T)",
            };
            out.push(Finding {
                rule: "zone_without_sl_t",
                message: format!("Zone {} has {what}.", z.title()),
                fix: "Set the zone's owner and its SL-T vector from the risk assessment (IEC 62443-3-2).",
                records: vec![rec(z)],
                facts: Vec::new(),
            });
        }
    }
    let mut connected: HashSet<i64> = HashSet::new();
    for c in conduits {
        let a = c.get("zone_a_id").as_int();
        let b = c.get("zone_b_id").as_int();
        connected.extend(a);
        connected.extend(b);
        let (Some(za), Some(zb)) = (
            a.and_then(|i| zone_by_id.get(&i)),
            b.and_then(|i| zone_by_id.get(&i)),
        ) else {
            continue;
        };
        let fr5 = |z: &Record| sl(z, "sl_t").map_or(0, |v| v[4]);
        let step = fr5(za).abs_diff(fr5(zb));
        let boundary = conduit_statuses
            .get(&c.id)
            .and_then(|m| m.get("SR 5.2"))
            .is_some_and(|s| s.is_met());
        if step >= 2 && !boundary {
            out.push(Finding {
                rule: "conduit_sl_step",
                message: format!(
                    "Conduit {} joins {} (FR5 SL-T {}) and {} (FR5 SL-T {}) with no boundary protection (SR 5.2) recorded as met.",
                    c.title(),
                    za.title(),
                    fr5(za),
                    zb.title(),
                    fr5(zb)
                ),
                fix: "Record the boundary device and its rules on the conduit's requirements page (SR 5.2), or reconsider the zones' targets.",
                records: vec![rec(c), rec(za), rec(zb)],
                facts: Vec::new(),
            });
        }
        if c.get("cross_site").as_bool() || za.site_id() != zb.site_id() {
            out.push(Finding {
                rule: "conduit_to_other_site",
                message: format!(
                    "Conduit {} links {} to {} of another site.",
                    c.title(),
                    za.title(),
                    zb.title()
                ),
                fix: "Confirm the cross-site path is intended and that both sites' owners reviewed it.",
                records: vec![rec(c), rec(za), rec(zb)],
                facts: Vec::new(),
            });
        }
    }
    for z in zones.iter().filter(|z| !connected.contains(&z.id)) {
        out.push(Finding {
            rule: "zone_without_conduit",
            message: format!("Zone {} has no conduit.", z.title()),
            fix: "Model how the zone communicates (a conduit per path), or record why it is isolated.",
            records: vec![rec(z)],
            facts: Vec::new(),
        });
    }
    for a in assets {
        let Some(zone) = a.get("zone_id").as_int().and_then(|z| zone_by_id.get(&z)) else {
            continue;
        };
        let subnets: Vec<Subnet> = zone
            .get("subnets")
            .to_text()
            .split(',')
            .filter_map(|s| Subnet::parse(s).ok())
            .collect();
        if subnets.is_empty() {
            continue;
        }
        let outside: Vec<String> = a
            .get("ip_addresses")
            .to_text()
            .split(',')
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .filter(|ip| !subnets.iter().any(|n| n.contains(*ip)))
            .map(|ip| ip.to_string())
            .collect();
        if !outside.is_empty() {
            out.push(Finding {
                rule: "asset_outside_subnets",
                message: format!(
                    "Asset {} has {} outside the subnets of zone {}.",
                    a.title(),
                    outside.join(", "),
                    zone.title()
                ),
                fix: "Correct the address, move the asset to the zone of that subnet, or add the subnet to the zone.",
                records: vec![rec(a), rec(zone)],
                facts: Vec::new(),
            });
        }
    }
    let order = |rule: &str| {
        RULES
            .iter()
            .position(|(r, _)| *r == rule)
            .unwrap_or(usize::MAX)
    };
    out.sort_by_key(|f| order(f.rule));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{ASSET_KIND, CONDUIT_KIND, ZONE_KIND};
    use serde_json::json;

    use crate::value::fixture as record;

    #[test]
    fn every_rule_finds_its_case() {
        let zones = vec![
            record(
                &ZONE_KIND,
                1,
                json!({"site_id": 1, "name": "Control", "owner": "o", "sl_t": [2,2,2,2,3,1,2], "subnets": "10.1.0.0/24"}),
            ),
            record(
                &ZONE_KIND,
                2,
                json!({"site_id": 1, "name": "Office", "owner": "o", "sl_t": [1,1,1,1,1,1,1]}),
            ),
            record(
                &ZONE_KIND,
                3,
                json!({"site_id": 1, "name": "Island", "owner": "o"}),
            ),
            record(
                &ZONE_KIND,
                4,
                json!({"site_id": 2, "name": "Corporate DC", "owner": "o", "sl_t": [1,1,1,1,1,1,1]}),
            ),
        ];
        let conduits = vec![
            record(
                &CONDUIT_KIND,
                10,
                json!({"site_id": 1, "name": "Office-Control", "zone_a_id": 2, "zone_b_id": 1, "owner": "o"}),
            ),
            record(
                &CONDUIT_KIND,
                11,
                json!({"site_id": 1, "name": "To DC", "zone_a_id": 2, "zone_b_id": 4, "cross_site": true, "owner": "o"}),
            ),
        ];
        let asset = |id: i64, zone: Option<i64>, ip: &str| {
            record(
                &ASSET_KIND,
                id,
                json!({"site_id": 1, "zone_id": zone, "name": format!("A{id}"), "asset_type": "plc",
                "criticality": "high", "owner": "o", "lifecycle": "operational", "ip_addresses": ip}),
            )
        };
        let assets = vec![
            asset(20, None, ""),
            asset(21, Some(1), "10.1.0.5"),
            asset(22, Some(1), "10.9.0.5, 10.1.0.6"),
        ];
        let findings = check_model(&zones, &conduits, &assets, &HashMap::new());
        let rules: Vec<&str> = findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            [
                "asset_without_zone",
                "zone_without_sl_t",
                "conduit_sl_step",
                "zone_without_conduit",
                "conduit_to_other_site",
                "asset_outside_subnets"
            ]
        );
        assert!(
            findings[5].message.contains("10.9.0.5") && !findings[5].message.contains("10.1.0.6")
        );
        // Boundary protection recorded as met on the conduit silences the FR5 step.
        let statuses = HashMap::from([(
            10,
            HashMap::from([("SR 5.2".to_string(), Status::Implemented)]),
        )]);
        let findings = check_model(&zones, &conduits, &assets, &statuses);
        assert!(findings.iter().all(|f| f.rule != "conduit_sl_step"));
    }
}
