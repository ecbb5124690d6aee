//! Loads the demo organization (`otkeep_core::demo`) through the ordinary write path, so the
//! demo records carry the same validation and audit trail as real ones. Each site also gets
//! about three years of generated operations records (`demo_ops`).

use crate::demo_ops::{OpsAsset, demo_operations};
use crate::{Store, StoreError};
use otkeep_core::Value;
use otkeep_core::demo::demo_site;
use otkeep_core::kinds::{ASSET_KIND, CONDUIT_KIND, SITE_KIND, ZONE_KIND};

/// What a demo load did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoLoad {
    pub sites_created: usize,
    pub sites_skipped: usize,
    pub assets_created: usize,
    /// Operations records (patches, accounts, sessions, backups, log reviews …) created.
    pub ops_records: usize,
    /// Governance records (roles, RACI, trainings, documents, suppliers, incidents, tests,
    /// reviews) created, of which documents.
    pub governance_records: usize,
    pub documents: usize,
}

impl Store {
    /// Creates demo sites `0..sites`, each with `assets_per_site` assets, one transaction per
    /// site. Sites whose code already exists are skipped, so a load can be resumed or extended.
    /// Each site gets its zones, conduits, assets, a risk assessment and about three years of
    /// operations records dated back from today. `progress` is called with the number of
    /// assets written so far.
    pub async fn load_demo(
        &self,
        sites: usize,
        assets_per_site: usize,
        actor: &str,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<DemoLoad, StoreError> {
        let mut done = DemoLoad::default();
        let today = jiff::Zoned::now().date();
        // The corporate documents, created with the first site and referred to by the others'.
        let mut corporate = self.corporate_documents().await?;
        for index in 0..sites {
            let site = demo_site(index, assets_per_site);
            let code = site
                .values
                .get("code")
                .map(Value::to_text)
                .unwrap_or_default();
            if self
                .find_id(&SITE_KIND, "code", &code, None)
                .await?
                .is_some()
            {
                done.sites_skipped += 1;
                continue;
            }
            let mut tx = self.begin_write(actor, Some("demo organization")).await?;
            let site_id = tx.create(&SITE_KIND, site.values).await?.id;
            let mut zone_ids = Vec::with_capacity(site.zones.len());
            for zone in site.zones {
                let mut values = zone.values;
                values.insert("site_id", Value::Int(site_id));
                zone_ids.push(tx.create(&ZONE_KIND, values).await?.id);
            }
            let zone_id = |i: usize| {
                zone_ids.get(i).copied().ok_or_else(|| {
                    StoreError::Corrupt(format!("demo refers to zone {i} of {}", zone_ids.len()))
                })
            };
            for conduit in site.conduits {
                let mut values = conduit.values;
                values.insert("site_id", Value::Int(site_id));
                values.insert("zone_a_id", Value::Int(zone_id(conduit.zone_a)?));
                values.insert("zone_b_id", Value::Int(zone_id(conduit.zone_b)?));
                tx.create(&CONDUIT_KIND, values).await?;
            }
            let mut legacy = None;
            let mut ops_assets = Vec::with_capacity(site.assets.len());
            for asset in site.assets {
                let mut values = asset.values;
                values.insert("site_id", Value::Int(site_id));
                values.insert("zone_id", Value::Int(zone_id(asset.zone)?));
                let is_legacy = values.get("legacy").is_some_and(Value::as_bool);
                let created = tx.create(&ASSET_KIND, values).await?;
                if is_legacy && legacy.is_none() {
                    legacy = Some((created.id, created.get("zone_id").as_int()));
                }
                ops_assets.push(OpsAsset {
                    id: created.id,
                    name: created.get("name").to_text(),
                    asset_type: created.get("asset_type").to_text(),
                    criticality: created.get("criticality").to_text(),
                    zone_id: created.get("zone_id").as_int(),
                    vendor: created.get("vendor").to_text(),
                    model: created.get("model").to_text(),
                });
                done.assets_created += 1;
                if done.assets_created % 500 == 0 {
                    progress(done.assets_created as u64);
                }
            }
            demo_risk(&mut tx, site_id, &code, &zone_ids, legacy).await?;
            let (ops, people) = demo_operations(
                &mut tx,
                index,
                site_id,
                &code,
                &zone_ids,
                &ops_assets,
                today,
            )
            .await?;
            done.ops_records += ops.total();
            let gov = crate::demo_gov::demo_governance(
                &mut tx,
                index,
                site_id,
                &code,
                &zone_ids,
                &ops_assets,
                &people,
                &mut corporate,
                today,
            )
            .await?;
            done.governance_records += gov.records;
            done.documents += gov.documents;
            tx.commit().await?;
            progress(done.assets_created as u64);
            done.sites_created += 1;
        }
        Ok(done)
    }
}

impl Store {
    /// The corporate documents by key (to link site annexes to on a resumed demo load).
    async fn corporate_documents(
        &self,
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        let mut q = crate::ListQuery::default();
        q.filters
            .insert("scope", otkeep_core::Value::Text("corporate".to_string()));
        Ok(self
            .list_all(&otkeep_core::doc_kinds::DOCUMENT_KIND, &q)
            .await?
            .into_iter()
            .map(|d| (d.get("key").to_text(), d.id))
            .collect())
    }
}

/// A risk assessment of the whole site with three risks, treatment actions (one overdue, one
/// due this month, one done) and an exception for a legacy component awaiting approval, dated
/// from the day of the load so that "what is due" has something to show.
async fn demo_risk(
    tx: &mut crate::WriteTx<'_>,
    site: i64,
    code: &str,
    zones: &[i64],
    legacy: Option<(i64, Option<i64>)>,
) -> Result<(), StoreError> {
    use otkeep_core::risk_kinds::{
        EXCEPTION_KIND, RISK_ASSESSMENT_KIND, RISK_KIND, TREATMENT_KIND,
    };
    use serde_json::json;
    let today = jiff::Zoned::now().date();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap_or(today)
            .to_string()
    };
    let mut create = async |kind: &'static otkeep_core::KindDef, v: serde_json::Value| {
        let values = otkeep_core::value::values_from_json(kind, &v).map_err(StoreError::Invalid)?;
        tx.create(kind, values).await
    };
    let ra = create(
        &RISK_ASSESSMENT_KIND,
        json!({"site_id": site, "name": format!("{code} initial risk assessment"), "zones": zones,
               "scope": "The whole site: production lines, site operations, industrial DMZ and remote access.",
               "initial_likelihood": 4, "initial_impacts": "safety=3, production=5, quality=4, financial=4",
               "owner": "OT security lead", "status": "complete",
               "assessed_on": day(-200), "review_date": day(165)}),
    )
    .await?;
    let risks = [
        (
            "Ransomware through vendor remote access",
            "criminal",
            "vendor remote access",
            "production=5, financial=4, quality=3",
            4,
            2,
            "mitigate",
        ),
        (
            "Malware from removable media on an engineering workstation",
            "untargeted_malware",
            "USB media",
            "production=4, quality=3",
            3,
            2,
            "mitigate",
        ),
        (
            "Wrong program download by an engineer",
            "insider_error",
            "engineering workstation",
            "safety=3, production=3",
            2,
            1,
            "accept",
        ),
    ];
    let mut ids = Vec::new();
    for (name, source, vector, impacts, l, rl, treatment) in risks {
        ids.push(
            create(
                &RISK_KIND,
                json!({"site_id": site, "name": name, "risk_assessment_id": ra.id, "threat_source": source,
                       "vector": vector, "impacts": impacts, "likelihood": l, "residual_likelihood": rl,
                       "residual_impacts": impacts, "treatment": treatment, "owner": "OT security lead"}),
            )
            .await?
            .id,
        );
    }
    for (name, risk, due, status) in [
        (
            "MFA and session recording on the remote access gateway",
            ids[0],
            day(-5),
            "in_progress",
        ),
        (
            "USB port lock-down on engineering workstations",
            ids[1],
            day(21),
            "planned",
        ),
        (
            "Vendor access only on request, time-limited",
            ids[0],
            day(-60),
            "done",
        ),
    ] {
        create(
            &TREATMENT_KIND,
            json!({"site_id": site, "name": name, "risks": [risk], "owner": "OT security lead",
                   "due_date": due, "status": status, "milestone": "Security roadmap 2027",
                   "expected_residual": "medium"}),
        )
        .await?;
    }
    if let Some((asset, zone)) = legacy {
        create(
            &EXCEPTION_KIND,
            json!({"site_id": site, "name": "Legacy component past end of support",
                   "assets": [asset], "zones": zone.into_iter().collect::<Vec<_>>(),
                   "requirements": "SR 1.1, SR 2.8, SR 3.2",
                   "constraints": "Vendor support ended; replacing it requires requalifying the line.",
                   "justification": "Replacement is planned with the next line retrofit.",
                   "compensating_controls": "No remote access; removable media blocked; conduit firewall allow-list only.",
                   "residual_risk": "medium", "requested_by": "OT security lead",
                   "expiry_date": day(365), "review_interval_days": 90}),
        )
        .await?;
    }
    Ok(())
}
