//! Heavy reads from a PostgreSQL streaming replica, within a bound on staleness.
//!
//! `otkeep serve --read-database-url URL` attaches a hot standby of the primary. Readers that
//! only render (generated reports, exports, roll-ups) ask [`Store::heavy_reads`] for the store to
//! read from; everything else (writes, the pages shown after a save, sign-in) keeps using the
//! primary, so a user always reads their own writes there.
//!
//! Freshness is measured in otkeep's own terms: every committed change appends an audit event
//! with a sequence number and a time, so before each heavy read the replica's last sequence
//! number is compared with the primary's. If the primary holds an event the replica lacks that is
//! older than the bound (`max_lag`), or the replica cannot be reached, the read goes to the
//! primary. The replica only moves forward, so what a heavy read sees misses at most the changes
//! of the last `max_lag` before it started. An event's time is taken before its transaction
//! commits, so the measured lag is never smaller than the real one.

use crate::{Backend, Store, StoreError};
use jiff::{SignedDuration, Timestamp};
use sqlx::Row;
use std::sync::atomic::{AtomicU64, Ordering};

/// The replica attached to a primary store.
pub(crate) struct Replica {
    store: std::sync::Arc<Store>,
    max_lag: SignedDuration,
    /// Heavy reads served by the replica and by the primary (fallbacks), for the status page
    /// and tests.
    served: AtomicU64,
    fell_back: AtomicU64,
}

/// Where the replica stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// The replica has every event the primary has.
    Current,
    /// The replica misses events; the oldest missing one was appended this long ago.
    Behind(SignedDuration),
    /// The replica did not answer.
    Unreachable(String),
}

/// Counters of heavy reads since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplicaUse {
    pub replica: u64,
    pub primary: u64,
}

impl Replica {
    pub(crate) async fn close(&self) {
        self.store.pool.close().await;
    }
}

impl Store {
    /// Attaches the streaming replica at `url` for heavy reads that may lag the primary by at
    /// most `max_lag`. The replica is not migrated (a hot standby is read-only); it must be at
    /// this release's schema version, as a physical replica of a migrated primary is.
    pub async fn attach_replica(
        mut self,
        url: &str,
        max_lag: SignedDuration,
    ) -> Result<Store, StoreError> {
        let replica = Store::connect(url).await?;
        if self.backend != Backend::Postgres || replica.backend != Backend::Postgres {
            return Err(StoreError::BadUrl(format!(
                "{url} (a read replica is a PostgreSQL streaming replica of a PostgreSQL primary)"
            )));
        }
        let theirs = replica.schema_version().await?;
        let ours = self.schema_version().await?;
        if theirs != ours {
            return Err(StoreError::Corrupt(format!(
                "the read replica is at schema version {theirs}, the primary at {ours}: is it a replica of this database?"
            )));
        }
        if max_lag.is_negative() {
            return Err(StoreError::Corrupt(
                "the replica's staleness bound must not be negative".into(),
            ));
        }
        self.replica = Some(Replica {
            store: std::sync::Arc::new(replica),
            max_lag,
            served: AtomicU64::new(0),
            fell_back: AtomicU64::new(0),
        });
        Ok(self)
    }

    /// Whether a read replica is attached.
    pub fn has_replica(&self) -> bool {
        self.replica.is_some()
    }

    /// How far the replica is behind the primary (`None` without a replica).
    pub async fn replica_freshness(&self) -> Option<Freshness> {
        let replica = self.replica.as_ref()?;
        let last: Result<i64, sqlx::Error> =
            sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM audit_event")
                .fetch_one(replica.store.pool())
                .await
                .and_then(|r| r.try_get(0));
        let last = match last {
            Ok(n) => n,
            Err(e) => return Some(Freshness::Unreachable(e.to_string())),
        };
        let missing = sqlx::query("SELECT at FROM audit_event WHERE seq = $1")
            .bind(last + 1)
            .fetch_optional(self.pool())
            .await;
        Some(match missing {
            Ok(None) => Freshness::Current,
            Ok(Some(row)) => {
                let at: Result<String, _> = row.try_get(0);
                match at.ok().and_then(|t| t.parse::<Timestamp>().ok()) {
                    Some(t) => Freshness::Behind(Timestamp::now().duration_since(t)),
                    None => Freshness::Unreachable("unreadable event time on the primary".into()),
                }
            }
            // The primary is the one in trouble; the read will meet the same error there.
            Err(e) => Freshness::Unreachable(format!("primary: {e}")),
        })
    }

    /// The replica heavy reads (reports, exports, roll-ups) should use, when one is attached
    /// and fresh within its bound; `None`: read from this primary.
    pub async fn heavy_reads(&self) -> Option<&std::sync::Arc<Store>> {
        let replica = self.replica.as_ref()?;
        let fresh = match self.replica_freshness().await {
            Some(Freshness::Current) => true,
            Some(Freshness::Behind(lag)) => lag <= replica.max_lag,
            Some(Freshness::Unreachable(why)) => {
                tracing::warn!(%why, "read replica unavailable: reading from the primary");
                false
            }
            None => false,
        };
        if fresh {
            replica.served.fetch_add(1, Ordering::Relaxed);
            Some(&replica.store)
        } else {
            replica.fell_back.fetch_add(1, Ordering::Relaxed);
            None
        }
    }

    /// How many heavy reads went to the replica and how many fell back to the primary.
    pub fn replica_use(&self) -> ReplicaUse {
        self.replica
            .as_ref()
            .map(|r| ReplicaUse {
                replica: r.served.load(Ordering::Relaxed),
                primary: r.fell_back.load(Ordering::Relaxed),
            })
            .unwrap_or_default()
    }
}
