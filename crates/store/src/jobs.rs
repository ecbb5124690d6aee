//! Background jobs that every `otkeep serve` instance runs on a timer but the database lets run
//! once.
//!
//! Several stateless instances may share one database. Each wakes up every few minutes and asks
//! for the jobs that are due; a job run is named by the job and its period (a day, a matcher
//! version) and is claimed in the table `job_run` as a lease, inside the write path. The write
//! lock (an advisory transaction lock on PostgreSQL, `BEGIN IMMEDIATE` on SQLite) makes the
//! check-and-claim atomic across processes, so exactly one instance gets each run. A holder that
//! dies leaves its lease to expire ([`LEASE`]); the next instance to look then takes the run over
//! (its attempt number says so). Every job's effect is idempotent for its period, so a run
//! repeated after a crash does no harm. Claims and completions are audit events (kind `job`).

use crate::{Store, StoreError};
use jiff::{SignedDuration, Timestamp, Zoned};
use serde_json::json;
use sqlx::Row;

/// How long a claimed run belongs to its holder before another instance may take it over.
/// Far longer than any job takes: at 100 sites × 5,000 assets the KPI snapshot, the slowest,
/// takes 40 s on SQLite and 19–24 s on PostgreSQL (`deploy/scale-bench`); a slow or loaded
/// database must not let a second instance start the same run.
pub const LEASE: SignedDuration = SignedDuration::from_hours(2);

/// How often an instance looks for due jobs.
pub const TICK: std::time::Duration = std::time::Duration::from_secs(300);

/// The jobs, in the order an instance runs them.
pub const JOBS: &[Job] = &[Job::KpiSnapshot, Job::Housekeeping, Job::AdvisoryRematch];

/// A background job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// The daily snapshot of the program KPIs (trends).
    KpiSnapshot,
    /// Daily housekeeping: removing expired sessions (refused anyway; this keeps the table
    /// small) and refreshing SQLite's query-planner statistics (without them a filtered list
    /// over 500,000 assets takes seconds instead of milliseconds).
    Housekeeping,
    /// Matching every advisory again when this release matches differently from the one that
    /// computed the stored matches ([`otkeep_core::advisory::MATCHER_VERSION`]).
    AdvisoryRematch,
}

impl Job {
    pub fn name(self) -> &'static str {
        match self {
            Job::KpiSnapshot => "kpi-snapshot",
            Job::Housekeeping => "housekeeping",
            Job::AdvisoryRematch => "advisory-rematch",
        }
    }

    /// The period a run at `now` belongs to: one run per period.
    pub fn period(self, now: &Zoned) -> String {
        match self {
            Job::KpiSnapshot | Job::Housekeeping => now.date().to_string(),
            Job::AdvisoryRematch => {
                format!("matcher-{}", otkeep_core::advisory::MATCHER_VERSION)
            }
        }
    }
}

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This holder has the run (attempt 1, or more when it took over an expired lease).
    Claimed { attempt: i64 },
    /// The run of this period is finished.
    Done,
    /// Another holder has a live lease on it.
    Held { holder: String, until: String },
}

/// One row of `job_run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    pub job: String,
    pub period: String,
    pub holder: String,
    pub claimed_at: String,
    pub lease_until: String,
    pub finished_at: Option<String>,
    pub attempts: i64,
    pub outcome: Option<String>,
}

/// What one look for due jobs did: (job, period, outcome) of each run this instance made.
pub type Ran = Vec<(Job, String, Result<String, String>)>;

fn stamp(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl Store {
    /// Claims the run of `job` for `period` on behalf of `holder` for `lease`, unless it is
    /// finished or another holder's lease is still running.
    pub async fn claim_job(
        &self,
        job: &str,
        period: &str,
        holder: &str,
        lease: SignedDuration,
    ) -> Result<Claim, StoreError> {
        let mut tx = self.begin_write(holder, Some("background job")).await?;
        let row = sqlx::query(
            "SELECT holder, lease_until, finished_at, attempts FROM job_run WHERE job = $1 AND period = $2",
        )
        .bind(job)
        .bind(period)
        .fetch_optional(tx.conn())
        .await?;
        let now = Timestamp::now();
        let until = stamp(now.checked_add(lease).map_err(|e| {
            StoreError::Corrupt(format!("lease of {lease:?} is out of range: {e}"))
        })?);
        let attempt = match row {
            None => {
                sqlx::query(
                    "INSERT INTO job_run (job, period, holder, claimed_at, lease_until, attempts) VALUES ($1, $2, $3, $4, $5, 1)",
                )
                .bind(job)
                .bind(period)
                .bind(holder)
                .bind(stamp(now))
                .bind(until.clone())
                .execute(tx.conn())
                .await?;
                1
            }
            Some(r) => {
                let current: String = r.try_get(0)?;
                let lease_until: String = r.try_get(1)?;
                let finished: Option<String> = r.try_get(2)?;
                let attempts: i64 = r.try_get(3)?;
                if finished.is_some() {
                    return Ok(Claim::Done);
                }
                if lease_until > stamp(now) && current != holder {
                    return Ok(Claim::Held {
                        holder: current,
                        until: lease_until,
                    });
                }
                sqlx::query(
                    "UPDATE job_run SET holder = $1, claimed_at = $2, lease_until = $3, attempts = $4 WHERE job = $5 AND period = $6",
                )
                .bind(holder)
                .bind(stamp(now))
                .bind(until.clone())
                .bind(attempts + 1)
                .bind(job)
                .bind(period)
                .execute(tx.conn())
                .await?;
                attempts + 1
            }
        };
        tx.append_event(
            "claim",
            "job",
            None,
            None,
            Some(
                json!({"job": job, "period": period, "holder": holder, "attempt": attempt, "lease_until": until})
                    .to_string(),
            ),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(Claim::Claimed { attempt })
    }

    /// Marks `holder`'s run of `job` for `period` finished with `outcome`. Returns false when
    /// the holder had lost the lease (another instance took the run over): nothing is written.
    pub async fn finish_job(
        &self,
        job: &str,
        period: &str,
        holder: &str,
        outcome: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write(holder, Some("background job")).await?;
        let done = sqlx::query(
            "UPDATE job_run SET finished_at = $1, outcome = $2 WHERE job = $3 AND period = $4 AND holder = $5 AND finished_at IS NULL",
        )
        .bind(crate::now())
        .bind(outcome)
        .bind(job)
        .bind(period)
        .bind(holder)
        .execute(tx.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        tx.append_event(
            "finish",
            "job",
            None,
            None,
            Some(
                json!({"job": job, "period": period, "holder": holder, "outcome": outcome})
                    .to_string(),
            ),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Every recorded run of `job`, oldest period first.
    pub async fn job_runs(&self, job: &str) -> Result<Vec<JobRun>, StoreError> {
        let rows = sqlx::query(
            "SELECT job, period, holder, claimed_at, lease_until, finished_at, attempts, outcome FROM job_run WHERE job = $1 ORDER BY period",
        )
        .bind(job)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(JobRun {
                    job: r.try_get(0)?,
                    period: r.try_get(1)?,
                    holder: r.try_get(2)?,
                    claimed_at: r.try_get(3)?,
                    lease_until: r.try_get(4)?,
                    finished_at: r.try_get(5)?,
                    attempts: r.try_get(6)?,
                    outcome: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// Runs `job` for the period of `now` if this instance (`holder`) wins the claim. Returns
    /// the outcome when it ran, `None` when it was done or held elsewhere.
    pub async fn run_job(
        &self,
        job: Job,
        holder: &str,
        now: &Zoned,
    ) -> Result<Option<Result<String, String>>, StoreError> {
        let period = job.period(now);
        match self.claim_job(job.name(), &period, holder, LEASE).await? {
            Claim::Claimed { .. } => {}
            Claim::Done | Claim::Held { .. } => return Ok(None),
        }
        let outcome = match self.job_body(job, now).await {
            Ok(s) => Ok(s),
            Err(e) => Err(e.to_string()),
        };
        match &outcome {
            Ok(s) => {
                self.finish_job(job.name(), &period, holder, s).await?;
            }
            // A failed run keeps its lease until it expires, then another attempt is made.
            Err(e) => tracing::warn!(job = job.name(), error = %e, "background job failed"),
        }
        Ok(Some(outcome))
    }

    async fn job_body(&self, job: Job, now: &Zoned) -> Result<String, StoreError> {
        Ok(match job {
            Job::KpiSnapshot => {
                let n = self.snapshot_kpis("otkeep", now.datetime()).await?;
                format!("{n} KPI values")
            }
            Job::Housekeeping => {
                let sessions = self.purge_sessions().await?;
                self.refresh_statistics().await?;
                format!("{sessions} expired sessions removed; statistics refreshed")
            }
            // Only a change of the rules since a recorded earlier version is worth a re-match
            // (at 100 sites it holds the write lock for minutes). A database without one has
            // matches computed by the rules in force until now.
            Job::AdvisoryRematch if !self.matcher_changed(now).await? => {
                "no earlier matcher version recorded: nothing to redo".to_string()
            }
            Job::AdvisoryRematch => {
                let mut tx = self
                    .begin_write("otkeep", Some("advisory matching rules changed"))
                    .await?;
                let n = tx.rematch_all().await?;
                tx.commit().await?;
                format!("{n} matches")
            }
        })
    }

    /// Whether an earlier matcher version finished its re-match run here (so the stored
    /// matches were computed by other rules than this release's).
    async fn matcher_changed(&self, now: &Zoned) -> Result<bool, StoreError> {
        let current = Job::AdvisoryRematch.period(now);
        Ok(self
            .job_runs(Job::AdvisoryRematch.name())
            .await?
            .iter()
            .any(|r| r.finished_at.is_some() && r.period != current))
    }

    /// Runs every due job this instance wins, in [`JOBS`] order.
    pub async fn run_due_jobs(&self, holder: &str, now: &Zoned) -> Result<Ran, StoreError> {
        let mut ran = Vec::new();
        for job in JOBS {
            if let Some(outcome) = self.run_job(*job, holder, now).await? {
                ran.push((*job, job.period(now), outcome));
            }
        }
        Ok(ran)
    }

    /// Looks for due jobs now and every [`TICK`] for the life of the server.
    pub async fn run_jobs_forever(&self, holder: &str) {
        loop {
            match self.run_due_jobs(holder, &Zoned::now()).await {
                Ok(ran) => {
                    for (job, period, outcome) in ran {
                        match outcome {
                            Ok(s) => tracing::info!(job = job.name(), %period, "{s}"),
                            Err(e) => {
                                tracing::warn!(job = job.name(), %period, error = %e, "failed")
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot run background jobs"),
            }
            tokio::time::sleep(TICK).await;
        }
    }
}
