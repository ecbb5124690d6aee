//! Packet captures (pcap and pcapng) into an [`Observation`].
//!
//! The file is streamed through `pcap-parser` (which tells the two formats apart) with a fixed
//! buffer, each packet sliced by `etherparse` leniently (a packet cut short by the snap length
//! still gives its headers), and fed to the [`Observer`]. Link types: Ethernet, raw IP, Linux
//! cooked capture and BSD loopback. A truncated last packet ends the reading with a warning; a
//! file that is no capture at all is an error naming the file.

use super::{Endpoint, Observation, Observer, Transport, mac_text};
use etherparse::{LaxNetSlice, LaxSlicedPacket, LinkSlice, TransportSlice};
use pcap_parser::{Block, Linktype, PcapBlockOwned, PcapError, create_reader};
use std::io::Read;

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct CaptureError {
    pub file: String,
    pub message: String,
}

/// The buffer the reader streams through; a packet larger than this is skipped as an error.
const BUFFER: usize = 1 << 20;

/// Reads a capture from `input` (named `file` in errors) into `observer`; `progress` gets the
/// number of bytes consumed so far.
pub fn read_into<R: Read + Send>(
    observer: &mut Observer,
    input: R,
    file: &str,
    progress: &mut dyn FnMut(u64),
) -> Result<(), CaptureError> {
    let fail = |message: String| CaptureError {
        file: file.to_string(),
        message,
    };
    let mut reader = create_reader(BUFFER, input).map_err(|e| {
        fail(match e {
            PcapError::HeaderNotRecognized => {
                "not a packet capture (neither pcap nor pcapng)".to_string()
            }
            other => format!("cannot read the capture header: {other:?}"),
        })
    })?;
    // Link type and timestamp resolution per pcapng interface (legacy pcap: one of each).
    let mut interfaces: Vec<(Linktype, TsUnit)> = Vec::new();
    let mut legacy = (Linktype::ETHERNET, TsUnit::Micro);
    let mut consumed: u64 = 0;
    let mut stalled = false;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                stalled = false;
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        let unit = if h.is_nanosecond_precision() {
                            TsUnit::Nano
                        } else {
                            TsUnit::Micro
                        };
                        legacy = (h.network, unit);
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let ts = legacy.1.micros(u64::from(b.ts_sec), u64::from(b.ts_usec));
                        packet(observer, legacy.0, ts, b.data, u64::from(b.origlen));
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => interfaces.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        interfaces.push((idb.linktype, TsUnit::from_tsresol(idb.if_tsresol)));
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let (linktype, unit) = interfaces
                            .get(epb.if_id as usize)
                            .copied()
                            .unwrap_or((Linktype::ETHERNET, TsUnit::Micro));
                        let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        let ts = unit.micros_from_units(raw);
                        packet(observer, linktype, ts, epb.data, u64::from(epb.origlen));
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        let linktype = interfaces.first().map_or(Linktype::ETHERNET, |i| i.0);
                        packet(observer, linktype, 0, spb.data, u64::from(spb.origlen));
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                consumed += offset as u64;
                reader.consume(offset);
                progress(consumed);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::UnexpectedEof) => {
                observer.warn(format!(
                    "{file}: the capture ends in the middle of a packet after {consumed} bytes (truncated); what came before was read"
                ));
                break;
            }
            Err(PcapError::Incomplete(_)) => {
                // More data is needed; if refilling brings none, the file ends mid-block.
                if stalled {
                    observer.warn(format!(
                        "{file}: the capture ends in the middle of a packet after {consumed} bytes (truncated); what came before was read"
                    ));
                    break;
                }
                stalled = true;
                if let Err(e) = reader.refill() {
                    observer.warn(format!(
                        "{file}: reading stopped after {consumed} bytes: {e:?}"
                    ));
                    break;
                }
            }
            Err(PcapError::BufferTooSmall) => {
                return Err(fail(format!(
                    "a block at byte {consumed} is larger than {BUFFER} bytes; the file is damaged"
                )));
            }
            Err(e) => {
                if consumed == 0 {
                    return Err(fail(format!("not a readable capture: {e:?}")));
                }
                observer.warn(format!(
                    "{file}: damaged after {consumed} bytes ({e:?}); what came before was read"
                ));
                break;
            }
        }
    }
    Ok(())
}

/// Reads one capture file into an observation.
pub fn observe(
    path: &std::path::Path,
    progress: &mut dyn FnMut(u64),
) -> Result<Observation, CaptureError> {
    let file = path.display().to_string();
    let input = std::fs::File::open(path).map_err(|e| CaptureError {
        file: file.clone(),
        message: format!("cannot open: {e}"),
    })?;
    let mut observer = Observer::new();
    read_into(
        &mut observer,
        std::io::BufReader::new(input),
        &file,
        progress,
    )?;
    Ok(observer.finish())
}

/// Timestamp units of a capture.
#[derive(Debug, Clone, Copy)]
enum TsUnit {
    Micro,
    Nano,
    /// pcapng `if_tsresol`: 10^-n or 2^-n seconds.
    Decimal(u32),
    Binary(u32),
}

impl TsUnit {
    fn from_tsresol(r: u8) -> TsUnit {
        if r & 0x80 == 0 {
            match r {
                6 => TsUnit::Micro,
                9 => TsUnit::Nano,
                n => TsUnit::Decimal(u32::from(n)),
            }
        } else {
            TsUnit::Binary(u32::from(r & 0x7F))
        }
    }

    /// Legacy pcap: seconds and a fraction in this unit.
    fn micros(self, sec: u64, frac: u64) -> i64 {
        let frac_us = match self {
            TsUnit::Nano => frac / 1000,
            _ => frac,
        };
        i64::try_from(sec.saturating_mul(1_000_000).saturating_add(frac_us)).unwrap_or(i64::MAX)
    }

    /// pcapng: a count of units since the epoch.
    fn micros_from_units(self, units: u64) -> i64 {
        let us = match self {
            TsUnit::Micro => units,
            TsUnit::Nano => units / 1000,
            TsUnit::Decimal(n) if n >= 6 => units / 10u64.saturating_pow(n - 6),
            TsUnit::Decimal(n) => units.saturating_mul(10u64.saturating_pow(6 - n)),
            TsUnit::Binary(n) => {
                let n = n.min(63);
                ((u128::from(units) * 1_000_000) >> n) as u64
            }
        };
        i64::try_from(us).unwrap_or(i64::MAX)
    }
}

/// Decodes one packet and records it.
fn packet(observer: &mut Observer, linktype: Linktype, ts: i64, data: &[u8], orig_len: u64) {
    let len = orig_len.max(data.len() as u64);
    let sliced = match linktype {
        Linktype::ETHERNET => LaxSlicedPacket::from_ethernet(data).ok(),
        Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 => LaxSlicedPacket::from_ip(data).ok(),
        // BSD loopback: a 4-byte address family, then IP.
        Linktype::NULL | Linktype(108) => {
            data.get(4..).and_then(|d| LaxSlicedPacket::from_ip(d).ok())
        }
        // Linux cooked capture v1: 16-byte header, protocol in the last two bytes.
        Linktype::LINUX_SLL => data
            .get(16..)
            .and_then(|d| LaxSlicedPacket::from_ip(d).ok()),
        _ => None,
    };
    let Some(p) = sliced else {
        observer.undecoded(ts, len);
        return;
    };
    let (src_mac, dst_mac) = match &p.link {
        Some(LinkSlice::Ethernet2(e)) => {
            (Some(mac_text(e.source())), Some(mac_text(e.destination())))
        }
        _ => (None, None),
    };
    let (src_ip, dst_ip) = match &p.net {
        Some(LaxNetSlice::Ipv4(ip)) => (
            Some(ip.header().source_addr().to_string()),
            Some(ip.header().destination_addr().to_string()),
        ),
        Some(LaxNetSlice::Ipv6(ip)) => (
            Some(ip.header().source_addr().to_string()),
            Some(ip.header().destination_addr().to_string()),
        ),
        Some(LaxNetSlice::Arp(_)) | None => (None, None),
    };
    let a = Endpoint {
        ip: src_ip.clone(),
        mac: src_mac.clone(),
    };
    let b = Endpoint {
        ip: dst_ip,
        mac: dst_mac,
    };
    match (&p.net, &p.transport) {
        (_, Some(TransportSlice::Tcp(t))) => observer.record(
            ts,
            len,
            Transport::Tcp,
            a,
            Some(t.source_port()),
            b,
            Some(t.destination_port()),
            t.payload(),
        ),
        (_, Some(TransportSlice::Udp(u))) => observer.record(
            ts,
            len,
            Transport::Udp,
            a,
            Some(u.source_port()),
            b,
            Some(u.destination_port()),
            u.payload(),
        ),
        (Some(LaxNetSlice::Arp(_)), _) => {
            // ARP for IPv4 over Ethernet: the sender's MAC owns the sender's IP.
            if let Some(payload) = p.ether_payload().map(|e| e.payload)
                && payload.len() >= 28
                && payload[0..2] == [0, 1]
                && payload[2..4] == [0x08, 0x00]
            {
                let mut mac = [0u8; 6];
                mac.copy_from_slice(&payload[8..14]);
                let ip =
                    std::net::Ipv4Addr::new(payload[14], payload[15], payload[16], payload[17]);
                if !ip.is_unspecified() {
                    observer.arp(ip.to_string(), mac_text(mac));
                }
            }
            observer.record(ts, len, Transport::L2(0x0806), a, None, b, None, &[]);
        }
        (Some(LaxNetSlice::Ipv4(ip)), _) => {
            let proto = ip.header().protocol().0;
            observer.record(ts, len, Transport::Ip(proto), a, None, b, None, &[]);
        }
        (Some(LaxNetSlice::Ipv6(ip)), _) => {
            let proto = ip.header().next_header().0;
            observer.record(ts, len, Transport::Ip(proto), a, None, b, None, &[]);
        }
        (None, _) => match p.ether_payload() {
            Some(e) => {
                let a = Endpoint { ip: None, ..a };
                let b = Endpoint { ip: None, ..b };
                observer.record(
                    ts,
                    len,
                    Transport::L2(e.ether_type.0),
                    a,
                    None,
                    b,
                    None,
                    &[],
                );
            }
            None => observer.undecoded(ts, len),
        },
    }
}
