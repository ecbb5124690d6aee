-- Software bills of materials, attached to an asset (and so to its site) or to a firmware
-- version of a vendor's model (organization-wide).
CREATE TABLE sbom (
    id {{ID}},
    asset_id BIGINT REFERENCES asset (id) ON DELETE CASCADE,
    site_id BIGINT REFERENCES site (id),
    vendor TEXT,
    model TEXT,
    firmware TEXT,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    format TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    component_count BIGINT NOT NULL,
    document TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    source_file TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);
CREATE INDEX sbom_asset ON sbom (asset_id);
CREATE INDEX sbom_site ON sbom (site_id, id);
CREATE INDEX sbom_model ON sbom (vendor, model);
