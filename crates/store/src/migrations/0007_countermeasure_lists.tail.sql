-- (Both backends, after the table change above.) Reference lists: one row per named record,
-- in the order given.
CREATE TABLE countermeasure_zones (
    owner_id BIGINT NOT NULL REFERENCES countermeasure (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES zone (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX countermeasure_zones_ref ON countermeasure_zones (ref_id);
CREATE TABLE countermeasure_assets (
    owner_id BIGINT NOT NULL REFERENCES countermeasure (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES asset (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX countermeasure_assets_ref ON countermeasure_assets (ref_id);
INSERT INTO countermeasure_zones (owner_id, position, ref_id)
SELECT id, 0, zone_id FROM countermeasure_links_0007;
INSERT INTO countermeasure_assets (owner_id, position, ref_id)
SELECT id, 0, asset_id FROM countermeasure_links_0007 WHERE asset_id IS NOT NULL;
DROP TABLE countermeasure_links_0007;
