-- Checklist templates: further commissioning or decommissioning items for some asset types.
CREATE TABLE checklist_template (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    purpose TEXT NOT NULL,
    asset_types TEXT,
    items TEXT NOT NULL
);
CREATE UNIQUE INDEX checklist_template_site_name ON checklist_template (site_id, name);
CREATE INDEX checklist_template_name ON checklist_template (name, id);
ALTER TABLE commissioning ADD COLUMN template_id BIGINT REFERENCES checklist_template (id);
ALTER TABLE commissioning ADD COLUMN template_items TEXT;
ALTER TABLE decommissioning ADD COLUMN template_id BIGINT REFERENCES checklist_template (id);
ALTER TABLE decommissioning ADD COLUMN template_items TEXT;
