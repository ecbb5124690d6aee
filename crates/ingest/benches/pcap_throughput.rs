//! Capture processing throughput (issue 11's figures): otkeep's observer against
//! `tshark -q -z conv,tcp -z conv,udp` on the same file, in one run.
//!
//! The input is the shared captures (`../shared/data/pcap`, the legacy-pcap Ethernet ones)
//! concatenated, repeated until it reaches `OTKEEP_BENCH_PCAP_MB` (1024 by default), written
//! once to `$CARGO_TARGET_DIR/otkeep-bench.pcap`. Reported: seconds, MB/s, packets/s, and the
//! peak resident memory of each (`VmHWM` of this process for otkeep, `/usr/bin/time -f %M` for
//! tshark). tshark comes from Debian's `tshark` package, installed for the benchmark only; the
//! benchmark says so and skips it when it is missing.
//!
//! Run: `cargo bench -p otkeep-ingest --bench pcap_throughput`.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The packet records of a legacy little-endian microsecond Ethernet pcap (after its header).
fn records(path: &Path) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    let magic = bytes.get(..4)?;
    let linktype = u32::from_le_bytes(bytes.get(20..24)?.try_into().ok()?);
    (magic == [0xd4, 0xc3, 0xb2, 0xa1] && linktype == 1).then(|| bytes[24..].to_vec())
}

fn build_input(target_mb: u64) -> PathBuf {
    let dir =
        std::env::var("CARGO_TARGET_DIR").map_or_else(|_| std::env::temp_dir(), PathBuf::from);
    let path = dir.join(format!("otkeep-bench-{target_mb}.pcap"));
    if path.metadata().is_ok_and(|m| m.len() >= target_mb << 20) {
        return path;
    }
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pcap");
    let mut parts: Vec<Vec<u8>> = std::fs::read_dir(&shared)
        .expect("the shared captures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .filter_map(|p| records(&p))
        .collect();
    parts.sort_by_key(Vec::len);
    let mut out = BufWriter::new(std::fs::File::create(&path).expect("bench input"));
    // Global header: magic, version 2.4, zone 0, sigfigs 0, snaplen 262144, Ethernet.
    let mut header = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&262_144u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    out.write_all(&header).expect("write");
    let mut written: u64 = 24;
    while written < target_mb << 20 {
        for p in &parts {
            out.write_all(p).expect("write");
            written += p.len() as u64;
        }
    }
    out.flush().expect("flush");
    path
}

fn peak_rss_kb() -> u64 {
    let mut status = String::new();
    let _ =
        std::fs::File::open("/proc/self/status").and_then(|mut f| f.read_to_string(&mut status));
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not used here.
    let target_mb: u64 = std::env::var("OTKEEP_BENCH_PCAP_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let input = build_input(target_mb);
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let mb = size as f64 / 1e6;
    println!("input: {} ({:.0} MB)", input.display(), mb);

    let rss_before = peak_rss_kb();
    let started = Instant::now();
    let o = otkeep_ingest::observe::pcap::observe(&input, &mut |_| {}).expect("the bench capture");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "otkeep observe: {:.2} s, {:.0} MB/s, {:.0} packets/s ({} packets, {} flows, {} hosts), peak RSS {} MB (before: {} MB)",
        secs,
        mb / secs,
        o.packets as f64 / secs,
        o.packets,
        o.flows.len(),
        o.hosts.len(),
        peak_rss_kb() / 1024,
        rss_before / 1024
    );

    let tshark = std::process::Command::new("/usr/bin/time")
        .args([
            "-f", "%e %M", "tshark", "-q", "-n", "-z", "conv,tcp", "-z", "conv,udp", "-r",
        ])
        .arg(&input)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output();
    match tshark {
        Ok(out) if out.status.success() => {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err.lines().last().unwrap_or("");
            let mut parts = last.split_whitespace();
            let t: f64 = parts
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(f64::NAN);
            let kb: u64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            println!(
                "tshark -q -z conv,tcp -z conv,udp: {:.2} s, {:.0} MB/s, {:.0} packets/s, peak RSS {} MB",
                t,
                mb / t,
                o.packets as f64 / t,
                kb / 1024
            );
            println!("ratio: otkeep is {:.1}x tshark's throughput", t / secs);
        }
        _ => println!(
            "tshark: not run (install Debian's tshark package for this comparison; /usr/bin/time is needed too)"
        ),
    }
}
