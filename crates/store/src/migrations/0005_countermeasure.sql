-- Compensating countermeasures: approved by e-signature, valid until their review date.
CREATE TABLE countermeasure (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    zone_id BIGINT NOT NULL REFERENCES zone (id),
    asset_id BIGINT REFERENCES asset (id),
    requirements TEXT NOT NULL,
    reasoning TEXT NOT NULL,
    residual_risk TEXT NOT NULL,
    owner TEXT NOT NULL,
    review_date TEXT NOT NULL
);
CREATE UNIQUE INDEX countermeasure_site_name ON countermeasure (site_id, name);
CREATE INDEX countermeasure_zone ON countermeasure (zone_id);
CREATE INDEX countermeasure_asset ON countermeasure (asset_id);
CREATE INDEX countermeasure_name ON countermeasure (name, id);
