-- Observed traffic (issue 11): imported packet captures and Zeek logs of a site, with the hosts
-- and flows found in them (the evidence that reconciliation findings cite).
CREATE TABLE observation (
    id {{ID}},
    site_id BIGINT NOT NULL REFERENCES site (id),
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    packets BIGINT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    warnings TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);
CREATE UNIQUE INDEX observation_file ON observation (site_id, sha256);
CREATE TABLE observed_host (
    observation_id BIGINT NOT NULL REFERENCES observation (id),
    ip TEXT,
    mac TEXT,
    vendor TEXT,
    protocols TEXT NOT NULL,
    roles TEXT NOT NULL,
    packets BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE INDEX observed_host_observation ON observed_host (observation_id);
CREATE TABLE observed_flow (
    observation_id BIGINT NOT NULL REFERENCES observation (id),
    transport TEXT NOT NULL,
    client_ip TEXT,
    client_mac TEXT,
    server_ip TEXT,
    server_mac TEXT,
    port BIGINT,
    protocol TEXT NOT NULL,
    packets BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    writes BIGINT NOT NULL,
    operations TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE INDEX observed_flow_observation ON observed_flow (observation_id);
