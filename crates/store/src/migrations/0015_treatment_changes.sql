-- Treatment actions name the change requests that carry them out.
CREATE TABLE treatment_changes (
    owner_id BIGINT NOT NULL REFERENCES treatment (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES change_request (id),
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX treatment_changes_ref ON treatment_changes (ref_id);
