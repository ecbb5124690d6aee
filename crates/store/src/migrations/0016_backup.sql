-- Backup plans, backups and restore tests (issue 8).
CREATE TABLE backup_plan (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    contents TEXT NOT NULL,
    frequency_days BIGINT NOT NULL,
    restore_test_days BIGINT NOT NULL,
    storage TEXT,
    retention TEXT,
    owner TEXT NOT NULL,
    notes TEXT
);
CREATE UNIQUE INDEX backup_plan_site_name ON backup_plan (site_id, name);
CREATE INDEX backup_plan_name ON backup_plan (name, id);
CREATE TABLE backup_plan_assets (
    owner_id BIGINT NOT NULL REFERENCES backup_plan (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES asset (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX backup_plan_assets_ref ON backup_plan_assets (ref_id);
CREATE TABLE backup_record (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    plan_id BIGINT NOT NULL REFERENCES backup_plan (id),
    taken_on TEXT NOT NULL,
    result TEXT NOT NULL,
    size_bytes BIGINT,
    checksum TEXT,
    taken_by TEXT,
    notes TEXT
);
CREATE INDEX backup_record_plan ON backup_record (plan_id, taken_on);
CREATE INDEX backup_record_taken ON backup_record (taken_on, id);
CREATE TABLE restore_test (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    plan_id BIGINT NOT NULL REFERENCES backup_plan (id),
    tested_on TEXT NOT NULL,
    scope TEXT,
    result TEXT NOT NULL,
    minutes_to_restore BIGINT,
    evidence TEXT,
    tested_by TEXT NOT NULL
);
CREATE INDEX restore_test_plan ON restore_test (plan_id, tested_on);
CREATE INDEX restore_test_tested ON restore_test (tested_on, id);
