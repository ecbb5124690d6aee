-- Identity and access control: accounts, their password history, role grants, sessions,
-- API tokens and electronic signatures. Audit events learn the site they concern, so that
-- site-scoped auditors can read the trail of their sites only.

CREATE TABLE account (
    id {{ID}},
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    -- argon2id PHC string; never leaves the store.
    password_hash TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    must_change_password BIGINT NOT NULL DEFAULT 1,
    disabled BIGINT NOT NULL DEFAULT 0,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until TEXT
);
CREATE UNIQUE INDEX account_username ON account (username);

-- Earlier password hashes, to refuse reuse of the last few.
CREATE TABLE password_history (
    account_id BIGINT NOT NULL REFERENCES account (id),
    changed_at TEXT NOT NULL,
    password_hash TEXT NOT NULL
);
CREATE INDEX password_history_account ON password_history (account_id, changed_at);

CREATE TABLE role_grant (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES account (id),
    role TEXT NOT NULL,
    -- NULL: every site.
    site_id BIGINT REFERENCES site (id),
    -- Vendors only: the asset they may see.
    asset_id BIGINT REFERENCES asset (id),
    granted_at TEXT NOT NULL,
    granted_by TEXT NOT NULL
);
CREATE INDEX role_grant_account ON role_grant (account_id);
CREATE INDEX role_grant_site ON role_grant (site_id);
CREATE INDEX role_grant_asset ON role_grant (asset_id);

-- Sessions live in the database so that several server instances share them. Only the
-- SHA-256 of the session id is stored: a copy of the database does not yield live sessions.
CREATE TABLE session (
    id_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES account (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    idle_expires_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    client TEXT
);
CREATE INDEX session_account ON session (account_id);

CREATE TABLE api_token (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES account (id),
    name TEXT NOT NULL,
    -- The first characters of the secret, to tell tokens apart; the rest is only hashed.
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE UNIQUE INDEX api_token_hash ON api_token (token_hash);
CREATE INDEX api_token_account ON api_token (account_id);

CREATE TABLE signature (
    id {{ID}},
    kind TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    record_version BIGINT NOT NULL,
    site_id BIGINT,
    account_id BIGINT NOT NULL REFERENCES account (id),
    signer TEXT NOT NULL,
    signer_name TEXT NOT NULL,
    meaning TEXT NOT NULL,
    comment TEXT,
    -- SHA-256 of the record's content as signed (see otkeep_store::identity::content_hash).
    content_hash TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    audit_seq BIGINT NOT NULL
);
CREATE INDEX signature_record ON signature (kind, record_id, id);

ALTER TABLE audit_event ADD COLUMN site_id BIGINT;
CREATE INDEX audit_event_site ON audit_event (site_id, seq);
