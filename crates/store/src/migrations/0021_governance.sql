-- Suppliers, incidents, security tests and periodic reviews (issue 9).
CREATE TABLE supplier_requirement_set (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    audience TEXT NOT NULL,
    document_id BIGINT REFERENCES document (id),
    owner TEXT NOT NULL
);
CREATE UNIQUE INDEX supplier_requirement_set_site_id_name ON supplier_requirement_set (site_id, name);
CREATE INDEX supplier_requirement_set_name ON supplier_requirement_set (name, id);
CREATE INDEX supplier_requirement_set_document_id ON supplier_requirement_set (document_id);
CREATE TABLE supplier (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    supplier_type TEXT NOT NULL,
    contact TEXT,
    products TEXT,
    requirement_set_id BIGINT REFERENCES supplier_requirement_set (id),
    status TEXT NOT NULL,
    assessed_on TEXT,
    owner TEXT NOT NULL,
    notes TEXT
);
CREATE UNIQUE INDEX supplier_site_id_name ON supplier (site_id, name);
CREATE INDEX supplier_name ON supplier (name, id);
CREATE INDEX supplier_assessed_on ON supplier (assessed_on, id);
CREATE INDEX supplier_requirement_set_id ON supplier (requirement_set_id);
CREATE TABLE supplier_clause (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    set_id BIGINT NOT NULL REFERENCES supplier_requirement_set (id),
    number TEXT NOT NULL,
    text TEXT NOT NULL,
    requirements TEXT
);
CREATE UNIQUE INDEX supplier_clause_set_id_number ON supplier_clause (set_id, number);
CREATE INDEX supplier_clause_number ON supplier_clause (number, id);
CREATE TABLE capability_declaration (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    supplier_id BIGINT NOT NULL REFERENCES supplier (id),
    vendor TEXT NOT NULL,
    model TEXT NOT NULL,
    firmware TEXT,
    sl_c_fr1 BIGINT,
    sl_c_fr2 BIGINT,
    sl_c_fr3 BIGINT,
    sl_c_fr4 BIGINT,
    sl_c_fr5 BIGINT,
    sl_c_fr6 BIGINT,
    sl_c_fr7 BIGINT,
    component_requirements TEXT,
    certification TEXT,
    evidence_document_id BIGINT REFERENCES document (id),
    valid_until TEXT
);
CREATE UNIQUE INDEX capability_declaration_site_id_vendor_model ON capability_declaration (site_id, vendor, model);
CREATE INDEX capability_declaration_vendor ON capability_declaration (vendor, id);
CREATE INDEX capability_declaration_model ON capability_declaration (model, id);
CREATE INDEX capability_declaration_valid_until ON capability_declaration (valid_until, id);
CREATE INDEX capability_declaration_supplier_id ON capability_declaration (supplier_id);
CREATE INDEX capability_declaration_evidence_document_id ON capability_declaration (evidence_document_id);
CREATE TABLE support_agreement (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    supplier_id BIGINT NOT NULL REFERENCES supplier (id),
    access_windows TEXT NOT NULL,
    minimum_controls TEXT NOT NULL,
    logging_duties TEXT,
    valid_from TEXT,
    expires_on TEXT NOT NULL,
    document_id BIGINT REFERENCES document (id),
    owner TEXT NOT NULL
);
CREATE INDEX support_agreement_expires_on ON support_agreement (expires_on, id);
CREATE INDEX support_agreement_supplier_id ON support_agreement (supplier_id);
CREATE INDEX support_agreement_document_id ON support_agreement (document_id);
CREATE TABLE support_agreement_assets (
    owner_id BIGINT NOT NULL REFERENCES support_agreement (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES asset (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX support_agreement_assets_ref ON support_agreement_assets (ref_id);
CREATE TABLE incident (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    zone_id BIGINT REFERENCES zone (id),
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    safety_impact TEXT NOT NULL,
    quality_impact TEXT NOT NULL,
    production_impact TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT NOT NULL,
    description TEXT NOT NULL,
    contained_at TEXT,
    recovered_at TEXT,
    closed_at TEXT,
    actions_taken TEXT,
    root_cause TEXT,
    lessons_learned TEXT,
    playbook_id BIGINT REFERENCES document (id)
);
CREATE INDEX incident_name ON incident (name, id);
CREATE INDEX incident_detected_at ON incident (detected_at, id);
CREATE INDEX incident_severity ON incident (severity, id);
CREATE INDEX incident_recovered_at ON incident (recovered_at, id);
CREATE INDEX incident_zone_id ON incident (zone_id);
CREATE INDEX incident_playbook_id ON incident (playbook_id);
CREATE INDEX incident_site_id ON incident (site_id, status);
CREATE TABLE incident_assets (
    owner_id BIGINT NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES asset (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX incident_assets_ref ON incident_assets (ref_id);
CREATE TABLE incident_changes (
    owner_id BIGINT NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES change_request (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX incident_changes_ref ON incident_changes (ref_id);
CREATE TABLE incident_treatments (
    owner_id BIGINT NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES treatment (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX incident_treatments_ref ON incident_treatments (ref_id);
CREATE TABLE incident_entry (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    incident_id BIGINT NOT NULL REFERENCES incident (id),
    at TEXT NOT NULL,
    entry_type TEXT NOT NULL,
    author TEXT NOT NULL,
    entry TEXT NOT NULL
);
CREATE INDEX incident_entry_incident_id ON incident_entry (incident_id, at);
CREATE INDEX incident_entry_at ON incident_entry (at, id);
CREATE TABLE validation_test (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    test_type TEXT NOT NULL,
    zone_id BIGINT REFERENCES zone (id),
    supplier_id BIGINT REFERENCES supplier (id),
    status TEXT NOT NULL,
    check_accounts TEXT NOT NULL,
    check_logging TEXT NOT NULL,
    check_patch_level TEXT NOT NULL,
    check_remote_access TEXT NOT NULL,
    check_zone_design TEXT NOT NULL,
    template_id BIGINT REFERENCES checklist_template (id),
    template_items TEXT,
    result TEXT,
    findings TEXT,
    evidence TEXT,
    executed_by TEXT,
    witness TEXT,
    executed_on TEXT
);
CREATE INDEX validation_test_name ON validation_test (name, id);
CREATE INDEX validation_test_executed_on ON validation_test (executed_on, id);
CREATE INDEX validation_test_zone_id ON validation_test (zone_id);
CREATE INDEX validation_test_supplier_id ON validation_test (supplier_id);
CREATE INDEX validation_test_template_id ON validation_test (template_id);
CREATE TABLE validation_test_assets (
    owner_id BIGINT NOT NULL REFERENCES validation_test (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES asset (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX validation_test_assets_ref ON validation_test_assets (ref_id);
CREATE TABLE periodic_review (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    review_type TEXT NOT NULL,
    scope TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    status TEXT NOT NULL,
    reviewed_on TEXT,
    summary TEXT,
    next_review TEXT
);
CREATE INDEX periodic_review_name ON periodic_review (name, id);
CREATE INDEX periodic_review_reviewed_on ON periodic_review (reviewed_on, id);
CREATE INDEX periodic_review_next_review ON periodic_review (next_review, id);
CREATE TABLE review_finding (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    review_id BIGINT NOT NULL REFERENCES periodic_review (id),
    finding TEXT NOT NULL,
    severity TEXT NOT NULL,
    requirements TEXT,
    treatment_id BIGINT REFERENCES treatment (id),
    status TEXT NOT NULL,
    owner TEXT NOT NULL
);
CREATE INDEX review_finding_finding ON review_finding (finding, id);
CREATE INDEX review_finding_review_id ON review_finding (review_id);
CREATE INDEX review_finding_treatment_id ON review_finding (treatment_id);
