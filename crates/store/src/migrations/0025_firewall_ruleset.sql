-- Firewall rulesets of a site (issue 11): the imported file and its rules as otkeep reads them
-- (iptables-save, pfSense config.xml), checked against the zones and conduits.
CREATE TABLE firewall_ruleset (
    id {{ID}},
    site_id BIGINT NOT NULL REFERENCES site (id),
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);
CREATE UNIQUE INDEX firewall_ruleset_file ON firewall_ruleset (site_id, sha256);
CREATE TABLE firewall_rule (
    ruleset_id BIGINT NOT NULL REFERENCES firewall_ruleset (id),
    position BIGINT NOT NULL,
    label TEXT NOT NULL,
    allow BIGINT NOT NULL,
    protocol TEXT,
    source TEXT NOT NULL,
    destination TEXT NOT NULL,
    port_low BIGINT,
    port_high BIGINT,
    PRIMARY KEY (ruleset_id, position)
);
