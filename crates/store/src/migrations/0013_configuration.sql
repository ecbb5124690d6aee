-- Configuration baselines and conformance, commissioning and decommissioning (issue 7).
CREATE TABLE baseline (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    platform TEXT,
    asset_types TEXT,
    review_interval_days BIGINT NOT NULL,
    owner TEXT NOT NULL,
    description TEXT
);
CREATE UNIQUE INDEX baseline_site_name ON baseline (site_id, name);
CREATE INDEX baseline_name ON baseline (name, id);

CREATE TABLE baseline_item (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    baseline_id BIGINT NOT NULL REFERENCES baseline (id),
    name TEXT NOT NULL,
    expected TEXT NOT NULL,
    rationale TEXT,
    requirements TEXT
);
CREATE UNIQUE INDEX baseline_item_name ON baseline_item (baseline_id, name);
CREATE INDEX baseline_item_sort ON baseline_item (name, id);

CREATE TABLE conformance (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    asset_id BIGINT NOT NULL REFERENCES asset (id),
    baseline_id BIGINT NOT NULL REFERENCES baseline (id),
    checked_on TEXT NOT NULL,
    checked_by TEXT NOT NULL,
    passed BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    not_applicable BIGINT,
    deviations TEXT,
    evidence TEXT
);
CREATE INDEX conformance_asset ON conformance (asset_id, checked_on);
CREATE INDEX conformance_baseline ON conformance (baseline_id, checked_on);
CREATE INDEX conformance_checked ON conformance (checked_on, id);
CREATE TABLE conformance_exceptions (
    owner_id BIGINT NOT NULL REFERENCES conformance (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES exception (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX conformance_exceptions_ref ON conformance_exceptions (ref_id);
CREATE TABLE conformance_changes (
    owner_id BIGINT NOT NULL REFERENCES conformance (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES change_request (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX conformance_changes_ref ON conformance_changes (ref_id);

CREATE TABLE commissioning (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    asset_id BIGINT NOT NULL REFERENCES asset (id),
    status TEXT NOT NULL,
    services_disabled BIGINT NOT NULL DEFAULT 0,
    default_accounts_changed BIGINT NOT NULL DEFAULT 0,
    baseline_applied BIGINT NOT NULL DEFAULT 0,
    logging_enabled BIGINT NOT NULL DEFAULT 0,
    time_synced BIGINT NOT NULL DEFAULT 0,
    parameters_recorded BIGINT NOT NULL DEFAULT 0,
    backup_planned BIGINT NOT NULL DEFAULT 0,
    zone_assigned BIGINT NOT NULL DEFAULT 0,
    evidence TEXT,
    completed_by TEXT,
    completed_on TEXT
);
CREATE INDEX commissioning_asset ON commissioning (asset_id);
CREATE INDEX commissioning_completed ON commissioning (completed_on, id);

CREATE TABLE decommissioning (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    asset_id BIGINT NOT NULL REFERENCES asset (id),
    status TEXT NOT NULL,
    data_wiped BIGINT NOT NULL DEFAULT 0,
    wipe_method TEXT,
    keys_revoked BIGINT NOT NULL DEFAULT 0,
    accounts_removed BIGINT NOT NULL DEFAULT 0,
    backup_decided BIGINT NOT NULL DEFAULT 0,
    backup_retention TEXT,
    removed_from_model BIGINT NOT NULL DEFAULT 0,
    evidence TEXT,
    completed_by TEXT,
    completed_on TEXT
);
CREATE INDEX decommissioning_asset ON decommissioning (asset_id);
CREATE INDEX decommissioning_completed ON decommissioning (completed_on, id);
