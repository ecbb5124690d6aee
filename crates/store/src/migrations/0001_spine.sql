-- The record spine: sites, zones, conduits (with channels), assets, and the audit trail.
-- Every record table has id, version (optimistic concurrency), created_at and updated_at
-- (UTC, RFC 3339 with microseconds, so that text order is time order).

CREATE TABLE site (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    description TEXT
);
CREATE UNIQUE INDEX site_code ON site (code);

CREATE TABLE zone (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    purdue_level TEXT,
    sl_t_fr1 BIGINT, sl_t_fr2 BIGINT, sl_t_fr3 BIGINT, sl_t_fr4 BIGINT,
    sl_t_fr5 BIGINT, sl_t_fr6 BIGINT, sl_t_fr7 BIGINT,
    owner TEXT NOT NULL,
    description TEXT
);
CREATE UNIQUE INDEX zone_site_name ON zone (site_id, name);
CREATE INDEX zone_name ON zone (name, id);

CREATE TABLE conduit (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    name TEXT NOT NULL,
    zone_a_id BIGINT NOT NULL REFERENCES zone (id),
    zone_b_id BIGINT NOT NULL REFERENCES zone (id),
    cross_site BIGINT NOT NULL DEFAULT 0,
    sl_t_fr1 BIGINT, sl_t_fr2 BIGINT, sl_t_fr3 BIGINT, sl_t_fr4 BIGINT,
    sl_t_fr5 BIGINT, sl_t_fr6 BIGINT, sl_t_fr7 BIGINT,
    owner TEXT NOT NULL,
    description TEXT
);
CREATE UNIQUE INDEX conduit_site_name ON conduit (site_id, name);
CREATE INDEX conduit_zone_a ON conduit (zone_a_id);
CREATE INDEX conduit_zone_b ON conduit (zone_b_id);
CREATE INDEX conduit_name ON conduit (name, id);

CREATE TABLE conduit_channels (
    owner_id BIGINT NOT NULL REFERENCES conduit (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    protocol TEXT NOT NULL,
    port BIGINT,
    transport TEXT NOT NULL,
    direction TEXT NOT NULL,
    PRIMARY KEY (owner_id, position)
);
CREATE INDEX conduit_channels_port ON conduit_channels (port);

CREATE TABLE asset (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    site_id BIGINT NOT NULL REFERENCES site (id),
    zone_id BIGINT REFERENCES zone (id),
    name TEXT NOT NULL,
    asset_type TEXT NOT NULL,
    vendor TEXT,
    model TEXT,
    firmware_version TEXT,
    serial_number TEXT,
    ip_addresses TEXT,
    mac_addresses TEXT,
    location TEXT,
    criticality TEXT NOT NULL,
    owner TEXT NOT NULL,
    lifecycle TEXT NOT NULL,
    legacy BIGINT NOT NULL DEFAULT 0,
    compensating_controls TEXT,
    description TEXT
);
-- Lists sort by name by default and filter by site, zone, type, criticality or lifecycle:
-- each filter has an index that also serves the default order.
CREATE UNIQUE INDEX asset_site_name ON asset (site_id, name);
CREATE INDEX asset_name ON asset (name, id);
CREATE INDEX asset_zone_name ON asset (zone_id, name);
CREATE INDEX asset_type_name ON asset (asset_type, name);
CREATE INDEX asset_site_type_name ON asset (site_id, asset_type, name);
CREATE INDEX asset_criticality_name ON asset (criticality, name);
CREATE INDEX asset_site_criticality ON asset (site_id, criticality);
CREATE INDEX asset_lifecycle_name ON asset (lifecycle, name);

-- The audit trail: append-only, hash-chained. hash = SHA-256(prev_hash "\n" canonical event).
CREATE TABLE audit_event (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    kind TEXT NOT NULL,
    record_id BIGINT,
    before_json TEXT,
    after_json TEXT,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_event_record ON audit_event (kind, record_id, seq);
