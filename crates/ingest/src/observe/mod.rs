//! Observed traffic (issue 11): hosts and flows seen on the plant network, from packet captures
//! ([`pcap`]) and Zeek connection logs ([`zeek`]), to be reconciled with the inventory and the
//! zone/conduit model.
//!
//! Both sources feed one [`Observer`], which aggregates as it goes: memory grows with the number
//! of distinct hosts and flows, never with the size of the input. A flow is one
//! (transport, client, server, server port) or, below IP, one (EtherType, source MAC,
//! destination MAC); its application protocol comes from [`protocols`] (by port, refined by the
//! first bytes of the payload where that is cheap), with counts of the operations recognised
//! (Modbus reads and writes, S7 downloads and stops, DNP3 operates, IEC 104 commands).

pub mod pcap;
pub mod protocols;
pub mod zeek;

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Transport of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    Tcp,
    Udp,
    /// Below IP: the flow is identified by its EtherType (GOOSE, PROFINET RT, LLDP, …).
    L2(u16),
    /// Other IP protocols (ICMP, …), by IP protocol number.
    Ip(u8),
}

impl Transport {
    /// `tcp`, `udp`, `l2` or `ip` (as the conduit channels name transports).
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::L2(_) => "l2",
            Transport::Ip(_) => "ip",
        }
    }
}

/// One side of a flow: the IP address (absent below IP) and the MAC address seen with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub ip: Option<String>,
    pub mac: Option<String>,
}

/// A flow as observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub transport: Transport,
    pub client: Endpoint,
    pub server: Endpoint,
    /// The server's port (`None` below IP).
    pub port: Option<u16>,
    /// Application protocol, e.g. `modbus`, `s7comm`, `https`; `other` when unknown.
    pub protocol: &'static str,
    pub packets: u64,
    pub bytes: u64,
    /// Microseconds since the Unix epoch.
    pub first_seen: i64,
    pub last_seen: i64,
    /// Operations recognised in the client's requests: `read`, `write`, `download`, `stop`, …
    pub operations: BTreeMap<&'static str, u64>,
}

impl Flow {
    /// Whether the client changed something on the server (writes, downloads, stops, operates).
    pub fn writes(&self) -> u64 {
        self.operations
            .iter()
            .filter(|(op, _)| protocols::is_write(op))
            .map(|(_, n)| n)
            .sum()
    }
}

/// A host as observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    /// The IP address (hosts below IP are keyed by MAC and have none).
    pub ip: Option<String>,
    pub mac: Option<String>,
    /// Vendor from the MAC prefix, when the MAC belongs to this host (not a router's).
    pub vendor: Option<&'static str>,
    /// Protocols it serves and uses: `modbus server`, `s7comm client`, …
    pub protocols: BTreeSet<String>,
    /// Role hints from what it does, e.g. `controller (modbus server)`.
    pub roles: BTreeSet<String>,
    pub packets: u64,
    pub bytes: u64,
    pub first_seen: i64,
    pub last_seen: i64,
}

/// What an observation found.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    pub packets: u64,
    pub bytes: u64,
    /// Packets that could not be decoded at all (unknown link type, cut before the headers).
    pub undecoded: u64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub hosts: Vec<Host>,
    pub flows: Vec<Flow>,
    /// Problems that did not stop the reading (a truncated last packet, …).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FlowKey {
    transport: Transport,
    client: Endpoint,
    server: Endpoint,
    port: Option<u16>,
}

/// Aggregates packets (or log records) into hosts and flows.
#[derive(Default)]
pub struct Observer {
    flows: HashMap<FlowKey, Flow>,
    /// IP → MAC addresses seen as its link-layer address (first one kept) and packet counts.
    packets: u64,
    bytes: u64,
    undecoded: u64,
    first: Option<i64>,
    last: Option<i64>,
    /// ARP: which MAC answered for which IP (the best evidence of a MAC's owner).
    arp: HashMap<String, String>,
    warnings: Vec<String>,
}

impl Observer {
    pub fn new() -> Observer {
        Observer::default()
    }

    pub(crate) fn warn(&mut self, text: String) {
        if self.warnings.len() < 20 {
            self.warnings.push(text);
        }
    }

    pub(crate) fn undecoded(&mut self, ts: i64, len: u64) {
        self.count(ts, len);
        self.undecoded += 1;
    }

    fn count(&mut self, ts: i64, len: u64) {
        self.packets += 1;
        self.bytes += len;
        self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
        self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
    }

    pub(crate) fn arp(&mut self, ip: String, mac: String) {
        self.arp.entry(ip).or_insert(mac);
    }

    /// Records one packet (or, from a log, `packets` packets) of a flow between `a` and `b`.
    /// `a` sent it; `a_port`/`b_port` are its ports (`None` below IP). The server side is the
    /// one on a known port (else the lower port); `payload` refines the protocol and counts
    /// operations when the client sent it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record(
        &mut self,
        ts: i64,
        len: u64,
        transport: Transport,
        a: Endpoint,
        a_port: Option<u16>,
        b: Endpoint,
        b_port: Option<u16>,
        payload: &[u8],
    ) {
        self.count(ts, len);
        let a_is_server = match (a_port, b_port) {
            (Some(ap), Some(bp)) => {
                let a_known = protocols::by_port(transport, ap).is_some();
                let b_known = protocols::by_port(transport, bp).is_some();
                match (a_known, b_known) {
                    (true, false) => true,
                    (false, true) => false,
                    _ => ap < bp,
                }
            }
            _ => false,
        };
        let (client, server, port, from_client) = if a_is_server {
            (b, a, a_port, false)
        } else {
            (a, b, b_port, true)
        };
        let key = FlowKey {
            transport,
            client,
            server,
            port,
        };
        let protocol = protocols::initial(transport, port);
        let flow = self.flow(key, protocol, 1, len, ts, ts);
        if !payload.is_empty() {
            flow.protocol = protocols::refine(flow.protocol, payload);
            if from_client && let Some(op) = protocols::operation(flow.protocol, payload) {
                *flow.operations.entry(op).or_default() += 1;
            }
        }
    }

    /// Adds a flow summary (Zeek): counts and times as logged.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_summary(
        &mut self,
        transport: Transport,
        client: Endpoint,
        server: Endpoint,
        port: Option<u16>,
        protocol: &'static str,
        packets: u64,
        bytes: u64,
        first: i64,
        last: i64,
    ) {
        self.packets += packets;
        self.bytes += bytes;
        self.first = Some(self.first.map_or(first, |f| f.min(first)));
        self.last = Some(self.last.map_or(last, |l| l.max(last)));
        let key = FlowKey {
            transport,
            client,
            server,
            port,
        };
        let flow = self.flow(key, protocol, packets, bytes, first, last);
        if flow.protocol == "other" {
            flow.protocol = protocol;
        }
    }

    /// The flow of `key` (created with `protocol` when new), with the counts added.
    fn flow(
        &mut self,
        key: FlowKey,
        protocol: &'static str,
        packets: u64,
        bytes: u64,
        first: i64,
        last: i64,
    ) -> &mut Flow {
        let flow = self.flows.entry(key.clone()).or_insert_with(|| Flow {
            transport: key.transport,
            client: key.client,
            server: key.server,
            port: key.port,
            protocol,
            packets: 0,
            bytes: 0,
            first_seen: first,
            last_seen: last,
            operations: BTreeMap::new(),
        });
        flow.packets += packets;
        flow.bytes += bytes;
        flow.first_seen = flow.first_seen.min(first);
        flow.last_seen = flow.last_seen.max(last);
        flow
    }

    /// Number of distinct flows so far (what memory grows with).
    pub fn flow_count(&self) -> usize {
        self.flows.len()
    }

    /// The hosts (from the flows' endpoints) and flows, sorted.
    pub fn finish(self) -> Observation {
        let mut flows: Vec<Flow> = self.flows.into_values().collect();
        flows.sort_by(|a, b| {
            (&a.server, a.port, &a.client, a.transport).cmp(&(
                &b.server,
                b.port,
                &b.client,
                b.transport,
            ))
        });
        // How many IPs each MAC carried: a MAC with several is a router's or a gateway's, and
        // says nothing about the vendor of the hosts behind it.
        let mut ips_per_mac: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for f in &flows {
            for e in [&f.client, &f.server] {
                if let (Some(mac), Some(ip)) = (&e.mac, &e.ip) {
                    ips_per_mac.entry(mac).or_default().insert(ip);
                }
            }
        }
        // MACs that belong to one IP host: their link-layer-only traffic (ARP, LLDP) is that
        // host's, not another device's.
        let mut owner: HashMap<String, String> = HashMap::new();
        for (ip, mac) in &self.arp {
            owner.insert(mac.clone(), ip.clone());
        }
        for (mac, ips) in &ips_per_mac {
            if ips.len() == 1
                && let Some(ip) = ips.iter().next()
            {
                owner
                    .entry(mac.to_string())
                    .or_insert_with(|| ip.to_string());
            }
        }
        let mut hosts: BTreeMap<(Option<String>, Option<String>), Host> = BTreeMap::new();
        for f in &flows {
            for (e, serving) in [(&f.client, false), (&f.server, true)] {
                if !is_host(e) {
                    continue;
                }
                let own_mac = match (&e.ip, &e.mac) {
                    (Some(ip), _) if self.arp.contains_key(ip) => self.arp.get(ip).cloned(),
                    (Some(_), Some(mac))
                        if ips_per_mac.get(mac.as_str()).is_some_and(|s| s.len() == 1) =>
                    {
                        Some(mac.clone())
                    }
                    (None, mac) => mac.clone(),
                    _ => None,
                };
                let ip =
                    e.ip.clone()
                        .or_else(|| e.mac.as_ref().and_then(|m| owner.get(m).cloned()));
                let key = (ip.clone(), if ip.is_some() { None } else { e.mac.clone() });
                let host = hosts.entry(key).or_insert_with(|| Host {
                    ip: ip.clone(),
                    mac: own_mac.clone(),
                    vendor: own_mac.as_deref().and_then(protocols::vendor),
                    protocols: BTreeSet::new(),
                    roles: BTreeSet::new(),
                    packets: 0,
                    bytes: 0,
                    first_seen: f.first_seen,
                    last_seen: f.last_seen,
                });
                host.packets += f.packets;
                host.bytes += f.bytes;
                host.first_seen = host.first_seen.min(f.first_seen);
                host.last_seen = host.last_seen.max(f.last_seen);
                if f.protocol != "other" {
                    let side = if serving { "server" } else { "client" };
                    host.protocols.insert(format!("{} {side}", f.protocol));
                    if let Some(role) = protocols::role(f.protocol, serving) {
                        host.roles.insert(role);
                    }
                }
            }
        }
        Observation {
            packets: self.packets,
            bytes: self.bytes,
            undecoded: self.undecoded,
            first_seen: self.first,
            last_seen: self.last,
            hosts: hosts.into_values().collect(),
            flows,
            warnings: self.warnings,
        }
    }
}

/// Whether an endpoint is a device (not a multicast or broadcast address).
fn is_host(e: &Endpoint) -> bool {
    let group_mac = |mac: &str| {
        u8::from_str_radix(mac.get(..2).unwrap_or("01"), 16).map_or(true, |b| b & 1 == 1)
    };
    if e.mac.as_deref().is_some_and(group_mac) {
        return false;
    }
    match (&e.ip, &e.mac) {
        (Some(ip), _) => match ip.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(v4)) => {
                !(v4.is_multicast() || v4.is_broadcast() || v4.is_unspecified())
            }
            Ok(std::net::IpAddr::V6(v6)) => !(v6.is_multicast() || v6.is_unspecified()),
            Err(_) => true,
        },
        // Group bit of the first octet: multicast (and broadcast) MACs.
        (None, Some(_)) => true,
        (None, None) => false,
    }
}

/// `aa:bb:cc:dd:ee:ff`.
pub(crate) fn mac_text(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// RFC 3339 UTC (seconds) of a microsecond timestamp.
pub fn time_text(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
        .unwrap_or_default()
}

/// What the store keeps of one observed file.
pub fn to_store(
    o: &Observation,
    source: &str,
    file_name: &str,
    sha256: &str,
    bytes: u64,
) -> otkeep_store::observe::NewObservation {
    use otkeep_store::observe::{NewObservation, ObservedFlow, ObservedHost};
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    NewObservation {
        source: source.to_string(),
        file_name: file_name.to_string(),
        sha256: sha256.to_string(),
        bytes: n(bytes),
        packets: n(o.packets),
        first_seen: o.first_seen.map(time_text),
        last_seen: o.last_seen.map(time_text),
        warnings: o.warnings.clone(),
        hosts: o
            .hosts
            .iter()
            .map(|h| ObservedHost {
                ip: h.ip.clone(),
                mac: h.mac.clone(),
                vendor: h.vendor.map(str::to_string),
                protocols: h.protocols.iter().cloned().collect::<Vec<_>>().join("; "),
                roles: h.roles.iter().cloned().collect::<Vec<_>>().join("; "),
                packets: n(h.packets),
                bytes: n(h.bytes),
                first_seen: time_text(h.first_seen),
                last_seen: time_text(h.last_seen),
            })
            .collect(),
        flows: o
            .flows
            .iter()
            .map(|f| ObservedFlow {
                transport: f.transport.name().to_string(),
                client_ip: f.client.ip.clone(),
                client_mac: f.client.mac.clone(),
                server_ip: f.server.ip.clone(),
                server_mac: f.server.mac.clone(),
                port: f.port.map(i64::from),
                protocol: f.protocol.to_string(),
                packets: n(f.packets),
                bytes: n(f.bytes),
                writes: n(f.writes()),
                operations: f
                    .operations
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                first_seen: time_text(f.first_seen),
                last_seen: time_text(f.last_seen),
            })
            .collect(),
    }
}

/// A reader that hashes what passes through it (SHA-256 of a capture read once).
pub struct Hashing<R> {
    inner: R,
    hasher: sha2::Sha256,
    pub bytes: u64,
}

impl<R: std::io::Read> Hashing<R> {
    pub fn new(inner: R) -> Hashing<R> {
        use sha2::Digest;
        Hashing {
            inner,
            hasher: sha2::Sha256::new(),
            bytes: 0,
        }
    }

    /// The hex SHA-256 of everything read.
    pub fn finish(self) -> String {
        use sha2::Digest;
        self.hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl<R: std::io::Read> std::io::Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Reads one file (a capture, or a Zeek conn.log when `zeek`) into what the store keeps.
/// The capture is hashed as it streams; a capture is read to its end even when damaged so the
/// hash covers the whole file.
pub fn read_file(
    path: &std::path::Path,
    zeek: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<otkeep_store::observe::NewObservation, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let file =
        std::fs::File::open(path).map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    let mut observer = Observer::new();
    let mut reader = Hashing::new(std::io::BufReader::new(file));
    if zeek {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut text)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        zeek::read_into(&mut observer, &String::from_utf8_lossy(&text), &name)
            .map_err(|e| e.to_string())?;
    } else {
        pcap::read_into(&mut observer, &mut reader, &name, progress).map_err(|e| e.to_string())?;
        // Whatever a damaged capture left unread still counts in its hash.
        std::io::copy(&mut reader, &mut std::io::sink())
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    }
    let bytes = reader.bytes;
    let sha = reader.finish();
    let o = observer.finish();
    Ok(to_store(
        &o,
        if zeek { "zeek" } else { "pcap" },
        &name,
        &sha,
        bytes,
    ))
}
