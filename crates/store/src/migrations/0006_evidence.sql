-- Evidence files, content-addressed by SHA-256 (the same file uploaded twice is stored once).
CREATE TABLE evidence_file (
    sha256 TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    content {{BLOB}} NOT NULL,
    uploaded_at TEXT NOT NULL,
    uploaded_by TEXT NOT NULL
);
CREATE INDEX requirement_assessment_evidence ON requirement_assessment (evidence_sha256);
