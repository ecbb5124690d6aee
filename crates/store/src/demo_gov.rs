//! Governance records of a demo site: program roles held by the site's people, a RACI matrix,
//! required trainings with completion records, the program's document set (on the first site
//! the corporate documents, on every site its annexes, procedures and diagrams), suppliers with
//! a requirement set, capability declarations and a remote-support agreement, past incidents
//! with their timelines, FAT/SAT records and a self-assessment with findings.
//!
//! Written through the write path like every demo record, deterministic per site index and dated
//! from the load day. Document bodies are short texts of our own (never normative text).

use crate::{StoreError, WriteTx};
use jiff::Span;
use jiff::civil::Date;
use otkeep_core::KindDef;
use otkeep_core::demo::Rng;
use otkeep_core::doc_kinds::{DOCUMENT_KIND, DOCUMENT_VERSION_KIND, IT_REFERENCE_KIND};
use otkeep_core::gov_kinds::{
    RACI_KIND, ROLE_ASSIGNMENT_KIND, TRAINING_KIND, TRAINING_RECORD_KIND,
};
use otkeep_core::incident_kinds::{INCIDENT_ENTRY_KIND, INCIDENT_KIND};
use otkeep_core::risk_kinds::TREATMENT_KIND;
use otkeep_core::supplier_kinds::{
    CAPABILITY_DECLARATION_KIND, CLAUSE_KIND, REQUIREMENT_SET_KIND, SUPPLIER_KIND,
    SUPPORT_AGREEMENT_KIND,
};
use otkeep_core::validation_kinds::{
    PERIODIC_REVIEW_KIND, REVIEW_FINDING_KIND, SECURITY_CHECKS, VALIDATION_TEST_KIND,
};
use serde_json::{Value as Json, json};
use std::collections::HashMap;

const GOV_STREAM: u64 = 0x0e7a_7105_0ae5_0002;

/// The corporate documents of the demo program: (key, title, category, requirements, body).
const CORPORATE: &[(&str, &str, &str, &str, &str)] = &[
    (
        "OT-POL-001",
        "OT cybersecurity policy",
        "policy",
        "SR 1.1, SR 2.1",
        "# Purpose\n\nThis policy sets the rules for protecting our plants' control systems. It applies to every site, every person and every supplier who works on them.\n\n# Rules\n\n- Every control system belongs to a zone with a target security level.\n- Access is personal, justified and reviewed.\n- Changes to control systems go through change management.\n- Incidents are reported to the site OT lead at once.\n",
    ),
    (
        "OT-MSD-001",
        "OT security management system description",
        "management_system",
        "",
        "# How the program works\n\nRoles, the RACI matrix, the document set, the yearly self-assessment and the management review. Records are kept in otkeep.\n",
    ),
    (
        "OT-PRO-001",
        "Accounts and access management",
        "procedure",
        "SR 1.1, SR 1.3, SR 1.4, SR 1.5, SR 1.7, SR 2.1",
        "# Steps\n\n1. Request access with a justification.\n2. The system owner approves.\n3. Accounts are personal; shared accounts need an exception.\n4. Access is reviewed every 180 days and removed within 24 hours when no longer needed.\n",
    ),
    (
        "OT-PRO-002",
        "Remote access",
        "procedure",
        "SR 1.13, SR 2.6",
        "# Steps\n\n1. The supplier requests a session for a window and named assets.\n2. A site engineer approves by e-signature.\n3. Access is opened through the jump host for the window only and recorded.\n4. The session is closed and the access removed.\n",
    ),
    (
        "OT-PRO-003",
        "Patch and update management",
        "procedure",
        "SR 3.2, SR 3.4",
        "# Steps\n\nEvaluate vendor patches within 14 days, test them, deploy critical ones within 30 days and high ones within 90, or defer them under an exception with compensating controls.\n",
    ),
    (
        "OT-PRO-004",
        "Backup and restore",
        "procedure",
        "SR 7.3, SR 7.4",
        "# Steps\n\nBack up every critical system on its plan; test a restore at least once a year per plan and record the result.\n",
    ),
    (
        "OT-PRO-005",
        "Security logging and monitoring",
        "procedure",
        "SR 2.8, SR 2.9, SR 2.11, SR 6.1, SR 6.2",
        "# Steps\n\nCollect security events of every zone boundary and server; review them on each source's interval; escalate findings as incidents.\n",
    ),
    (
        "OT-PRO-006",
        "Network segmentation and conduit management",
        "procedure",
        "SR 5.1, SR 5.2, SR 7.6",
        "# Steps\n\nEvery connection between zones is a documented conduit; firewall rules follow the conduit's channels; rule changes are changes.\n",
    ),
    (
        "OT-PRO-007",
        "Portable media and mobile devices",
        "procedure",
        "SR 2.3, SR 2.4",
        "# Steps\n\nOnly scanned media at the media kiosk; no personal devices in control rooms.\n",
    ),
    (
        "OT-PLN-001",
        "OT incident response plan",
        "plan",
        "SR 6.2, SR 7.4",
        "# Phases\n\nDetect, contain, eradicate, recover, learn. The site OT lead leads; the corporate OT security lead is informed of every high or critical incident.\n",
    ),
    (
        "OT-PB-001",
        "Playbook: malware on an HMI or engineering station",
        "playbook",
        "SR 3.2",
        "# Steps\n\n1. Isolate the station from the network; keep it powered.\n2. Run the process from another HMI.\n3. Collect evidence, reimage from the last good backup.\n",
    ),
    (
        "OT-PB-002",
        "Playbook: unauthorized remote access",
        "playbook",
        "SR 1.13",
        "# Steps\n\n1. Block the remote path at the site firewall.\n2. Revoke the account.\n3. Check the systems reached for changes.\n",
    ),
    (
        "OT-SPC-001",
        "Security requirements for integrators",
        "specification",
        "SR 1.1, SR 1.5, SR 2.8, SR 7.7",
        "# Requirements\n\nNo default passwords; named accounts handed over; logging enabled; unused services disabled; FAT and SAT include the security checks.\n",
    ),
    (
        "OT-TPL-001",
        "FAT/SAT security test template",
        "template",
        "SR 3.3",
        "# Checks\n\nAccounts, logging, patch level, remote access disabled by default, alignment with the zone design.\n",
    ),
];

/// Program roles and who on the site holds them: (role, index into the site's people).
const ROLES: &[(&str, usize)] = &[
    ("security", 0),
    ("engineering", 1),
    ("engineering", 2),
    ("operations", 3),
    ("operations", 4),
    ("operations", 5),
    ("maintenance", 6),
    ("it", 7),
    ("quality", 8),
    ("system_owner", 9),
    ("administrator", 1),
];

/// The RACI matrix of every demo site: (activity, role, responsibility).
const RACI: &[(&str, &str, &str)] = &[
    ("risk_assessment", "security", "accountable"),
    ("risk_assessment", "engineering", "responsible"),
    ("change_approval", "system_owner", "accountable"),
    ("change_approval", "engineering", "responsible"),
    ("change_approval", "quality", "consulted"),
    ("exception_approval", "security", "accountable"),
    ("patch_deployment", "engineering", "responsible"),
    ("patch_deployment", "system_owner", "accountable"),
    ("backup_restore_test", "maintenance", "responsible"),
    ("backup_restore_test", "system_owner", "accountable"),
    ("access_review", "system_owner", "accountable"),
    ("access_review", "administrator", "responsible"),
    ("remote_access_approval", "engineering", "accountable"),
    ("log_review", "security", "responsible"),
    ("advisory_triage", "security", "responsible"),
    ("incident_response", "security", "accountable"),
    ("incident_response", "operations", "responsible"),
    ("incident_response", "it", "consulted"),
    ("training", "quality", "responsible"),
    ("document_review", "security", "accountable"),
    ("document_review", "quality", "consulted"),
];

/// Required trainings: (name, role, refresh days).
const TRAININGS: &[(&str, &str, Option<i64>)] = &[
    ("OT security awareness", "operations", Some(365)),
    ("OT security awareness", "maintenance", Some(365)),
    ("Secure engineering practices", "engineering", Some(730)),
    ("Incident response drill", "security", Some(365)),
    ("Account administration", "administrator", None),
    ("System owner duties", "system_owner", None),
];

/// How many records of each area [`demo_governance`] created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct GovCounts {
    pub records: usize,
    pub documents: usize,
}

struct Gen<'t, 's> {
    tx: &'t mut WriteTx<'s>,
    site: i64,
    today: Date,
    rng: Rng,
    counts: GovCounts,
}

impl Gen<'_, '_> {
    async fn create(&mut self, kind: &'static KindDef, v: Json) -> Result<i64, StoreError> {
        let values = crate::demo_ops::demo_values(kind, v, self.site)?;
        let id = self.tx.create(kind, values).await?.id;
        self.counts.records += 1;
        if kind.name == "document" {
            self.counts.documents += 1;
        }
        Ok(id)
    }

    fn day(&self, offset: i64) -> String {
        self.today
            .checked_add(Span::new().days(offset))
            .unwrap_or(self.today)
            .to_string()
    }

    /// A day between `lo` and `hi` days from today.
    fn random_day(&mut self, lo: i64, hi: i64) -> String {
        let offset = self.rng.between(lo, hi);
        self.day(offset)
    }

    fn at(&self, offset_days: i64, hour: i8) -> String {
        format!("{}T{hour:02}:00", self.day(offset_days))
    }

    /// A document with one effective version (approved history) and, for some, a draft of
    /// the next one.
    #[allow(clippy::too_many_arguments)]
    async fn document(
        &mut self,
        key: &str,
        title: &str,
        category: &str,
        scope: &str,
        template: Option<i64>,
        owner: &str,
        requirements: &str,
        body: &str,
        extra: Json,
    ) -> Result<i64, StoreError> {
        let effective = -self.rng.between(60, 700);
        let mut v = json!({"key": key, "title": title, "category": category,
            "domain": "ot_security", "scope": scope, "template_id": template, "owner": owner,
            "requirements": requirements, "review_interval_days": 365,
            "tags": "demo"});
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        let id = self.create(&DOCUMENT_KIND, v).await?;
        self.create(
            &DOCUMENT_VERSION_KIND,
            json!({"document_id": id, "number": "1.0", "status": "effective", "author": owner,
                   "change_summary": "First issue", "body": body,
                   "effective_on": self.day(effective)}),
        )
        .await?;
        if self.rng.percent(20) {
            self.create(
                &DOCUMENT_VERSION_KIND,
                json!({"document_id": id, "number": "1.1", "status": "draft", "author": owner,
                       "change_summary": "Yearly review: clarifications", "body": body}),
            )
            .await?;
        }
        Ok(id)
    }
}

/// The people a demo site needs for its roles (ten, as `demo_ops` draws them).
pub(crate) const PEOPLE_NEEDED: usize = 10;

/// Creates the governance records of demo site `site_id` (number `site_index`). `corporate`
/// holds the corporate documents by key: empty for the first site, which creates them.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn demo_governance(
    tx: &mut WriteTx<'_>,
    site_index: usize,
    site_id: i64,
    code: &str,
    zones: &[i64],
    assets: &[crate::demo_ops::OpsAsset],
    people: &[String],
    corporate: &mut HashMap<String, i64>,
    today: Date,
) -> Result<GovCounts, StoreError> {
    let mut g = Gen {
        tx,
        site: site_id,
        today,
        rng: Rng::seeded(GOV_STREAM, site_index as u64),
        counts: GovCounts::default(),
    };
    let person = |i: usize| {
        people
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("Person {i}"))
    };
    let lead = person(0);

    // Roles, RACI, trainings.
    for (role, i) in ROLES {
        let since = g.random_day(-2000, -200);
        g.create(
            &ROLE_ASSIGNMENT_KIND,
            json!({"person": person(*i), "role": role, "since": since}),
        )
        .await?;
    }
    for (activity, role, r) in RACI {
        g.create(
            &RACI_KIND,
            json!({"activity": activity, "role": role, "responsibility": r}),
        )
        .await?;
    }
    for (name, role, refresh) in TRAININGS {
        let training = g
            .create(
                &TRAINING_KIND,
                json!({"name": name, "role": role, "refresh_days": refresh, "owner": person(8),
                       "content": "Our own course material."}),
            )
            .await?;
        for (_, i) in ROLES.iter().filter(|(r, _)| r == role) {
            // Most are current, some overdue, a few never trained.
            let roll = g.rng.between(0, 99);
            if roll < 8 {
                continue;
            }
            let ago = if roll < 20 {
                400
            } else {
                g.rng.between(10, 300)
            };
            g.create(
                &TRAINING_RECORD_KIND,
                json!({"training_id": training, "person": person(*i), "completed_on": g.day(-ago),
                       "trainer": person(8), "evidence": "attendance list"}),
            )
            .await?;
        }
    }

    // Documents: the corporate set on the first site, annexes and site documents everywhere.
    if corporate.is_empty() {
        for (key, title, category, reqs, body) in CORPORATE {
            let id = g
                .document(
                    key,
                    title,
                    category,
                    "corporate",
                    None,
                    &lead,
                    reqs,
                    body,
                    json!({}),
                )
                .await?;
            corporate.insert((*key).to_string(), id);
        }
        if let Some(policy) = corporate.get("OT-PRO-001").copied() {
            g.create(
                &IT_REFERENCE_KIND,
                json!({"document_id": policy, "reference": "IT-SEC-004 Password and account policy",
                       "clause": "4.2", "deviation": "Operator accounts on HMIs may be shared per shift, with an exception and a shift log.",
                       "reason": "Operators must take over a running HMI without logging off the process view."}),
            )
            .await?;
            g.create(
                &IT_REFERENCE_KIND,
                json!({"document_id": policy, "reference": "IT-SEC-011 Patch management standard",
                       "deviation": "Control systems are patched after vendor qualification and testing, not within the IT window.",
                       "reason": "Unqualified patches can stop production."}),
            )
            .await?;
        }
    }
    for key in ["OT-POL-001", "OT-PRO-002"] {
        if let Some(template) = corporate.get(key).copied() {
            g.document(
                &format!("{key}-{code}"),
                &format!("Site annex {code}: {key}"),
                if key.contains("POL") {
                    "policy"
                } else {
                    "procedure"
                },
                "site",
                Some(template),
                &person(1),
                "",
                &format!("# Site specifics for {code}\n\nContacts, the site's jump host and the site's own exceptions.\n"),
                json!({}),
            )
            .await?;
        }
    }
    g.document(
        &format!("{code}-WI-001"),
        "Work instruction: restore an HMI from backup",
        "work_instruction",
        "site",
        None,
        &person(6),
        "SR 7.4",
        "1. Take the spare PC.\n2. Restore the last good image.\n3. Verify the process view.\n",
        json!({}),
    )
    .await?;
    g.document(
        &format!("{code}-DRW-001"),
        "Logical network diagram",
        "diagram_logical",
        "site",
        None,
        &person(1),
        "SR 5.1, SR 7.8",
        "Zones and conduits of the site as in otkeep's model (the SVG is generated from it).",
        json!({"zones": zones}),
    )
    .await?;

    // Suppliers: one per distinct vendor (at most four), their declarations, an agreement.
    let set = g
        .create(
            &REQUIREMENT_SET_KIND,
            json!({"name": "Security requirements for integrators", "audience": "integrators",
                   "document_id": corporate.get("OT-SPC-001"), "owner": lead}),
        )
        .await?;
    for (n, text, reqs) in [
        (
            "1",
            "No default passwords; hand over every account.",
            "SR 1.1, SR 1.5",
        ),
        ("2", "Security logging enabled and documented.", "SR 2.8"),
        ("3", "Unused services and ports disabled.", "SR 7.7"),
        (
            "4",
            "Remote access only through the site's jump host.",
            "SR 1.13",
        ),
    ] {
        g.create(
            &CLAUSE_KIND,
            json!({"set_id": set, "number": n, "text": text, "requirements": reqs}),
        )
        .await?;
    }
    let mut vendors: Vec<(&str, &str)> = Vec::new();
    for a in assets {
        if !a.vendor.is_empty()
            && !a.model.is_empty()
            && !vendors.iter().any(|(v, _)| *v == a.vendor)
        {
            vendors.push((&a.vendor, &a.model));
        }
        if vendors.len() == 4 {
            break;
        }
    }
    let mut first_supplier = None;
    for (vendor, model) in &vendors {
        let assessed = g.random_day(-500, -30);
        let supplier = g
            .create(
                &SUPPLIER_KIND,
                json!({"name": vendor, "supplier_type": "vendor", "status": "approved",
                       "requirement_set_id": set, "assessed_on": assessed,
                       "owner": lead, "contact": "PSIRT of the vendor",
                       "products": model}),
            )
            .await?;
        first_supplier.get_or_insert(supplier);
        let levels: Vec<i64> = (0..7).map(|_| g.rng.between(1, 3)).collect();
        let valid_until = g.random_day(-20, 900);
        g.create(
            &CAPABILITY_DECLARATION_KIND,
            json!({"supplier_id": supplier, "vendor": vendor, "model": model,
                   "sl_c": levels, "component_requirements": "CR 1.1, CR 1.2, CR 2.1, CR 3.1",
                   "certification": "vendor statement", "valid_until": valid_until}),
        )
        .await?;
    }
    let integrator = g
        .create(
            &SUPPLIER_KIND,
            json!({"name": format!("{code} Automation Services"), "supplier_type": "integrator",
                   "status": "conditional", "requirement_set_id": set, "owner": lead,
                   "notes": "Conditional: FAT logging evidence outstanding."}),
        )
        .await?;
    if let Some(s) = first_supplier {
        let remote_assets: Vec<i64> = assets.iter().take(3).map(|a| a.id).collect();
        let expires = g.random_day(10, 400);
        g.create(
            &SUPPORT_AGREEMENT_KIND,
            json!({"name": "Vendor remote support", "supplier_id": s, "assets": remote_assets,
                   "access_windows": "Weekdays 07:00-18:00 site time, on request",
                   "minimum_controls": "Named accounts, MFA, through the jump host, session recording",
                   "logging_duties": "Session report within 24 hours",
                   "valid_from": g.day(-600), "expires_on": expires, "owner": lead}),
        )
        .await?;
    }

    // Incidents: one closed, one recovered awaiting its lessons learned on some sites.
    let playbook = corporate.get("OT-PB-001").copied();
    let zone = zones.first().copied();
    let hmi: Vec<i64> = assets
        .iter()
        .filter(|a| a.asset_type == "hmi")
        .take(1)
        .map(|a| a.id)
        .collect();
    let closed_ago = g.rng.between(100, 600);
    let incident = g
        .create(
            &INCIDENT_KIND,
            json!({"name": "Malware found on an HMI", "detected_at": g.at(-closed_ago, 7),
                   "reported_by": person(3), "zone_id": zone, "assets": hmi,
                   "category": "malware", "severity": "high", "safety_impact": "none",
                   "quality_impact": "none", "production_impact": "minor", "status": "closed",
                   "owner": lead, "description": "The antivirus of the HMI reported a worm on a USB stick.",
                   "contained_at": g.at(-closed_ago, 9), "recovered_at": g.at(-closed_ago + 1, 15),
                   "closed_at": g.at(-closed_ago + 20, 10),
                   "actions_taken": "HMI isolated, reimaged from backup, other HMIs scanned.",
                   "root_cause": "Contractor USB stick not scanned at the kiosk.",
                   "lessons_learned": "USB storage blocked on HMIs; kiosk use checked at the gate.",
                   "playbook_id": playbook}),
        )
        .await?;
    for (offset, hour, t, text) in [
        (0, 7, "observation", "Antivirus alert on the HMI"),
        (0, 8, "action", "HMI disconnected from the network"),
        (0, 9, "communication", "Shift lead and OT lead informed"),
        (1, 15, "action", "HMI reimaged from the last good backup"),
    ] {
        g.create(
            &INCIDENT_ENTRY_KIND,
            json!({"incident_id": incident, "at": g.at(-closed_ago + offset, hour),
                   "entry_type": t, "author": lead, "entry": text}),
        )
        .await?;
    }
    if g.rng.percent(30) {
        g.create(
            &INCIDENT_KIND,
            json!({"name": "Unknown device on the control network", "detected_at": g.at(-45, 13),
                   "reported_by": person(7), "zone_id": zone, "category": "unauthorized_access",
                   "severity": "medium", "safety_impact": "none", "quality_impact": "none",
                   "production_impact": "none", "status": "recovered", "owner": lead,
                   "description": "A laptop appeared on the control network.",
                   "contained_at": g.at(-45, 14), "recovered_at": g.at(-44, 10),
                   "actions_taken": "Switch port disabled; owner found (service technician).",
                   "playbook_id": corporate.get("OT-PB-002")}),
        )
        .await?;
    }

    // A SAT and the yearly self-assessment with a finding and its treatment action.
    let executed_on = g.random_day(-900, -200);
    let mut sat = json!({"name": "SAT line 1 control system", "test_type": "sat",
        "zone_id": zone, "supplier_id": integrator, "status": "executed",
        "result": "passed_with_findings",
        "findings": "Remote access of the integrator was still enabled; disabled during the SAT.",
        "evidence": "SAT protocol signed by both parties", "executed_by": "Integrator engineer",
        "witness": person(1), "executed_on": executed_on});
    for (f, _) in SECURITY_CHECKS {
        sat[*f] = json!("pass");
    }
    sat["check_remote_access"] = json!("fail");
    g.create(&VALIDATION_TEST_KIND, sat).await?;
    let held = -g.rng.between(20, 300);
    let review = g
        .create(
            &PERIODIC_REVIEW_KIND,
            json!({"name": "Yearly self-assessment", "review_type": "self_assessment",
                   "scope": "The OT security program of the site", "reviewer": person(8),
                   "status": "completed", "reviewed_on": g.day(held), "next_review": g.day(held + 365),
                   "summary": "Program in place; access reviews lag behind."}),
        )
        .await?;
    let action = g
        .create(
            &TREATMENT_KIND,
            json!({"name": "Catch up on access reviews", "owner": person(9),
                   "due_date": g.day(held + 90), "status": "in_progress",
                   "requirements": "SR 1.3"}),
        )
        .await?;
    g.create(
        &REVIEW_FINDING_KIND,
        json!({"review_id": review, "finding": "Access reviews overdue on two systems",
               "severity": "minor", "requirements": "SR 1.3", "treatment_id": action,
               "status": "open", "owner": person(9)}),
    )
    .await?;
    g.create(
        &REVIEW_FINDING_KIND,
        json!({"review_id": review, "finding": "Training records kept on paper only",
               "severity": "observation", "status": "closed", "owner": person(8)}),
    )
    .await?;
    Ok(g.counts)
}
