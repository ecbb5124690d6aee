//! Suppliers in the store: the SL-C that capability declarations give assets of their vendor
//! and model which have no SL-C of their own (`otkeep_core::supplier_kinds::declaration_covers`).

use crate::{ListQuery, Store, StoreError};
use otkeep_core::access::Scope;
use otkeep_core::supplier_kinds::{CAPABILITY_DECLARATION_KIND, declaration_covers};
use otkeep_core::{Record, SlVector, Value};

/// The capability declarations of one site, to look up the SL-C of its assets.
#[derive(Debug, Clone, Default)]
pub struct DeclaredCapabilities {
    declarations: Vec<Record>,
}

impl DeclaredCapabilities {
    /// The declaration covering an asset of `vendor` and `model`, with its SL-C: the most
    /// specific one (longest model) when several cover it.
    pub fn for_asset(&self, vendor: &str, model: &str) -> Option<(&Record, SlVector)> {
        self.declarations
            .iter()
            .filter(|d| {
                declaration_covers(
                    &d.get("vendor").to_text(),
                    &d.get("model").to_text(),
                    vendor,
                    model,
                )
            })
            .filter_map(|d| match d.get("sl_c") {
                Value::Sl(v) => Some((d, *v)),
                _ => None,
            })
            .max_by_key(|(d, _)| d.get("model").to_text().len())
    }

    /// The SL-C of `asset`: its own, else the one declared for its vendor and model, with the
    /// declaration it came from.
    pub fn sl_c<'a>(&'a self, asset: &'a Record) -> Option<(SlVector, Option<&'a Record>)> {
        match asset.get("sl_c") {
            Value::Sl(v) => Some((*v, None)),
            _ => self
                .for_asset(
                    &asset.get("vendor").to_text(),
                    &asset.get("model").to_text(),
                )
                .map(|(d, v)| (v, Some(d))),
        }
    }
}

impl Store {
    /// The capability declarations of site `site`.
    pub async fn declared_capabilities(
        &self,
        site: Option<i64>,
    ) -> Result<DeclaredCapabilities, StoreError> {
        let q = ListQuery {
            scope: Scope::Limited {
                sites: site.into_iter().collect(),
                records: Vec::new(),
            },
            ..ListQuery::default()
        };
        Ok(DeclaredCapabilities {
            declarations: self.list_all(&CAPABILITY_DECLARATION_KIND, &q).await?,
        })
    }
}
