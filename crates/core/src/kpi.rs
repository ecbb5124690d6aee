//! Program KPI definitions (issue 10, item 2): what each KPI measures (its formula over the
//! records, computed by `otkeep_store::kpi`), its unit, whether lower or higher is better, and
//! the default target. Targets and owners are set per organization (`kpi_target`); values are
//! computed per site and for the organization and snapshotted daily so trends exist.

/// One KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KpiDef {
    /// Stable key (stored in snapshots and targets).
    pub key: &'static str,
    pub label: &'static str,
    /// How the value is computed, in words (the formula over the records).
    pub formula: &'static str,
    /// `hours`, `days`, `%` or `count`.
    pub unit: &'static str,
    pub lower_is_better: bool,
    pub default_target: i64,
}

impl KpiDef {
    /// Whether `value` meets `target`.
    pub fn meets(&self, value: i64, target: i64) -> bool {
        if self.lower_is_better {
            value <= target
        } else {
            value >= target
        }
    }

    /// The value as shown: `12 h`, `85 %`, `3`.
    pub fn show(&self, value: Option<i64>) -> String {
        match value {
            None => "–".to_string(),
            Some(v) => match self.unit {
                "hours" => format!("{v} h"),
                "days" => format!("{v} d"),
                "%" => format!("{v} %"),
                _ => v.to_string(),
            },
        }
    }
}

const fn kpi(
    key: &'static str,
    label: &'static str,
    formula: &'static str,
    unit: &'static str,
    lower_is_better: bool,
    default_target: i64,
) -> KpiDef {
    KpiDef {
        key,
        label,
        formula,
        unit,
        lower_is_better,
        default_target,
    }
}

const MET_FORMULA: &str = "Requirements in force (for each zone's SL-T) of this FR that count as met, as a share of those in force, over all zones.";

/// Days after which an advisory match still untriaged counts against
/// `advisories_untriaged`.
pub const UNTRIAGED_DAYS: i64 = 14;

/// Every KPI, in display order.
pub const KPIS: &[KpiDef] = &[
    kpi(
        "time_to_revoke",
        "Time to revoke access",
        "Median hours from the request to the completion of the completed revocations.",
        "hours",
        true,
        24,
    ),
    kpi(
        "patch_latency_critical",
        "Patch latency on critical assets",
        "Median days from a patch's release to its deployment on high or critical assets.",
        "days",
        true,
        30,
    ),
    kpi(
        "assets_with_baseline",
        "Assets with a documented baseline",
        "Assets in operation whose type a configuration baseline of their site covers, as a share of all assets in operation.",
        "%",
        false,
        90,
    ),
    kpi(
        "restore_tested_critical",
        "Critical assets with a successful restore test",
        "High or critical assets covered by a backup plan whose last successful restore test is within the plan's interval, as a share of them.",
        "%",
        false,
        100,
    ),
    kpi(
        "exceptions_past_review",
        "Open exceptions past their review",
        "Approved, unexpired exceptions whose review date has passed.",
        "count",
        true,
        0,
    ),
    kpi(
        "overdue_actions",
        "Overdue treatment actions",
        "Treatment actions planned or in progress whose due date has passed.",
        "count",
        true,
        0,
    ),
    kpi(
        "requirements_met_fr1",
        "Requirements met: FR1 identification and authentication",
        MET_FORMULA,
        "%",
        false,
        100,
    ),
    kpi(
        "requirements_met_fr2",
        "Requirements met: FR2 use control",
        MET_FORMULA,
        "%",
        false,
        100,
    ),
    kpi(
        "requirements_met_fr3",
        "Requirements met: FR3 system integrity",
        MET_FORMULA,
        "%",
        false,
        100,
    ),
    kpi(
        "requirements_met_fr4",
        "Requirements met: FR4 data confidentiality",
        MET_FORMULA,
        "%",
        false,
        100,
    ),
    kpi(
        "requirements_met_fr5",
        "Requirements met: FR5 restricted data flow",
        MET_FORMULA,
        "%",
        false,
        100,
    ),
    kpi(
        "requirements_met_fr6",
        "Requirements met: FR6 timely response to events",
        MET_FORMULA,
        "%",
        false,
        100,
    ),
    kpi(
        "requirements_met_fr7",
        "Requirements met: FR7 resource availability",
        MET_FORMULA,
        "%",
        false,
        100,
    ),
    kpi(
        "advisories_untriaged",
        "Advisories untriaged after 14 days",
        "Matches of security advisories to assets still untriaged 14 days after they were found.",
        "count",
        true,
        0,
    ),
];

/// The KPI with key `key`.
pub fn kpi_def(key: &str) -> Option<&'static KpiDef> {
    KPIS.iter().find(|k| k.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_targets_compare_by_direction() {
        for (i, k) in KPIS.iter().enumerate() {
            assert!(KPIS[i + 1..].iter().all(|o| o.key != k.key), "{}", k.key);
        }
        let revoke = kpi_def("time_to_revoke").unwrap();
        assert!(revoke.meets(20, 24) && !revoke.meets(30, 24));
        let met = kpi_def("requirements_met_fr1").unwrap();
        assert!(met.meets(100, 100) && !met.meets(80, 100));
        assert_eq!(met.show(Some(80)), "80 %");
        assert_eq!(revoke.show(None), "–");
    }
}
