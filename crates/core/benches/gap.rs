//! Gap analysis of a whole organization: 100 sites × 50 zones, each zone with its own SL-T and
//! assessment (SL-A and gap per zone, rolled up per site and for the organization).
//!
//! Run: `cargo bench -p otkeep-core --bench gap`

use criterion::{Criterion, criterion_group, criterion_main};
use otkeep_core::SlVector;
use otkeep_core::catalog::{Catalog, Target};
use otkeep_core::gap::{Rollup, STATUSES, Status, assess};
use std::collections::HashMap;
use std::hint::black_box;

struct Zone {
    sl_t: SlVector,
    statuses: HashMap<String, Status>,
}

/// Deterministic pseudo-random zones (a small LCG; no dependency needed for test data).
fn organization(sites: usize, zones: usize) -> Vec<Vec<Zone>> {
    let c = Catalog::iec62443_3_3();
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    (0..sites)
        .map(|_| {
            (0..zones)
                .map(|_| {
                    let levels: [u8; 7] = std::array::from_fn(|_| 1 + next(4) as u8);
                    let statuses = c
                        .requirements
                        .iter()
                        .map(|r| (r.id.clone(), STATUSES[next(STATUSES.len() as u64) as usize]))
                        .collect();
                    Zone {
                        sl_t: SlVector::new(levels).expect("valid"),
                        statuses,
                    }
                })
                .collect()
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let catalog = Catalog::iec62443_3_3();
    let org = organization(100, 50);
    c.bench_function("gap/organization_100_sites_x_50_zones", |b| {
        b.iter(|| {
            let mut total = Rollup::default();
            for site in &org {
                let mut per_site = Rollup::default();
                for z in site {
                    let g = assess(catalog, &z.sl_t, Target::Zone, &|r| {
                        z.statuses
                            .get(&r.id)
                            .copied()
                            .unwrap_or(Status::NotAssessed)
                    });
                    per_site.add(&g);
                    total.add(&g);
                }
                black_box(&per_site);
            }
            black_box(total)
        })
    });
    let one = &org[0][0];
    c.bench_function("gap/one_zone", |b| {
        b.iter(|| {
            black_box(assess(catalog, &one.sl_t, Target::Zone, &|r| {
                one.statuses
                    .get(&r.id)
                    .copied()
                    .unwrap_or(Status::NotAssessed)
            }))
        })
    });
}

criterion_group!(gap, benches);
criterion_main!(gap);
