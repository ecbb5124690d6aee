-- Document control (issue 9): documents, their versions and the IT policies they refer to.
CREATE TABLE document (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    domain TEXT NOT NULL,
    tags TEXT,
    scope TEXT NOT NULL,
    template_id BIGINT REFERENCES document (id),
    owner TEXT NOT NULL,
    requirements TEXT,
    review_interval_days BIGINT,
    last_reviewed TEXT
);
CREATE UNIQUE INDEX document_site_key ON document (site_id, key);
CREATE INDEX document_key ON document (key, id);
CREATE INDEX document_title ON document (title, id);
CREATE INDEX document_template ON document (template_id);
CREATE TABLE document_zones (
    owner_id BIGINT NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES zone (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX document_zones_ref ON document_zones (ref_id);
CREATE TABLE document_conduits (
    owner_id BIGINT NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES conduit (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX document_conduits_ref ON document_conduits (ref_id);
CREATE TABLE document_assets (
    owner_id BIGINT NOT NULL REFERENCES document (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES asset (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX document_assets_ref ON document_assets (ref_id);
CREATE TABLE document_version (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    document_id BIGINT NOT NULL REFERENCES document (id),
    number TEXT NOT NULL,
    status TEXT NOT NULL,
    author TEXT,
    change_summary TEXT,
    body TEXT,
    file_name TEXT,
    file_sha256 TEXT,
    effective_on TEXT
);
CREATE UNIQUE INDEX document_version_document_number ON document_version (document_id, number);
CREATE INDEX document_version_number ON document_version (number, id);
CREATE INDEX document_version_effective ON document_version (effective_on, id);
CREATE INDEX document_version_sha ON document_version (file_sha256);
CREATE TABLE document_it_reference (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    document_id BIGINT NOT NULL REFERENCES document (id),
    reference TEXT NOT NULL,
    clause TEXT,
    deviation TEXT,
    reason TEXT
);
CREATE INDEX document_it_reference_document ON document_it_reference (document_id, id);
CREATE INDEX document_it_reference_reference ON document_it_reference (reference, id);
