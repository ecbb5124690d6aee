//! Zeek `conn.log` (tab-separated with `#fields`, or JSON lines) into an [`Observation`].
//!
//! Each connection record becomes (part of) a flow: originator = client, responder = server
//! and port, `proto` the transport, `service` the protocol (by port when Zeek named none),
//! packets and IP bytes of both directions, first and last seen from `ts` and `duration`.
//! Errors name the file, line and field.

use super::{Endpoint, Observation, Observer, Transport, protocols};
use serde_json::Value;
use std::collections::HashMap;

/// Why a log could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}, line {line}: {message}")]
pub struct LogError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// One connection record, whatever the log's form.
struct Conn {
    ts: f64,
    orig: String,
    resp: String,
    resp_port: Option<u16>,
    proto: String,
    service: String,
    duration: f64,
    packets: u64,
    bytes: u64,
}

/// Reads a `conn.log` (TSV or JSON lines) named `file` into `observer`.
pub fn read_into(observer: &mut Observer, text: &str, file: &str) -> Result<usize, LogError> {
    let fail = |line: usize, message: String| LogError {
        file: file.to_string(),
        line,
        message,
    };
    let mut fields: Option<Vec<String>> = None;
    let mut unset = "-".to_string();
    let mut count = 0;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let conn = if let Some(rest) = line.strip_prefix('#') {
            let mut parts = rest.split('\t');
            match parts.next() {
                Some("fields") => fields = Some(parts.map(str::to_string).collect()),
                Some("unset_field") => unset = parts.next().unwrap_or("-").to_string(),
                Some("path") => {
                    if let Some(p) = parts.next()
                        && p != "conn"
                    {
                        return Err(fail(n, format!("this is a Zeek '{p}' log, not conn.log")));
                    }
                }
                _ => {}
            }
            continue;
        } else if line.trim_start().starts_with('{') {
            let v: Value = serde_json::from_str(line)
                .map_err(|e| fail(n, format!("not a JSON object: {e}")))?;
            json_conn(&v).map_err(|m| fail(n, m))?
        } else {
            let Some(names) = &fields else {
                return Err(fail(
                    n,
                    "a record before the #fields header: not a Zeek TSV log".into(),
                ));
            };
            let values: Vec<&str> = line.split('\t').collect();
            let get: HashMap<&str, &str> = names
                .iter()
                .map(String::as_str)
                .zip(values.iter().copied())
                .filter(|(_, v)| *v != unset && *v != "(empty)")
                .collect();
            tsv_conn(&get).map_err(|m| fail(n, m))?
        };
        add(observer, conn);
        count += 1;
    }
    Ok(count)
}

/// Reads one `conn.log` file into an observation.
pub fn observe(path: &std::path::Path) -> Result<Observation, LogError> {
    let file = path.display().to_string();
    let text = std::fs::read(path).map_err(|e| LogError {
        file: file.clone(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    let text = String::from_utf8_lossy(&text);
    let mut observer = Observer::new();
    read_into(&mut observer, &text, &file)?;
    Ok(observer.finish())
}

fn number<T: std::str::FromStr>(field: &str, text: Option<&str>) -> Result<Option<T>, String> {
    match text {
        None => Ok(None),
        Some(t) => t
            .parse::<T>()
            .map(Some)
            .map_err(|_| format!("{field}: '{t}' is not a number")),
    }
}

fn tsv_conn(get: &HashMap<&str, &str>) -> Result<Conn, String> {
    let required = |f: &str| {
        get.get(f)
            .map(|s| s.to_string())
            .ok_or_else(|| format!("{f} is missing"))
    };
    let sum = |a: &str, b: &str| -> Result<u64, String> {
        Ok(number::<u64>(a, get.get(a).copied())?.unwrap_or(0)
            + number::<u64>(b, get.get(b).copied())?.unwrap_or(0))
    };
    Ok(Conn {
        ts: number("ts", Some(&required("ts")?))?.unwrap_or(0.0),
        orig: required("id.orig_h")?,
        resp: required("id.resp_h")?,
        resp_port: number("id.resp_p", get.get("id.resp_p").copied())?,
        proto: required("proto")?,
        service: get
            .get("service")
            .map(|s| s.to_string())
            .unwrap_or_default(),
        duration: number("duration", get.get("duration").copied())?.unwrap_or(0.0),
        packets: sum("orig_pkts", "resp_pkts")?,
        bytes: sum("orig_ip_bytes", "resp_ip_bytes")?,
    })
}

fn json_conn(v: &Value) -> Result<Conn, String> {
    let text = |f: &str| v.get(f).and_then(Value::as_str).map(str::to_string);
    let num = |f: &str| -> Result<f64, String> {
        match v.get(f) {
            None | Some(Value::Null) => Ok(0.0),
            Some(x) => x
                .as_f64()
                .ok_or_else(|| format!("{f}: {x} is not a number")),
        }
    };
    let ts = match v.get("ts") {
        Some(Value::String(s)) => {
            jiff::Timestamp::from_str_opt(s).ok_or_else(|| format!("ts: '{s}' is not a time"))?
        }
        Some(x) => x.as_f64().ok_or_else(|| format!("ts: {x} is not a time"))?,
        None => return Err("ts is missing".into()),
    };
    let port = num("id.resp_p")?;
    Ok(Conn {
        ts,
        orig: text("id.orig_h").ok_or("id.orig_h is missing")?,
        resp: text("id.resp_h").ok_or("id.resp_h is missing")?,
        resp_port: (port > 0.0 && port <= 65535.0).then_some(port as u16),
        proto: text("proto").ok_or("proto is missing")?,
        service: text("service").unwrap_or_default(),
        duration: num("duration")?,
        packets: (num("orig_pkts")? + num("resp_pkts")?) as u64,
        bytes: (num("orig_ip_bytes")? + num("resp_ip_bytes")?) as u64,
    })
}

/// JSON logs may carry ISO 8601 times instead of epoch seconds.
trait FromStrOpt {
    fn from_str_opt(s: &str) -> Option<f64>;
}

impl FromStrOpt for jiff::Timestamp {
    fn from_str_opt(s: &str) -> Option<f64> {
        s.parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_microsecond() as f64 / 1e6)
    }
}

/// Zeek's service names to ours where they differ.
fn service(name: &str) -> Option<&'static str> {
    let first = name
        .split(',')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(match first.as_str() {
        "modbus" => "modbus",
        "dnp3" | "dnp3_tcp" | "dnp3_udp" => "dnp3",
        "s7comm" => "s7comm",
        "s7comm_plus" | "s7comm-plus" => "s7comm-plus",
        "enip" | "cip" => "enip",
        "bacnet" => "bacnet",
        "iec104" | "iec60870_5_104" => "iec104",
        "http" => "http",
        "ssl" | "tls" => "https",
        "ssh" => "ssh",
        "dns" => "dns",
        "ntp" => "ntp",
        "snmp" => "snmp",
        "dhcp" => "dhcp",
        "ftp" => "ftp",
        "ftp-data" => "ftp-data",
        "smb" => "smb",
        "rdp" => "rdp",
        "krb" | "krb_tcp" => "kerberos",
        _ => return None,
    })
}

fn add(observer: &mut Observer, c: Conn) {
    let transport = match c.proto.as_str() {
        "tcp" => Transport::Tcp,
        "udp" => Transport::Udp,
        "icmp" => Transport::Ip(1),
        _ => Transport::Ip(0),
    };
    let port = match transport {
        Transport::Tcp | Transport::Udp => c.resp_port,
        _ => None,
    };
    let protocol = service(&c.service)
        .or_else(|| port.and_then(|p| protocols::by_port(transport, p)))
        .unwrap_or("other");
    let first = (c.ts * 1e6) as i64;
    let last = ((c.ts + c.duration.max(0.0)) * 1e6) as i64;
    observer.record_summary(
        transport,
        Endpoint {
            ip: Some(c.orig),
            mac: None,
        },
        Endpoint {
            ip: Some(c.resp),
            mac: None,
        },
        port,
        protocol,
        c.packets,
        c.bytes,
        first,
        last,
    );
}
