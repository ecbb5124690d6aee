//! Security advisories in the store: importing a version (newer ones replace the stored one,
//! which moves to `advisory_history`; older ones are ignored), matching against assets, and
//! the triage of each (advisory, asset) match.
//!
//! Matches are derived data: they are recomputed in the same transaction as the audited event
//! that changes their inputs (an advisory import, an asset's vendor, model or firmware), keep
//! their triage state when they still match, and triage steps are audited events of their own
//! (kind `advisory_match`).

use crate::{Store, StoreError, WriteTx};
use otkeep_core::access::Scope;
use otkeep_core::advisory::{
    Advisory, CompiledProduct, Match, ModelFacts, Triage, TriageStep, check_triage, compile,
    vendor_key,
};
use otkeep_core::firmware::FirmwareVersion;
use otkeep_core::{FieldError, Record};
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;

/// What importing one advisory did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdvisoryOutcome {
    Created {
        id: i64,
        matches: usize,
    },
    /// Replaced the stored version `from`.
    Updated {
        id: i64,
        from: String,
        matches: usize,
    },
    /// Not stored: the stored version is the same or newer.
    Ignored {
        reason: String,
    },
}

/// An asset as matching sees it.
#[derive(Debug, Clone)]
pub struct GroupAsset {
    pub id: i64,
    pub site: i64,
    pub firmware: FirmwareVersion,
}

/// The assets of one vendor and model: the model is compared with an advisory's products
/// once, then each asset's firmware with the version range.
#[derive(Debug, Clone)]
pub struct ModelGroup {
    pub facts: ModelFacts,
    /// How assets spell the group's vendor and model (several spellings can fall in one group).
    spellings: Vec<(String, String)>,
    /// The group's assets, loaded the first time an advisory's product names the model: most
    /// groups are never named, and loading every asset for each upload took seconds at
    /// 500,000 assets.
    assets: Option<Vec<GroupAsset>>,
}

/// Asset groups by vendor key and model, and the alias table, loaded once for a batch.
#[derive(Debug, Default)]
pub struct MatchIndex {
    pub aliases: Vec<(String, String)>,
    pub by_vendor: HashMap<String, Vec<ModelGroup>>,
}

/// A stored advisory as lists show it.
#[derive(Debug, Clone)]
pub struct AdvisoryRow {
    pub id: i64,
    pub tracking_id: String,
    pub title: String,
    pub publisher: String,
    pub version: String,
    pub current_release: String,
    pub severity: String,
    pub max_score: Option<f64>,
    pub known_exploited: bool,
    pub cves: String,
    /// Matches within the reader's scope, and how many of them are still open.
    pub matches: i64,
    pub open: i64,
}

/// One (advisory, asset) match with its triage.
#[derive(Debug, Clone)]
pub struct MatchRow {
    pub id: i64,
    pub advisory_id: i64,
    pub tracking_id: String,
    pub advisory_title: String,
    pub severity: String,
    pub asset_id: i64,
    pub asset_name: String,
    pub site_id: i64,
    pub product_id: String,
    pub confidence: String,
    pub reason: String,
    pub status: Triage,
    pub justification: String,
    pub link: Option<(String, i64)>,
    pub version: i64,
    pub updated_at: String,
    pub updated_by: String,
}

fn score10(a: &Advisory) -> Option<i64> {
    a.max_score().map(|s| (s * 10.0).round() as i64)
}

fn cves(a: &Advisory) -> String {
    let mut c: Vec<&str> = a
        .vulnerabilities
        .iter()
        .map(|v| v.cve.as_str())
        .filter(|c| !c.is_empty())
        .collect();
    c.sort_unstable();
    c.dedup();
    c.join(", ")
}

impl WriteTx<'_> {
    /// Loads what matching needs: the aliases and the groups of assets by vendor and model
    /// (read from the index `asset_vendor_model`); a group's assets are loaded when an
    /// advisory first names its model (see [`WriteTx::load_named_groups`]).
    pub async fn match_index(&mut self) -> Result<MatchIndex, StoreError> {
        let aliases = load_aliases(self.conn()).await?;
        let rows = sqlx::query(
            "SELECT DISTINCT vendor, model FROM asset WHERE vendor IS NOT NULL AND model IS NOT NULL",
        )
        .fetch_all(self.conn())
        .await?;
        let mut groups: HashMap<(String, String), ModelGroup> = HashMap::new();
        for r in &rows {
            let vendor: String = r.try_get(0)?;
            let model: String = r.try_get(1)?;
            let key = vendor_key(&vendor, &aliases);
            if key.is_empty() || model.trim().is_empty() {
                continue;
            }
            groups
                .entry((key, model.trim().to_lowercase()))
                .or_insert_with(|| ModelGroup {
                    facts: ModelFacts::new(&model),
                    spellings: Vec::new(),
                    assets: None,
                })
                .spellings
                .push((vendor, model));
        }
        let mut by_vendor: HashMap<String, Vec<ModelGroup>> = HashMap::new();
        for ((vendor, _), g) in groups {
            by_vendor.entry(vendor).or_default().push(g);
        }
        Ok(MatchIndex { aliases, by_vendor })
    }

    /// Loads the assets of every group of `by_vendor` whose model one of `products` names and
    /// that is not loaded yet, in a few queries (by the spellings' vendors and models).
    async fn load_named_groups(
        &mut self,
        products: &[CompiledProduct],
        by_vendor: &mut HashMap<String, Vec<ModelGroup>>,
    ) -> Result<(), StoreError> {
        // (vendor spelling, model spelling) → (vendor key, group position)
        let mut wanted: HashMap<(String, String), (String, usize)> = HashMap::new();
        for p in products {
            let Some(groups) = by_vendor.get(&p.vendor_key) else {
                continue;
            };
            for (i, g) in groups.iter().enumerate() {
                if g.assets.is_none() && p.model_match(&g.facts).is_some() {
                    for spelling in &g.spellings {
                        wanted.insert(spelling.clone(), (p.vendor_key.clone(), i));
                    }
                }
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        // Every wanted group ends loaded, with no assets if none has that spelling any more.
        let mut loaded: HashMap<(String, usize), Vec<GroupAsset>> = wanted
            .values()
            .map(|target| (target.clone(), Vec::new()))
            .collect();
        let spellings: Vec<&(String, String)> = wanted.keys().collect();
        for chunk in spellings.chunks(100) {
            let mut vendors: Vec<&str> = chunk.iter().map(|(v, _)| v.as_str()).collect();
            let mut models: Vec<&str> = chunk.iter().map(|(_, m)| m.as_str()).collect();
            vendors.sort_unstable();
            vendors.dedup();
            models.sort_unstable();
            models.dedup();
            let placeholders = |from: usize, n: usize| {
                (from..from + n)
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let sql = format!(
                "SELECT id, site_id, vendor, model, firmware_version FROM asset WHERE vendor IN ({}) AND model IN ({})",
                placeholders(1, vendors.len()),
                placeholders(vendors.len() + 1, models.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in vendors.iter().chain(&models) {
                q = q.bind(v.to_string());
            }
            for r in q.fetch_all(self.conn()).await? {
                let spelling: (String, String) = (r.try_get(2)?, r.try_get(3)?);
                // The IN lists also pair one group's vendor with another's model.
                let Some(target) = wanted.get(&spelling) else {
                    continue;
                };
                let firmware = r.try_get::<Option<String>, _>(4)?.unwrap_or_default();
                if let Some(assets) = loaded.get_mut(target) {
                    assets.push(GroupAsset {
                        id: r.try_get(0)?,
                        site: r.try_get(1)?,
                        firmware: FirmwareVersion::parse(&firmware),
                    });
                }
            }
        }
        for ((key, i), assets) in loaded {
            if let Some(g) = by_vendor.get_mut(&key).and_then(|groups| groups.get_mut(i)) {
                g.assets = Some(assets);
            }
        }
        Ok(())
    }

    /// Stores `advisory` read from `file`: a new advisory, or a newer version of a stored one
    /// (the stored version is kept in its history); an older or equal version is ignored.
    /// Matches against the assets of `index` are brought up to date.
    pub async fn import_advisory(
        &mut self,
        advisory: &Advisory,
        file: &str,
        index: &mut MatchIndex,
    ) -> Result<AdvisoryOutcome, StoreError> {
        let existing = sqlx::query(
            "SELECT id, version, current_release, document FROM advisory WHERE tracking_id = $1",
        )
        .bind(advisory.id.clone())
        .fetch_optional(self.conn())
        .await?;
        let document = serde_json::to_string(advisory)
            .map_err(|e| StoreError::Corrupt(format!("advisory {}: {e}", advisory.id)))?;
        let now = crate::now();
        let actor = self.actor().to_string();
        let (id, from) = match existing {
            Some(row) => {
                let id: i64 = row.try_get(0)?;
                let stored: Advisory = serde_json::from_str(&row.try_get::<String, _>(3)?)
                    .map_err(|e| {
                        StoreError::Corrupt(format!("stored advisory {}: {e}", advisory.id))
                    })?;
                if !advisory.is_newer(&stored) {
                    let reason = if advisory.version == stored.version
                        && advisory.current_release == stored.current_release
                    {
                        format!(
                            "{} version {} is already stored",
                            advisory.id, stored.version
                        )
                    } else {
                        format!(
                            "{} version {} ({}) is older than the stored version {} ({}); ignored",
                            advisory.id,
                            advisory.version,
                            advisory.current_release,
                            stored.version,
                            stored.current_release
                        )
                    };
                    return Ok(AdvisoryOutcome::Ignored { reason });
                }
                sqlx::query(
                    "INSERT INTO advisory_history (advisory_id, version, current_release, document, replaced_at, replaced_by) SELECT id, version, current_release, document, $1, $2 FROM advisory WHERE id = $3",
                )
                .bind(now.clone())
                .bind(actor.clone())
                .bind(id)
                .execute(self.conn())
                .await?;
                sqlx::query(
                    "UPDATE advisory SET title = $1, publisher = $2, version = $3, initial_release = $4, current_release = $5, severity = $6, max_score10 = $7, known_exploited = $8, vulnerability_count = $9, product_count = $10, cves = $11, document = $12, source_file = $13, imported_at = $14, imported_by = $15 WHERE id = $16",
                )
                .bind(advisory.title.clone())
                .bind(advisory.publisher.clone())
                .bind(advisory.version.clone())
                .bind(advisory.initial_release.clone())
                .bind(advisory.current_release.clone())
                .bind(advisory.severity())
                .bind(score10(advisory))
                .bind(i64::from(advisory.known_exploited()))
                .bind(advisory.vulnerabilities.len() as i64)
                .bind(advisory.products.len() as i64)
                .bind(cves(advisory))
                .bind(document)
                .bind(file.to_string())
                .bind(now.clone())
                .bind(actor.clone())
                .bind(id)
                .execute(self.conn())
                .await?;
                sqlx::query("DELETE FROM advisory_vendor WHERE advisory_id = $1")
                    .bind(id)
                    .execute(self.conn())
                    .await?;
                (id, Some(stored.version))
            }
            None => {
                let id: i64 = sqlx::query(
                    "INSERT INTO advisory (tracking_id, title, publisher, version, initial_release, current_release, severity, max_score10, known_exploited, vulnerability_count, product_count, cves, document, source_file, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
                )
                .bind(advisory.id.clone())
                .bind(advisory.title.clone())
                .bind(advisory.publisher.clone())
                .bind(advisory.version.clone())
                .bind(advisory.initial_release.clone())
                .bind(advisory.current_release.clone())
                .bind(advisory.severity())
                .bind(score10(advisory))
                .bind(i64::from(advisory.known_exploited()))
                .bind(advisory.vulnerabilities.len() as i64)
                .bind(advisory.products.len() as i64)
                .bind(cves(advisory))
                .bind(document)
                .bind(file.to_string())
                .bind(now.clone())
                .bind(actor.clone())
                .fetch_one(self.conn())
                .await?
                .try_get(0)?;
                (id, None)
            }
        };
        let mut vendors: Vec<String> = advisory
            .products
            .iter()
            .map(|p| vendor_key(&p.vendor, &index.aliases))
            .filter(|v| !v.is_empty())
            .collect();
        vendors.sort();
        vendors.dedup();
        for v in &vendors {
            sqlx::query("INSERT INTO advisory_vendor (advisory_id, vendor_key) VALUES ($1, $2)")
                .bind(id)
                .bind(v.clone())
                .execute(self.conn())
                .await?;
        }
        let products = compile(advisory, &index.aliases);
        let matches = self
            .refresh_matches(id, &products, &mut index.by_vendor, None)
            .await?;
        let details = json!({
            "tracking_id": advisory.id, "version": advisory.version,
            "current_release": advisory.current_release, "file": file,
            "replaced_version": from, "matches": matches,
        });
        self.append_event(
            if from.is_some() { "update" } else { "create" },
            "advisory",
            Some(id),
            None,
            Some(details.to_string()),
            None,
        )
        .await?;
        Ok(match from {
            Some(from) => AdvisoryOutcome::Updated { id, from, matches },
            None => AdvisoryOutcome::Created { id, matches },
        })
    }

    /// Brings the matches of advisory `id` (its affected `products`) against the assets of
    /// `by_vendor` (loading the groups it names) up to date: new ones start as "new", existing
    /// ones keep their triage with the new reason, untriaged ones that no longer hold are
    /// removed. `only` limits it to one asset (the others are left as they are).
    async fn refresh_matches(
        &mut self,
        id: i64,
        products: &[CompiledProduct],
        by_vendor: &mut HashMap<String, Vec<ModelGroup>>,
        only: Option<i64>,
    ) -> Result<usize, StoreError> {
        self.load_named_groups(products, by_vendor).await?;
        // The best match per asset.
        let mut best: HashMap<i64, (i64, Match)> = HashMap::new();
        for p in products {
            let Some(groups) = by_vendor.get(&p.vendor_key) else {
                continue;
            };
            for g in groups {
                let Some(how) = p.model_match(&g.facts) else {
                    continue;
                };
                let Some(assets) = &g.assets else {
                    return Err(StoreError::Corrupt(format!(
                        "advisory #{id}: the assets of a named model were not loaded"
                    )));
                };
                for a in assets {
                    let Some(m) = p.check(&how, &a.firmware) else {
                        continue;
                    };
                    let better = best.get(&a.id).is_none_or(|(_, b)| {
                        (m.confidence, std::cmp::Reverse(&m.product_id))
                            > (b.confidence, std::cmp::Reverse(&b.product_id))
                    });
                    if better {
                        best.insert(a.id, (a.site, m));
                    }
                }
            }
        }
        let sql = match only {
            Some(_) => {
                "SELECT asset_id, product_id, confidence, reason, status FROM advisory_match WHERE advisory_id = $1 AND asset_id = $2"
            }
            None => {
                "SELECT asset_id, product_id, confidence, reason, status FROM advisory_match WHERE advisory_id = $1"
            }
        };
        let mut q = sqlx::query(sql).bind(id);
        if let Some(asset) = only {
            q = q.bind(asset);
        }
        let mut existing: HashMap<i64, (String, String, String, String)> = HashMap::new();
        for r in q.fetch_all(self.conn()).await? {
            existing.insert(
                r.try_get(0)?,
                (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?),
            );
        }
        let now = crate::now();
        let actor = self.actor().to_string();
        let mut new_rows: Vec<(i64, i64, &Match)> = Vec::new();
        for (asset, (site, m)) in &best {
            match existing.get(asset) {
                None => new_rows.push((*asset, *site, m)),
                Some((product, confidence, reason, _))
                    if product != &m.product_id
                        || confidence != m.confidence.key()
                        || reason != &m.reason =>
                {
                    sqlx::query(
                        "UPDATE advisory_match SET product_id = $1, confidence = $2, reason = $3, site_id = $4 WHERE advisory_id = $5 AND asset_id = $6",
                    )
                    .bind(m.product_id.clone())
                    .bind(m.confidence.key())
                    .bind(m.reason.clone())
                    .bind(*site)
                    .bind(id)
                    .bind(*asset)
                    .execute(self.conn())
                    .await?;
                }
                Some(_) => {}
            }
        }
        // New matches in multi-row inserts (few statements for large inventories).
        let largest = new_rows
            .iter()
            .map(|(_, _, m)| {
                MATCH_ROW_BYTES + m.product_id.len() + m.confidence.key().len() + m.reason.len()
            })
            .max()
            .unwrap_or(0);
        for chunk in new_rows.chunks(rows_per_statement(largest)) {
            let mut sql = String::from(
                "INSERT INTO advisory_match (advisory_id, asset_id, site_id, product_id, confidence, reason, status, version, matched_at, updated_at, updated_by) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 6;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, 'new', 1, $1, $1, $2)",
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8
                ));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now.clone())
                .bind(actor.clone());
            for (asset, site, m) in chunk {
                q = q
                    .bind(id)
                    .bind(*asset)
                    .bind(*site)
                    .bind(m.product_id.clone())
                    .bind(m.confidence.key())
                    .bind(m.reason.clone());
            }
            q.execute(self.conn()).await?;
        }
        let gone: Vec<i64> = existing
            .iter()
            .filter(|(asset, (_, _, _, status))| status == "new" && !best.contains_key(asset))
            .map(|(asset, _)| *asset)
            .collect();
        for chunk in gone.chunks(500) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let sql = format!(
                "DELETE FROM advisory_match WHERE advisory_id = $1 AND status = 'new' AND asset_id IN ({})",
                list.join(", ")
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .execute(self.conn())
                .await?;
        }
        Ok(best.len())
    }

    /// Matches one asset (just created or changed) against the stored advisories of its vendor.
    pub(crate) async fn rematch_asset(&mut self, asset: &Record) -> Result<(), StoreError> {
        let text = |f: &str| asset.get(f).to_text();
        let Some(site) = asset.site_id() else {
            return Ok(());
        };
        let aliases = load_aliases(self.conn()).await?;
        let key = vendor_key(&text("vendor"), &aliases);
        let model = text("model");
        let mut by_vendor = HashMap::new();
        if !key.is_empty() && !model.trim().is_empty() {
            by_vendor.insert(
                key.clone(),
                vec![ModelGroup {
                    facts: ModelFacts::new(&model),
                    spellings: Vec::new(),
                    assets: Some(vec![GroupAsset {
                        id: asset.id,
                        site,
                        firmware: FirmwareVersion::parse(&text("firmware_version")),
                    }]),
                }],
            );
        }
        let rows = if by_vendor.is_empty() {
            Vec::new()
        } else {
            sqlx::query(
                "SELECT a.id, a.document FROM advisory a JOIN advisory_vendor v ON v.advisory_id = a.id WHERE v.vendor_key = $1",
            )
            .bind(key)
            .fetch_all(self.conn())
            .await?
        };
        let mut seen = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            seen.push(id);
            let products = self.cached_products(id, r.try_get(1)?, &aliases)?;
            self.refresh_matches(id, &products, &mut by_vendor, Some(asset.id))
                .await?;
        }
        // Untriaged matches with advisories of another vendor (the vendor changed) go.
        let stale = sqlx::query(
            "SELECT advisory_id FROM advisory_match WHERE asset_id = $1 AND status = 'new'",
        )
        .bind(asset.id)
        .fetch_all(self.conn())
        .await?;
        for r in &stale {
            let id: i64 = r.try_get(0)?;
            if !seen.contains(&id) {
                sqlx::query("DELETE FROM advisory_match WHERE advisory_id = $1 AND asset_id = $2")
                    .bind(id)
                    .bind(asset.id)
                    .execute(self.conn())
                    .await?;
            }
        }
        Ok(())
    }

    /// The affected products of a stored advisory, parsed and prepared once per transaction
    /// (bulk asset imports meet the same few advisories again and again).
    fn cached_products(
        &mut self,
        id: i64,
        document: String,
        aliases: &[(String, String)],
    ) -> Result<std::sync::Arc<Vec<CompiledProduct>>, StoreError> {
        if let Some(a) = self.advisories.get(&id) {
            return Ok(a.clone());
        }
        let a: Advisory = serde_json::from_str(&document)
            .map_err(|e| StoreError::Corrupt(format!("stored advisory #{id}: {e}")))?;
        let products = std::sync::Arc::new(compile(&a, aliases));
        self.advisories.insert(id, products.clone());
        Ok(products)
    }

    /// Moves match `id` (at `version`) one triage step on. The link must be a record of the
    /// match's site. Audited as an event of kind `advisory_match`.
    pub async fn triage(
        &mut self,
        id: i64,
        version: i64,
        step: &TriageStep,
    ) -> Result<(), StoreError> {
        let row = sqlx::query(
            "SELECT status, version, site_id, advisory_id, asset_id FROM advisory_match WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound {
            kind: "advisory_match",
            id,
        })?;
        let current: i64 = row.try_get(1)?;
        if current != version {
            return Err(StoreError::Conflict {
                kind: "advisory_match",
                id,
                expected: version,
                current,
            });
        }
        let status: String = row.try_get(0)?;
        let from = Triage::from_key(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("match #{id} has status '{status}'")))?;
        check_triage(from, step)
            .map_err(|(f, m)| StoreError::Invalid(vec![FieldError::new(f, m)]))?;
        let site: i64 = row.try_get(2)?;
        if let Some((kind, link)) = &step.link {
            let k = otkeep_core::kind(kind).ok_or_else(|| {
                StoreError::Invalid(vec![FieldError::new(
                    "link",
                    format!("unknown kind {kind}"),
                )])
            })?;
            let target = crate::read::get_in(self.conn(), k, *link).await?;
            if target.as_ref().and_then(Record::site_id) != Some(site) {
                return Err(StoreError::Invalid(vec![FieldError::new(
                    "link",
                    format!("{} #{link} is not a record of this match's site", k.label),
                )]));
            }
        }
        let now = crate::now();
        let actor = self.actor().to_string();
        sqlx::query(
            "UPDATE advisory_match SET status = $1, justification = $2, link_kind = $3, link_id = $4, version = $5, updated_at = $6, updated_by = $7 WHERE id = $8",
        )
        .bind(step.to.key())
        .bind(Some(step.justification.trim().to_string()).filter(|j| !j.is_empty()))
        .bind(step.link.as_ref().map(|(k, _)| k.clone()))
        .bind(step.link.as_ref().map(|(_, i)| *i))
        .bind(version + 1)
        .bind(now)
        .bind(actor)
        .bind(id)
        .execute(self.conn())
        .await?;
        let before = json!({"status": status});
        let after = json!({
            "status": step.to.key(), "justification": step.justification,
            "link": step.link, "advisory_id": row.try_get::<i64, _>(3)?,
            "asset_id": row.try_get::<i64, _>(4)?,
        });
        self.append_event(
            "triage",
            "advisory_match",
            Some(id),
            Some(before.to_string()),
            Some(after.to_string()),
            Some(site),
        )
        .await?;
        Ok(())
    }

    /// Adds (or changes) a vendor alias: `alias` is read as `vendor` from now on, and every
    /// stored advisory is matched again with it. Returns the number of matches after.
    pub async fn set_vendor_alias(
        &mut self,
        alias: &str,
        vendor: &str,
    ) -> Result<usize, StoreError> {
        let (a, v) = (alias.trim(), vendor.trim());
        if a.is_empty() || v.is_empty() {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "alias",
                "give both the alias and the vendor it stands for",
            )]));
        }
        sqlx::query("DELETE FROM vendor_alias WHERE alias = $1")
            .bind(a.to_string())
            .execute(self.conn())
            .await?;
        sqlx::query(
            "INSERT INTO vendor_alias (alias, vendor, created_at, created_by) VALUES ($1, $2, $3, $4)",
        )
        .bind(a.to_string())
        .bind(v.to_string())
        .bind(crate::now())
        .bind(self.actor().to_string())
        .execute(self.conn())
        .await?;
        self.append_event(
            "create",
            "vendor_alias",
            None,
            None,
            Some(json!({"alias": a, "vendor": v}).to_string()),
            None,
        )
        .await?;
        self.rematch_all().await
    }

    /// Matches every stored advisory again against every asset (after the aliases changed):
    /// vendor index and matches, triage kept where a match still holds.
    pub async fn rematch_all(&mut self) -> Result<usize, StoreError> {
        let mut index = self.match_index().await?;
        let rows = sqlx::query("SELECT id, document FROM advisory")
            .fetch_all(self.conn())
            .await?;
        let mut total = 0;
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            let advisory: Advisory = serde_json::from_str(&r.try_get::<String, _>(1)?)
                .map_err(|e| StoreError::Corrupt(format!("stored advisory #{id}: {e}")))?;
            sqlx::query("DELETE FROM advisory_vendor WHERE advisory_id = $1")
                .bind(id)
                .execute(self.conn())
                .await?;
            let mut vendors: Vec<String> = advisory
                .products
                .iter()
                .map(|p| vendor_key(&p.vendor, &index.aliases))
                .filter(|v| !v.is_empty())
                .collect();
            vendors.sort();
            vendors.dedup();
            for v in vendors {
                sqlx::query(
                    "INSERT INTO advisory_vendor (advisory_id, vendor_key) VALUES ($1, $2)",
                )
                .bind(id)
                .bind(v)
                .execute(self.conn())
                .await?;
            }
            let products = compile(&advisory, &index.aliases);
            total += self
                .refresh_matches(id, &products, &mut index.by_vendor, None)
                .await?;
        }
        self.advisories.clear();
        Ok(total)
    }
}

impl Store {
    /// The vendor aliases users added: (alias, vendor, added at, added by).
    pub async fn vendor_aliases(
        &self,
    ) -> Result<Vec<(String, String, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT alias, vendor, created_at, created_by FROM vendor_alias ORDER BY alias",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
            .collect()
    }
}

/// Rows of one multi-row statement at most.
const MAX_ROWS_PER_STATEMENT: usize = 200;
/// Parameter bytes of one multi-row statement at most: a statement message larger than one TLS
/// record (16 KB) goes out in several writes, and the last one waits for the server's delayed
/// ACK (Nagle's algorithm; sqlx 0.9.0 does not set TCP_NODELAY): 40 ms per statement, which
/// made a 9,170-match upload take 2.4 s instead of 0.5 s on PostgreSQL over TLS.
const MAX_STATEMENT_BYTES: usize = 10_000;
const _: () = assert!(MAX_STATEMENT_BYTES < 16 * 1024, "under one TLS record");
/// The fixed part of one `advisory_match` row's parameters (three integers, lengths, framing).
const MATCH_ROW_BYTES: usize = 48;

/// Rows per multi-row statement for rows of at most `largest_row` parameter bytes: one row count
/// for the whole set, so that its statements share one prepared statement.
fn rows_per_statement(largest_row: usize) -> usize {
    (MAX_STATEMENT_BYTES / largest_row.max(1)).clamp(1, MAX_ROWS_PER_STATEMENT)
}

async fn load_aliases(conn: &mut sqlx::AnyConnection) -> Result<Vec<(String, String)>, StoreError> {
    let rows = sqlx::query("SELECT alias, vendor FROM vendor_alias ORDER BY alias")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// Filters of the advisory list.
#[derive(Debug, Clone, Default)]
pub struct AdvisoryFilter {
    /// Only advisories with a match in this scope (sites); `None`: every advisory.
    pub matched_in: Option<Scope>,
    pub severity: Option<String>,
    /// Only advisories with a match in this triage state (within the scope).
    pub status: Option<Triage>,
    pub known_exploited: bool,
    pub text: Option<String>,
}

fn scope_clause(scope: &Scope, column: &str) -> String {
    crate::read::site_filter(scope, column)
}

impl Store {
    /// Advisories, newest first, with their match counts within `scope`.
    pub async fn advisories(
        &self,
        scope: &Scope,
        filter: &AdvisoryFilter,
    ) -> Result<Vec<AdvisoryRow>, StoreError> {
        let site = scope_clause(scope, "m.site_id");
        let mut clauses = vec!["1 = 1".to_string()];
        let mut params: Vec<String> = Vec::new();
        if let Some(s) = &filter.severity {
            params.push(s.clone());
            clauses.push(format!("a.severity = ${}", params.len()));
        }
        if filter.known_exploited {
            clauses.push("a.known_exploited = 1".into());
        }
        if let Some(t) = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            params.push(format!("%{}%", t.to_lowercase()));
            let p = params.len();
            clauses.push(format!(
                "(LOWER(a.tracking_id) LIKE ${p} OR LOWER(a.title) LIKE ${p} OR LOWER(a.cves) LIKE ${p})"
            ));
        }
        let status = match filter.status {
            Some(s) => {
                params.push(s.key().to_string());
                format!(" AND m.status = ${}", params.len())
            }
            None => String::new(),
        };
        if filter.matched_in.is_some() || filter.status.is_some() {
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM advisory_match m WHERE m.advisory_id = a.id{site}{status})"
            ));
        }
        let sql = format!(
            "SELECT a.id, a.tracking_id, a.title, a.publisher, a.version, a.current_release, a.severity, a.max_score10, a.known_exploited, a.cves, \
             (SELECT COUNT(*) FROM advisory_match m WHERE m.advisory_id = a.id{site}), \
             (SELECT COUNT(*) FROM advisory_match m WHERE m.advisory_id = a.id{site} AND m.status NOT IN ('not_affected', 'resolved')) \
             FROM advisory a WHERE {} ORDER BY a.current_release DESC, a.tracking_id DESC",
            clauses.join(" AND ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in params {
            q = q.bind(p);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(AdvisoryRow {
                    id: r.try_get(0)?,
                    tracking_id: r.try_get(1)?,
                    title: r.try_get(2)?,
                    publisher: r.try_get(3)?,
                    version: r.try_get(4)?,
                    current_release: r.try_get(5)?,
                    severity: r.try_get(6)?,
                    max_score: r.try_get::<Option<i64>, _>(7)?.map(|s| s as f64 / 10.0),
                    known_exploited: r.try_get::<i64, _>(8)? != 0,
                    cves: r.try_get(9)?,
                    matches: r.try_get(10)?,
                    open: r.try_get(11)?,
                })
            })
            .collect()
    }

    /// One stored advisory with its earlier versions (version, release date, replaced at).
    pub async fn advisory(
        &self,
        id: i64,
    ) -> Result<Option<(Advisory, Vec<(String, String, String)>)>, StoreError> {
        let Some(row) = sqlx::query("SELECT document FROM advisory WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let advisory: Advisory = serde_json::from_str(&row.try_get::<String, _>(0)?)
            .map_err(|e| StoreError::Corrupt(format!("stored advisory #{id}: {e}")))?;
        let history = sqlx::query(
            "SELECT version, current_release, replaced_at FROM advisory_history WHERE advisory_id = $1 ORDER BY replaced_at DESC",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_, StoreError>>()?;
        Ok(Some((advisory, history)))
    }

    /// Matches within `scope`, of one advisory or of one asset (or all), best first.
    pub async fn advisory_matches(
        &self,
        scope: &Scope,
        advisory: Option<i64>,
        asset: Option<i64>,
    ) -> Result<Vec<MatchRow>, StoreError> {
        let mut sql = format!(
            "SELECT m.id, m.advisory_id, a.tracking_id, a.title, a.severity, m.asset_id, s.name, m.site_id, m.product_id, m.confidence, m.reason, m.status, m.justification, m.link_kind, m.link_id, m.version, m.updated_at, m.updated_by \
             FROM advisory_match m JOIN advisory a ON a.id = m.advisory_id JOIN asset s ON s.id = m.asset_id WHERE 1 = 1{}",
            scope_clause(scope, "m.site_id")
        );
        let mut q_params = Vec::new();
        if let Some(a) = advisory {
            q_params.push(a);
            sql.push_str(&format!(" AND m.advisory_id = ${}", q_params.len()));
        }
        if let Some(a) = asset {
            q_params.push(a);
            sql.push_str(&format!(" AND m.asset_id = ${}", q_params.len()));
        }
        sql.push_str(" ORDER BY a.current_release DESC, s.name, m.id");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in q_params {
            q = q.bind(p);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get(11)?;
                let link_kind: Option<String> = r.try_get(13)?;
                let link_id: Option<i64> = r.try_get(14)?;
                Ok(MatchRow {
                    id: r.try_get(0)?,
                    advisory_id: r.try_get(1)?,
                    tracking_id: r.try_get(2)?,
                    advisory_title: r.try_get(3)?,
                    severity: r.try_get(4)?,
                    asset_id: r.try_get(5)?,
                    asset_name: r.try_get(6)?,
                    site_id: r.try_get(7)?,
                    product_id: r.try_get(8)?,
                    confidence: r.try_get(9)?,
                    reason: r.try_get(10)?,
                    status: Triage::from_key(&status).unwrap_or(Triage::New),
                    justification: r.try_get::<Option<String>, _>(12)?.unwrap_or_default(),
                    link: link_kind.zip(link_id),
                    version: r.try_get(15)?,
                    updated_at: r.try_get(16)?,
                    updated_by: r.try_get(17)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_stay_within_one_tls_record() {
        assert_eq!(rows_per_statement(10), MAX_ROWS_PER_STATEMENT);
        assert_eq!(rows_per_statement(0), MAX_ROWS_PER_STATEMENT);
        let n = rows_per_statement(150);
        assert!(n * 150 <= MAX_STATEMENT_BYTES && (n + 1) * 150 > MAX_STATEMENT_BYTES);
        assert_eq!(
            rows_per_statement(MAX_STATEMENT_BYTES * 3),
            1,
            "a huge row alone"
        );
    }
}
