//! SBOMs in the store: attached to an asset (readable with its site) or to a firmware version
//! of a vendor's model (readable by everyone who reads assets), and the advisories whose
//! affected products are components of an SBOM.

use crate::{Store, StoreError, WriteTx};
use otkeep_core::FieldError;
use otkeep_core::access::Scope;
use otkeep_core::advisory::{Advisory, ModelMatch, compile, vendor_key};
use otkeep_core::firmware::FirmwareVersion;
use otkeep_core::kinds::ASSET_KIND;
use otkeep_core::sbom::Sbom;
use serde_json::json;
use sqlx::Row;

/// What an SBOM is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attach {
    Asset(i64),
    Model {
        vendor: String,
        model: String,
        firmware: String,
    },
}

/// A stored SBOM as lists show it.
#[derive(Debug, Clone)]
pub struct SbomRow {
    pub id: i64,
    pub asset_id: Option<i64>,
    pub site_id: Option<i64>,
    pub vendor: String,
    pub model: String,
    pub firmware: String,
    pub name: String,
    pub version: String,
    pub format: String,
    pub spec_version: String,
    pub components: i64,
    pub sha256: String,
    pub source_file: String,
    pub imported_at: String,
    pub imported_by: String,
}

/// An advisory whose affected product is a component of an SBOM.
#[derive(Debug, Clone)]
pub struct ComponentAdvisory {
    pub component: String,
    pub component_version: String,
    pub advisory_id: i64,
    pub tracking_id: String,
    pub severity: String,
    pub reason: String,
}

const COLUMNS: &str = "id, asset_id, site_id, vendor, model, firmware, name, version, format, spec_version, component_count, sha256, source_file, imported_at, imported_by";

fn row(r: &sqlx::any::AnyRow) -> Result<SbomRow, StoreError> {
    let text = |i: usize| -> Result<String, StoreError> {
        Ok(r.try_get::<Option<String>, _>(i)?.unwrap_or_default())
    };
    Ok(SbomRow {
        id: r.try_get(0)?,
        asset_id: r.try_get(1)?,
        site_id: r.try_get(2)?,
        vendor: text(3)?,
        model: text(4)?,
        firmware: text(5)?,
        name: text(6)?,
        version: text(7)?,
        format: text(8)?,
        spec_version: text(9)?,
        components: r.try_get(10)?,
        sha256: text(11)?,
        source_file: text(12)?,
        imported_at: text(13)?,
        imported_by: text(14)?,
    })
}

impl WriteTx<'_> {
    /// Stores an SBOM read from `file` (with the SHA-256 of its bytes), attached as given.
    pub async fn store_sbom(
        &mut self,
        sbom: &Sbom,
        file: &str,
        sha256: &str,
        attach: &Attach,
    ) -> Result<i64, StoreError> {
        let (asset, site, vendor, model, firmware) = match attach {
            Attach::Asset(id) => {
                let a = crate::read::get_in(self.conn(), &ASSET_KIND, *id)
                    .await?
                    .ok_or_else(|| {
                        StoreError::Invalid(vec![FieldError::new(
                            "asset",
                            format!("there is no asset #{id}"),
                        )])
                    })?;
                (Some(*id), a.site_id(), None, None, None)
            }
            Attach::Model {
                vendor,
                model,
                firmware,
            } => {
                if vendor.trim().is_empty() || model.trim().is_empty() {
                    return Err(StoreError::Invalid(vec![FieldError::new(
                        "model",
                        "attach the SBOM to an asset, or name the vendor and model (and firmware) it describes",
                    )]));
                }
                (
                    None,
                    None,
                    Some(vendor.trim().to_string()),
                    Some(model.trim().to_string()),
                    Some(firmware.trim().to_string()),
                )
            }
        };
        let document =
            serde_json::to_string(sbom).map_err(|e| StoreError::Corrupt(format!("SBOM: {e}")))?;
        let id: i64 = sqlx::query(
            "INSERT INTO sbom (asset_id, site_id, vendor, model, firmware, name, version, format, spec_version, component_count, document, sha256, source_file, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        )
        .bind(asset)
        .bind(site)
        .bind(vendor.clone())
        .bind(model.clone())
        .bind(firmware.clone())
        .bind(sbom.name.clone())
        .bind(sbom.version.clone())
        .bind(format!("{} {}", sbom.format, sbom.encoding))
        .bind(sbom.spec_version.clone())
        .bind(sbom.components.len() as i64)
        .bind(document)
        .bind(sha256.to_string())
        .bind(file.to_string())
        .bind(crate::now())
        .bind(self.actor().to_string())
        .fetch_one(self.conn())
        .await?
        .try_get(0)?;
        let details = json!({
            "file": file, "sha256": sha256, "name": sbom.name, "version": sbom.version,
            "format": sbom.format, "spec_version": sbom.spec_version,
            "components": sbom.components.len(), "asset_id": asset,
            "vendor": vendor, "model": model, "firmware": firmware,
        });
        self.append_event(
            "create",
            "sbom",
            Some(id),
            None,
            Some(details.to_string()),
            site,
        )
        .await?;
        Ok(id)
    }
}

fn visible(scope: &Scope) -> String {
    // SBOMs of a model belong to no site and are visible to every reader of assets.
    match scope {
        Scope::All => String::new(),
        _ => {
            let sites = crate::read::site_filter(scope, "site_id");
            format!(" AND (site_id IS NULL OR (1 = 1{sites}))")
        }
    }
}

impl Store {
    /// The SBOMs `scope` may see: of its sites' assets, and of models. With `asset`, those of
    /// that asset and of its vendor and model.
    pub async fn sboms(
        &self,
        scope: &Scope,
        asset: Option<&otkeep_core::Record>,
    ) -> Result<Vec<SbomRow>, StoreError> {
        let mut sql = format!("SELECT {COLUMNS} FROM sbom WHERE 1 = 1{}", visible(scope));
        if asset.is_some() {
            sql.push_str(" AND (asset_id = $1 OR LOWER(model) = $2)");
        }
        sql.push_str(" ORDER BY imported_at DESC, id DESC");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(a) = asset {
            q = q
                .bind(a.id)
                .bind(a.get("model").to_text().trim().to_lowercase());
        }
        let rows = q.fetch_all(self.pool()).await?;
        let mut out: Vec<SbomRow> = rows.iter().map(row).collect::<Result<_, _>>()?;
        if let Some(a) = asset {
            // Model SBOMs count for the asset only when the vendor is the same.
            let v = vendor_key(&a.get("vendor").to_text(), &[]);
            out.retain(|s| s.asset_id == Some(a.id) || vendor_key(&s.vendor, &[]) == v);
        }
        Ok(out)
    }

    /// The SBOMs `scope` may see of a product: vendor `vendor`, model `model` or a model of
    /// that family (`model` followed by more words), as for capability declarations.
    pub async fn product_sboms(
        &self,
        scope: &Scope,
        vendor: &str,
        model: &str,
    ) -> Result<Vec<SbomRow>, StoreError> {
        let model = model.split_whitespace().collect::<Vec<_>>().join(" ");
        let sql = format!(
            "SELECT {COLUMNS} FROM sbom WHERE (LOWER(model) = $1 OR LOWER(model) LIKE $2){} ORDER BY imported_at DESC, id DESC",
            visible(scope)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(model.to_lowercase())
            .bind(format!("{} %", model.to_lowercase()))
            .fetch_all(self.pool())
            .await?;
        let mut out: Vec<SbomRow> = rows.iter().map(row).collect::<Result<_, _>>()?;
        let v = vendor_key(vendor, &[]);
        out.retain(|s| vendor_key(&s.vendor, &[]) == v);
        Ok(out)
    }

    /// One SBOM the scope may see, with its components.
    pub async fn sbom(
        &self,
        scope: &Scope,
        id: i64,
    ) -> Result<Option<(SbomRow, Sbom)>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS}, document FROM sbom WHERE id = $1{}",
            visible(scope)
        );
        let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let sbom: Sbom = serde_json::from_str(&r.try_get::<String, _>(15)?)
            .map_err(|e| StoreError::Corrupt(format!("stored SBOM #{id}: {e}")))?;
        Ok(Some((row(&r)?, sbom)))
    }

    /// The stored advisories whose known-affected products are components of `sbom` (by
    /// name and, when the component names one, supplier), with the version checked.
    pub async fn sbom_advisories(&self, sbom: &Sbom) -> Result<Vec<ComponentAdvisory>, StoreError> {
        let rows = sqlx::query("SELECT id, tracking_id, severity, document FROM advisory ORDER BY current_release DESC")
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            let advisory: Advisory = serde_json::from_str(&r.try_get::<String, _>(3)?)
                .map_err(|e| StoreError::Corrupt(format!("stored advisory: {e}")))?;
            let products = compile(&advisory, &[]);
            for c in &sbom.components {
                let supplier = vendor_key(&c.supplier, &[]);
                let version = FirmwareVersion::parse(&c.version);
                if let Some(m) = products
                    .iter()
                    .filter(|p| p.component_match(&c.name, &c.purl, &supplier))
                    .find_map(|p| p.check(&ModelMatch::Family, &version))
                {
                    out.push(ComponentAdvisory {
                        component: c.name.clone(),
                        component_version: c.version.clone(),
                        advisory_id: r.try_get(0)?,
                        tracking_id: r.try_get(1)?,
                        severity: r.try_get(2)?,
                        reason: m.reason,
                    });
                }
            }
        }
        Ok(out)
    }
}
