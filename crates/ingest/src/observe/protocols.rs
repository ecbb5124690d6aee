//! Which application protocol a flow speaks, and which operations its requests carry.
//!
//! First by port (and, below IP, by EtherType), then refined by the first bytes of a payload
//! where that is cheap and certain: TCP/102 carries S7comm (COTP data starting 0x32),
//! S7comm-plus (0x72) or IEC 61850 MMS; Modbus/TCP is checked by its protocol id; DNP3, IEC 104,
//! BACnet/IP and OPC UA by their start bytes. Only whole-packet checks: no stream reassembly.
//! Every function is total over arbitrary bytes.

use super::Transport;

/// The protocol a well-known port says, if any.
pub fn by_port(transport: Transport, port: u16) -> Option<&'static str> {
    let name = match (transport, port) {
        (Transport::Tcp, 502) => "modbus",
        (Transport::Tcp, 102) => "iso-tsap",
        (Transport::Tcp | Transport::Udp, 44818) => "enip",
        (Transport::Udp, 2222) => "enip-io",
        (Transport::Tcp | Transport::Udp, 20000) => "dnp3",
        (Transport::Tcp, 2404) => "iec104",
        (Transport::Tcp, 4840) => "opcua",
        (Transport::Udp, 47808) => "bacnet",
        (Transport::Udp, 34962..=34964) => "profinet",
        (Transport::Tcp | Transport::Udp, 4712 | 4713) => "c37.118",
        (Transport::Tcp | Transport::Udp, 5006 | 5007 | 5560) => "melsec",
        (Transport::Tcp | Transport::Udp, 5094) => "hart-ip",
        (Transport::Tcp, 48898) | (Transport::Udp, 48899) => "ads",
        (Transport::Tcp | Transport::Udp, 9600) => "omron-fins",
        (Transport::Tcp, 18245) => "ge-srtp",
        (Transport::Tcp, 1217 | 2455) => "codesys",
        (Transport::Tcp, 1911 | 4911) => "niagara-fox",
        (Transport::Tcp, 20547) => "proconos",
        (Transport::Tcp, 80 | 8080) => "http",
        (Transport::Tcp, 443 | 8443) => "https",
        (Transport::Tcp, 22) => "ssh",
        (Transport::Tcp, 23) => "telnet",
        (Transport::Tcp, 21) => "ftp",
        (Transport::Tcp, 20) => "ftp-data",
        (Transport::Tcp, 25) => "smtp",
        (Transport::Tcp, 135) => "msrpc",
        (Transport::Tcp, 139) => "netbios-ssn",
        (Transport::Tcp, 445) => "smb",
        (Transport::Tcp, 1433) => "mssql",
        (Transport::Tcp, 3306) => "mysql",
        (Transport::Tcp, 3389) => "rdp",
        (Transport::Tcp, 5900) => "vnc",
        (Transport::Tcp | Transport::Udp, 53) => "dns",
        (Transport::Udp, 67 | 68) => "dhcp",
        (Transport::Udp, 69) => "tftp",
        (Transport::Udp, 123) => "ntp",
        (Transport::Udp, 137) => "netbios-ns",
        (Transport::Udp, 138) => "netbios-dgm",
        (Transport::Udp, 161) => "snmp",
        (Transport::Udp, 162) => "snmp-trap",
        (Transport::Udp | Transport::Tcp, 514) => "syslog",
        (Transport::Udp, 1900) => "ssdp",
        (Transport::Udp, 5353) => "mdns",
        (Transport::Udp, 5355) => "llmnr",
        (Transport::L2(0x88B8), _) => "goose",
        (Transport::L2(0x88BA), _) => "iec61850-sv",
        (Transport::L2(0x8892), _) => "profinet-rt",
        (Transport::L2(0x88CC), _) => "lldp",
        (Transport::L2(0x88F7), _) => "ptp",
        (Transport::L2(0x88E3), _) => "mrp",
        (Transport::Ip(1), _) => "icmp",
        (Transport::Ip(58), _) => "icmpv6",
        (Transport::Ip(2), _) => "igmp",
        _ => return None,
    };
    Some(name)
}

/// The protocol of a new flow, before any payload.
pub fn initial(transport: Transport, port: Option<u16>) -> &'static str {
    match transport {
        Transport::L2(_) | Transport::Ip(_) => by_port(transport, 0),
        _ => port.and_then(|p| by_port(transport, p)),
    }
    .unwrap_or("other")
}

/// The protocol after seeing `payload` (never downgrades a refined one).
pub fn refine(current: &'static str, payload: &[u8]) -> &'static str {
    match current {
        "iso-tsap" => iso_tsap(payload).unwrap_or(current),
        "modbus" | "dnp3" | "iec104" | "bacnet" | "opcua" => current,
        "other" => sniff(payload).unwrap_or(current),
        _ => current,
    }
}

/// Recognises a protocol on an unexpected port by its start bytes (only distinctive ones).
fn sniff(p: &[u8]) -> Option<&'static str> {
    if p.len() >= 10 && p[0] == 0x05 && p[1] == 0x64 {
        return Some("dnp3");
    }
    if p.len() >= 8 && (p.starts_with(b"HELF") || p.starts_with(b"OPNF") || p.starts_with(b"MSGF"))
    {
        return Some("opcua");
    }
    iso_tsap(p)
}

/// TPKT (RFC 1006) + COTP: what runs inside, once a data transfer unit shows it.
fn iso_tsap(p: &[u8]) -> Option<&'static str> {
    if p.len() < 7 || p[0] != 0x03 || p[1] != 0x00 {
        return None;
    }
    let cotp_len = usize::from(p[4]);
    if p[5] != 0xF0 {
        return None; // connection request/confirm: not decisive yet
    }
    match p.get(5 + cotp_len) {
        Some(0x32) => Some("s7comm"),
        Some(0x72) => Some("s7comm-plus"),
        Some(_) => Some("mms"),
        None => None,
    }
}

/// The S7comm job payload (after TPKT and COTP), if `p` carries one.
fn s7_pdu(p: &[u8]) -> Option<&[u8]> {
    let cotp_len = usize::from(*p.get(4)?);
    p.get(5 + cotp_len..)
}

/// The operation a client request carries, if recognised.
pub fn operation(protocol: &str, p: &[u8]) -> Option<&'static str> {
    match protocol {
        "modbus" => {
            // MBAP: transaction id, protocol id 0, length, unit id; then the function code.
            if p.len() < 8 || p[2] != 0 || p[3] != 0 {
                return None;
            }
            Some(match p[7] & 0x7F {
                1..=4 => "read",
                5 | 6 | 15 | 16 | 22 | 23 => "write",
                8 => "diagnostics",
                43 => "identify",
                _ => "other",
            })
        }
        "s7comm" => {
            let pdu = s7_pdu(p)?;
            // Header 0x32, message type 1 = job; the function follows the 10-byte header.
            if pdu.first() != Some(&0x32) || pdu.get(1) != Some(&1) {
                return None;
            }
            Some(match pdu.get(10)? {
                0x04 => "read",
                0x05 => "write",
                0x1A..=0x1C => "download",
                0x1D..=0x1F => "upload",
                0x28 => "start",
                0x29 => "stop",
                0xF0 => "setup",
                _ => "other",
            })
        }
        "dnp3" => {
            // Link header (10 bytes incl. CRC), transport byte, application control, function.
            if p.len() < 13 || p[0] != 0x05 || p[1] != 0x64 {
                return None;
            }
            Some(match p[12] {
                1 => "read",
                2 => "write",
                3..=6 => "operate",
                13 | 14 | 18 => "restart",
                25..=30 => "file",
                _ => "other",
            })
        }
        "iec104" => {
            // APCI: 0x68, length, 4 control bytes (I-format when bit 0 of the first is 0).
            if p.len() < 7 || p[0] != 0x68 || p[2] & 1 != 0 {
                return None;
            }
            Some(match p[6] {
                45..=69 => "command",
                100..=102 => "read",
                103 | 104 | 105 | 107 => "control",
                _ => "other",
            })
        }
        _ => None,
    }
}

/// Whether an operation changes the server (crossing a read-only conduit with it is a finding).
pub fn is_write(op: &str) -> bool {
    matches!(
        op,
        "write" | "download" | "start" | "stop" | "operate" | "restart" | "command" | "control"
    )
}

/// What serving or using `protocol` hints about a host.
pub fn role(protocol: &str, serving: bool) -> Option<String> {
    let industrial = matches!(
        protocol,
        "modbus"
            | "s7comm"
            | "s7comm-plus"
            | "mms"
            | "enip"
            | "enip-io"
            | "dnp3"
            | "iec104"
            | "opcua"
            | "bacnet"
            | "profinet"
            | "c37.118"
            | "melsec"
            | "ads"
            | "omron-fins"
            | "ge-srtp"
            | "codesys"
    );
    match (protocol, serving) {
        ("goose", _) => Some("IED (GOOSE publisher)".into()),
        ("profinet-rt", _) => Some("PROFINET device".into()),
        ("opcua", true) => Some("OPC UA server".into()),
        ("c37.118", true) => Some("PMU (C37.118 server)".into()),
        (p, true) if industrial => Some(format!("controller ({p} server)")),
        (p, false) if industrial => Some(format!("HMI, SCADA or engineering station ({p} client)")),
        ("rdp" | "vnc" | "ssh" | "telnet", true) => {
            Some(format!("remotely administered ({protocol})"))
        }
        ("dns" | "ntp" | "dhcp", true) => Some(format!("infrastructure server ({protocol})")),
        _ => None,
    }
}

/// The vendor of a MAC address by its prefix (a short list of OT and infrastructure vendors;
/// locally administered addresses have none).
pub fn vendor(mac: &str) -> Option<&'static str> {
    let prefix = mac.get(..8)?.to_ascii_lowercase();
    let vendor = match prefix.as_str() {
        "00:0e:8c" | "00:1b:1b" | "00:1c:06" | "28:63:36" | "00:1f:f8" | "ac:64:17"
        | "8c:f3:19" | "e0:dc:a0" | "20:87:56" | "00:0d:b5" => "Siemens",
        "00:00:bc" | "00:1d:9c" | "5c:88:16" | "e4:90:69" | "f4:54:33" | "34:c0:f9" => {
            "Rockwell Automation"
        }
        "00:80:f4" | "00:00:54" | "00:00:23" => "Schneider Electric",
        "00:a0:45" => "Phoenix Contact",
        "00:01:05" => "Beckhoff",
        "00:30:de" => "WAGO",
        "00:90:e8" => "Moxa",
        "00:80:63" => "Hirschmann",
        "00:30:11" => "Honeywell",
        "00:e0:4b" => "Jump Industrielle Computertechnik",
        "00:30:a7" => "Schweitzer Engineering Laboratories",
        "00:0b:ab" => "Advantech",
        "00:20:4a" => "Lantronix",
        "00:0c:29" | "00:50:56" | "00:05:69" => "VMware",
        "08:00:27" => "Oracle VirtualBox",
        "52:54:00" => "QEMU/KVM",
        "00:00:0c" | "00:1b:54" | "00:26:0b" => "Cisco",
        "00:15:5d" => "Microsoft Hyper-V",
        _ => return None,
    };
    Some(vendor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_102_is_told_apart_by_the_first_byte_after_cotp() {
        let s7 = [
            3, 0, 0, 31, 2, 0xF0, 0x80, 0x32, 1, 0, 0, 0, 1, 0, 14, 0, 0, 0x04,
        ];
        assert_eq!(refine("iso-tsap", &s7), "s7comm");
        let plus = [3, 0, 0, 31, 2, 0xF0, 0x80, 0x72, 1];
        assert_eq!(refine("iso-tsap", &plus), "s7comm-plus");
        let mms = [3, 0, 0, 31, 2, 0xF0, 0x80, 0x01, 0];
        assert_eq!(refine("iso-tsap", &mms), "mms");
        let cr = [3, 0, 0, 22, 17, 0xE0, 0, 0, 0, 1, 0];
        assert_eq!(
            refine("iso-tsap", &cr),
            "iso-tsap",
            "a connection request decides nothing"
        );
        assert_eq!(refine("s7comm", &mms), "s7comm", "never downgraded");
    }

    #[test]
    fn operations_are_read_from_the_request() {
        let mut modbus = [0u8, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10];
        assert_eq!(operation("modbus", &modbus), Some("read"));
        modbus[7] = 16;
        assert_eq!(operation("modbus", &modbus), Some("write"));
        let s7_stop = [
            3, 0, 0, 33, 2, 0xF0, 0x80, 0x32, 1, 0, 0, 0, 1, 0, 16, 0, 0, 0x29,
        ];
        assert_eq!(operation("s7comm", &s7_stop), Some("stop"));
        assert!(is_write("stop") && is_write("write") && !is_write("read"));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            for p in ["modbus", "s7comm", "dnp3", "iec104", "iso-tsap", "other"] {
                let _ = operation(p, &bytes);
                let _ = refine(if p == "other" { "other" } else { "iso-tsap" }, &bytes);
            }
        }
    }

    #[test]
    fn mac_prefixes_name_vendors() {
        assert_eq!(vendor("00:1B:1B:12:34:56"), Some("Siemens"));
        assert_eq!(vendor("02:00:00:00:00:01"), None);
        assert_eq!(vendor("short"), None);
    }
}
