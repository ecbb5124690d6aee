-- Patches, OT accounts and access, remote access sessions (issue 8).
CREATE TABLE patch (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    vendor TEXT NOT NULL,
    products TEXT NOT NULL,
    patch_version TEXT,
    patch_type TEXT NOT NULL,
    severity TEXT NOT NULL,
    advisories TEXT,
    qualification TEXT NOT NULL,
    released_on TEXT NOT NULL,
    notes TEXT
);
CREATE UNIQUE INDEX patch_site_name ON patch (site_id, name);
CREATE INDEX patch_name ON patch (name, id);
CREATE INDEX patch_released ON patch (released_on, id);
CREATE TABLE patch_deployment (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT,
    patch_id BIGINT NOT NULL REFERENCES patch (id),
    asset_id BIGINT NOT NULL REFERENCES asset (id),
    state TEXT NOT NULL,
    evaluated_on TEXT,
    test_evidence TEXT,
    change_id BIGINT REFERENCES change_request (id),
    deployed_on TEXT,
    deployed_by TEXT,
    exception_id BIGINT REFERENCES exception (id),
    deferred_until TEXT,
    notes TEXT
);
CREATE UNIQUE INDEX patch_deployment_pair ON patch_deployment (patch_id, asset_id);
CREATE INDEX patch_deployment_asset ON patch_deployment (asset_id);
CREATE INDEX patch_deployment_name ON patch_deployment (name, id);
CREATE INDEX patch_deployment_state ON patch_deployment (site_id, state);
CREATE TABLE ot_account (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    asset_id BIGINT NOT NULL REFERENCES asset (id),
    account_type TEXT NOT NULL,
    holders TEXT,
    privileges TEXT,
    status TEXT NOT NULL,
    created_on TEXT,
    last_reviewed TEXT,
    review_days BIGINT,
    notes TEXT
);
CREATE UNIQUE INDEX ot_account_system_name ON ot_account (asset_id, name);
CREATE INDEX ot_account_name ON ot_account (name, id);
CREATE TABLE access_review (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    asset_id BIGINT NOT NULL REFERENCES asset (id),
    reviewed_on TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    notes TEXT
);
CREATE INDEX access_review_system ON access_review (asset_id, reviewed_on);
CREATE INDEX access_review_reviewed ON access_review (reviewed_on, id);
CREATE TABLE access_review_confirmed (
    owner_id BIGINT NOT NULL REFERENCES access_review (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES ot_account (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX access_review_confirmed_ref ON access_review_confirmed (ref_id);
CREATE TABLE access_review_to_revoke (
    owner_id BIGINT NOT NULL REFERENCES access_review (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES ot_account (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX access_review_to_revoke_ref ON access_review_to_revoke (ref_id);
CREATE TABLE revocation (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    person TEXT NOT NULL,
    reason TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    completed_at TEXT,
    completed_by TEXT,
    notes TEXT
);
CREATE INDEX revocation_person ON revocation (person, id);
CREATE INDEX revocation_requested ON revocation (requested_at, id);
CREATE INDEX revocation_completed ON revocation (completed_at, id);
CREATE TABLE revocation_accounts (
    owner_id BIGINT NOT NULL REFERENCES revocation (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES ot_account (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX revocation_accounts_ref ON revocation_accounts (ref_id);
CREATE TABLE remote_session (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    requester TEXT NOT NULL,
    company TEXT,
    purpose TEXT NOT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    change_id BIGINT REFERENCES change_request (id),
    status TEXT NOT NULL,
    access_path TEXT,
    started_at TEXT,
    ended_at TEXT,
    performed_by TEXT,
    recording_ref TEXT,
    summary TEXT,
    access_removed BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX remote_session_name ON remote_session (name, id);
CREATE INDEX remote_session_window ON remote_session (window_start, id);
CREATE INDEX remote_session_status ON remote_session (site_id, status);
CREATE TABLE remote_session_assets (
    owner_id BIGINT NOT NULL REFERENCES remote_session (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES asset (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX remote_session_assets_ref ON remote_session_assets (ref_id);
CREATE TABLE remote_session_zones (
    owner_id BIGINT NOT NULL REFERENCES remote_session (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES zone (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX remote_session_zones_ref ON remote_session_zones (ref_id);
