-- Change requests (management of change, issue 7).
CREATE TABLE change_request (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    change_type TEXT NOT NULL,
    status TEXT NOT NULL,
    description TEXT NOT NULL,
    external_ref TEXT,
    requested_by TEXT NOT NULL,
    emergency BIGINT NOT NULL DEFAULT 0,
    planned_start TEXT,
    planned_end TEXT,
    cyber_impact TEXT,
    changes_model BIGINT NOT NULL DEFAULT 0,
    safety_impact TEXT,
    safety_systems BIGINT NOT NULL DEFAULT 0,
    quality_impact TEXT,
    validated_systems BIGINT NOT NULL DEFAULT 0,
    validation_impact TEXT,
    implemented_on TEXT,
    test_evidence TEXT,
    verification TEXT
);
CREATE UNIQUE INDEX change_request_site_name ON change_request (site_id, name);
CREATE INDEX change_request_name ON change_request (name, id);
CREATE INDEX change_request_status ON change_request (site_id, status);
CREATE INDEX change_request_planned ON change_request (planned_start, id);
CREATE INDEX change_request_implemented ON change_request (implemented_on, id);
CREATE TABLE change_request_assets (
    owner_id BIGINT NOT NULL REFERENCES change_request (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES asset (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX change_request_assets_ref ON change_request_assets (ref_id);
CREATE TABLE change_request_zones (
    owner_id BIGINT NOT NULL REFERENCES change_request (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES zone (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX change_request_zones_ref ON change_request_zones (ref_id);
CREATE TABLE change_request_conduits (
    owner_id BIGINT NOT NULL REFERENCES change_request (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES conduit (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX change_request_conduits_ref ON change_request_conduits (ref_id);
