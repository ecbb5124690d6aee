//! Observed traffic kept per site (issue 11): each imported capture or Zeek log with its hosts
//! and flows, written in one transaction with an audit event ([`WriteTx::import_observation`]),
//! and the reconciliation of what was seen with the site's records
//! ([`Store::traffic_findings`], rules in `otkeep_core::reconcile`).

use crate::{ListQuery, Store, StoreError, WriteTx};
use otkeep_core::FieldError;
use otkeep_core::access::Scope;
use otkeep_core::kinds::{ASSET_KIND, CONDUIT_KIND, ZONE_KIND};
use otkeep_core::model::Finding;
use otkeep_core::reconcile::{SeenFlow, SeenHost, reconcile};
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;

/// A host of an import.
#[derive(Debug, Clone, Default)]
pub struct ObservedHost {
    pub ip: Option<String>,
    pub mac: Option<String>,
    pub vendor: Option<String>,
    /// `modbus server; dns client`.
    pub protocols: String,
    pub roles: String,
    pub packets: i64,
    pub bytes: i64,
    pub first_seen: String,
    pub last_seen: String,
}

/// A flow of an import.
#[derive(Debug, Clone, Default)]
pub struct ObservedFlow {
    pub transport: String,
    pub client_ip: Option<String>,
    pub client_mac: Option<String>,
    pub server_ip: Option<String>,
    pub server_mac: Option<String>,
    pub port: Option<i64>,
    pub protocol: String,
    pub packets: i64,
    pub bytes: i64,
    pub writes: i64,
    /// `read 12, write 3`.
    pub operations: String,
    pub first_seen: String,
    pub last_seen: String,
}

/// One capture or log to import.
#[derive(Debug, Clone, Default)]
pub struct NewObservation {
    /// `pcap` or `zeek`.
    pub source: String,
    pub file_name: String,
    pub sha256: String,
    pub bytes: i64,
    pub packets: i64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub warnings: Vec<String>,
    pub hosts: Vec<ObservedHost>,
    pub flows: Vec<ObservedFlow>,
}

/// An imported capture or log.
#[derive(Debug, Clone)]
pub struct ObservationRow {
    pub id: i64,
    pub site_id: i64,
    pub source: String,
    pub file_name: String,
    pub sha256: String,
    pub bytes: i64,
    pub packets: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub hosts: i64,
    pub flows: i64,
    pub imported_at: String,
    pub imported_by: String,
}

/// A firewall rule to store (see `otkeep_core::firewall::FwRule`).
#[derive(Debug, Clone)]
pub struct StoredRule {
    pub label: String,
    pub allow: bool,
    pub protocol: Option<String>,
    /// `any` or a CIDR network.
    pub source: String,
    pub destination: String,
    pub ports: Option<(u16, u16)>,
}

impl From<&otkeep_core::firewall::FwRule> for StoredRule {
    fn from(r: &otkeep_core::firewall::FwRule) -> StoredRule {
        StoredRule {
            label: r.label.clone(),
            allow: r.allow,
            protocol: r.protocol.clone(),
            source: r.source.to_string(),
            destination: r.destination.to_string(),
            ports: r.ports,
        }
    }
}

fn fw_addr(text: &str) -> otkeep_core::firewall::FwAddr {
    match otkeep_core::value::Subnet::parse(text) {
        Ok(n) => otkeep_core::firewall::FwAddr::Net(n),
        Err(_) => otkeep_core::firewall::FwAddr::Any,
    }
}

/// A dismissed finding.
#[derive(Debug, Clone)]
pub struct Dismissal {
    pub key: String,
    pub rule: String,
    pub reason: String,
    pub dismissed_at: String,
    pub dismissed_by: String,
}

impl WriteTx<'_> {
    /// Refuses a file already imported into `table` for `site` (same SHA-256).
    async fn refuse_duplicate(
        &mut self,
        table: &str,
        site: i64,
        sha256: &str,
        file_name: &str,
    ) -> Result<(), StoreError> {
        let sql = format!("SELECT file_name FROM {table} WHERE site_id = $1 AND sha256 = $2");
        let exists = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(site)
            .bind(sha256.to_string())
            .fetch_optional(self.conn())
            .await?;
        match exists {
            Some(row) => {
                let earlier: String = row.try_get(0)?;
                Err(StoreError::Invalid(vec![FieldError::new(
                    "file",
                    format!(
                        "{file_name} was already imported for this site (as {earlier}, same SHA-256)"
                    ),
                )]))
            }
            None => Ok(()),
        }
    }

    /// Stores a firewall ruleset for `site` (the same file twice is refused), audited.
    pub async fn import_ruleset(
        &mut self,
        site: i64,
        file_name: &str,
        sha256: &str,
        rules: &[StoredRule],
    ) -> Result<i64, StoreError> {
        self.refuse_duplicate("firewall_ruleset", site, sha256, file_name)
            .await?;
        let now = crate::now();
        let actor = self.actor().to_string();
        let id: i64 = sqlx::query(
            "INSERT INTO firewall_ruleset (site_id, file_name, sha256, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(site)
        .bind(file_name)
        .bind(sha256)
        .bind(&now)
        .bind(&actor)
        .fetch_one(self.conn())
        .await?
        .try_get(0)?;
        for (i, r) in rules.iter().enumerate() {
            sqlx::query(
                "INSERT INTO firewall_rule (ruleset_id, position, label, allow, protocol, source, destination, port_low, port_high) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(i as i64)
            .bind(&r.label)
            .bind(i64::from(r.allow))
            .bind(r.protocol.clone())
            .bind(&r.source)
            .bind(&r.destination)
            .bind(r.ports.map(|p| i64::from(p.0)))
            .bind(r.ports.map(|p| i64::from(p.1)))
            .execute(self.conn())
            .await?;
        }
        let after = json!({"file_name": file_name, "sha256": sha256, "rules": rules.len()});
        self.append_event(
            "import",
            "firewall_ruleset",
            Some(id),
            None,
            Some(after.to_string()),
            Some(site),
        )
        .await?;
        Ok(id)
    }

    /// Dismisses the finding `key` (of `rule`) at `site` with a reason, audited. A finding
    /// already dismissed, or an empty reason, is refused.
    pub async fn dismiss_finding(
        &mut self,
        site: i64,
        key: &str,
        rule: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let reason = reason.trim();
        if reason.is_empty() || key.trim().is_empty() {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "reason",
                "say why the finding is dismissed",
            )]));
        }
        let exists =
            sqlx::query("SELECT 1 FROM finding_dismissal WHERE site_id = $1 AND finding_key = $2")
                .bind(site)
                .bind(key)
                .fetch_optional(self.conn())
                .await?;
        if exists.is_some() {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "key",
                "this finding is already dismissed",
            )]));
        }
        let now = crate::now();
        let actor = self.actor().to_string();
        sqlx::query(
            "INSERT INTO finding_dismissal (site_id, finding_key, rule, reason, dismissed_at, dismissed_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(site)
        .bind(key)
        .bind(rule)
        .bind(reason)
        .bind(&now)
        .bind(&actor)
        .execute(self.conn())
        .await?;
        let after = json!({"key": key, "rule": rule, "reason": reason});
        self.append_event(
            "dismiss",
            "finding",
            None,
            None,
            Some(after.to_string()),
            Some(site),
        )
        .await?;
        Ok(())
    }

    /// Stores an import for `site` (refused when the same file was imported there before) and
    /// records the audit event, all in this transaction. Returns the import's id.
    pub async fn import_observation(
        &mut self,
        site: i64,
        o: &NewObservation,
    ) -> Result<i64, StoreError> {
        self.refuse_duplicate("observation", site, &o.sha256, &o.file_name)
            .await?;
        let now = crate::now();
        let actor = self.actor().to_string();
        let id: i64 = sqlx::query(
            "INSERT INTO observation (site_id, source, file_name, sha256, bytes, packets, first_seen, last_seen, warnings, imported_at, imported_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(site)
        .bind(&o.source)
        .bind(&o.file_name)
        .bind(&o.sha256)
        .bind(o.bytes)
        .bind(o.packets)
        .bind(o.first_seen.clone())
        .bind(o.last_seen.clone())
        .bind(o.warnings.join("\n"))
        .bind(&now)
        .bind(&actor)
        .fetch_one(self.conn())
        .await?
        .try_get(0)?;
        for h in &o.hosts {
            sqlx::query(
                "INSERT INTO observed_host (observation_id, ip, mac, vendor, protocols, roles, packets, bytes, first_seen, last_seen) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id)
            .bind(h.ip.clone())
            .bind(h.mac.clone())
            .bind(h.vendor.clone())
            .bind(&h.protocols)
            .bind(&h.roles)
            .bind(h.packets)
            .bind(h.bytes)
            .bind(&h.first_seen)
            .bind(&h.last_seen)
            .execute(self.conn())
            .await?;
        }
        for f in &o.flows {
            sqlx::query(
                "INSERT INTO observed_flow (observation_id, transport, client_ip, client_mac, server_ip, server_mac, port, protocol, packets, bytes, writes, operations, first_seen, last_seen) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(id)
            .bind(&f.transport)
            .bind(f.client_ip.clone())
            .bind(f.client_mac.clone())
            .bind(f.server_ip.clone())
            .bind(f.server_mac.clone())
            .bind(f.port)
            .bind(&f.protocol)
            .bind(f.packets)
            .bind(f.bytes)
            .bind(f.writes)
            .bind(&f.operations)
            .bind(&f.first_seen)
            .bind(&f.last_seen)
            .execute(self.conn())
            .await?;
        }
        let summary = json!({
            "source": o.source, "file_name": o.file_name, "sha256": o.sha256, "bytes": o.bytes,
            "packets": o.packets, "first_seen": o.first_seen, "last_seen": o.last_seen,
            "hosts": o.hosts.len(), "flows": o.flows.len(),
        });
        self.append_event(
            "import",
            "observation",
            Some(id),
            None,
            Some(summary.to_string()),
            Some(site),
        )
        .await?;
        Ok(id)
    }
}

impl Store {
    /// The dismissed findings of `site`, newest first.
    pub async fn dismissals(&self, site: i64) -> Result<Vec<Dismissal>, StoreError> {
        let rows = sqlx::query(
            "SELECT finding_key, rule, reason, dismissed_at, dismissed_by FROM finding_dismissal WHERE site_id = $1 ORDER BY dismissed_at DESC",
        )
        .bind(site)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Dismissal {
                    key: r.try_get(0)?,
                    rule: r.try_get(1)?,
                    reason: r.try_get(2)?,
                    dismissed_at: r.try_get(3)?,
                    dismissed_by: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// The firewall rulesets of `site`: (file name, rules), oldest first.
    pub async fn firewall_rules(
        &self,
        site: i64,
    ) -> Result<Vec<(String, Vec<otkeep_core::firewall::FwRule>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.file_name, r.label, r.allow, r.protocol, r.source, r.destination, r.port_low, r.port_high \
             FROM firewall_ruleset s JOIN firewall_rule r ON r.ruleset_id = s.id WHERE s.site_id = $1 ORDER BY s.id, r.position",
        )
        .bind(site)
        .fetch_all(self.pool())
        .await?;
        let mut out: Vec<(i64, String, Vec<otkeep_core::firewall::FwRule>)> = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            if out.last().is_none_or(|(last, _, _)| *last != id) {
                out.push((id, r.try_get(1)?, Vec::new()));
            }
            let low: Option<i64> = r.try_get(7)?;
            let high: Option<i64> = r.try_get(8)?;
            let port = |p: i64| u16::try_from(p).unwrap_or(u16::MAX);
            let rule = otkeep_core::firewall::FwRule {
                label: r.try_get(2)?,
                allow: r.try_get::<i64, _>(3)? != 0,
                protocol: r.try_get(4)?,
                source: fw_addr(&r.try_get::<String, _>(5)?),
                destination: fw_addr(&r.try_get::<String, _>(6)?),
                ports: low.zip(high).map(|(a, b)| (port(a), port(b))),
            };
            if let Some(last) = out.last_mut() {
                last.2.push(rule);
            }
        }
        Ok(out.into_iter().map(|(_, f, r)| (f, r)).collect())
    }

    /// The sites with imported traffic.
    pub async fn observed_sites(&self) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT site_id FROM observation UNION SELECT site_id FROM firewall_ruleset ORDER BY site_id",
        )
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0).map_err(StoreError::from))
            .collect()
    }

    /// The imports of `site`, newest first.
    pub async fn observations(&self, site: i64) -> Result<Vec<ObservationRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.id, o.site_id, o.source, o.file_name, o.sha256, o.bytes, o.packets, o.first_seen, o.last_seen, o.imported_at, o.imported_by, \
             (SELECT COUNT(*) FROM observed_host h WHERE h.observation_id = o.id), \
             (SELECT COUNT(*) FROM observed_flow f WHERE f.observation_id = o.id) \
             FROM observation o WHERE o.site_id = $1 ORDER BY o.id DESC",
        )
        .bind(site)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ObservationRow {
                    id: r.try_get(0)?,
                    site_id: r.try_get(1)?,
                    source: r.try_get(2)?,
                    file_name: r.try_get(3)?,
                    sha256: r.try_get(4)?,
                    bytes: r.try_get(5)?,
                    packets: r.try_get(6)?,
                    first_seen: r.try_get::<Option<String>, _>(7)?.unwrap_or_default(),
                    last_seen: r.try_get::<Option<String>, _>(8)?.unwrap_or_default(),
                    imported_at: r.try_get(9)?,
                    imported_by: r.try_get(10)?,
                    hosts: r.try_get(11)?,
                    flows: r.try_get(12)?,
                })
            })
            .collect()
    }

    /// The hosts of `site`'s imports, with the evidence text of each.
    pub async fn observed_hosts(
        &self,
        site: i64,
    ) -> Result<Vec<(ObservedHost, String)>, StoreError> {
        let evidence = self.evidence_texts(site).await?;
        let rows = sqlx::query(
            "SELECT h.observation_id, h.ip, h.mac, h.vendor, h.protocols, h.roles, h.packets, h.bytes, h.first_seen, h.last_seen \
             FROM observed_host h JOIN observation o ON o.id = h.observation_id WHERE o.site_id = $1 ORDER BY h.ip, h.mac",
        )
        .bind(site)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let obs: i64 = r.try_get(0)?;
                Ok((
                    ObservedHost {
                        ip: r.try_get(1)?,
                        mac: r.try_get(2)?,
                        vendor: r.try_get(3)?,
                        protocols: r.try_get(4)?,
                        roles: r.try_get(5)?,
                        packets: r.try_get(6)?,
                        bytes: r.try_get(7)?,
                        first_seen: r.try_get(8)?,
                        last_seen: r.try_get(9)?,
                    },
                    evidence.get(&obs).cloned().unwrap_or_default(),
                ))
            })
            .collect()
    }

    /// The flows of `site`'s imports, with the evidence text of each.
    pub async fn observed_flows(
        &self,
        site: i64,
    ) -> Result<Vec<(ObservedFlow, String)>, StoreError> {
        let evidence = self.evidence_texts(site).await?;
        let rows = sqlx::query(
            "SELECT f.observation_id, f.transport, f.client_ip, f.client_mac, f.server_ip, f.server_mac, f.port, f.protocol, f.packets, f.bytes, f.writes, f.operations, f.first_seen, f.last_seen \
             FROM observed_flow f JOIN observation o ON o.id = f.observation_id WHERE o.site_id = $1 ORDER BY f.server_ip, f.port, f.client_ip",
        )
        .bind(site)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let obs: i64 = r.try_get(0)?;
                Ok((
                    ObservedFlow {
                        transport: r.try_get(1)?,
                        client_ip: r.try_get(2)?,
                        client_mac: r.try_get(3)?,
                        server_ip: r.try_get(4)?,
                        server_mac: r.try_get(5)?,
                        port: r.try_get(6)?,
                        protocol: r.try_get(7)?,
                        packets: r.try_get(8)?,
                        bytes: r.try_get(9)?,
                        writes: r.try_get(10)?,
                        operations: r.try_get(11)?,
                        first_seen: r.try_get(12)?,
                        last_seen: r.try_get(13)?,
                    },
                    evidence.get(&obs).cloned().unwrap_or_default(),
                ))
            })
            .collect()
    }

    /// `file (sha256 1a2b3c4d…, first to last)` per import of `site`.
    async fn evidence_texts(&self, site: i64) -> Result<HashMap<i64, String>, StoreError> {
        Ok(self
            .observations(site)
            .await?
            .into_iter()
            .map(|o| {
                let hash = o.sha256.get(..12).unwrap_or(&o.sha256);
                (
                    o.id,
                    format!(
                        "{} (sha256 {hash}…, {} to {})",
                        o.file_name, o.first_seen, o.last_seen
                    ),
                )
            })
            .collect())
    }

    /// What the imports of `site` show against its inventory and zone/conduit model, without
    /// the findings dismissed with a reason.
    pub async fn traffic_findings(&self, site: i64) -> Result<Vec<Finding>, StoreError> {
        let q = ListQuery {
            scope: Scope::Limited {
                sites: vec![site],
                records: Vec::new(),
            },
            ..ListQuery::default()
        };
        let zones = self.list_all(&ZONE_KIND, &q).await?;
        let conduits = self.list_all(&CONDUIT_KIND, &q).await?;
        let assets = self.list_all(&ASSET_KIND, &q).await?;
        let hosts: Vec<SeenHost> = self
            .observed_hosts(site)
            .await?
            .into_iter()
            .map(|(h, evidence)| SeenHost {
                ip: h.ip.as_deref().and_then(|s| s.parse().ok()),
                mac: h.mac,
                vendor: h.vendor,
                what: if h.roles.is_empty() {
                    h.protocols
                } else {
                    h.roles
                },
                evidence,
            })
            .collect();
        let flows: Vec<SeenFlow> = self
            .observed_flows(site)
            .await?
            .into_iter()
            .map(|(f, evidence)| SeenFlow {
                client: f.client_ip.as_deref().and_then(|s| s.parse().ok()),
                server: f.server_ip.as_deref().and_then(|s| s.parse().ok()),
                transport: f.transport,
                port: f.port.and_then(|p| u16::try_from(p).ok()),
                protocol: f.protocol,
                packets: f.packets,
                writes: f.writes,
                evidence,
            })
            .collect();
        let dismissed: std::collections::HashSet<String> = self
            .dismissals(site)
            .await?
            .into_iter()
            .map(|d| d.key)
            .collect();
        let mut findings = reconcile(&zones, &conduits, &assets, &hosts, &flows);
        for (file, rules) in self.firewall_rules(site).await? {
            findings.extend(otkeep_core::firewall::check(
                &zones, &conduits, &rules, &file,
            ));
        }
        findings.retain(|f| !dismissed.contains(&f.key()));
        Ok(findings)
    }
}
