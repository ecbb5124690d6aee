-- Countermeasures name any number of zones and components: the single zone_id / asset_id
-- columns become the child tables countermeasure_zones and countermeasure_assets.
CREATE TABLE countermeasure_links_0007 AS SELECT id, zone_id, asset_id FROM countermeasure;
ALTER TABLE countermeasure DROP COLUMN zone_id, DROP COLUMN asset_id;
