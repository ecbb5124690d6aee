-- Countermeasures name any number of zones and components: the single zone_id / asset_id
-- columns become the child tables countermeasure_zones and countermeasure_assets. SQLite
-- cannot drop a column that a foreign key uses, so the table is rebuilt (nothing refers to it).
CREATE TABLE countermeasure_links_0007 AS SELECT id, zone_id, asset_id FROM countermeasure;
CREATE TABLE countermeasure_0007 (
    id INTEGER PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    requirements TEXT NOT NULL,
    reasoning TEXT NOT NULL,
    residual_risk TEXT NOT NULL,
    owner TEXT NOT NULL,
    review_date TEXT NOT NULL
);
INSERT INTO countermeasure_0007 (id, version, created_at, updated_at, site_id, name,
    requirements, reasoning, residual_risk, owner, review_date)
SELECT id, version, created_at, updated_at, site_id, name, requirements, reasoning,
    residual_risk, owner, review_date FROM countermeasure;
DROP TABLE countermeasure;
ALTER TABLE countermeasure_0007 RENAME TO countermeasure;
CREATE UNIQUE INDEX countermeasure_site_name ON countermeasure (site_id, name);
CREATE INDEX countermeasure_name ON countermeasure (name, id);
