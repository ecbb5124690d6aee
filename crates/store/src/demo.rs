//! Loads the demo organization (`otkeep_core::demo`) through the ordinary write path, so the
//! demo records carry the same validation and audit trail as real ones.

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
}

impl Store {
    /// Creates demo sites `0..sites`, each with `assets_per_site` assets, one transaction per
    /// site. Sites whose code already exists are skipped, so a load can be resumed or extended.
    /// `progress` is called with the number of assets written so far.
    pub async fn load_demo(
        &self,
        sites: usize,
        assets_per_site: usize,
        actor: &str,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<DemoLoad, StoreError> {
        let mut done = DemoLoad::default();
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
            for asset in site.assets {
                let mut values = asset.values;
                values.insert("site_id", Value::Int(site_id));
                values.insert("zone_id", Value::Int(zone_id(asset.zone)?));
                tx.create(&ASSET_KIND, values).await?;
                done.assets_created += 1;
                if done.assets_created % 500 == 0 {
                    progress(done.assets_created as u64);
                }
            }
            tx.commit().await?;
            progress(done.assets_created as u64);
            done.sites_created += 1;
        }
        Ok(done)
    }
}
