-- Log sources and their reviews (issue 8).
CREATE TABLE log_source (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    collected TEXT NOT NULL,
    destination TEXT,
    review_days BIGINT NOT NULL,
    owner TEXT NOT NULL
);
CREATE UNIQUE INDEX log_source_site_name ON log_source (site_id, name);
CREATE INDEX log_source_name ON log_source (name, id);
CREATE TABLE log_source_zones (
    owner_id BIGINT NOT NULL REFERENCES log_source (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES zone (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX log_source_zones_ref ON log_source_zones (ref_id);
CREATE TABLE log_source_assets (
    owner_id BIGINT NOT NULL REFERENCES log_source (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES asset (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX log_source_assets_ref ON log_source_assets (ref_id);
CREATE TABLE log_review (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    source_id BIGINT NOT NULL REFERENCES log_source (id),
    reviewed_on TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    anomalies TEXT,
    escalated BIGINT NOT NULL DEFAULT 0,
    incident_ref TEXT
);
CREATE INDEX log_review_source ON log_review (source_id, reviewed_on);
CREATE INDEX log_review_reviewed ON log_review (reviewed_on, id);
