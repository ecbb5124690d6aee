//! OSCAL 1.0.6 exports (JSON): a zone's IEC 62443-3-3 assessment as *assessment results*
//! (one result: the requirements in force reviewed, an observation per assessed requirement
//! with its evidence, a finding per requirement, satisfied or not), and a site's treatment plan
//! as a *plan of action and milestones* (POA&M: a risk per risk record treated, a POA&M item per
//! treatment action with its status, due date, owner and the requirements it closes).
//!
//! Identifiers are stable: every UUID is derived from what it names (record ids, requirement
//! ids) with SHA-256, so exporting again gives the same UUIDs and tools can follow an item over
//! time. Requirement ids become OSCAL control ids (`SR 1.1 RE 2` → `sr-1.1-re-2`). otkeep's own
//! facts (SL-T, SL-A, statuses) are `props` in otkeep's namespace ([`NS`]). No text of the
//! standard is exported: titles are otkeep's short wording.
//!
//! The output is checked against NIST's OSCAL 1.0.6 JSON schemas in `tests/oscal.rs`.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The namespace of otkeep's OSCAL properties.
pub const NS: &str = "https://otkeep.dev/ns/oscal";
/// The OSCAL version the exports follow.
pub const OSCAL_VERSION: &str = "1.0.6";

/// A name-based UUID (RFC 4122 layout, version 5 bits) from the SHA-256 of `name`.
pub fn stable_uuid(name: &str) -> String {
    let d = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The OSCAL control id of an IEC 62443-3-3 requirement id: `SR 1.1 RE 2` → `sr-1.1-re-2`.
pub fn control_id(requirement: &str) -> String {
    requirement
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|c| c.join("-"))
        .collect::<Vec<_>>()
        .join("-")
}

/// An otkeep property. OSCAL values may not be empty or start or end with white space: callers
/// leave out empty values, and the value is trimmed.
fn prop(name: &str, value: impl ToString) -> Value {
    json!({"name": name, "ns": NS, "value": value.to_string().trim()})
}

/// A date (`YYYY-MM-DD`) as an OSCAL date-time at midnight UTC; other text as given.
fn date_time(date: &str, fallback: &str) -> String {
    if date.len() == 10 {
        format!("{date}T00:00:00Z")
    } else {
        fallback.to_string()
    }
}

fn metadata(title: &str, generated_at: &str, version: &str, generated_by: &str) -> Value {
    let mut props = vec![prop("generator", "otkeep")];
    if !generated_by.trim().is_empty() {
        props.push(prop("generated-by", generated_by.trim()));
    }
    json!({
        "title": title,
        "last-modified": generated_at,
        "version": version,
        "oscal-version": OSCAL_VERSION,
        "props": props,
    })
}

/// One requirement in force of the zone, as assessed.
#[derive(Debug, Clone, Default)]
pub struct AssessedRequirement {
    /// `SR 1.1`, `SR 1.1 RE 1`.
    pub id: String,
    pub fr: u8,
    pub level: u8,
    pub title: String,
    /// The status key as assessed (`implemented`, `not_assessed`, …).
    pub status: String,
    /// Whether it counts as met (after valid countermeasures).
    pub met: bool,
    /// The assessment record, when one exists.
    pub record_id: Option<i64>,
    pub notes: String,
    pub reason: String,
    pub owner: String,
    pub target_date: String,
    /// `YYYY-MM-DD`, or empty.
    pub last_assessed: String,
    pub evidence_url: String,
    pub evidence_sha256: String,
}

/// What the assessment results of one zone are made from.
#[derive(Debug, Clone, Default)]
pub struct ZoneAssessment {
    pub organization: String,
    pub site_code: String,
    pub site_name: String,
    pub zone_id: i64,
    pub zone_name: String,
    /// The zone record's version (the export names the state it was made from).
    pub zone_version: i64,
    pub sl_t: [u8; 7],
    pub sl_a: [u8; 7],
    pub requirements: Vec<AssessedRequirement>,
    /// RFC 3339 time of the export, e.g. `2026-11-28T10:00:00Z`.
    pub generated_at: String,
    pub generated_by: String,
}

/// The zone's assessment as an OSCAL `assessment-results` document.
pub fn assessment_results(z: &ZoneAssessment) -> Value {
    let base = format!("otkeep/{}/zone/{}", z.site_code, z.zone_id);
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    let mut start = String::new();
    for r in &z.requirements {
        let control = control_id(&r.id);
        let mut related = Vec::new();
        if r.status != "not_assessed" {
            let uuid = stable_uuid(&format!("{base}/observation/{}", r.id));
            let mut description = format!("Assessed as '{}'.", r.status.replace('_', " "));
            for (label, text) in [("Notes", &r.notes), ("Reason", &r.reason)] {
                if !text.trim().is_empty() {
                    description.push_str(&format!(" {label}: {}", text.trim()));
                }
            }
            let collected = date_time(&r.last_assessed, &z.generated_at);
            if !r.last_assessed.is_empty() && (start.is_empty() || collected < start) {
                start.clone_from(&collected);
            }
            let mut o = json!({
                "uuid": uuid,
                "title": format!("{} {}", r.id, r.title),
                "description": description,
                "methods": ["EXAMINE"],
                "collected": collected,
                "props": [prop("status", &r.status)],
            });
            if !r.evidence_url.is_empty() {
                let mut evidence = json!({"href": r.evidence_url, "description": "Evidence file"});
                if !r.evidence_sha256.is_empty() {
                    evidence["props"] = json!([prop("sha256", &r.evidence_sha256)]);
                }
                o["relevant-evidence"] = json!([evidence]);
            }
            related.push(json!({"observation-uuid": uuid}));
            observations.push(o);
        }
        let mut props = vec![
            prop("fr", format!("FR{}", r.fr)),
            prop("security-level", r.level),
        ];
        if !r.owner.is_empty() {
            props.push(prop("owner", &r.owner));
        }
        if !r.target_date.is_empty() {
            props.push(prop("target-date", &r.target_date));
        }
        let mut f = json!({
            "uuid": stable_uuid(&format!("{base}/finding/{}", r.id)),
            "title": format!("{} {}", r.id, r.title),
            "description": if r.met {
                format!("{} is met in zone {}.", r.id, z.zone_name)
            } else {
                format!("{} is not met in zone {} (status: {}).", r.id, z.zone_name, r.status.replace('_', " "))
            },
            "props": props,
            "target": {
                "type": "objective-id",
                "target-id": control,
                "status": {"state": if r.met { "satisfied" } else { "not-satisfied" }},
            },
        });
        if !related.is_empty() {
            f["related-observations"] = json!(related);
        }
        findings.push(f);
    }
    if start.is_empty() {
        start.clone_from(&z.generated_at);
    }
    let include: Vec<Value> = z
        .requirements
        .iter()
        .map(|r| json!({"control-id": control_id(&r.id)}))
        .collect();
    let mut props = Vec::new();
    for i in 0..7 {
        props.push(prop(&format!("sl-t-fr{}", i + 1), z.sl_t[i]));
        props.push(prop(&format!("sl-a-fr{}", i + 1), z.sl_a[i]));
    }
    let mut result = json!({
        "uuid": stable_uuid(&format!("{base}/result/{}", z.generated_at)),
        "title": format!("IEC 62443-3-3 assessment of zone {}", z.zone_name),
        "description": format!(
            "Requirements in force for the zone's target security level, as assessed in otkeep at site {} ({}).",
            z.site_code, z.site_name
        ),
        "start": start,
        "end": z.generated_at,
        "props": props,
        "reviewed-controls": {
            "description": "The IEC 62443-3-3 requirements in force for the zone's SL-T.",
            "control-selections": [if include.is_empty() {
                json!({"include-all": {}})
            } else {
                json!({"include-controls": include})
            }],
        },
    });
    if !observations.is_empty() {
        result["observations"] = json!(observations);
    }
    if !findings.is_empty() {
        result["findings"] = json!(findings);
    }
    json!({
        "assessment-results": {
            "uuid": stable_uuid(&format!("{base}/assessment-results/{}", z.generated_at)),
            "metadata": metadata(
                &format!("IEC 62443-3-3 assessment results: {} / zone {}", z.site_code, z.zone_name),
                &z.generated_at,
                &format!("zone record version {}", z.zone_version),
                &z.generated_by,
            ),
            "import-ap": {
                "href": format!("#{}", stable_uuid(&format!("{base}/assessment-plan"))),
                "remarks": "The plan is the zone's SL-T in otkeep; no separate assessment plan document is exported.",
            },
            "results": [result],
        }
    })
}

/// A risk a treatment action addresses.
#[derive(Debug, Clone, Default)]
pub struct PlanRisk {
    pub id: i64,
    pub title: String,
    pub description: String,
}

/// One treatment action of the plan.
#[derive(Debug, Clone, Default)]
pub struct PlanItem {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// `planned`, `in_progress`, `done`, `cancelled`.
    pub status: String,
    pub owner: String,
    /// `YYYY-MM-DD`, or empty.
    pub due_date: String,
    pub milestone: String,
    /// IEC 62443-3-3 requirement ids it closes.
    pub requirements: Vec<String>,
    pub risks: Vec<PlanRisk>,
}

/// What a site's plan of action and milestones is made from.
#[derive(Debug, Clone, Default)]
pub struct TreatmentPlan {
    pub site_code: String,
    pub site_name: String,
    pub items: Vec<PlanItem>,
    pub generated_at: String,
    pub generated_by: String,
}

/// The OSCAL risk status of a risk given the statuses of the actions treating it.
fn risk_status(statuses: &[&str]) -> &'static str {
    if !statuses.is_empty() && statuses.iter().all(|s| matches!(*s, "done" | "cancelled")) {
        "closed"
    } else if statuses.contains(&"in_progress") {
        "remediating"
    } else {
        "open"
    }
}

/// The site's treatment plan as an OSCAL `plan-of-action-and-milestones` document, or `None`
/// when it has no actions (OSCAL requires at least one POA&M item).
pub fn poam(plan: &TreatmentPlan) -> Option<Value> {
    if plan.items.is_empty() {
        return None;
    }
    let base = format!("otkeep/{}/treatment-plan", plan.site_code);
    let risk_uuid = |id: i64| stable_uuid(&format!("otkeep/{}/risk/{id}", plan.site_code));
    let mut risks: Vec<(i64, Value, Vec<&str>, String)> = Vec::new();
    let mut items = Vec::new();
    for item in &plan.items {
        let mut props = vec![prop("status", &item.status)];
        if !item.owner.is_empty() {
            props.push(prop("owner", &item.owner));
        }
        if !item.due_date.is_empty() {
            props.push(prop("due-date", &item.due_date));
        }
        if !item.milestone.is_empty() {
            props.push(prop("milestone", &item.milestone));
        }
        for r in &item.requirements {
            props.push(prop("closes-requirement", control_id(r)));
        }
        let mut v = json!({
            "uuid": stable_uuid(&format!("{base}/item/{}", item.id)),
            "title": item.title,
            "description": if item.description.trim().is_empty() { item.title.clone() } else { item.description.clone() },
            "props": props,
        });
        if !item.risks.is_empty() {
            v["related-risks"] = json!(
                item.risks
                    .iter()
                    .map(|r| json!({"risk-uuid": risk_uuid(r.id)}))
                    .collect::<Vec<_>>()
            );
        }
        for r in &item.risks {
            match risks.iter_mut().find(|(id, ..)| *id == r.id) {
                Some(entry) => {
                    entry.2.push(&item.status);
                    if !item.due_date.is_empty() && (entry.3.is_empty() || item.due_date > entry.3) {
                        entry.3.clone_from(&item.due_date);
                    }
                }
                None => risks.push((
                    r.id,
                    json!({
                        "uuid": risk_uuid(r.id),
                        "title": r.title,
                        "description": if r.description.trim().is_empty() { r.title.clone() } else { r.description.clone() },
                        "statement": format!("Risk '{}' of the site's risk register, treated by the actions of this plan.", r.title),
                    }),
                    vec![item.status.as_str()],
                    item.due_date.clone(),
                )),
            }
        }
        items.push(v);
    }
    let risks: Vec<Value> = risks
        .into_iter()
        .map(|(_, mut v, statuses, deadline)| {
            v["status"] = json!(risk_status(&statuses));
            if !deadline.is_empty() {
                v["deadline"] = json!(date_time(&deadline, &deadline));
            }
            v
        })
        .collect();
    let mut doc = json!({
        "uuid": stable_uuid(&format!("{base}/{}", plan.generated_at)),
        "metadata": metadata(
            &format!("Treatment plan (POA&M): {} {}", plan.site_code, plan.site_name),
            &plan.generated_at,
            &plan.generated_at,
            &plan.generated_by,
        ),
        "poam-items": items,
    });
    if !risks.is_empty() {
        doc["risks"] = json!(risks);
    }
    Some(json!({"plan-of-action-and-milestones": doc}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_ids_are_oscal_tokens() {
        assert_eq!(control_id("SR 1.1"), "sr-1.1");
        assert_eq!(control_id("SR 1.1 RE 2"), "sr-1.1-re-2");
    }

    #[test]
    fn uuids_are_stable_and_well_formed() {
        let a = stable_uuid("x");
        assert_eq!(a, stable_uuid("x"));
        assert_ne!(a, stable_uuid("y"));
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('5'));
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn risk_status_follows_the_actions() {
        assert_eq!(risk_status(&["done", "cancelled"]), "closed");
        assert_eq!(risk_status(&["done", "in_progress"]), "remediating");
        assert_eq!(risk_status(&["planned"]), "open");
    }
}
