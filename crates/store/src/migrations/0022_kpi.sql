-- Program KPIs (issue 10): targets and owners set for the organization, and daily snapshots
-- of every KPI per site (site_id 0: the organization) so that trends exist.
CREATE TABLE kpi_target (
    kpi TEXT PRIMARY KEY,
    target BIGINT NOT NULL,
    owner TEXT NOT NULL
);
CREATE TABLE kpi_snapshot (
    day TEXT NOT NULL,
    site_id BIGINT NOT NULL,
    kpi TEXT NOT NULL,
    value BIGINT,
    taken_at TEXT NOT NULL,
    PRIMARY KEY (day, site_id, kpi)
);
CREATE INDEX kpi_snapshot_site_day ON kpi_snapshot (site_id, day);
