//! Achieved security levels and the gap, as pure functions.
//!
//! For a zone (or conduit) with target vector SL-T, the requirements in force are those of the
//! catalog whose level is at most SL-T of their FR. Each has an assessment [`Status`];
//! implemented, not applicable and compensated count as met. Per FR, SL-A is the highest level
//! `L` (at most SL-T) such that every requirement in force up to level `L` is met. The gap is
//! the requirements in force that are not met.

use crate::catalog::{Catalog, Requirement, Target};
use crate::sl::SlVector;

/// The assessment of one requirement in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    NotAssessed,
    NotImplemented,
    Planned,
    Partial,
    Implemented,
    NotApplicable,
    /// Met by an approved compensating countermeasure that is not past its review date.
    Compensated,
}

pub const STATUSES: &[Status] = &[
    Status::NotAssessed,
    Status::NotImplemented,
    Status::Planned,
    Status::Partial,
    Status::Implemented,
    Status::NotApplicable,
    Status::Compensated,
];

impl Status {
    pub fn key(self) -> &'static str {
        match self {
            Status::NotAssessed => "not_assessed",
            Status::NotImplemented => "not_implemented",
            Status::Planned => "planned",
            Status::Partial => "partial",
            Status::Implemented => "implemented",
            Status::NotApplicable => "not_applicable",
            Status::Compensated => "compensated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::NotAssessed => "Not assessed",
            Status::NotImplemented => "Not implemented",
            Status::Planned => "Planned",
            Status::Partial => "Partial",
            Status::Implemented => "Implemented",
            Status::NotApplicable => "Not applicable",
            Status::Compensated => "Compensating countermeasure",
        }
    }

    pub fn from_key(key: &str) -> Option<Status> {
        STATUSES.iter().copied().find(|s| s.key() == key)
    }

    /// Position in [`STATUSES`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether the requirement counts as met.
    pub fn is_met(self) -> bool {
        matches!(
            self,
            Status::Implemented | Status::NotApplicable | Status::Compensated
        )
    }
}

/// The status that counts, given the assessed one and whether an approved compensating
/// countermeasure (not past review) covers the requirement: a valid countermeasure meets an
/// unmet requirement; "compensated" without one is not met.
pub fn effective_status(assessed: Status, covered: bool) -> Status {
    match (assessed, covered) {
        (s, true) if !s.is_met() => Status::Compensated,
        (Status::Compensated, false) => Status::NotImplemented,
        (s, _) => s,
    }
}

/// The gap of one FR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrGap {
    pub in_force: usize,
    pub met: usize,
    /// Requirements in force by status, indexed by [`Status::index`].
    pub by_status: [usize; 7],
}

impl FrGap {
    pub fn count(&self, status: Status) -> usize {
        self.by_status[status.index()]
    }

    pub fn open(&self) -> usize {
        self.in_force - self.met
    }
}

/// The assessment result of one zone or conduit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub sl_t: [u8; 7],
    pub sl_a: [u8; 7],
    pub by_fr: [FrGap; 7],
}

impl Gap {
    pub fn in_force(&self) -> usize {
        self.by_fr.iter().map(|f| f.in_force).sum()
    }

    pub fn met(&self) -> usize {
        self.by_fr.iter().map(|f| f.met).sum()
    }

    pub fn open(&self) -> usize {
        self.in_force() - self.met()
    }

    /// FRs whose achieved level is below target.
    pub fn short_frs(&self) -> usize {
        (0..7).filter(|&i| self.sl_a[i] < self.sl_t[i]).count()
    }
}

/// SL-A and the gap of a target with SL-T `sl_t`, given the status of each requirement (a
/// requirement without a status is not assessed).
pub fn assess(
    catalog: &Catalog,
    sl_t: &SlVector,
    target: Target,
    status: &dyn Fn(&Requirement) -> Status,
) -> Gap {
    let t = sl_t.levels();
    let mut by_fr: [FrGap; 7] = Default::default();
    // The lowest level of a requirement in force that is not met, per FR.
    let mut lowest_open = [u8::MAX; 7];
    for r in catalog.in_force(sl_t, target) {
        let fr = usize::from(r.fr - 1);
        let s = status(r);
        let g = &mut by_fr[fr];
        g.in_force += 1;
        g.by_status[s.index()] += 1;
        if s.is_met() {
            g.met += 1;
        } else {
            lowest_open[fr] = lowest_open[fr].min(r.level);
        }
    }
    let mut sl_a = [0u8; 7];
    for i in 0..7 {
        // Every requirement up to level L met ⇔ L < the lowest open level.
        sl_a[i] = t[i].min(lowest_open[i].saturating_sub(1));
    }
    Gap {
        sl_t: t,
        sl_a,
        by_fr,
    }
}

/// An FR on which a component cannot reach its zone's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    /// 1–7.
    pub fr: u8,
    pub capability: u8,
    pub target: u8,
}

/// The FRs where capability `sl_c` of a component stays below target `sl_t` of its zone: the
/// zone needs a compensating countermeasure there, or a different component.
pub fn capability_shortfalls(sl_t: &SlVector, sl_c: &SlVector) -> Vec<Shortfall> {
    sl_t.levels()
        .iter()
        .zip(sl_c.levels())
        .enumerate()
        .filter(|(_, (t, c))| c < *t)
        .map(|(i, (t, c))| Shortfall {
            fr: i as u8 + 1,
            capability: c,
            target: *t,
        })
        .collect()
}

/// Several gaps summed (a site, the organization): requirements and statuses add up, SL-A and
/// SL-T per FR are the lowest and highest among the parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollup {
    pub parts: usize,
    /// Parts whose SL-A is below SL-T on some FR.
    pub parts_short: usize,
    pub min_sl_a: [u8; 7],
    pub max_sl_t: [u8; 7],
    pub by_fr: [FrGap; 7],
}

impl Rollup {
    pub fn add(&mut self, gap: &Gap) {
        for i in 0..7 {
            self.min_sl_a[i] = if self.parts == 0 {
                gap.sl_a[i]
            } else {
                self.min_sl_a[i].min(gap.sl_a[i])
            };
            self.max_sl_t[i] = self.max_sl_t[i].max(gap.sl_t[i]);
            let into = &mut self.by_fr[i];
            into.in_force += gap.by_fr[i].in_force;
            into.met += gap.by_fr[i].met;
            for (sum, n) in into.by_status.iter_mut().zip(gap.by_fr[i].by_status) {
                *sum += n;
            }
        }
        if gap.short_frs() > 0 {
            self.parts_short += 1;
        }
        self.parts += 1;
    }

    pub fn in_force(&self) -> usize {
        self.by_fr.iter().map(|f| f.in_force).sum()
    }

    pub fn met(&self) -> usize {
        self.by_fr.iter().map(|f| f.met).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn vector(v: [u8; 7]) -> SlVector {
        SlVector::new(v).expect("valid")
    }

    #[test]
    fn sl_a_is_the_highest_fully_met_level() {
        let c = Catalog::iec62443_3_3();
        let t = vector([2, 2, 2, 2, 3, 1, 2]);
        // Nothing assessed: SL-A 0 everywhere, every requirement in force is open.
        let g = assess(c, &t, Target::Zone, &|_| Status::NotAssessed);
        assert_eq!(g.sl_a, [0; 7]);
        assert_eq!(g.open(), g.in_force());
        // Everything implemented: SL-A = SL-T.
        let g = assess(c, &t, Target::Zone, &|_| Status::Implemented);
        assert_eq!(g.sl_a, t.levels());
        assert_eq!(g.open(), 0);
        // FR5: a level-3 enhancement open → SL-A 2 on FR5 only.
        let g = assess(c, &t, Target::Zone, &|r| {
            if r.id == "SR 5.2 RE 2" {
                Status::Planned
            } else {
                Status::Implemented
            }
        });
        assert_eq!(g.sl_a, [2, 2, 2, 2, 2, 1, 2]);
        assert_eq!(g.by_fr[4].open(), 1);
        assert_eq!(g.by_fr[4].count(Status::Planned), 1);
        // A level-1 requirement open pulls the FR to 0, whatever else is met.
        let g = assess(c, &t, Target::Zone, &|r| {
            if r.id == "SR 1.1" {
                Status::Partial
            } else {
                Status::Implemented
            }
        });
        assert_eq!(g.sl_a[0], 0);
        // Not applicable and compensated count as met.
        let g = assess(c, &t, Target::Zone, &|r| {
            if r.fr == 7 {
                Status::Compensated
            } else {
                Status::NotApplicable
            }
        });
        assert_eq!(g.sl_a, t.levels());
    }

    #[test]
    fn components_below_the_zone_target_are_found() {
        let t = vector([2, 2, 3, 1, 3, 1, 2]);
        let c = vector([2, 2, 2, 2, 2, 2, 2]);
        let s = capability_shortfalls(&t, &c);
        assert_eq!(
            s,
            [
                Shortfall {
                    fr: 3,
                    capability: 2,
                    target: 3
                },
                Shortfall {
                    fr: 5,
                    capability: 2,
                    target: 3
                }
            ]
        );
        assert!(capability_shortfalls(&c, &c).is_empty());
    }

    #[test]
    fn countermeasures_count_only_when_valid() {
        assert_eq!(effective_status(Status::Planned, true), Status::Compensated);
        assert_eq!(
            effective_status(Status::NotAssessed, true),
            Status::Compensated
        );
        assert_eq!(
            effective_status(Status::Compensated, false),
            Status::NotImplemented
        );
        assert_eq!(
            effective_status(Status::Implemented, true),
            Status::Implemented
        );
        assert_eq!(effective_status(Status::Partial, false), Status::Partial);
    }

    #[test]
    fn rollups_add_parts() {
        let c = Catalog::iec62443_3_3();
        let a = assess(c, &vector([1; 7]), Target::Zone, &|_| Status::Implemented);
        let b = assess(c, &vector([2; 7]), Target::Zone, &|_| Status::NotAssessed);
        let mut r = Rollup::default();
        r.add(&a);
        r.add(&b);
        assert_eq!(r.parts, 2);
        assert_eq!(r.parts_short, 1);
        assert_eq!(r.min_sl_a, [0; 7]);
        assert_eq!(r.max_sl_t, [2; 7]);
        assert_eq!(r.in_force(), a.in_force() + b.in_force());
        assert_eq!(r.met(), a.in_force());
    }
}
