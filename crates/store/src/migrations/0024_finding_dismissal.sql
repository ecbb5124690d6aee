-- Findings of observed traffic dismissed with a reason (issue 11): keyed by the finding's rule
-- and facts, so the same finding stays dismissed across later imports.
CREATE TABLE finding_dismissal (
    site_id BIGINT NOT NULL REFERENCES site (id),
    finding_key TEXT NOT NULL,
    rule TEXT NOT NULL,
    reason TEXT NOT NULL,
    dismissed_at TEXT NOT NULL,
    dismissed_by TEXT NOT NULL,
    PRIMARY KEY (site_id, finding_key)
);
