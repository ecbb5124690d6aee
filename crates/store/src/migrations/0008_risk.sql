-- Risk management (issue 5): risk methods (versioned; a row per version, the organization's
-- with site_id NULL), zone SL-T justifications, risk assessments, risks (threat scenarios),
-- treatment actions and exceptions, with their reference lists.
ALTER TABLE zone ADD COLUMN sl_t_justification TEXT;

CREATE TABLE risk_method (
    id {{ID}},
    site_id BIGINT REFERENCES site (id),
    document TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX risk_method_site ON risk_method (site_id, id);
-- Version 1: otkeep's default method (RiskMethod::default_method, checked by a test).
INSERT INTO risk_method (site_id, document, created_at, created_by)
VALUES (NULL, '{"name":"otkeep default 5×5","likelihood":[{"label":"Rare","description":"Not expected within the life of the system"},{"label":"Unlikely","description":"Could happen, no known attempts against similar plants"},{"label":"Possible","description":"Attempts against similar plants are known"},{"label":"Likely","description":"Expected within a few years"},{"label":"Almost certain","description":"Expected within a year"}],"impact":[{"label":"Negligible","description":"No lasting effect"},{"label":"Minor","description":"Contained within the site, recovered within a shift"},{"label":"Moderate","description":"Lost batches or production days; reportable"},{"label":"Major","description":"Injury, environmental release or regulatory action"},{"label":"Severe","description":"Fatality, major release, loss of licence to operate"}],"categories":[{"key":"safety","label":"Health and safety","steps":[]},{"key":"quality","label":"Quality / product","steps":[]},{"key":"production","label":"Production","steps":[]},{"key":"environment","label":"Environment","steps":[]},{"key":"financial","label":"Financial","steps":[]},{"key":"regulatory","label":"Regulatory","steps":[]}],"combine":"maximum","levels":[{"key":"low","label":"Low","from_score":1,"accepted_by":["site_engineer","program_owner","admin"],"colour":"#2e7d32"},{"key":"medium","label":"Medium","from_score":5,"accepted_by":["program_owner","admin"],"colour":"#f9a825"},{"key":"high","label":"High","from_score":10,"accepted_by":["program_owner"],"colour":"#ef6c00"},{"key":"critical","label":"Critical","from_score":17,"accepted_by":[],"colour":"#c62828"}],"allow_site_overrides":false}', '2026-11-28T00:00:00.000000Z', 'otkeep');

CREATE TABLE risk_assessment (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    scope TEXT,
    initial_likelihood BIGINT,
    initial_impacts TEXT,
    method_version BIGINT REFERENCES risk_method (id),
    sl_t_recommended_fr1 BIGINT, sl_t_recommended_fr2 BIGINT, sl_t_recommended_fr3 BIGINT,
    sl_t_recommended_fr4 BIGINT, sl_t_recommended_fr5 BIGINT, sl_t_recommended_fr6 BIGINT,
    sl_t_recommended_fr7 BIGINT,
    sl_t_justification TEXT,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    assessed_on TEXT,
    review_date TEXT
);
CREATE UNIQUE INDEX risk_assessment_site_name ON risk_assessment (site_id, name);
CREATE INDEX risk_assessment_name ON risk_assessment (name, id);
CREATE INDEX risk_assessment_review ON risk_assessment (review_date);
CREATE TABLE risk_assessment_zones (
    owner_id BIGINT NOT NULL REFERENCES risk_assessment (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES zone (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX risk_assessment_zones_ref ON risk_assessment_zones (ref_id);

CREATE TABLE risk (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    risk_assessment_id BIGINT NOT NULL REFERENCES risk_assessment (id),
    threat_source TEXT NOT NULL,
    vector TEXT,
    vulnerability TEXT,
    impacts TEXT NOT NULL,
    existing_countermeasures TEXT,
    likelihood BIGINT NOT NULL,
    residual_likelihood BIGINT,
    residual_impacts TEXT,
    treatment TEXT,
    owner TEXT NOT NULL
);
CREATE UNIQUE INDEX risk_site_name ON risk (site_id, name);
CREATE INDEX risk_name ON risk (name, id);
CREATE INDEX risk_assessment_ref ON risk (risk_assessment_id);
CREATE TABLE risk_assets (
    owner_id BIGINT NOT NULL REFERENCES risk (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES asset (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX risk_assets_ref ON risk_assets (ref_id);

CREATE TABLE treatment (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    requirements TEXT,
    addresses TEXT,
    owner TEXT NOT NULL,
    due_date TEXT NOT NULL,
    milestone TEXT,
    status TEXT NOT NULL,
    expected_residual TEXT,
    notes TEXT
);
CREATE UNIQUE INDEX treatment_site_name ON treatment (site_id, name);
CREATE INDEX treatment_due ON treatment (due_date, id);
CREATE INDEX treatment_name ON treatment (name, id);
CREATE TABLE treatment_risks (
    owner_id BIGINT NOT NULL REFERENCES treatment (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES risk (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX treatment_risks_ref ON treatment_risks (ref_id);
CREATE TABLE treatment_zones (
    owner_id BIGINT NOT NULL REFERENCES treatment (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES zone (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX treatment_zones_ref ON treatment_zones (ref_id);

CREATE TABLE exception (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    requirements TEXT,
    constraints TEXT,
    justification TEXT NOT NULL,
    compensating_controls TEXT NOT NULL,
    residual_risk TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    expiry_date TEXT NOT NULL,
    review_interval_days BIGINT NOT NULL
);
CREATE UNIQUE INDEX exception_site_name ON exception (site_id, name);
CREATE INDEX exception_expiry ON exception (expiry_date, id);
CREATE INDEX exception_name ON exception (name, id);
CREATE INDEX exception_residual ON exception (residual_risk);
CREATE TABLE exception_assets (
    owner_id BIGINT NOT NULL REFERENCES exception (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES asset (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX exception_assets_ref ON exception_assets (ref_id);
CREATE TABLE exception_zones (
    owner_id BIGINT NOT NULL REFERENCES exception (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES zone (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX exception_zones_ref ON exception_zones (ref_id);
