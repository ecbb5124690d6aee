-- Security advisories (CSAF), their earlier versions, a vendor index for matching, and the
-- triage of each (advisory, asset) match.
CREATE TABLE advisory (
    id {{ID}},
    tracking_id TEXT NOT NULL,
    title TEXT NOT NULL,
    publisher TEXT NOT NULL,
    version TEXT NOT NULL,
    initial_release TEXT NOT NULL,
    current_release TEXT NOT NULL,
    severity TEXT NOT NULL,
    -- Highest CVSS base score × 10 (exact integers on both backends).
    max_score10 BIGINT,
    known_exploited BIGINT NOT NULL,
    vulnerability_count BIGINT NOT NULL,
    product_count BIGINT NOT NULL,
    cves TEXT NOT NULL,
    document TEXT NOT NULL,
    source_file TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);
CREATE UNIQUE INDEX advisory_tracking ON advisory (tracking_id);
CREATE INDEX advisory_release ON advisory (current_release, id);

CREATE TABLE advisory_history (
    advisory_id BIGINT NOT NULL REFERENCES advisory (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    current_release TEXT NOT NULL,
    document TEXT NOT NULL,
    replaced_at TEXT NOT NULL,
    replaced_by TEXT NOT NULL
);
CREATE INDEX advisory_history_advisory ON advisory_history (advisory_id);

CREATE TABLE advisory_vendor (
    advisory_id BIGINT NOT NULL REFERENCES advisory (id) ON DELETE CASCADE,
    vendor_key TEXT NOT NULL,
    PRIMARY KEY (advisory_id, vendor_key)
);
CREATE INDEX advisory_vendor_key ON advisory_vendor (vendor_key);

CREATE TABLE advisory_match (
    id {{ID}},
    advisory_id BIGINT NOT NULL REFERENCES advisory (id) ON DELETE CASCADE,
    asset_id BIGINT NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
    site_id BIGINT NOT NULL REFERENCES site (id),
    product_id TEXT NOT NULL,
    confidence TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    justification TEXT,
    link_kind TEXT,
    link_id BIGINT,
    version BIGINT NOT NULL,
    matched_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE UNIQUE INDEX advisory_match_pair ON advisory_match (advisory_id, asset_id);
CREATE INDEX advisory_match_asset ON advisory_match (asset_id);
CREATE INDEX advisory_match_site_status ON advisory_match (site_id, status);

CREATE TABLE vendor_alias (
    alias TEXT PRIMARY KEY,
    vendor TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
