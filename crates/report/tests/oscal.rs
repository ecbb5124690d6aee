//! The OSCAL exports validate against NIST's OSCAL 1.0.6 JSON schemas (`../shared/data/oscal`).

use otkeep_report::oscal::{
    AssessedRequirement, PlanItem, PlanRisk, TreatmentPlan, ZoneAssessment, assessment_results,
    poam,
};
use serde_json::Value;

fn schema(name: &str) -> jsonschema::Validator {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/oscal")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
    jsonschema::validator_for(&schema).expect("a valid schema")
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}\n{doc:#}", errors.join("\n"));
}

fn requirement(id: &str, status: &str, met: bool) -> AssessedRequirement {
    AssessedRequirement {
        id: id.into(),
        fr: 1,
        level: 1,
        title: "Identify and authenticate human users".into(),
        status: status.into(),
        met,
        record_id: Some(3),
        notes: "Checked on the HMIs".into(),
        last_assessed: "2026-10-01".into(),
        evidence_url: "/evidence/ab12".into(),
        evidence_sha256: "ab".repeat(32),
        owner: "OT lead".into(),
        target_date: if met {
            String::new()
        } else {
            "2027-03-31".into()
        },
        ..AssessedRequirement::default()
    }
}

#[test]
fn assessment_results_validate_against_the_schema() {
    let z = ZoneAssessment {
        organization: "Demo".into(),
        site_code: "FRA1".into(),
        site_name: "Frankfurt".into(),
        zone_id: 7,
        zone_name: "Filling control".into(),
        zone_version: 3,
        sl_t: [2; 7],
        sl_a: [1, 2, 2, 2, 2, 2, 2],
        requirements: vec![
            requirement("SR 1.1", "implemented", true),
            requirement("SR 1.1 RE 1", "planned", false),
            requirement("SR 1.2", "not_assessed", false),
        ],
        generated_at: "2026-11-28T10:00:00Z".into(),
        generated_by: "lead".into(),
    };
    let doc = assessment_results(&z);
    assert_valid(&schema("oscal_assessment-results_schema.json"), &doc);
    let result = &doc["assessment-results"]["results"][0];
    assert_eq!(result["findings"].as_array().unwrap().len(), 3);
    assert_eq!(result["observations"].as_array().unwrap().len(), 2);
    assert_eq!(result["findings"][1]["target"]["target-id"], "sr-1.1-re-1");
    assert_eq!(
        result["findings"][1]["target"]["status"]["state"],
        "not-satisfied"
    );
    // Exporting again gives the same finding UUIDs.
    let again = assessment_results(&z);
    assert_eq!(
        again["assessment-results"]["results"][0]["findings"][0]["uuid"],
        result["findings"][0]["uuid"]
    );
    // A zone without requirements in force (SL-T 0) still gives a valid document.
    let empty = ZoneAssessment {
        requirements: Vec::new(),
        ..z
    };
    assert_valid(
        &schema("oscal_assessment-results_schema.json"),
        &assessment_results(&empty),
    );
}

#[test]
fn the_treatment_plan_validates_as_a_poam() {
    let risk = PlanRisk {
        id: 4,
        title: "Ransomware via remote access".into(),
        description: String::new(),
    };
    let plan = TreatmentPlan {
        site_code: "FRA1".into(),
        site_name: "Frankfurt".into(),
        items: vec![
            PlanItem {
                id: 1,
                title: "MFA on the gateway".into(),
                status: "in_progress".into(),
                owner: "OT lead".into(),
                due_date: "2027-01-31".into(),
                requirements: vec!["SR 1.13".into()],
                risks: vec![risk.clone()],
                ..PlanItem::default()
            },
            PlanItem {
                id: 2,
                title: "Jump host".into(),
                status: "done".into(),
                risks: vec![risk],
                ..PlanItem::default()
            },
        ],
        generated_at: "2026-11-28T10:00:00Z".into(),
        generated_by: "lead".into(),
    };
    let doc = poam(&plan).expect("a plan with actions");
    assert_valid(&schema("oscal_poam_schema.json"), &doc);
    let p = &doc["plan-of-action-and-milestones"];
    assert_eq!(p["poam-items"].as_array().unwrap().len(), 2);
    assert_eq!(p["risks"].as_array().unwrap().len(), 1);
    assert_eq!(p["risks"][0]["status"], "remediating");
    // OSCAL has no empty POA&M: a plan without actions is not exported.
    assert!(
        poam(&TreatmentPlan {
            items: Vec::new(),
            ..plan
        })
        .is_none()
    );
}

#[test]
fn the_schema_check_catches_a_broken_document() {
    let mut doc = assessment_results(&ZoneAssessment {
        zone_name: "Z".into(),
        generated_at: "2026-11-28T10:00:00Z".into(),
        requirements: vec![requirement("SR 1.1", "implemented", true)],
        ..ZoneAssessment::default()
    });
    doc["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] =
        serde_json::json!("fine");
    let validator = schema("oscal_assessment-results_schema.json");
    assert!(!validator.is_valid(&doc));
    doc["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] =
        serde_json::json!("satisfied");
    assert_valid(&validator, &doc);
    doc["assessment-results"]
        .as_object_mut()
        .unwrap()
        .remove("import-ap");
    assert!(!validator.is_valid(&doc));
}
