-- The inventory of certificates and keys (issue 7).
CREATE TABLE certificate (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    key_kind TEXT NOT NULL,
    subject TEXT,
    issuer TEXT,
    serial TEXT,
    fingerprint TEXT,
    algorithm TEXT,
    key_bits BIGINT,
    signature_algorithm TEXT,
    valid_from TEXT,
    valid_to TEXT,
    owner TEXT NOT NULL,
    storage TEXT,
    rotation TEXT,
    rotate_by TEXT
);
CREATE UNIQUE INDEX certificate_site_name ON certificate (site_id, name);
CREATE INDEX certificate_name ON certificate (name, id);
CREATE INDEX certificate_valid_to ON certificate (valid_to, id);
CREATE INDEX certificate_rotate_by ON certificate (rotate_by, id);
CREATE TABLE certificate_assets (
    owner_id BIGINT NOT NULL REFERENCES certificate (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES asset (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX certificate_assets_ref ON certificate_assets (ref_id);
CREATE TABLE certificate_conduits (
    owner_id BIGINT NOT NULL REFERENCES certificate (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES conduit (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX certificate_conduits_ref ON certificate_conduits (ref_id);
