//! Firewall rulesets into `otkeep_core::firewall::FwRule`s (issue 11, item 4): `iptables-save`
//! output (the FORWARD chain and the chains it jumps to; a FORWARD policy of ACCEPT becomes an
//! allow-everything rule) and pfSense `config.xml` (filter rules with interface networks
//! resolved from the interfaces section). Errors name the file and line; rules using things
//! otkeep cannot place (aliases, negations) are skipped with a note.

use otkeep_core::firewall::{FwAddr, FwRule};
use otkeep_core::value::Subnet;
use std::collections::HashMap;

/// Why a ruleset could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", .line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct RulesetError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

/// The rules read, and the notes on what was skipped.
#[derive(Debug, Default)]
pub struct Ruleset {
    pub rules: Vec<FwRule>,
    pub notes: Vec<String>,
}

/// Reads a ruleset, telling the format from the content (XML is pfSense).
pub fn parse(text: &str, file: &str) -> Result<Ruleset, RulesetError> {
    if text.trim_start().starts_with('<') {
        pfsense(text, file)
    } else {
        iptables(text, file)
    }
}

fn addr(text: &str) -> Result<FwAddr, String> {
    let t = text.trim();
    if t.is_empty() || t == "0.0.0.0/0" || t == "any" || t == "::/0" {
        return Ok(FwAddr::Any);
    }
    let with_prefix = if t.contains('/') {
        t.to_string()
    } else if t.contains(':') {
        format!("{t}/128")
    } else {
        format!("{t}/32")
    };
    Subnet::parse(&with_prefix).map(FwAddr::Net)
}

fn ports(text: &str) -> Result<(u16, u16), String> {
    let t = text.trim();
    let (a, b) = t.split_once([':', '-']).unwrap_or((t, t));
    let p = |s: &str| {
        s.trim()
            .parse::<u16>()
            .map_err(|_| format!("'{t}' is not a port or port range"))
    };
    let (a, b) = (p(a)?, p(b)?);
    Ok((a.min(b), a.max(b)))
}

/// `iptables-save` output.
pub fn iptables(text: &str, file: &str) -> Result<Ruleset, RulesetError> {
    let fail = |line: usize, message: String| RulesetError {
        file: file.to_string(),
        line: Some(line),
        message,
    };
    let mut out = Ruleset::default();
    let mut table = String::new();
    let mut policy_accept = false;
    // Chain → its rules (kept in order); FORWARD decides which chains count.
    let mut chains: HashMap<String, Vec<(FwRule, Option<String>)>> = HashMap::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut seen_any = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line == "COMMIT" {
            continue;
        }
        seen_any = true;
        if let Some(t) = line.strip_prefix('*') {
            table = t.to_string();
            continue;
        }
        if table != "filter" {
            continue;
        }
        if let Some(rest) = line.strip_prefix(':') {
            let mut parts = rest.split_whitespace();
            if parts.next() == Some("FORWARD") && parts.next() == Some("ACCEPT") {
                policy_accept = true;
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("-A ") else {
            return Err(fail(n, format!("not an iptables-save line: '{line}'")));
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        let Some(chain) = words.first().map(|c| c.to_string()) else {
            return Err(fail(n, "-A without a chain".into()));
        };
        let mut rule = FwRule {
            label: String::new(),
            allow: false,
            protocol: None,
            source: FwAddr::Any,
            destination: FwAddr::Any,
            ports: None,
        };
        let mut jump = None;
        let mut extra_ports: Vec<(u16, u16)> = Vec::new();
        let mut negated = false;
        let mut skip = None;
        let mut w = 1;
        while w < words.len() {
            let value = words.get(w + 1).copied().unwrap_or("");
            match words[w] {
                "!" => {
                    negated = true;
                    w += 1;
                    continue;
                }
                "-s" | "--source" => {
                    if negated {
                        skip = Some("a negated source");
                    }
                    rule.source = addr(value).map_err(|e| fail(n, format!("source: {e}")))?;
                }
                "-d" | "--destination" => {
                    if negated {
                        skip = Some("a negated destination");
                    }
                    rule.destination =
                        addr(value).map_err(|e| fail(n, format!("destination: {e}")))?;
                }
                "-p" | "--protocol" => {
                    if value != "all" {
                        rule.protocol = Some(value.to_ascii_lowercase());
                    }
                }
                "--dport" | "--destination-port" => {
                    rule.ports = Some(ports(value).map_err(|e| fail(n, format!("--dport: {e}")))?);
                }
                "--dports" | "--destination-ports" => {
                    for p in value.split(',') {
                        extra_ports.push(ports(p).map_err(|e| fail(n, format!("--dports: {e}")))?);
                    }
                }
                "-j" | "--jump" | "-g" | "--goto" => jump = Some(value.to_string()),
                _ => {
                    w += 1;
                    negated = false;
                    continue;
                }
            }
            negated = false;
            w += 2;
        }
        if let Some(why) = skip {
            out.notes
                .push(format!("{file}, line {n}: skipped, uses {why}"));
            continue;
        }
        let count = counts.entry(chain.clone()).or_default();
        *count += 1;
        rule.label = format!("iptables {chain} rule {count} (line {n})");
        let list = chains.entry(chain).or_default();
        if extra_ports.is_empty() {
            list.push((rule, jump));
        } else {
            // `-m multiport --dports a,b:c`: one rule per port range, same verdict.
            for range in extra_ports {
                list.push((
                    FwRule {
                        ports: Some(range),
                        ..rule.clone()
                    },
                    jump.clone(),
                ));
            }
        }
    }
    if !seen_any {
        return Err(RulesetError {
            file: file.to_string(),
            line: None,
            message: "empty: no iptables-save output".into(),
        });
    }
    // Walk FORWARD and the chains it jumps to (once each).
    let mut stack = vec!["FORWARD".to_string()];
    let mut visited = std::collections::HashSet::new();
    while let Some(chain) = stack.pop() {
        if !visited.insert(chain.clone()) {
            continue;
        }
        for (rule, jump) in chains.get(&chain).cloned().unwrap_or_default() {
            match jump.as_deref() {
                Some("ACCEPT") => out.rules.push(FwRule {
                    allow: true,
                    ..rule
                }),
                Some("DROP" | "REJECT") => out.rules.push(FwRule {
                    allow: false,
                    ..rule
                }),
                Some(other) if chains.contains_key(other) => stack.push(other.to_string()),
                _ => {}
            }
        }
    }
    if policy_accept {
        out.rules.push(FwRule {
            label: "iptables FORWARD policy ACCEPT".into(),
            allow: true,
            protocol: None,
            source: FwAddr::Any,
            destination: FwAddr::Any,
            ports: None,
        });
    }
    Ok(out)
}

/// A rule's source or destination with its port range (`None` when it uses a negation).
type Side = (FwAddr, Option<(u16, u16)>);

/// The first child element of `n` named `name`.
fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// pfSense `config.xml`.
pub fn pfsense(text: &str, file: &str) -> Result<Ruleset, RulesetError> {
    let doc = roxmltree::Document::parse(text).map_err(|e| RulesetError {
        file: file.to_string(),
        line: Some(e.pos().row as usize),
        message: format!("not valid XML: {e}"),
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "pfsense" {
        return Err(RulesetError {
            file: file.to_string(),
            line: None,
            message: format!(
                "not a pfSense configuration (root <{}>)",
                root.tag_name().name()
            ),
        });
    }
    let text_of = |n: Option<roxmltree::Node<'_, '_>>| {
        n.and_then(|n| n.text()).unwrap_or("").trim().to_string()
    };
    // Interface networks: lan → 192.168.95.0/24, and lanip → the address.
    let mut networks: HashMap<String, (String, String)> = HashMap::new();
    if let Some(ifaces) = child(root, "interfaces") {
        for iface in ifaces.children().filter(|c| c.is_element()) {
            let ip = text_of(child(iface, "ipaddr"));
            let bits = text_of(child(iface, "subnet"));
            if let Ok(net) = Subnet::parse(&format!("{ip}/{bits}")) {
                networks.insert(
                    iface.tag_name().name().to_string(),
                    (format!("{}/{}", net.network, net.prefix), ip),
                );
            }
        }
    }
    let mut out = Ruleset::default();
    let Some(filter) = child(root, "filter") else {
        return Ok(out);
    };
    let mut per_interface: HashMap<String, usize> = HashMap::new();
    for rule in filter
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "rule")
    {
        let line = doc.text_pos_at(rule.range().start).row as usize;
        let interface = text_of(child(rule, "interface"));
        let n = per_interface.entry(interface.clone()).or_default();
        *n += 1;
        let descr = text_of(child(rule, "descr"));
        let label = format!(
            "pfSense {interface} rule {n}{}",
            if descr.is_empty() {
                String::new()
            } else {
                format!(" ({descr})")
            }
        );
        if child(rule, "disabled").is_some() {
            out.notes
                .push(format!("{file}, line {line}: {label} is disabled"));
            continue;
        }
        let side = |name: &str| -> Result<Option<Side>, String> {
            let Some(node) = child(rule, name) else {
                return Ok(Some((FwAddr::Any, None)));
            };
            if child(node, "not").is_some() {
                return Ok(None);
            }
            let port = match text_of(child(node, "port")) {
                p if p.is_empty() => None,
                p => Some(ports(&p)?),
            };
            let a = if child(node, "any").is_some() {
                FwAddr::Any
            } else if let Some(net) = child(node, "network") {
                let key = text_of(Some(net));
                let (iface, ip_only) = match key.strip_suffix("ip") {
                    Some(i) if networks.contains_key(i) => (i.to_string(), true),
                    _ => (key.clone(), false),
                };
                match networks.get(&iface) {
                    Some((net, ip)) => addr(if ip_only { ip } else { net })?,
                    None => {
                        return Err(format!(
                            "network '{key}' is not an interface with an address"
                        ));
                    }
                }
            } else if let Some(a) = child(node, "address") {
                match addr(&text_of(Some(a))) {
                    Ok(a) => a,
                    Err(_) => {
                        return Err(format!(
                            "address '{}' (an alias?) cannot be placed",
                            text_of(Some(a))
                        ));
                    }
                }
            } else {
                FwAddr::Any
            };
            Ok(Some((a, port)))
        };
        let (source, destination) = match (side("source"), side("destination")) {
            (Ok(Some(s)), Ok(Some(d))) => (s, d),
            (Ok(None), _) | (_, Ok(None)) => {
                out.notes.push(format!(
                    "{file}, line {line}: {label} skipped, it uses a negation"
                ));
                continue;
            }
            (Err(e), _) | (_, Err(e)) => {
                out.notes
                    .push(format!("{file}, line {line}: {label} skipped: {e}"));
                continue;
            }
        };
        let protocol = match text_of(child(rule, "protocol")) {
            p if p.is_empty() || p == "any" => None,
            p => Some(p.to_ascii_lowercase()),
        };
        let kind = text_of(child(rule, "type"));
        let rules = match protocol.as_deref() {
            Some("tcp/udp") => vec![Some("tcp".to_string()), Some("udp".to_string())],
            _ => vec![protocol],
        };
        for protocol in rules {
            out.rules.push(FwRule {
                label: label.clone(),
                allow: kind == "pass",
                protocol,
                source: source.0.clone(),
                destination: destination.0.clone(),
                ports: destination.1,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iptables_forward_rules_and_jumps() {
        let text = "# Generated by iptables-save\n*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j DNAT --to 1.2.3.4\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:OT - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A FORWARD -s 10.2.0.0/24 -d 10.1.0.5 -p tcp -m tcp --dport 502 -j ACCEPT\n-A FORWARD -j OT\n-A OT -s 10.2.0.0/24 -d 10.1.0.0/24 -p tcp -m multiport --dports 102,4840:4841 -j ACCEPT\n-A OT ! -s 10.9.0.0/16 -j DROP\n-A OT -j DROP\nCOMMIT\n";
        let r = iptables(text, "fw.rules").expect("parses");
        assert_eq!(r.rules.len(), 4, "{:#?}", r.rules);
        assert!(r.rules[0].allow && r.rules[0].ports == Some((502, 502)));
        assert_eq!(r.rules[0].label, "iptables FORWARD rule 1 (line 12)");
        assert_eq!(r.rules[1].ports, Some((102, 102)));
        assert_eq!(r.rules[2].ports, Some((4840, 4841)));
        assert!(!r.rules[3].allow);
        assert_eq!(r.notes.len(), 1, "the negated rule is skipped with a note");
        let err = iptables(
            "*filter\n-A FORWARD -s 10.0.0.300/24 -j ACCEPT\n",
            "bad.rules",
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("bad.rules, line 2: source"),
            "{err}"
        );
        let err = iptables("*filter\nhello\n", "bad.rules").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(iptables("", "empty.rules").is_err());
    }
}
