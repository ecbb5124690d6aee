//! Laws of the gap engine, checked on random target vectors and assessments.

use otkeep_core::SlVector;
use otkeep_core::catalog::{Catalog, Target};
use otkeep_core::gap::{STATUSES, Status, assess};
use proptest::prelude::*;
use std::collections::HashMap;

fn vector() -> impl Strategy<Value = [u8; 7]> {
    proptest::array::uniform7(0u8..=4)
}

/// A status for each requirement of the built-in catalog.
fn statuses() -> impl Strategy<Value = Vec<Status>> {
    let n = Catalog::iec62443_3_3().requirements.len();
    proptest::collection::vec(proptest::sample::select(STATUSES.to_vec()), n)
}

fn lookup(statuses: &[Status]) -> HashMap<String, Status> {
    Catalog::iec62443_3_3()
        .requirements
        .iter()
        .zip(statuses)
        .map(|(r, s)| (r.id.clone(), *s))
        .collect()
}

fn sl(v: [u8; 7]) -> SlVector {
    SlVector::new(v).expect("levels 0 to 4")
}

proptest! {
    #[test]
    fn raising_sl_t_never_lowers_the_requirements_in_force(a in vector(), b in vector()) {
        let c = Catalog::iec62443_3_3();
        let low: [u8; 7] = std::array::from_fn(|i| a[i].min(b[i]));
        let high: [u8; 7] = std::array::from_fn(|i| a[i].max(b[i]));
        for target in [Target::Zone, Target::Conduit] {
            let n_low = c.in_force(&sl(low), target).count();
            let n_high = c.in_force(&sl(high), target).count();
            prop_assert!(n_low <= n_high);
            // And what is in force at the lower target stays in force at the higher one.
            let high_ids: Vec<&str> = c.in_force(&sl(high), target).map(|r| r.id.as_str()).collect();
            prop_assert!(c.in_force(&sl(low), target).all(|r| high_ids.contains(&r.id.as_str())));
        }
    }

    #[test]
    fn meeting_one_more_requirement_never_lowers_sl_a(t in vector(), s in statuses(), pick in any::<prop::sample::Index>()) {
        let c = Catalog::iec62443_3_3();
        let before = lookup(&s);
        let target = sl(t);
        let g1 = assess(c, &target, Target::Zone, &|r| before[&r.id]);
        let mut after = before.clone();
        let id = &c.requirements[pick.index(c.requirements.len())].id;
        after.insert(id.clone(), Status::Implemented);
        let g2 = assess(c, &target, Target::Zone, &|r| after[&r.id]);
        for i in 0..7 {
            prop_assert!(g2.sl_a[i] >= g1.sl_a[i], "FR{} fell from {} to {}", i + 1, g1.sl_a[i], g2.sl_a[i]);
        }
        prop_assert!(g2.met() >= g1.met());
    }

    #[test]
    fn sl_a_never_exceeds_sl_t_and_reaches_it_when_all_is_met(t in vector(), s in statuses()) {
        let c = Catalog::iec62443_3_3();
        let st = lookup(&s);
        let target = sl(t);
        let g = assess(c, &target, Target::Zone, &|r| st[&r.id]);
        for (a, t) in g.sl_a.iter().zip(t) {
            prop_assert!(*a <= t);
        }
        prop_assert_eq!(g.in_force(), c.in_force(&target, Target::Zone).count());
        let all = assess(c, &target, Target::Zone, &|_| Status::Implemented);
        prop_assert_eq!(all.sl_a, t);
        prop_assert_eq!(all.open(), 0);
    }

    #[test]
    fn conduits_assess_a_subset_of_zone_requirements(t in vector()) {
        let c = Catalog::iec62443_3_3();
        let zone: Vec<&str> = c.in_force(&sl(t), Target::Zone).map(|r| r.id.as_str()).collect();
        prop_assert!(c.in_force(&sl(t), Target::Conduit).all(|r| zone.contains(&r.id.as_str())));
    }
}
