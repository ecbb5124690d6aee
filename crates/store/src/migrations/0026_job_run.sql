-- Background jobs shared by every instance on one database (issue 13): a run of a job for a
-- period (a day, a matcher version) is claimed here as a lease, so it runs once
-- however many `otkeep serve` processes share the database.
CREATE TABLE job_run (
    job TEXT NOT NULL,
    period TEXT NOT NULL,
    holder TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    lease_until TEXT NOT NULL,
    finished_at TEXT,
    attempts BIGINT NOT NULL,
    outcome TEXT,
    PRIMARY KEY (job, period)
);
