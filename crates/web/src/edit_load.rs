//! Concurrent editing load, shared by the concurrency test (`tests/concurrency.rs`) and its
//! benchmark (`benches/concurrent_edits.rs`).
//!
//! Many clients edit records at once, half through the JSON API and half through the UI's edit
//! form, each in read-modify-write cycles: read the record, change it, save it naming the
//! version read. A save based on a version that moved is refused (409, "changed by someone
//! else"); the client reads again and retries. Each acknowledged save wrote a token of its own
//! into the record's `location`, so [`check`] can prove from the audit trail that every
//! acknowledged save is one version of the record (no lost update, no audit gap).

use crate::testing::TestClient;
use axum::http::StatusCode;
use otkeep_core::kinds::ASSET_KIND;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// How the clients share the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contention {
    /// Every client edits the same record.
    Same,
    /// Each client edits a record of its own.
    Different,
}

/// What a load run did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Saves acknowledged (API 200, form redirect), by record id: the tokens written.
    pub acknowledged: std::collections::BTreeMap<i64, BTreeSet<String>>,
    /// Saves refused because the version moved (each with the "changed by someone else" message).
    pub conflicts: usize,
    /// Responses that were neither (must be 0).
    pub unexpected: Vec<String>,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn saves(&self) -> usize {
        self.acknowledged.values().map(BTreeSet::len).sum()
    }

    /// Acknowledged saves per second.
    pub fn throughput(&self) -> f64 {
        self.saves() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The ids of the first `n` assets (the records the load edits).
pub async fn asset_ids(store: &otkeep_store::Store, n: usize) -> Vec<i64> {
    let q = otkeep_store::ListQuery::default();
    match store.list(&ASSET_KIND, &q).await {
        Ok(page) => page.records.iter().map(|r| r.id).take(n).collect(),
        Err(_) => Vec::new(),
    }
}

/// The current version of each record (the base [`check`] compares against).
pub async fn versions(
    store: &otkeep_store::Store,
    ids: &[i64],
) -> std::collections::BTreeMap<i64, i64> {
    let mut out = std::collections::BTreeMap::new();
    for id in ids {
        if let Ok(Some(r)) = store.get(&ASSET_KIND, *id).await {
            out.insert(*id, r.version);
        }
    }
    out
}

/// Runs `clients` clients (even ones through the API, odd ones through the form), each making
/// `saves` acknowledged saves on `records` (one per client for [`Contention::Different`], the
/// first for [`Contention::Same`]). `api` and `ui` are signed-in clients of the same server.
pub async fn run(
    api: &TestClient,
    ui: &TestClient,
    records: &[i64],
    clients: usize,
    saves: usize,
    contention: Contention,
) -> Outcome {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = if c % 2 == 0 { api.clone() } else { ui.clone() };
        let id = match contention {
            Contention::Same => records[0],
            Contention::Different => records[c % records.len()],
        };
        tasks.push(tokio::spawn(async move {
            let mut mine = Outcome::default();
            let mut n = 0;
            while n < saves {
                let token = format!("c{c}-s{n}");
                match save(&client, id, &token, c % 2 == 0).await {
                    Ok(true) => {
                        mine.acknowledged.entry(id).or_default().insert(token);
                        n += 1;
                    }
                    Ok(false) => mine.conflicts += 1,
                    Err(e) => {
                        mine.unexpected.push(e);
                        n += 1;
                    }
                }
            }
            mine
        }));
    }
    let mut out = Outcome::default();
    for t in tasks {
        match t.await {
            Ok(mine) => {
                for (id, tokens) in mine.acknowledged {
                    out.acknowledged.entry(id).or_default().extend(tokens);
                }
                out.conflicts += mine.conflicts;
                out.unexpected.extend(mine.unexpected);
            }
            Err(e) => out.unexpected.push(format!("client task failed: {e}")),
        }
    }
    out.elapsed = started.elapsed();
    out
}

/// One read-modify-write: `Ok(true)` saved, `Ok(false)` refused as stale (with the message).
async fn save(
    client: &TestClient,
    id: i64,
    token: &str,
    through_api: bool,
) -> Result<bool, String> {
    let read = client.get(&format!("/api/v1/assets/{id}")).await;
    if read.status != StatusCode::OK {
        return Err(format!("read #{id}: {} {}", read.status, read.body));
    }
    let mut record = read.json();
    if through_api {
        record["location"] = json!(token);
        let answer = client
            .json("PUT", &format!("/api/v1/assets/{id}"), record)
            .await;
        return match answer.status {
            StatusCode::OK => Ok(true),
            StatusCode::CONFLICT if answer.body.contains("changed by someone else") => Ok(false),
            s => Err(format!("API save #{id}: {s} {}", answer.body)),
        };
    }
    // The edit form as a browser posts it: every field, the version it showed, the token.
    let version = record["version"].as_i64().unwrap_or(0).to_string();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for f in ASSET_KIND.fields {
        let v = &record[f.name];
        let text = match v {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        if f.ty == otkeep_core::FieldType::SlVector {
            continue;
        }
        pairs.push((f.name.to_string(), text));
    }
    for (k, v) in pairs.iter_mut() {
        if k == "location" {
            *v = token.to_string();
        }
    }
    pairs.push(("_version".into(), version));
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let answer = client.form(&format!("/assets/{id}"), &borrowed).await;
    match answer.status {
        StatusCode::SEE_OTHER | StatusCode::FOUND => Ok(true),
        StatusCode::CONFLICT if answer.body.contains("changed by someone else") => Ok(false),
        s => Err(format!("form save #{id}: {s} {}", answer.body)),
    }
}

/// Checks a run against the store: for each record, its update events since `base` (the
/// version before the run) are exactly the acknowledged saves, one version each, consecutive,
/// each holding the token its client wrote. Returns the problems (empty when none).
pub async fn check(
    store: &otkeep_store::Store,
    outcome: &Outcome,
    base: &std::collections::BTreeMap<i64, i64>,
) -> Vec<String> {
    let mut problems: Vec<String> = outcome.unexpected.clone();
    for (id, tokens) in &outcome.acknowledged {
        let start = base.get(id).copied().unwrap_or(1);
        let history = match store.history("asset", *id).await {
            Ok(h) => h,
            Err(e) => return vec![format!("history of #{id}: {e}")],
        };
        let mut seen = BTreeSet::new();
        let mut versions = Vec::new();
        for e in history.iter().filter(|e| e.action == "update") {
            let after: serde_json::Value = e
                .after
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or_default();
            let version = after["version"].as_i64().unwrap_or(0);
            if version <= start {
                continue;
            }
            versions.push(version);
            if let Some(t) = after["location"].as_str() {
                seen.insert(t.to_string());
            }
        }
        versions.sort_unstable();
        let expected: Vec<i64> = (start + 1..=start + tokens.len() as i64).collect();
        if versions != expected {
            problems.push(format!(
                "asset #{id}: {} acknowledged saves but update events at versions {versions:?}",
                tokens.len()
            ));
        }
        let lost: Vec<&String> = tokens.difference(&seen).collect();
        if !lost.is_empty() {
            problems.push(format!("asset #{id}: lost updates {lost:?}"));
        }
        match store.get(&ASSET_KIND, *id).await {
            Ok(Some(r)) if r.version == start + tokens.len() as i64 => {}
            Ok(r) => problems.push(format!(
                "asset #{id} is at version {:?}, expected {}",
                r.map(|r| r.version),
                start + tokens.len() as i64
            )),
            Err(e) => problems.push(format!("asset #{id}: {e}")),
        }
    }
    match store.verify_audit().await {
        Ok(r) if r.broken.is_none() => {}
        Ok(r) => problems.push(format!("audit chain broken: {:?}", r.broken)),
        Err(e) => problems.push(format!("verify audit: {e}")),
    }
    problems
}
