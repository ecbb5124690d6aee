//! Reading what the gap engine needs: the catalog as this installation knows it (built-in
//! levels, corrected by imported entries, plus imported text), and the assessment statuses of
//! many zones in one query. Writing catalog entries goes through [`WriteTx`], audited.

use crate::{Store, StoreError, WriteTx};
use otkeep_core::KindDef;
use otkeep_core::access::Scope;
use otkeep_core::catalog::{Catalog, IEC_62443_3_3};
use otkeep_core::gap::Status;
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;

/// One entry of a customer's catalog import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    pub requirement: String,
    /// The normative text from the customer's licensed copy.
    pub body: Option<String>,
    /// A corrected applicability level.
    pub level: Option<u8>,
}

/// Statuses per zone (or conduit): id → requirement → status.
pub type StatusMap = HashMap<i64, HashMap<String, Status>>;

/// Where a compensating countermeasure stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// Signed as approved for its current content, and not past its review date.
    Approved { by: String, at: String },
    /// Approved, but its review date has passed.
    PastReview { by: String },
    /// Signed as rejected for its current content.
    Rejected { by: String },
    /// Changed since it was approved: needs approval again.
    Stale,
    /// Never signed.
    Awaiting,
}

/// A countermeasure with its approval state and the requirements it names.
#[derive(Debug, Clone)]
pub struct Countermeasure {
    pub record: otkeep_core::Record,
    pub approval: Approval,
    pub requirements: Vec<String>,
}

impl Countermeasure {
    /// Whether it counts: approved for its content and not past review.
    pub fn valid(&self) -> bool {
        matches!(self.approval, Approval::Approved { .. })
    }

    /// The zones where it meets the requirements it covers.
    pub fn zones(&self) -> &[i64] {
        self.record.get("zones").ids()
    }

    /// The components whose capability shortfall it makes up for.
    pub fn assets(&self) -> &[i64] {
        self.record.get("assets").ids()
    }

    /// The foundational requirements (1–7) of the requirements it covers.
    pub fn frs(&self) -> Vec<u8> {
        let catalog = Catalog::iec62443_3_3();
        let mut frs: Vec<u8> = self
            .requirements
            .iter()
            .filter_map(|r| catalog.get(r).map(|r| r.fr))
            .collect();
        frs.sort_unstable();
        frs.dedup();
        frs
    }
}

impl Store {
    /// The 3-3 catalog with imported level corrections applied.
    pub async fn catalog(&self) -> Result<Catalog, StoreError> {
        let rows = sqlx::query(
            "SELECT requirement, level FROM catalog_entry WHERE standard = $1 AND level IS NOT NULL",
        )
        .bind(IEC_62443_3_3)
        .fetch_all(self.pool())
        .await?;
        let mut levels = HashMap::new();
        for r in &rows {
            let level: i64 = r.try_get(1)?;
            levels.insert(
                r.try_get::<String, _>(0)?,
                u8::try_from(level.clamp(1, 4)).unwrap_or(4),
            );
        }
        Ok(Catalog::iec62443_3_3().with_levels(&levels))
    }

    /// Imported normative text by requirement id.
    pub async fn catalog_texts(&self) -> Result<HashMap<String, String>, StoreError> {
        let rows = sqlx::query(
            "SELECT requirement, body FROM catalog_entry WHERE standard = $1 AND body IS NOT NULL",
        )
        .bind(IEC_62443_3_3)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// Assessment statuses of the zones (`conduits` false) or conduits of the sites in `scope`.
    pub async fn assessment_statuses(
        &self,
        scope: &Scope,
        conduits: bool,
    ) -> Result<StatusMap, StoreError> {
        let column = if conduits { "conduit_id" } else { "zone_id" };
        let filter = crate::read::site_filter(scope, "site_id");
        let sql = format!(
            "SELECT {column}, requirement, status FROM requirement_assessment WHERE {column} IS NOT NULL{filter}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?;
        let mut out: StatusMap = HashMap::new();
        for r in &rows {
            let status: String = r.try_get(2)?;
            out.entry(r.try_get(0)?).or_default().insert(
                r.try_get(1)?,
                Status::from_key(&status).unwrap_or(Status::NotAssessed),
            );
        }
        Ok(out)
    }
}

/// One requirement in force of a zone or conduit, as assessed and as it counts.
#[derive(Debug, Clone)]
pub struct AssessmentRow {
    pub target_kind: &'static KindDef,
    pub target_id: i64,
    pub target_title: String,
    pub requirement: otkeep_core::catalog::Requirement,
    /// As assessed (not assessed when no record exists).
    pub status: Status,
    /// What counts after countermeasures (`gap::effective_status`): met when implemented, not
    /// applicable, or compensated by a valid countermeasure.
    pub counts_as: Status,
    pub assessment_id: Option<i64>,
    pub target_date: String,
    pub owner: String,
    pub notes: String,
    pub reason: String,
    pub last_assessed: String,
    pub evidence_url: String,
    pub evidence_sha256: String,
}

/// Requirements met by valid compensating countermeasures, per zone.
pub type Coverage = HashMap<i64, std::collections::HashSet<String>>;

/// The columns of the assessment sheet (export and import).
pub const SHEET_HEADERS: &[&str] = &[
    "Kind",
    "Zone or conduit",
    "Requirement",
    "FR",
    "Level",
    "Title",
    "Status",
    "Counts as",
    "Target date",
    "Owner",
    "Notes",
    "Reason",
    "Last assessed",
    "Evidence",
    "Evidence SHA-256",
];

impl Store {
    /// The countermeasures of `scope` and the requirements their valid ones cover, per zone.
    pub async fn coverage(
        &self,
        scope: &Scope,
        today: &str,
    ) -> Result<(Vec<Countermeasure>, Coverage), StoreError> {
        let all = self.countermeasures(scope, today).await?;
        let mut cover: Coverage = HashMap::new();
        for c in all.iter().filter(|c| c.valid()) {
            for zone in c.zones() {
                cover
                    .entry(*zone)
                    .or_default()
                    .extend(c.requirements.iter().cloned());
            }
        }
        Ok((all, cover))
    }

    /// The assessment sheet of a site: one row per requirement in force of every zone and
    /// conduit (columns [`SHEET_HEADERS`]), assessed or not, with what counts after
    /// countermeasures. Fill it in and import it back (`otkeep_ingest::assessment_sheet`).
    pub async fn assessment_sheet(
        &self,
        site: i64,
        today: &str,
    ) -> Result<Vec<Vec<String>>, StoreError> {
        Ok(self
            .assessment_rows(site, today)
            .await?
            .into_iter()
            .map(|r| {
                vec![
                    r.target_kind.label.to_string(),
                    r.target_title,
                    r.requirement.id,
                    format!("FR{}", r.requirement.fr),
                    r.requirement.level.to_string(),
                    r.requirement.title,
                    r.status.key().to_string(),
                    if r.counts_as.is_met() { "met" } else { "open" }.to_string(),
                    r.target_date,
                    r.owner,
                    r.notes,
                    r.reason,
                    r.last_assessed,
                    r.evidence_url,
                    r.evidence_sha256,
                ]
            })
            .collect())
    }

    /// Every requirement in force of every zone and conduit of a site, assessed or not, with
    /// what counts after countermeasures: the assessment sheet and the OSCAL export read it.
    pub async fn assessment_rows(
        &self,
        site: i64,
        today: &str,
    ) -> Result<Vec<AssessmentRow>, StoreError> {
        use otkeep_core::catalog::Target;
        use otkeep_core::gap::effective_status;
        use otkeep_core::kinds::{ASSESSMENT_KIND, CONDUIT_KIND, ZONE_KIND};
        let scope = Scope::Limited {
            sites: vec![site],
            records: Vec::new(),
        };
        let q = crate::ListQuery {
            scope: scope.clone(),
            ..crate::ListQuery::default()
        };
        let catalog = self.catalog().await?;
        let (_, cover) = self.coverage(&scope, today).await?;
        let assessments = self.list_all(&ASSESSMENT_KIND, &q).await?;
        let mut by_target: HashMap<(&str, i64), HashMap<String, &otkeep_core::Record>> =
            HashMap::new();
        for a in &assessments {
            let key = match (a.get("zone_id").as_int(), a.get("conduit_id").as_int()) {
                (Some(z), _) => ("zone", z),
                (None, Some(c)) => ("conduit", c),
                _ => continue,
            };
            by_target
                .entry(key)
                .or_default()
                .insert(a.get("requirement").to_text(), a);
        }
        let mut rows = Vec::new();
        for (kind, target) in [(&ZONE_KIND, Target::Zone), (&CONDUIT_KIND, Target::Conduit)] {
            for z in self.list_all(kind, &q).await? {
                let sl_t = match z.get("sl_t") {
                    otkeep_core::Value::Sl(v) => *v,
                    _ => otkeep_core::SlVector::uniform(0),
                };
                let own = by_target.get(&(kind.name, z.id));
                for r in catalog.in_force(&sl_t, target) {
                    let a = own.and_then(|m| m.get(&r.id));
                    let text = |name: &str| a.map(|a| a.get(name).to_text()).unwrap_or_default();
                    let status = Status::from_key(&text("status")).unwrap_or(Status::NotAssessed);
                    let covered =
                        kind.name == "zone" && cover.get(&z.id).is_some_and(|c| c.contains(&r.id));
                    rows.push(AssessmentRow {
                        target_kind: kind,
                        target_id: z.id,
                        target_title: z.title(),
                        requirement: r.clone(),
                        status,
                        counts_as: effective_status(status, covered),
                        assessment_id: a.map(|a| a.id),
                        target_date: text("target_date"),
                        owner: text("owner"),
                        notes: text("notes"),
                        reason: text("reason"),
                        last_assessed: text("last_assessed"),
                        evidence_url: text("evidence_url"),
                        evidence_sha256: text("evidence_sha256"),
                    });
                }
            }
        }
        Ok(rows)
    }

    /// The compensating countermeasures of the sites in `scope`, with their approval state
    /// (from e-signatures with meaning "approved" or "rejected" that match the current
    /// content; the latest decides) as of `today` (`YYYY-MM-DD`).
    pub async fn countermeasures(
        &self,
        scope: &Scope,
        today: &str,
    ) -> Result<Vec<Countermeasure>, StoreError> {
        use otkeep_core::kinds::{COUNTERMEASURE_KIND, covered_requirements};
        let records = self
            .list_all(
                &COUNTERMEASURE_KIND,
                &crate::ListQuery {
                    scope: scope.clone(),
                    ..crate::ListQuery::default()
                },
            )
            .await?;
        let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
        let mut all_signatures = self.signatures_of("countermeasure", &ids).await?;
        let mut out = Vec::with_capacity(records.len());
        for record in records {
            let signatures = all_signatures.remove(&record.id).unwrap_or_default();
            let hash = crate::identity::content_hash(&record);
            let decision = signatures.iter().rev().find(|s| {
                s.content_hash == hash && (s.meaning == "approved" || s.meaning == "rejected")
            });
            let review = record.get("review_date").to_text();
            let approval = match decision {
                Some(s) if s.meaning == "rejected" => Approval::Rejected {
                    by: s.signer_name.clone(),
                },
                Some(s) if review.as_str() < today => Approval::PastReview {
                    by: s.signer_name.clone(),
                },
                Some(s) => Approval::Approved {
                    by: s.signer_name.clone(),
                    at: s.signed_at.clone(),
                },
                None if signatures.iter().any(|s| s.meaning == "approved") => Approval::Stale,
                None => Approval::Awaiting,
            };
            out.push(Countermeasure {
                requirements: covered_requirements(&record.values),
                record,
                approval,
            });
        }
        Ok(out)
    }

    /// The model rules' findings for the records within `scope` (see `otkeep_core::model`), then
    /// the reconciliation findings of the sites with observed traffic (`otkeep_core::reconcile`).
    pub async fn check_model(
        &self,
        scope: &Scope,
    ) -> Result<Vec<otkeep_core::model::Finding>, StoreError> {
        use otkeep_core::kinds::{ASSET_KIND, CONDUIT_KIND, ZONE_KIND};
        let q = crate::ListQuery {
            scope: scope.clone(),
            ..crate::ListQuery::default()
        };
        let zones = self.list_all(&ZONE_KIND, &q).await?;
        let conduits = self.list_all(&CONDUIT_KIND, &q).await?;
        let assets = self.list_all(&ASSET_KIND, &q).await?;
        let own: std::collections::HashSet<i64> = zones.iter().map(|z| z.id).collect();
        // Cross-site conduits end in zones of other sites, which the checks need to see.
        let mut zones = zones;
        for c in &conduits {
            for f in ["zone_a_id", "zone_b_id"] {
                if let Some(z) = c.get(f).as_int()
                    && !zones.iter().any(|r| r.id == z)
                    && let Some(r) = self.get(&ZONE_KIND, z).await?
                {
                    zones.push(r);
                }
            }
        }
        let statuses = self.assessment_statuses(scope, true).await?;
        let mut findings = otkeep_core::model::check_model(&zones, &conduits, &assets, &statuses);
        // Zones fetched only as the far end of a cross-site conduit are not judged here.
        findings.retain(|f| {
            !matches!(f.rule, "zone_without_sl_t" | "zone_without_conduit")
                || f.records.iter().all(|(_, id, _)| own.contains(id))
        });
        // What observed traffic shows against the records, for the sites with imports.
        for site in self.observed_sites().await? {
            let in_scope = match scope {
                Scope::All => true,
                Scope::Limited { sites, .. } => sites.contains(&site),
            };
            if in_scope {
                findings.extend(self.traffic_findings(site).await?);
            }
        }
        Ok(findings)
    }
}

/// An evidence file as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

impl Store {
    /// An evidence file by its SHA-256.
    pub async fn evidence(&self, sha256: &str) -> Result<Option<EvidenceFile>, StoreError> {
        let row = sqlx::query(
            "SELECT sha256, file_name, media_type, content FROM evidence_file WHERE sha256 = $1",
        )
        .bind(sha256.to_string())
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(EvidenceFile {
            sha256: r.try_get(0)?,
            file_name: r.try_get(1)?,
            media_type: r.try_get(2)?,
            content: r.try_get(3)?,
        }))
    }

    /// The records that cite an evidence file, as (kind, site): assessments and document
    /// versions (who may see the file follows).
    pub async fn evidence_sites(
        &self,
        sha256: &str,
    ) -> Result<Vec<(&'static KindDef, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT 'assessment', site_id FROM requirement_assessment WHERE evidence_sha256 = $1 UNION SELECT DISTINCT 'document_version', site_id FROM document_version WHERE file_sha256 = $1",
        )
        .bind(sha256.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let kind: String = r.try_get(0)?;
            if let Some(k) = otkeep_core::kind(&kind) {
                out.push((k, r.try_get(1)?));
            }
        }
        Ok(out)
    }
}

impl WriteTx<'_> {
    /// Stores an evidence file (once per content) and returns its SHA-256; the upload is an
    /// audit event with the file's name, size and hash.
    pub async fn store_evidence(
        &mut self,
        file_name: &str,
        media_type: &str,
        content: &[u8],
    ) -> Result<String, StoreError> {
        use sha2::{Digest, Sha256};
        let sha: String = Sha256::digest(content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let exists: i64 = sqlx::query("SELECT COUNT(*) FROM evidence_file WHERE sha256 = $1")
            .bind(sha.clone())
            .fetch_one(self.conn())
            .await?
            .try_get(0)?;
        if exists == 0 {
            let actor = self.actor().to_string();
            sqlx::query(
                "INSERT INTO evidence_file (sha256, file_name, media_type, size, content, uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(sha.clone())
            .bind(file_name.chars().take(200).collect::<String>())
            .bind(media_type.chars().take(100).collect::<String>())
            .bind(content.len() as i64)
            .bind(content.to_vec())
            .bind(crate::now())
            .bind(actor)
            .execute(self.conn())
            .await?;
        }
        self.append_event(
            "evidence_upload",
            "evidence",
            None,
            None,
            Some(
                json!({"sha256": sha, "file_name": file_name, "size": content.len(), "new": exists == 0})
                    .to_string(),
            ),
            None,
        )
        .await?;
        Ok(sha)
    }

    /// Stores catalog entries from a customer's licensed copy (text and corrected levels),
    /// replacing earlier imports of the same requirements. One audit event records what
    /// changed (the ids and levels, not the copyrighted text).
    pub async fn import_catalog(
        &mut self,
        entries: &[CatalogEntry],
        source: &str,
    ) -> Result<usize, StoreError> {
        let builtin = Catalog::iec62443_3_3();
        let mut unknown = Vec::new();
        for e in entries {
            if builtin.get(&e.requirement).is_none() {
                unknown.push(e.requirement.clone());
            }
        }
        if !unknown.is_empty() {
            return Err(StoreError::Invalid(vec![otkeep_core::FieldError::new(
                "requirement",
                format!("not in the IEC 62443-3-3 catalog: {}", unknown.join(", ")),
            )]));
        }
        let now = crate::now();
        let actor = self.actor().to_string();
        for e in entries {
            sqlx::query("DELETE FROM catalog_entry WHERE standard = $1 AND requirement = $2")
                .bind(IEC_62443_3_3)
                .bind(e.requirement.clone())
                .execute(self.conn())
                .await?;
            sqlx::query(
                "INSERT INTO catalog_entry (standard, requirement, body, level, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(IEC_62443_3_3)
            .bind(e.requirement.clone())
            .bind(e.body.clone())
            .bind(e.level.map(i64::from))
            .bind(now.clone())
            .bind(actor.clone())
            .execute(self.conn())
            .await?;
        }
        let levels: Vec<_> = entries
            .iter()
            .filter_map(|e| e.level.map(|l| json!([e.requirement, l])))
            .collect();
        self.append_event(
            "import",
            "catalog",
            None,
            None,
            Some(
                json!({
                    "standard": IEC_62443_3_3,
                    "source": source,
                    "entries": entries.len(),
                    "with_text": entries.iter().filter(|e| e.body.is_some()).count(),
                    "levels": levels,
                })
                .to_string(),
            ),
            None,
        )
        .await?;
        Ok(entries.len())
    }
}
