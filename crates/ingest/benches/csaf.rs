//! CSAF import + matching throughput: the 2023 CISA corpus (380 files) against the demo
//! organization of 100 sites × 5,000 assets (500,000 assets with real ICS vendors and models),
//! next to the floor — `serde_json` alone parsing the same files into `serde_json::Value` —
//! measured in one run.
//!
//! Run: `cargo bench -p otkeep-ingest --bench csaf`
//! Smaller: `OTKEEP_BENCH_SITES=10 OTKEEP_BENCH_ASSETS=5000 cargo bench -p otkeep-ingest --bench csaf`

use std::path::PathBuf;
use std::time::{Duration, Instant};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let started = Instant::now();
        let r = f();
        best = best.min(started.elapsed());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not used.
    let sites = env("OTKEEP_BENCH_SITES", 100);
    let assets = env("OTKEEP_BENCH_ASSETS", 5000);
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/csaf/2023");
    let files = otkeep_ingest::csaf_files(&corpus).expect("corpus");
    let bytes: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("read"))
        .collect();
    let total_mb = bytes.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;

    let (floor, n) = best(5, || {
        bytes
            .iter()
            .map(|b| {
                serde_json::from_slice::<serde_json::Value>(b)
                    .map(|_| 1)
                    .unwrap_or(0)
            })
            .sum::<usize>()
    });
    assert_eq!(n, files.len());
    let (parse, n) = best(5, || {
        bytes
            .iter()
            .enumerate()
            .filter(|(i, b)| otkeep_ingest::parse_csaf(b, &files[*i].display().to_string()).is_ok())
            .count()
    });
    assert_eq!(n, files.len());

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let db = otkeep_store::testing::TestDb::sqlite();
    let store = rt.block_on(db.open()).expect("open");
    let started = Instant::now();
    rt.block_on(store.load_demo(sites, assets, "bench", &mut |_| {}))
        .expect("demo");
    eprintln!(
        "inventory: {sites} sites × {assets} assets loaded in {:.1?}",
        started.elapsed()
    );
    let (import, report) = best(3, || {
        rt.block_on(async {
            // Start each run with no advisory stored (matches go with them).
            sqlx::query("DELETE FROM advisory")
                .execute(store.pool())
                .await
                .expect("reset");
            otkeep_ingest::import_csaf_files(&store, &files, "bench", &mut |_| {})
                .await
                .expect("import")
        })
    });
    assert_eq!(report.created, files.len());
    println!(
        "csaf/2023: {} files, {total_mb:.1} MB; {} (advisory, asset) matches among {} assets",
        files.len(),
        report.matches,
        sites * assets
    );
    println!(
        "  serde_json::Value parse (floor): {:>8.1} ms  ({:.0} files/s)",
        floor.as_secs_f64() * 1e3,
        files.len() as f64 / floor.as_secs_f64()
    );
    println!(
        "  parse_csaf (typed, normalised):  {:>8.1} ms  ({:.1}× floor)",
        parse.as_secs_f64() * 1e3,
        parse.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "  import + match into the store:   {:>8.1} ms  ({:.0} files/s, {:.1}× floor)",
        import.as_secs_f64() * 1e3,
        files.len() as f64 / import.as_secs_f64(),
        import.as_secs_f64() / floor.as_secs_f64()
    );
    rt.block_on(store.close());
}
