-- Program roles of people, the RACI matrix, required trainings and their completion records
-- (issue 9).
CREATE TABLE role_assignment (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    person TEXT NOT NULL,
    role TEXT NOT NULL,
    since TEXT,
    until TEXT,
    notes TEXT
);
CREATE UNIQUE INDEX role_assignment_site_person_role ON role_assignment (site_id, person, role);
CREATE INDEX role_assignment_person ON role_assignment (person, id);
CREATE TABLE training (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    refresh_days BIGINT,
    content TEXT,
    owner TEXT NOT NULL
);
CREATE UNIQUE INDEX training_site_name_role ON training (site_id, name, role);
CREATE INDEX training_name ON training (name, id);
CREATE TABLE training_record (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    training_id BIGINT NOT NULL REFERENCES training (id),
    person TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    trainer TEXT,
    evidence TEXT,
    expires_on TEXT
);
CREATE INDEX training_record_training ON training_record (training_id, id);
CREATE INDEX training_record_person ON training_record (person, id);
CREATE INDEX training_record_completed ON training_record (completed_on, id);
CREATE TABLE raci_entry (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    activity TEXT NOT NULL,
    role TEXT NOT NULL,
    responsibility TEXT NOT NULL,
    notes TEXT
);
CREATE UNIQUE INDEX raci_entry_site_activity_role ON raci_entry (site_id, activity, role);
CREATE INDEX raci_entry_activity ON raci_entry (activity, id);
