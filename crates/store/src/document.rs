//! Document control in the store: a site annex must complete a corporate document; a version
//! becoming effective supersedes the previous effective version of its document (an audited
//! update in the same transaction); documents' periodic reviews for the due engine; and the
//! requirement coverage view, which puts the documents mapped to each IEC 62443-3-3
//! requirement beside the records that evidence it (countermeasures, assessments with
//! evidence) and shows the requirements nothing evidences.

use crate::read::get_in;
use crate::write::WriteTx;
use crate::{ListQuery, Store, StoreError};
use jiff::civil::Date;
use otkeep_core::access::Scope;
use otkeep_core::catalog::Catalog;
use otkeep_core::doc_kinds::{DOCUMENT_KIND, DOCUMENT_VERSION_KIND};
use otkeep_core::due::Obligation;
use otkeep_core::kinds::{COUNTERMEASURE_KIND, covered_requirements};
use otkeep_core::{FieldError, Record, Value, Values};
use sqlx::Row;
use std::collections::{HashMap, HashSet};

/// Refuses a site annex whose "corporate document" is not a corporate document.
pub(crate) async fn check_template(
    conn: &mut sqlx::AnyConnection,
    values: &Values,
) -> Result<(), StoreError> {
    let Some(template) = values.get("template_id").and_then(Value::as_int) else {
        return Ok(());
    };
    let scope = match get_in(conn, &DOCUMENT_KIND, template).await? {
        Some(t) => t.get("scope").to_text(),
        None => return Ok(()), // the reference check names the missing record
    };
    if scope == "corporate" {
        Ok(())
    } else {
        Err(StoreError::Invalid(vec![FieldError::new(
            "template_id",
            "an annex completes a corporate document; this one is a site document",
        )]))
    }
}

impl WriteTx<'_> {
    /// A document version that became effective supersedes its document's other effective
    /// versions, as audited updates in the same transaction.
    pub(crate) async fn supersede_previous(
        &mut self,
        record: &Record,
        before: Option<&Record>,
    ) -> Result<(), StoreError> {
        let effective = |r: &Record| r.get("status").to_text() == "effective";
        if record.kind.name != DOCUMENT_VERSION_KIND.name
            || !effective(record)
            || before.is_some_and(effective)
        {
            return Ok(());
        }
        let Some(document) = record.get("document_id").as_int() else {
            return Ok(());
        };
        let rows = sqlx::query(
            "SELECT id FROM document_version WHERE document_id = $1 AND status = 'effective' AND id <> $2",
        )
        .bind(document)
        .bind(record.id)
        .fetch_all(self.conn())
        .await?;
        for row in rows {
            let id: i64 = row.try_get(0)?;
            let Some(old) = get_in(self.conn(), &DOCUMENT_VERSION_KIND, id).await? else {
                continue;
            };
            let mut values = old.values.clone();
            values.insert("status", Value::Text("superseded".into()));
            Box::pin(self.update(&DOCUMENT_VERSION_KIND, id, old.version, values)).await?;
        }
        Ok(())
    }
}

/// A document as the coverage view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedDocument {
    pub id: i64,
    pub site_id: Option<i64>,
    pub key: String,
    pub title: String,
    pub corporate: bool,
    /// Whether it has an effective version (a draft evidences nothing yet).
    pub effective: bool,
}

/// What evidences one requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementCoverage {
    pub requirement: String,
    pub fr: u8,
    pub title: String,
    pub documents: Vec<MappedDocument>,
    /// Compensating countermeasures naming it.
    pub countermeasures: usize,
    /// Zone and conduit assessments finding it implemented (or compensated) …
    pub implemented: usize,
    /// … of which cite evidence.
    pub with_evidence: usize,
}

impl RequirementCoverage {
    /// Whether anything evidences the requirement: an effective document, a countermeasure or
    /// an assessment with evidence.
    pub fn evidenced(&self) -> bool {
        self.documents.iter().any(|d| d.effective)
            || self.countermeasures > 0
            || self.with_evidence > 0
    }
}

impl Store {
    /// For each IEC 62443-3-3 requirement, the documents mapped to it and the records that
    /// evidence it, within `scope` and, when given, one site (whose documents include the
    /// corporate ones wherever they are kept).
    pub async fn requirement_coverage(
        &self,
        scope: &Scope,
        site: Option<i64>,
    ) -> Result<Vec<RequirementCoverage>, StoreError> {
        let q = ListQuery {
            scope: scope.clone(),
            ..ListQuery::default()
        };
        let on_site = |s: Option<i64>| site.is_none() || s == site;
        let mut documents = self.list_all(&DOCUMENT_KIND, &q).await?;
        // Corporate documents apply everywhere, also where their issuing site is out of scope.
        let mut corporate = ListQuery::default();
        corporate
            .filters
            .insert("scope", Value::Text("corporate".into()));
        let seen: HashSet<i64> = documents.iter().map(|d| d.id).collect();
        documents.extend(
            self.list_all(&DOCUMENT_KIND, &corporate)
                .await?
                .into_iter()
                .filter(|d| !seen.contains(&d.id)),
        );
        let effective: HashSet<i64> = sqlx::query(
            "SELECT DISTINCT document_id FROM document_version WHERE status = 'effective'",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()?;
        let mut by_requirement: HashMap<String, Vec<MappedDocument>> = HashMap::new();
        for d in &documents {
            let is_corporate = d.get("scope").to_text() == "corporate";
            if !is_corporate && !on_site(d.site_id()) {
                continue;
            }
            for r in covered_requirements(&d.values) {
                by_requirement.entry(r).or_default().push(MappedDocument {
                    id: d.id,
                    site_id: d.site_id(),
                    key: d.get("key").to_text(),
                    title: d.get("title").to_text(),
                    corporate: is_corporate,
                    effective: effective.contains(&d.id),
                });
            }
        }
        let mut countermeasures: HashMap<String, usize> = HashMap::new();
        for c in self.list_all(&COUNTERMEASURE_KIND, &q).await? {
            if on_site(c.site_id()) {
                for r in covered_requirements(&c.values) {
                    *countermeasures.entry(r).or_default() += 1;
                }
            }
        }
        let mut filter = crate::read::site_filter(scope, "site_id");
        if let Some(s) = site {
            filter.push_str(&format!(" AND site_id = {s}"));
        }
        let sql = format!(
            "SELECT requirement, COUNT(*), SUM(CASE WHEN COALESCE(evidence_sha256, '') <> '' OR COALESCE(evidence_url, '') <> '' THEN 1 ELSE 0 END) FROM requirement_assessment WHERE status IN ('implemented', 'compensated'){filter} GROUP BY requirement"
        );
        let mut assessed: HashMap<String, (usize, usize)> = HashMap::new();
        for row in sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?
        {
            let n: i64 = row.try_get(1)?;
            let e: i64 = row.try_get(2)?;
            assessed.insert(row.try_get(0)?, (n as usize, e as usize));
        }
        Ok(Catalog::iec62443_3_3()
            .requirements
            .iter()
            .map(|r| {
                let mut docs = by_requirement.remove(&r.id).unwrap_or_default();
                docs.sort_by(|a, b| a.key.cmp(&b.key));
                let (implemented, with_evidence) = assessed.get(&r.id).copied().unwrap_or_default();
                RequirementCoverage {
                    requirement: r.id.clone(),
                    fr: r.fr,
                    title: r.title.clone(),
                    documents: docs,
                    countermeasures: countermeasures.get(&r.id).copied().unwrap_or_default(),
                    implemented,
                    with_evidence,
                }
            })
            .collect())
    }

    /// The periodic reviews of effective documents: `review_interval_days` after the last
    /// review, or after the effective version took effect when never reviewed since.
    pub async fn document_obligations(
        &self,
        scope: &Scope,
        today: Date,
    ) -> Result<Vec<Obligation>, StoreError> {
        let q = ListQuery {
            scope: scope.clone(),
            ..ListQuery::default()
        };
        let mut effective_on: HashMap<i64, Date> = HashMap::new();
        let mut versions = q.clone();
        versions
            .filters
            .insert("status", Value::Text("effective".into()));
        for v in self.list_all(&DOCUMENT_VERSION_KIND, &versions).await? {
            if let (Some(doc), Ok(d)) = (
                v.get("document_id").as_int(),
                otkeep_core::value::parse_date(&v.get("effective_on").to_text()),
            ) {
                let e = effective_on.entry(doc).or_insert(d);
                *e = (*e).max(d);
            }
        }
        let mut out = Vec::new();
        for d in self.list_all(&DOCUMENT_KIND, &q).await? {
            let Some(since) = effective_on.get(&d.id).copied() else {
                continue;
            };
            if d.get("review_interval_days").as_int().is_none() {
                continue;
            }
            let reviewed = otkeep_core::value::parse_date(&d.get("last_reviewed").to_text()).ok();
            let last = reviewed.map_or(since, |r| r.max(since));
            out.push(otkeep_core::due::periodic(
                &d,
                Some(last),
                "review_interval_days",
                "review the document",
                today,
            ));
        }
        Ok(out)
    }
}
