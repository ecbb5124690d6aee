-- IEC 62443 requirement assessments (one per zone or conduit and requirement), and catalog
-- entries imported from a customer's licensed copy of the standard (text, corrected levels).

CREATE TABLE requirement_assessment (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    zone_id BIGINT REFERENCES zone (id),
    conduit_id BIGINT REFERENCES conduit (id),
    requirement TEXT NOT NULL,
    status TEXT NOT NULL,
    target_date TEXT,
    reason TEXT,
    notes TEXT,
    owner TEXT,
    last_assessed TEXT,
    evidence_url TEXT,
    evidence_sha256 TEXT
);
CREATE UNIQUE INDEX requirement_assessment_zone ON requirement_assessment (zone_id, requirement);
CREATE UNIQUE INDEX requirement_assessment_conduit ON requirement_assessment (conduit_id, requirement);
CREATE INDEX requirement_assessment_site ON requirement_assessment (site_id, requirement);
CREATE INDEX requirement_assessment_requirement ON requirement_assessment (requirement, id);

CREATE TABLE catalog_entry (
    standard TEXT NOT NULL,
    requirement TEXT NOT NULL,
    -- The normative text from the customer's licensed copy.
    body TEXT,
    -- A corrected applicability level (1-4), when the customer's copy says otherwise.
    level BIGINT,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    PRIMARY KEY (standard, requirement)
);
