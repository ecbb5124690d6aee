//! Generated operations records for a demo site: about three years of patches and their
//! deployments (with the change requests and exceptions they need), OT accounts with access
//! reviews and revocations, vendor remote access sessions, backup plans with backups and
//! restore tests, and log sources with their reviews.
//!
//! Everything is written through the ordinary write path ([`crate::WriteTx::create`]), so the
//! records pass the same validation as real ones and appear in the audit trail. The output is
//! deterministic per site index (a small splitmix64 generator) and dated relative to `today`,
//! so that what is due or overdue looks realistic whenever the demo is loaded: most patches
//! deployed, some late or still in progress, a deferral past its date, accounts past their
//! review, an open revocation, sessions left open after their window, a backup plan whose
//! restore was never tested.

use crate::{StoreError, WriteTx};
use jiff::Span;
use jiff::civil::{Date, DateTime};
use otkeep_core::account_kinds::{ACCESS_REVIEW_KIND, OT_ACCOUNT_KIND, REVOCATION_KIND};
use otkeep_core::config_kinds::CHANGE_KIND;
use otkeep_core::demo::Rng;
use otkeep_core::ops_kinds::{
    BACKUP_PLAN_KIND, BACKUP_RECORD_KIND, LOG_REVIEW_KIND, LOG_SOURCE_KIND, RESTORE_TEST_KIND,
};
use otkeep_core::patch_kinds::{PATCH_DEPLOYMENT_KIND, PATCH_KIND, target_window_days};
use otkeep_core::remote_kinds::REMOTE_SESSION_KIND;
use otkeep_core::risk_kinds::EXCEPTION_KIND;
use otkeep_core::value::{datetime_text, values_from_json};
use otkeep_core::{FieldError, KindDef};
use serde_json::{Value as Json, json};
use std::collections::HashSet;

/// An asset of the demo site as the operations generator needs it. `vendor` and `model` pick
/// the patches that apply to it and the vendors that connect to it remotely.
pub(crate) struct OpsAsset {
    pub id: i64,
    pub name: String,
    pub asset_type: String,
    pub criticality: String,
    pub zone_id: Option<i64>,
    pub vendor: String,
    pub model: String,
}

/// How many records of each kind [`demo_operations`] created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OpsCounts {
    pub patches: usize,
    pub deployments: usize,
    pub changes: usize,
    pub exceptions: usize,
    pub accounts: usize,
    pub access_reviews: usize,
    pub revocations: usize,
    pub remote_sessions: usize,
    pub backup_plans: usize,
    pub backups: usize,
    pub restore_tests: usize,
    pub log_sources: usize,
    pub log_reviews: usize,
}

impl OpsCounts {
    /// All records created.
    pub fn total(&self) -> usize {
        self.patches
            + self.deployments
            + self.changes
            + self.exceptions
            + self.accounts
            + self.access_reviews
            + self.revocations
            + self.remote_sessions
            + self.backup_plans
            + self.backups
            + self.restore_tests
            + self.log_sources
            + self.log_reviews
    }
}

/// The days of history generated (about three years).
const HISTORY_DAYS: i64 = 3 * 365;

/// Creates the operations records of demo site `site_id` (number `site_index`, code `code`,
/// zones `zones`, assets `assets`) in `tx`, dated relative to `today`; returns what it created
/// and the site's people (for the governance records).
pub(crate) async fn demo_operations(
    tx: &mut WriteTx<'_>,
    site_index: usize,
    site_id: i64,
    code: &str,
    zones: &[i64],
    assets: &[OpsAsset],
    today: Date,
) -> Result<(OpsCounts, Vec<String>), StoreError> {
    let mut g = Gen {
        tx,
        site: site_id,
        code: code.to_string(),
        today,
        rng: Rng::seeded(OPS_STREAM, site_index as u64),
        counts: OpsCounts::default(),
        names: HashSet::new(),
        people: Vec::new(),
    };
    g.people = people(&mut g.rng, crate::demo_gov::PEOPLE_NEEDED);
    g.patches(assets).await?;
    g.accounts(assets).await?;
    g.remote_sessions(assets).await?;
    g.backups(assets).await?;
    g.logs(zones, assets).await?;
    Ok((g.counts, g.people))
}

// ---------------------------------------------------------------------------------------------
// Pseudo-random numbers: `otkeep_core::demo::Rng` on a stream of their own

const OPS_STREAM: u64 = 0x0e7a_7105_0ae5_0001;

// ---------------------------------------------------------------------------------------------
// People and helpers

const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hannah", "Jonas", "Katrin",
    "Lukas", "Mia", "Noah", "Olga", "Paul", "Rita", "Sven", "Tobias", "Ute", "Yusuf", "Laura",
    "Marco", "Priya", "Tomasz",
];
const LAST_NAMES: &[&str] = &[
    "Becker",
    "Schulz",
    "Novak",
    "Meyer",
    "Rossi",
    "Kowalski",
    "Fischer",
    "Wagner",
    "Smith",
    "Johnson",
    "García",
    "Müller",
    "Keller",
    "Brandt",
    "Lehmann",
    "Okafor",
    "Hansen",
    "Weber",
    "Dubois",
    "Nguyen",
    "Costa",
    "Lindqvist",
];

/// The values of a demo record of `kind` on `site` from JSON (without `site_id`); errors say
/// they come from the demo.
pub(crate) fn demo_values(
    kind: &'static KindDef,
    mut v: Json,
    site: i64,
) -> Result<otkeep_core::Values, StoreError> {
    if let Some(obj) = v.as_object_mut() {
        obj.insert("site_id".into(), json!(site));
    }
    values_from_json(kind, &v).map_err(|errors| {
        StoreError::Invalid(
            errors
                .into_iter()
                .map(|e| FieldError::new(&e.field, format!("demo {}: {}", kind.name, e.message)))
                .collect(),
        )
    })
}

/// `n` distinct people of a site.
fn people(rng: &mut Rng, n: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(n);
    let mut tries = 0;
    while out.len() < n && tries < 1000 {
        tries += 1;
        let first = rng.choose(FIRST_NAMES).copied().unwrap_or("Alex");
        let last = rng.choose(LAST_NAMES).copied().unwrap_or("Doe");
        let name = format!("{first} {last}");
        if !out.iter().any(|p| p == &name || p.ends_with(last)) {
            out.push(name);
        }
    }
    out
}

/// The user-name form of a person: 'Anna Becker' → 'abecker'.
fn login(person: &str) -> String {
    let mut parts = person.split_whitespace();
    let first = parts.next().and_then(|f| f.chars().next()).unwrap_or('x');
    let last = parts.next().unwrap_or("user");
    let ascii: String = last
        .chars()
        .map(|c| match c {
            'ü' => 'u',
            'í' => 'i',
            'ä' => 'a',
            'ö' => 'o',
            c => c,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!(
        "{}{}",
        first.to_ascii_lowercase(),
        ascii.to_ascii_lowercase()
    )
}

fn rank(criticality: &str) -> u8 {
    match criticality {
        "critical" => 3,
        "high" => 2,
        "medium" => 1,
        _ => 0,
    }
}

/// At most `max` characters of `s`.
fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The product family of a model: its first two words ('SIMATIC S7-1500 CPU 1516-3 PN/DP' →
/// 'SIMATIC S7-1500').
fn model_family(model: &str) -> String {
    let words: Vec<&str> = model
        .split(|c: char| c.is_whitespace() || c == '(')
        .filter(|w| !w.is_empty())
        .take(2)
        .collect();
    if words.is_empty() {
        model.to_string()
    } else {
        words.join(" ")
    }
}

/// The vendor's support organization as it appears on a remote session.
fn support_company(vendor: &str) -> Option<&'static str> {
    Some(match vendor {
        "Siemens" => "Siemens Digital Industries support",
        "Rockwell Automation" => "Rockwell Automation TechConnect",
        "ABB" => "ABB Process Automation service",
        "Emerson" => "Emerson Automation Solutions",
        "Honeywell" => "Honeywell Process Solutions",
        "Schneider Electric" => "Schneider Electric services",
        "AVEVA" => "AVEVA Customer First",
        "Körber" => "Körber Pharma Software",
        "Beckhoff" => "Beckhoff service",
        "FANUC" => "FANUC service",
        "KUKA" => "KUKA service",
        "HIMA" => "HIMA service",
        "Yokogawa" => "Yokogawa service",
        _ => return None,
    })
}

const INTEGRATORS: &[&str] = &["Actemium (integrator)", "ATS Global (integrator)"];

// ---------------------------------------------------------------------------------------------
// The generator

struct Gen<'t, 's> {
    tx: &'t mut WriteTx<'s>,
    site: i64,
    code: String,
    today: Date,
    rng: Rng,
    counts: OpsCounts,
    /// Names taken so far (patches, changes, exceptions, plans, sources), to keep them unique.
    names: HashSet<String>,
    people: Vec<String>,
}

impl Gen<'_, '_> {
    /// Creates a record of `kind` from JSON (without `site_id`) and returns its id.
    async fn create(&mut self, kind: &'static KindDef, v: Json) -> Result<i64, StoreError> {
        let id = self
            .tx
            .create(kind, demo_values(kind, v, self.site)?)
            .await?
            .id;
        let c = &mut self.counts;
        match kind.name {
            "patch" => c.patches += 1,
            "patch_deployment" => c.deployments += 1,
            "change" => c.changes += 1,
            "exception" => c.exceptions += 1,
            "ot_account" => c.accounts += 1,
            "access_review" => c.access_reviews += 1,
            "revocation" => c.revocations += 1,
            "remote_session" => c.remote_sessions += 1,
            "backup_plan" => c.backup_plans += 1,
            "backup_record" => c.backups += 1,
            "restore_test" => c.restore_tests += 1,
            "log_source" => c.log_sources += 1,
            "log_review" => c.log_reviews += 1,
            _ => {}
        }
        Ok(id)
    }

    /// The date `ago` days before today (after it when negative).
    fn date(&self, ago: i64) -> Date {
        self.today
            .checked_sub(Span::new().days(ago))
            .unwrap_or(self.today)
    }

    fn day(&self, ago: i64) -> String {
        self.date(ago).to_string()
    }

    /// The time `hour:minute` on the day `ago` days before today.
    fn at(&self, ago: i64, hour: i64, minute: i64) -> DateTime {
        self.date(ago)
            .at(0, 0, 0, 0)
            .checked_add(Span::new().hours(hour).minutes(minute))
            .unwrap_or_else(|_| self.date(ago).at(0, 0, 0, 0))
    }

    /// `name`, or `name (2)`, `name (3)` … if taken; at most `max` characters.
    fn unique(&mut self, name: &str, max: usize) -> String {
        let mut candidate = clip(name, max);
        let mut n = 2;
        while self.names.contains(&candidate) {
            let suffix = format!(" ({n})");
            candidate = format!(
                "{}{suffix}",
                clip(name, max.saturating_sub(suffix.chars().count()))
            );
            n += 1;
        }
        self.names.insert(candidate.clone());
        candidate
    }

    fn person(&mut self) -> String {
        let i = self.rng.below(self.people.len());
        self.people
            .get(i)
            .cloned()
            .unwrap_or_else(|| "OT engineer".into())
    }

    /// Someone who worked at the site (or for a contractor) before, not one of today's people.
    fn former_person(&mut self) -> String {
        loop {
            let first = self.rng.choose(FIRST_NAMES).copied().unwrap_or("Alex");
            let last = self.rng.choose(LAST_NAMES).copied().unwrap_or("Doe");
            let name = format!("{first} {last}");
            if !self.people.contains(&name) {
                return name;
            }
        }
    }

    /// The site's OT security lead (the first person).
    fn lead(&self) -> String {
        self.people
            .first()
            .cloned()
            .unwrap_or_else(|| "OT security lead".into())
    }

    // -----------------------------------------------------------------------------------------
    // Patches

    async fn patches(&mut self, assets: &[OpsAsset]) -> Result<(), StoreError> {
        let families = families(assets);
        if families.is_empty() {
            return Ok(());
        }
        const PATCHES: usize = 24;
        let mut per_family = vec![0usize; families.len()];
        let mut deferrals = 0;
        let mut written_deferrals = 0;
        for i in 0..PATCHES {
            // Released over three years, the last three within the last month.
            let age = if i >= PATCHES - 3 {
                self.rng.between(2, 28)
            } else {
                let slot = (HISTORY_DAYS - 30) * (PATCHES - 3 - i) as i64 / (PATCHES - 3) as i64;
                30 + slot - self.rng.between(0, 25)
            };
            let Some(fi) = self.pick_family(&families) else {
                continue;
            };
            let family = &families[fi];
            let n = per_family[fi];
            per_family[fi] += 1;
            let severity = match self.rng.below(100) {
                0..25 => "critical",
                25..60 => "high",
                60..90 => "medium",
                _ => "low",
            };
            let released = self.date(age);
            let spec = self.patch_spec(family, n, released, assets);
            let name = self.unique(&spec.name, 200);
            let qualification = if age < 7 {
                "pending"
            } else if self.rng.percent(95) {
                "qualified"
            } else {
                "not_qualified"
            };
            let patch = self
                .create(
                    &PATCH_KIND,
                    json!({"name": name, "vendor": family.vendor, "products": clip(&spec.products, 500),
                           "patch_version": spec.version, "patch_type": spec.patch_type,
                           "severity": severity, "advisories": spec.advisories,
                           "qualification": qualification, "released_on": released.to_string(),
                           "notes": spec.notes}),
                )
                .await?;

            // Where it applies: the family's most critical assets first.
            let mut members: Vec<(u8, u64, usize)> = family
                .members
                .iter()
                .map(|&m| (rank(&assets[m].criticality), self.rng.next_u64(), m))
                .collect();
            members.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            let count = (self.rng.between(1, 6) as usize).min(members.len());
            let window = target_window_days(severity).unwrap_or(120);
            let mut plans = Vec::with_capacity(count);
            for &(_, _, m) in members.iter().take(count) {
                let lag = match self.rng.below(100) {
                    0..70 => self.rng.between(window / 4, window * 3 / 4),
                    70..85 => self.rng.between(window * 3 / 4, window),
                    _ => self.rng.between(window + 5, window * 2 + 30),
                };
                let force_deferral = deferrals == 0 && i >= PATCHES / 2 && age > 20;
                let state = if self.rng.percent(4) {
                    "not_applicable"
                } else if force_deferral || (age > 20 && self.rng.percent(5)) {
                    deferrals += 1;
                    "deferred"
                } else if lag < age {
                    "deployed"
                } else {
                    // Not deployed yet: as far along as the days since its release allow.
                    match age {
                        0..7 => "evaluated",
                        7..12 => "vendor_approved",
                        12..21 => "tested",
                        _ => "scheduled",
                    }
                };
                plans.push((m, state, lag));
            }

            // The change request under which the scheduled ones are deployed.
            let scheduled: Vec<i64> = plans
                .iter()
                .filter(|p| p.1 == "scheduled")
                .map(|p| assets[p.0].id)
                .collect();
            let change = if scheduled.is_empty() {
                None
            } else {
                Some(
                    self.patch_change(&name, family.class, &spec.advisories, &scheduled, assets)
                        .await?,
                )
            };

            for (m, state, lag) in plans {
                let asset = &assets[m];
                let evaluated = age - self.rng.between(0, 5.min(age));
                let mut v = json!({"name": clip(&format!("{name} on {}", asset.name), 300),
                    "patch_id": patch, "asset_id": asset.id, "state": state,
                    "evaluated_on": self.day(evaluated)});
                let evidence = format!(
                    "Installed on the test system ({}); {} h soak test without findings. Report in the DMS under {}-TST-{}.",
                    match family.class {
                        Class::Controller => "spare CPU in the test rack",
                        Class::Network => "lab switch",
                        _ => "virtual test clone",
                    },
                    self.rng.between(24, 72),
                    self.code,
                    self.rng.between(1000, 9999)
                );
                match state {
                    "tested" => v["test_evidence"] = json!(evidence),
                    "scheduled" => {
                        v["test_evidence"] = json!(evidence);
                        v["change_id"] = json!(change);
                    }
                    "deployed" => {
                        v["deployed_on"] = json!(self.day(age - lag));
                        let vendor_work =
                            !matches!(family.class, Class::WinServer | Class::WinClient);
                        v["deployed_by"] = json!(if vendor_work && self.rng.percent(15) {
                            format!("{} service engineer", family.vendor)
                        } else {
                            self.person()
                        });
                        if self.rng.percent(60) {
                            v["test_evidence"] = json!(evidence);
                        }
                        if lag > window {
                            v["notes"] = json!(
                                "Deployed after the target window: waited for the next planned line stop."
                            );
                        }
                    }
                    "deferred" => {
                        written_deferrals += 1;
                        let until = if written_deferrals == 1 || self.rng.percent(25) {
                            self.rng.between(5, 60)
                        } else {
                            -self.rng.between(20, 200)
                        };
                        let exception = self
                            .patch_exception(&name, asset, &spec.advisories, until)
                            .await?;
                        v["exception_id"] = json!(exception);
                        v["deferred_until"] = json!(self.day(until));
                        v["notes"] = json!(
                            "Needs a line stop and revalidation; deferred to the next shutdown."
                        );
                    }
                    "not_applicable" => {
                        v["notes"] = json!(
                            "The affected function (web server / module) is not installed on this asset."
                        );
                    }
                    _ => {}
                }
                self.create(&PATCH_DEPLOYMENT_KIND, v).await?;
            }
        }
        Ok(())
    }

    /// A family for the next patch: a class by weight (controllers most), then a family of it
    /// in proportion to its assets.
    fn pick_family(&mut self, families: &[Family]) -> Option<usize> {
        let weight = |c: Class| match c {
            Class::Controller => 30,
            Class::WinServer => 22,
            Class::Application => 20,
            Class::Network => 15,
            Class::WinClient => 13,
        };
        let mut classes: Vec<Class> = Vec::new();
        for f in families {
            if !classes.contains(&f.class) {
                classes.push(f.class);
            }
        }
        let total: usize = classes.iter().map(|c| weight(*c)).sum();
        let mut roll = self.rng.below(total);
        let mut class = *classes.first()?;
        for c in &classes {
            if roll < weight(*c) {
                class = *c;
                break;
            }
            roll -= weight(*c);
        }
        // A family in proportion to its assets: the common product lines get most patches.
        let of_class: Vec<usize> = (0..families.len())
            .filter(|&i| families[i].class == class)
            .flat_map(|i| std::iter::repeat_n(i, families[i].members.len()))
            .collect();
        self.rng.choose(&of_class).copied()
    }

    fn patch_spec(
        &mut self,
        family: &Family,
        n: usize,
        released: Date,
        assets: &[OpsAsset],
    ) -> PatchSpec {
        let year = released.year();
        let cve = |rng: &mut Rng| format!("CVE-{year}-{}", rng.between(10000, 49999));
        let mut advisories = match family.vendor.as_str() {
            "Siemens" => format!("SSA-{}", self.rng.between(100000, 999999)),
            "Rockwell Automation" => format!("SD{}", self.rng.between(1600, 1799)),
            _ => String::new(),
        };
        for _ in 0..self.rng.between(1, 3) {
            if !advisories.is_empty() {
                advisories.push_str(", ");
            }
            advisories.push_str(&cve(&mut self.rng));
        }
        let mut models: Vec<&str> = Vec::new();
        for &m in &family.members {
            if !models.contains(&assets[m].model.as_str()) {
                models.push(&assets[m].model);
            }
        }
        let n = n as i64;
        // Versions rise within a family from a base of its own.
        let base = family.product.bytes().map(i64::from).sum::<i64>();
        match family.class {
            Class::Controller | Class::Network => {
                let version = if family.vendor == "Rockwell Automation" {
                    format!("v{}.{:03}", 32 + base % 3 + n / 2, 11 + 2 * (n % 2))
                } else {
                    format!(
                        "V{}.{}.{}",
                        1 + base % 4,
                        base % 7 + n,
                        self.rng.between(0, 9)
                    )
                };
                PatchSpec {
                    name: format!("{} {} firmware {version}", family.vendor, family.product),
                    products: format!("{} {}", family.vendor, models.join(", ")),
                    version,
                    patch_type: "firmware",
                    advisories,
                    notes: "Fixes vulnerabilities in the web server and the communication stack; the device restarts.".into(),
                }
            }
            Class::Application => {
                let version = format!("Update {}", 1 + base % 4 + n);
                PatchSpec {
                    name: format!("{} {} security {version}", family.vendor, family.product),
                    products: format!("{} {}", family.vendor, models.join(", ")),
                    version,
                    patch_type: "application",
                    advisories,
                    notes: "Cumulative security update; restart of the runtime needed.".into(),
                }
            }
            Class::WinServer | Class::WinClient => {
                let (what, products) = if family.class == Class::WinServer {
                    (
                        "Windows Server",
                        "Windows Server 2016, Windows Server 2019, Windows Server 2022",
                    )
                } else {
                    (
                        "Windows 10 Enterprise LTSC",
                        "Windows 10 Enterprise LTSC 2019, Windows 10 Enterprise LTSC 2021",
                    )
                };
                PatchSpec {
                    name: format!(
                        "{what} {year}-{:02} cumulative update",
                        released.month()
                    ),
                    products: products.into(),
                    version: format!("KB50{}", self.rng.between(10000, 49999)),
                    patch_type: "os_patch",
                    advisories,
                    notes: "Monthly cumulative update, approved by the control system vendors' compatibility lists.".into(),
                }
            }
        }
    }

    /// A change request, impact assessed, for deploying patch `name` on `targets`.
    async fn patch_change(
        &mut self,
        name: &str,
        class: Class,
        advisories: &str,
        targets: &[i64],
        assets: &[OpsAsset],
    ) -> Result<i64, StoreError> {
        let title = self.unique(&format!("Deploy {name}"), 120);
        let start = -self.rng.between(2, 21);
        let safety = targets.iter().any(|id| {
            assets
                .iter()
                .any(|a| a.id == *id && a.asset_type == "safety_controller")
        });
        let requested_by = self.person();
        let external = format!("MOC-{}-{}", self.code, self.rng.between(1000, 9999));
        self.create(
            &CHANGE_KIND,
            json!({"name": title,
                   "change_type": match class {
                       Class::Controller | Class::Network => "firmware",
                       Class::WinServer | Class::WinClient => "server_os",
                       Class::Application => "application",
                   },
                   "status": "assessed",
                   "description": format!("Deploy {name} in the next maintenance window; fixes {advisories}."),
                   "external_ref": external,
                   "requested_by": requested_by,
                   "assets": targets,
                   "planned_start": self.day(start), "planned_end": self.day(start - 1),
                   "cyber_impact": "No change to zones, conduits or open ports; closes the vulnerabilities listed.",
                   "safety_systems": safety,
                   "safety_impact": if safety { json!("Safety function proof test after the update; SIS bypass under permit.") } else { Json::Null }}),
        )
        .await
    }

    /// An exception (awaiting approval) covering the deferral of patch `name` on `asset` until
    /// `until` days ago (in the future when negative); it expires after the deferral.
    async fn patch_exception(
        &mut self,
        name: &str,
        asset: &OpsAsset,
        advisories: &str,
        until: i64,
    ) -> Result<i64, StoreError> {
        let title = self.unique(&format!("Patch deferral: {name} on {}", asset.name), 120);
        let expiry = until.min(0) - self.rng.between(60, 240);
        let lead = self.lead();
        let residual = if self.rng.percent(70) {
            "medium"
        } else {
            "low"
        };
        self.create(
            &EXCEPTION_KIND,
            json!({"name": title, "assets": [asset.id],
                   "zones": asset.zone_id.into_iter().collect::<Vec<_>>(),
                   "requirements": "SR 3.2, SR 3.4",
                   "constraints": "Deployment needs a line stop and revalidation of the qualified system.",
                   "justification": format!("{advisories} need network access to the asset, which only the cell firewall's allow-listed hosts have."),
                   "compensating_controls": "Conduit firewall allow-list only; web server disabled; removable media blocked.",
                   "residual_risk": residual,
                   "requested_by": lead,
                   "expiry_date": self.day(expiry), "review_interval_days": 90}),
        )
        .await
    }

    // -----------------------------------------------------------------------------------------
    // OT accounts, access reviews, revocations

    async fn accounts(&mut self, assets: &[OpsAsset]) -> Result<(), StoreError> {
        let systems = account_systems(assets, 8);
        let mut holderless = 0;
        // Revocations to write: (day ago, person, reason, account id).
        let mut ended: Vec<(i64, String, &'static str, Option<i64>)> = Vec::new();
        let mut open_candidates: Vec<(i64, String)> = Vec::new();
        for &si in &systems {
            let system = &assets[si];
            // Yearly reviews, the latest 3 weeks to 14 months ago (so some are overdue).
            let mut reviews = Vec::new();
            let mut ago = self.rng.between(20, 430);
            while ago < HISTORY_DAYS {
                reviews.push(ago);
                ago += 365 + self.rng.between(-20, 20);
            }
            reviews.reverse();
            let templates = account_templates(system);
            let n = (self.rng.between(3, 6) as usize).min(templates.len());
            // (id, created ago, ended ago, ended by the review of that day)
            let mut made: Vec<(i64, i64, Option<i64>, bool)> = Vec::new();
            let mut taken: HashSet<String> = HashSet::new();
            for t in templates.iter().take(n) {
                let created = self.rng.between(200, 1800);
                // Personal and vendor accounts end now and then: a leaver, a changed role, a
                // contract ended or a review finding.
                let mut end: Option<(i64, &'static str)> = None;
                if matches!(t.account_type, "personal" | "vendor") && self.rng.percent(22) {
                    let by_review: Vec<i64> = reviews
                        .iter()
                        .copied()
                        .filter(|r| *r < created - 30 && *r > 3)
                        .collect();
                    if !by_review.is_empty() && self.rng.percent(40) {
                        end = self.rng.choose(&by_review).map(|r| (*r, "review"));
                    } else if created > 40 {
                        let reason = match t.account_type {
                            "vendor" => "contract_ended",
                            _ if self.rng.percent(70) => "leaver",
                            _ => "role_change",
                        };
                        end = Some((self.rng.between(3, created - 30), reason));
                    }
                }
                // Leavers are former staff, not among the site's people of today.
                let holder = if end.is_some_and(|e| e.1 == "leaver") {
                    self.former_person()
                } else {
                    self.person()
                };
                let company = support_company(&system.vendor)
                    .unwrap_or(INTEGRATORS[self.rng.below(INTEGRATORS.len())])
                    .to_string();
                let (name, holders) = match t.account_type {
                    "personal" => (
                        format!("{}{}", login(&holder), t.name),
                        json!(holder.clone()),
                    ),
                    "shared" => {
                        if holderless < 1 || (holderless < 2 && self.rng.percent(10)) {
                            holderless += 1;
                            (t.name.to_string(), Json::Null)
                        } else {
                            let a = self.person();
                            let b = self.person();
                            let holders = if a == b { a } else { format!("{a}, {b}") };
                            (t.name.to_string(), json!(holders))
                        }
                    }
                    "vendor" => (t.name.to_string(), json!(company.clone())),
                    "emergency" => (
                        t.name.to_string(),
                        json!(format!("{} (sealed envelope)", self.lead())),
                    ),
                    _ => (t.name.to_string(), Json::Null),
                };
                let mut name = name;
                let mut k = 2;
                while !taken.insert(name.clone()) {
                    name = format!("{}{k}", name.trim_end_matches(char::is_numeric));
                    k += 1;
                }
                let status = match end {
                    Some(_) if self.rng.percent(50) => "removed",
                    Some(_) => "disabled",
                    None => "active",
                };
                let last_reviewed = reviews
                    .iter()
                    .copied()
                    .filter(|r| *r <= created && end.is_none_or(|(e, _)| *r >= e))
                    .min();
                let review_days = if t.account_type == "vendor" {
                    json!(180)
                } else {
                    Json::Null
                };
                let id = self
                    .create(
                        &OT_ACCOUNT_KIND,
                        json!({"name": name, "asset_id": system.id, "account_type": t.account_type,
                               "holders": holders, "privileges": t.privileges, "status": status,
                               "created_on": self.day(created),
                               "last_reviewed": last_reviewed.map(|r| self.day(r)),
                               "review_days": review_days,
                               "notes": t.notes}),
                    )
                    .await?;
                if let Some((e, reason)) = end {
                    let person = if t.account_type == "vendor" {
                        company
                    } else {
                        holder.clone()
                    };
                    ended.push((e, person, reason, Some(id)));
                } else if t.account_type == "personal" && holder != self.lead() {
                    open_candidates.push((id, holder.clone()));
                }
                made.push((
                    id,
                    created,
                    end.map(|e| e.0),
                    end.is_some_and(|e| e.1 == "review"),
                ));
            }
            let reviewer = self.lead();
            for &r in &reviews {
                let mut confirmed = Vec::new();
                let mut to_revoke = Vec::new();
                for &(id, created, end, by_review) in &made {
                    if created < r {
                        continue;
                    }
                    match end {
                        Some(e) if e == r && by_review => to_revoke.push(id),
                        Some(e) if e >= r => {}
                        _ => confirmed.push(id),
                    }
                }
                if confirmed.is_empty() && to_revoke.is_empty() {
                    continue;
                }
                let notes = if to_revoke.is_empty() {
                    "All accounts confirmed with the system owner."
                } else {
                    "Account no longer needed: revocation requested."
                };
                self.create(
                    &ACCESS_REVIEW_KIND,
                    json!({"asset_id": system.id, "reviewed_on": self.day(r), "reviewer": reviewer,
                           "confirmed": confirmed, "to_revoke": to_revoke, "notes": notes}),
                )
                .await?;
            }
        }

        // About four revocations a year: the ended accounts, plus leavers whose access was
        // only in the domain.
        while ended.len() < 12 {
            let ago = self.rng.between(10, HISTORY_DAYS - 5);
            let person = self.former_person();
            let reason = if self.rng.percent(60) {
                "leaver"
            } else {
                "contract_ended"
            };
            ended.push((ago, person, reason, None));
        }
        ended.sort_by_key(|e| std::cmp::Reverse(e.0));
        for (ago, person, reason, account) in ended {
            let (hour, minute) = (self.rng.between(7, 16), self.rng.between(0, 59));
            let requested = self.at(ago, hour, minute);
            let hours = match self.rng.below(100) {
                0..55 => self.rng.between(1, 8),
                55..80 => self.rng.between(16, 30),
                _ => self.rng.between(40, 140),
            };
            let completed = requested
                .checked_add(Span::new().hours(hours))
                .unwrap_or(requested)
                .min(self.at(0, 0, 0));
            let completed = completed.max(requested);
            let by = self.person();
            let requested_by = self.lead();
            self.create(
                &REVOCATION_KIND,
                json!({"person": person, "reason": reason,
                       "accounts": account.into_iter().collect::<Vec<_>>(),
                       "requested_at": datetime_text(requested), "requested_by": requested_by,
                       "completed_at": datetime_text(completed), "completed_by": by}),
            )
            .await?;
        }
        // One or two still open: a leaver whose accounts are still active.
        let open = if self.rng.percent(50) { 2 } else { 1 };
        for k in 0..open {
            let (accounts, person) = match open_candidates.get(k) {
                Some((id, person)) => (vec![*id], person.clone()),
                None => (Vec::new(), format!("{} (contractor)", self.person())),
            };
            let (ago, hour, minute) = (
                self.rng.between(1, 3),
                self.rng.between(7, 11),
                self.rng.between(0, 59),
            );
            let requested = self.at(ago, hour, minute);
            let requested_by = self.lead();
            self.create(
                &REVOCATION_KIND,
                json!({"person": person, "reason": "leaver", "accounts": accounts,
                       "requested_at": datetime_text(requested), "requested_by": requested_by,
                       "notes": "Last working day; waiting for the system owners to remove the accounts."}),
            )
            .await?;
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Remote access sessions

    async fn remote_sessions(&mut self, assets: &[OpsAsset]) -> Result<(), StoreError> {
        // The companies that connect: the vendors of the site's assets, and integrators.
        let mut companies: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, a) in assets.iter().enumerate() {
            if rank(&a.criticality) < 1 || session_purposes(&a.asset_type).is_none() {
                continue;
            }
            if let Some(company) = support_company(&a.vendor) {
                match companies.iter_mut().find(|c| c.0 == company) {
                    Some(c) => c.1.push(i),
                    None => companies.push((company.to_string(), vec![i])),
                }
            }
        }
        let control: Vec<usize> = (0..assets.len())
            .filter(|&i| {
                matches!(
                    assets[i].asset_type.as_str(),
                    "plc" | "hmi" | "scada_server" | "dcs_controller" | "historian" | "mes_server"
                )
            })
            .collect();
        if !control.is_empty() {
            for integrator in INTEGRATORS {
                companies.push((integrator.to_string(), control.clone()));
            }
        }
        if companies.is_empty() {
            return Ok(());
        }
        // Two engineers of each company who connect.
        let mut engineers: Vec<[String; 2]> = Vec::with_capacity(companies.len());
        for _ in 0..companies.len() {
            engineers.push([self.former_person(), self.former_person()]);
        }
        let gateway = assets
            .iter()
            .find(|a| a.asset_type == "jump_host")
            .map_or_else(|| "the DMZ jump host".to_string(), |a| a.name.clone());

        // (days ago of the window start, status)
        let mut sessions: Vec<(i64, &'static str)> = Vec::new();
        let months = HISTORY_DAYS / 30;
        for m in 0..months {
            let per_month = self.rng.between(1, 3);
            for _ in 0..per_month {
                let ago = HISTORY_DAYS - 30 * m - self.rng.between(0, 29);
                if ago < 3 {
                    continue;
                }
                let status = match self.rng.below(100) {
                    0..5 => "rejected",
                    5..9 => "cancelled",
                    _ => "closed",
                };
                sessions.push((ago, status));
            }
        }
        // Past their window and never closed, so the flags show.
        sessions.push((self.rng.between(3, 10), "ended"));
        if self.rng.percent(60) {
            sessions.push((self.rng.between(12, 40), "access_granted"));
        }
        // Coming up: requested, and one with its temporary access already prepared.
        sessions.push((-self.rng.between(3, 14), "requested"));
        sessions.push((-self.rng.between(5, 20), "requested"));
        sessions.push((-self.rng.between(1, 2), "access_granted"));
        sessions.sort_by_key(|s| std::cmp::Reverse(s.0));

        for (k, (ago, status)) in sessions.into_iter().enumerate() {
            let ci = self.rng.below(companies.len());
            let (company, targets) = match companies.get(ci) {
                Some(c) => (c.0.clone(), c.1.clone()),
                None => continue,
            };
            // One asset, sometimes a second one of the same type.
            let Some(&first) = self.rng.choose(&targets) else {
                continue;
            };
            let mut chosen = vec![first];
            let same: Vec<usize> = targets
                .iter()
                .copied()
                .filter(|&t| t != first && assets[t].asset_type == assets[first].asset_type)
                .collect();
            if self.rng.percent(30)
                && let Some(&t) = self.rng.choose(&same)
            {
                chosen.push(t);
            }
            let ids: Vec<i64> = chosen.iter().map(|&t| assets[t].id).collect();
            let purposes = session_purposes(&assets[first].asset_type).unwrap_or(CONTROLLER_WORK);
            let (purpose, summary) = *self.rng.choose(purposes).unwrap_or(&CONTROLLER_WORK[0]);
            let first = assets[first].name.as_str();
            let requester = engineers
                .get(ci)
                .map(|e| e[self.rng.below(2)].clone())
                .unwrap_or_default();
            let hour = self.rng.between(7, 15);
            let start = self.at(ago, hour, 0);
            let hours = self.rng.between(2, 8);
            let end = start.checked_add(Span::new().hours(hours)).unwrap_or(start);
            let short = company.split(" (").next().unwrap_or(&company).to_string();
            let mut v = json!({"name": clip(&format!("{short}: {purpose} on {first}"), 200),
                "requester": requester, "company": company, "assets": ids,
                "purpose": format!("{purpose}. Access via {gateway} to the named assets only."),
                "window_start": datetime_text(start), "window_end": datetime_text(end),
                "status": status});
            if matches!(status, "access_granted" | "ended" | "closed") {
                v["access_path"] =
                    json!(format!("FW-DMZ temporary rule {} via {gateway}", 4000 + k));
            }
            if matches!(status, "ended" | "closed") {
                let begun = start
                    .checked_add(Span::new().minutes(self.rng.between(2, 25)))
                    .unwrap_or(start);
                let minutes = self.rng.between(30, hours * 60 - 30);
                let done = begun
                    .checked_add(Span::new().minutes(minutes))
                    .unwrap_or(begun);
                v["started_at"] = json!(datetime_text(begun));
                v["ended_at"] = json!(datetime_text(done));
                v["performed_by"] = json!(requester);
                if self.rng.percent(70) {
                    v["recording_ref"] = json!(format!(
                        "REC-{}-{}-{:02}",
                        self.code,
                        start.date().strftime("%Y%m%d"),
                        k % 100
                    ));
                }
            }
            if status == "closed" {
                v["summary"] = json!(summary);
                v["access_removed"] = json!(true);
            }
            self.create(&REMOTE_SESSION_KIND, v).await?;
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Backups and restore tests

    async fn backups(&mut self, assets: &[OpsAsset]) -> Result<(), StoreError> {
        let of = |types: &[&str]| -> Vec<usize> {
            let mut v: Vec<usize> = (0..assets.len())
                .filter(|&i| types.contains(&assets[i].asset_type.as_str()))
                .collect();
            v.sort_by(|a, b| rank(&assets[*b].criticality).cmp(&rank(&assets[*a].criticality)));
            v.truncate(16);
            v
        };
        let candidates = [
            BackupPlan {
                name: "Controller programs",
                contents: "controller_program",
                members: of(&[
                    "plc",
                    "dcs_controller",
                    "safety_controller",
                    "robot_controller",
                ]),
                frequency: 7,
                storage: "Versiondog server in the DMZ, replicated to the data centre",
                retention: "All versions, 10 years",
                tool: "Versiondog (scheduled job)",
                size: (2_000_000, 40_000_000),
            },
            BackupPlan {
                name: "SCADA, historian and MES server images",
                contents: "server_image",
                members: of(&["scada_server", "historian", "mes_server"]),
                frequency: 7,
                storage: "Veeam repository on the backup server, weekly offline copy on tape",
                retention: "8 weekly, 12 monthly",
                tool: "Veeam B&R (scheduled job)",
                size: (40_000_000_000, 180_000_000_000),
            },
            BackupPlan {
                name: "Engineering projects",
                contents: "engineering_project",
                members: of(&["engineering_workstation"]),
                frequency: 30,
                storage: "Project share on the engineering file server, copy on an offline USB disk in the safe",
                retention: "All versions",
                tool: "",
                size: (200_000_000, 4_000_000_000),
            },
            BackupPlan {
                name: "Network device configurations",
                contents: "configuration",
                members: of(&["network_switch", "firewall", "router", "jump_host"]),
                frequency: 30,
                storage: "Configuration archive on the management server",
                retention: "24 versions",
                tool: "Config archive (scheduled job)",
                size: (40_000, 900_000),
            },
            BackupPlan {
                name: "Domain controller and application servers",
                contents: "server_image",
                members: of(&["domain_controller", "application_server"]),
                frequency: 7,
                storage: "Veeam repository on the backup server, weekly offline copy on tape",
                retention: "8 weekly, 12 monthly",
                tool: "Veeam B&R (scheduled job)",
                size: (30_000_000_000, 120_000_000_000),
            },
        ];
        let wanted = self.rng.between(3, 5) as usize;
        let plans: Vec<&BackupPlan> = candidates
            .iter()
            .filter(|p| !p.members.is_empty())
            .take(wanted)
            .collect();
        if plans.is_empty() {
            return Ok(());
        }
        let count = plans.len();
        for (pi, plan) in plans.into_iter().enumerate() {
            let owner = self.person();
            let ids: Vec<i64> = plan.members.iter().map(|&m| assets[m].id).collect();
            let name = self.unique(plan.name, 120);
            let id = self
                .create(
                    &BACKUP_PLAN_KIND,
                    json!({"name": name, "assets": ids, "contents": plan.contents,
                           "frequency_days": plan.frequency, "restore_test_days": 365,
                           "storage": plan.storage, "retention": plan.retention, "owner": owner}),
                )
                .await?;
            // Backups of the last six months; the second plan's latest one failed.
            let mut ago = self.rng.between(0, plan.frequency - 1);
            let mut first = true;
            while ago <= 182 {
                let result = if first && pi == 1 {
                    "failed"
                } else {
                    match self.rng.below(100) {
                        0..4 => "partial",
                        4..7 => "failed",
                        _ => "success",
                    }
                };
                first = false;
                let mut v = json!({"plan_id": id, "taken_on": self.day(ago), "result": result,
                    "taken_by": if plan.tool.is_empty() { self.person() } else { plan.tool.to_string() }});
                if result != "failed" {
                    let size = self.rng.between(plan.size.0, plan.size.1);
                    v["size_bytes"] = json!(size);
                    v["checksum"] = json!(format!("sha256:{}", self.rng.hex(64)));
                }
                if result != "success" {
                    v["notes"] = json!(if result == "failed" {
                        "Job failed: target unreachable during the backup window; rerun scheduled."
                    } else {
                        "One asset skipped (offline for maintenance)."
                    });
                }
                self.create(&BACKUP_RECORD_KIND, v).await?;
                ago += plan.frequency;
            }
            // Yearly restore tests; the last plan was never tested.
            if pi + 1 == count {
                continue;
            }
            let mut ago = self.rng.between(20, 340);
            let mut tests = Vec::new();
            while ago < HISTORY_DAYS {
                tests.push(ago);
                ago += 365 + self.rng.between(-15, 15);
            }
            for (ti, ago) in tests.into_iter().rev().enumerate() {
                let target = plan
                    .members
                    .get(self.rng.below(plan.members.len()))
                    .map_or("", |&m| assets[m].name.as_str());
                let result = if ti == 0 && pi == 0 {
                    "partial"
                } else {
                    "success"
                };
                let minutes = match plan.contents {
                    "server_image" => self.rng.between(90, 360),
                    "controller_program" => self.rng.between(15, 60),
                    _ => self.rng.between(20, 120),
                };
                let tester = self.person();
                let evidence = if result == "partial" {
                    "Program restored, but the retentive data blocks were not in the backup; job changed to include them."
                        .to_string()
                } else {
                    format!(
                        "Restored to the test environment and compared with the running system; protocol {}-RT-{}.",
                        self.code,
                        self.rng.between(100, 999)
                    )
                };
                self.create(
                    &RESTORE_TEST_KIND,
                    json!({"plan_id": id, "tested_on": self.day(ago),
                           "scope": format!("Restore of {target} from the latest backup"),
                           "result": result, "minutes_to_restore": minutes,
                           "evidence": evidence, "tested_by": tester}),
                )
                .await?;
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Log sources and reviews

    async fn logs(&mut self, zones: &[i64], assets: &[OpsAsset]) -> Result<(), StoreError> {
        let sources = [
            (
                "Firewall logs",
                &["firewall"][..],
                "Denied connections, rule changes and administrator logins of the zone firewalls.",
                "Site SIEM (Splunk)",
                30,
            ),
            (
                "Domain controller security events",
                &["domain_controller"][..],
                "Windows security events: logons, privileged group changes, account lockouts.",
                "Site SIEM (Splunk)",
                30,
            ),
            (
                "Historian and SCADA audit trail",
                &["historian", "scada_server"][..],
                "Operator actions, configuration changes and user logons of SCADA and historian.",
                "Syslog server in the DMZ",
                90,
            ),
        ];
        let mut escalated = false;
        for (si, (name, types, collected, destination, review_days)) in
            sources.into_iter().enumerate()
        {
            let members: Vec<&OpsAsset> = assets
                .iter()
                .filter(|a| types.contains(&a.asset_type.as_str()))
                .take(12)
                .collect();
            let ids: Vec<i64> = members.iter().map(|a| a.id).collect();
            let mut zone_ids: Vec<i64> = Vec::new();
            for z in members.iter().filter_map(|a| a.zone_id) {
                if !zone_ids.contains(&z) {
                    zone_ids.push(z);
                }
            }
            if zone_ids.is_empty() {
                zone_ids = zones.to_vec();
            }
            let owner = self.person();
            let name = self.unique(name, 120);
            let id = self
                .create(
                    &LOG_SOURCE_KIND,
                    json!({"name": name, "zones": zone_ids, "assets": ids, "collected": collected,
                           "destination": destination, "review_days": review_days,
                           "owner": owner}),
                )
                .await?;
            // Monthly or quarterly reviews; the second source's latest review is late.
            let mut ago = self.rng.between(1, 12) + if si == 1 { review_days + 10 } else { 0 };
            let mut reviews = Vec::new();
            while ago < HISTORY_DAYS {
                reviews.push(ago);
                ago += review_days + self.rng.between(-5, 5);
            }
            for (ri, ago) in reviews.into_iter().rev().enumerate() {
                let period_to = ago + 1;
                let period_from = period_to + review_days - 1;
                let mut v = json!({"source_id": id, "reviewed_on": self.day(ago),
                    "reviewer": self.lead(),
                    "period_from": self.day(period_from), "period_to": self.day(period_to)});
                if self.rng.percent(8) || (si == 0 && ri == 20) {
                    let anomaly = *self.rng.choose(ANOMALIES).unwrap_or(&ANOMALIES[0]);
                    v["anomalies"] = json!(anomaly);
                    if !escalated && si == 0 && ri >= 20 {
                        escalated = true;
                        v["escalated"] = json!(true);
                        v["incident_ref"] = json!(format!(
                            "INC-{}-{:03}",
                            self.date(ago).year(),
                            self.rng.between(1, 200)
                        ));
                    }
                } else {
                    v["anomalies"] = json!("None.");
                }
                self.create(&LOG_REVIEW_KIND, v).await?;
            }
        }
        Ok(())
    }
}

/// What vendors connect for, by the type of the target asset: (purpose, summary when closed).
fn session_purposes(asset_type: &str) -> Option<&'static [(&'static str, &'static str)]> {
    Some(match asset_type {
        "plc" | "dcs_controller" | "safety_controller" | "rtu" => CONTROLLER_WORK,
        "drive" => &[
            (
                "Drive parameter check after a trip",
                "Parameters compared with the commissioning backup; no deviation found.",
            ),
            (
                "Diagnosis of repeated overcurrent faults",
                "Fault log read; motor cable damage found, replaced by maintenance.",
            ),
        ],
        "robot_controller" => &[
            (
                "Diagnosis of a servo fault",
                "Error history read; encoder cable replaced by maintenance, axis recalibrated.",
            ),
            (
                "Robot program optimisation",
                "Cycle time reduced by path changes, made under the change request; backup taken.",
            ),
        ],
        "hmi" | "scada_server" => &[
            (
                "Performance analysis of the SCADA server",
                "Trend archive reorganised; no configuration change.",
            ),
            (
                "Alarm configuration review",
                "Alarm priorities adjusted under the change request; tested with the operators.",
            ),
            (
                "Licence transfer after hardware replacement",
                "Licence moved to the new hardware; old licence revoked.",
            ),
        ],
        "historian" | "mes_server" | "application_server" => &[
            (
                "Historian interface troubleshooting",
                "Buffer of the interface node cleared; data gap back-filled.",
            ),
            (
                "Database maintenance",
                "Indexes rebuilt and old batches archived; no configuration change.",
            ),
            (
                "Licence transfer after hardware replacement",
                "Licence moved to the new hardware; old licence revoked.",
            ),
        ],
        _ => return None,
    })
}

const CONTROLLER_WORK: &[(&str, &str)] = &[
    (
        "Diagnosis of a communication fault",
        "Read the diagnostic buffer; a faulty PROFINET cable identified, replaced by maintenance.",
    ),
    (
        "Firmware update support",
        "Guided the update with the site engineer; versions verified afterwards.",
    ),
    (
        "Recipe download problem",
        "Recipe parameters were out of range; corrected by the site engineer.",
    ),
    (
        "Support for a program change",
        "Logic change reviewed with the site engineer and downloaded under the change request.",
    ),
];

const ANOMALIES: &[&str] = &[
    "Repeated denied connections from an office subnet to the control zone (misconfigured monitoring tool).",
    "Administrator logon outside working hours; confirmed as planned maintenance.",
    "Account lockouts of a shared HMI account; password changed, holders informed.",
    "Unexpected SMB traffic from an engineering workstation to the DMZ; rule tightened.",
    "Configuration change without a change reference; documented afterwards.",
];

// ---------------------------------------------------------------------------------------------
// Patch families

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Controller,
    Network,
    Application,
    WinServer,
    WinClient,
}

/// A product line of the site that patches are released for, and the assets running it.
struct Family {
    class: Class,
    vendor: String,
    product: String,
    members: Vec<usize>,
}

struct PatchSpec {
    name: String,
    products: String,
    version: String,
    patch_type: &'static str,
    advisories: String,
    notes: String,
}

/// The patch families of the site's assets (controllers, network devices, HMI/SCADA
/// applications, Windows servers and clients).
fn families(assets: &[OpsAsset]) -> Vec<Family> {
    let mut out: Vec<Family> = Vec::new();
    for (i, a) in assets.iter().enumerate() {
        let product = model_family(&a.model);
        let vendor = a.vendor.clone();
        let mut classes: Vec<(Class, String, String)> = Vec::new();
        let windows = || ("Microsoft".to_string(), "Windows Server".to_string());
        match a.asset_type.as_str() {
            "plc" | "dcs_controller" | "safety_controller" | "rtu" | "robot_controller" => {
                classes.push((Class::Controller, vendor, product));
            }
            "network_switch" | "firewall" | "router" | "wireless_ap" => {
                classes.push((Class::Network, vendor, product));
            }
            "jump_host" => {
                if vendor == "Microsoft" {
                    let (v, p) = windows();
                    classes.push((Class::WinServer, v, p));
                } else {
                    classes.push((Class::Network, vendor, product));
                }
            }
            "hmi" => classes.push((Class::Application, vendor, product)),
            "scada_server" | "historian" | "mes_server" | "application_server" => {
                if !matches!(vendor.as_str(), "Dell" | "Microsoft") {
                    classes.push((Class::Application, vendor, product));
                }
                let (v, p) = windows();
                classes.push((Class::WinServer, v, p));
            }
            "domain_controller" => {
                let (v, p) = windows();
                classes.push((Class::WinServer, v, p));
            }
            "engineering_workstation" | "operator_workstation" => classes.push((
                Class::WinClient,
                "Microsoft".into(),
                "Windows 10 Enterprise LTSC".into(),
            )),
            _ => {}
        }
        for (class, vendor, product) in classes {
            if vendor.is_empty() {
                continue;
            }
            match out
                .iter_mut()
                .find(|f| f.class == class && f.vendor == vendor && f.product == product)
            {
                Some(f) => f.members.push(i),
                None => out.push(Family {
                    class,
                    vendor,
                    product,
                    members: vec![i],
                }),
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Accounts

struct AccountTemplate {
    name: &'static str,
    account_type: &'static str,
    privileges: &'static str,
    notes: &'static str,
}

const fn acct(
    name: &'static str,
    account_type: &'static str,
    privileges: &'static str,
    notes: &'static str,
) -> AccountTemplate {
    AccountTemplate {
        name,
        account_type,
        privileges,
        notes,
    }
}

const SERVER_ACCOUNTS: &[AccountTemplate] = &[
    acct("-adm", "personal", "administrator", ""),
    acct(
        "svc-app",
        "service",
        "service (log on as a service)",
        "Runs the application services; interactive logon denied.",
    ),
    acct(
        "Administrator",
        "emergency",
        "administrator",
        "Break-glass only; password in the sealed envelope in the control room safe.",
    ),
    acct(
        "vendor-support",
        "vendor",
        "administrator",
        "Enabled only for approved remote sessions.",
    ),
    acct("-eng", "personal", "engineer", ""),
    acct(
        "opsadmin",
        "shared",
        "operator, restart services",
        "Shared by the shift leaders.",
    ),
];

const WORKSTATION_ACCOUNTS: &[AccountTemplate] = &[
    acct(
        "engineer",
        "shared",
        "engineer (download)",
        "Shared engineering login of the line.",
    ),
    acct("", "personal", "engineer (download)", ""),
    acct(
        "Administrator",
        "emergency",
        "local administrator",
        "Break-glass only.",
    ),
    acct(
        "integrator",
        "vendor",
        "engineer (download)",
        "For commissioning support; disabled between visits.",
    ),
    acct("", "personal", "engineer (read-only)", ""),
    acct(
        "svc-backup",
        "service",
        "backup operator",
        "Used by the backup job.",
    ),
];

const HMI_ACCOUNTS: &[AccountTemplate] = &[
    acct("OPERATOR", "shared", "operator", "Shift operators."),
    acct("MAINT", "shared", "maintenance", "Maintenance technicians."),
    acct("ADMIN", "emergency", "administrator", "Break-glass only."),
    acct("", "personal", "supervisor", ""),
    acct(
        "SERVICE",
        "vendor",
        "service",
        "Machine builder's service account.",
    ),
];

const NETWORK_ACCOUNTS: &[AccountTemplate] = &[
    acct(
        "admin",
        "emergency",
        "administrator",
        "Local fallback when RADIUS is down.",
    ),
    acct("", "personal", "administrator (RADIUS)", ""),
    acct(
        "monitor",
        "service",
        "read-only (SNMPv3)",
        "Network monitoring.",
    ),
    acct("netops", "shared", "read-write", "Network team on call."),
    acct(
        "vendor-tac",
        "vendor",
        "read-only",
        "Vendor support for troubleshooting.",
    ),
    acct(
        "cfgbackup",
        "service",
        "read-only",
        "Configuration backup job.",
    ),
];

fn account_templates(system: &OpsAsset) -> &'static [AccountTemplate] {
    match system.asset_type.as_str() {
        "engineering_workstation" | "operator_workstation" => WORKSTATION_ACCOUNTS,
        "hmi" => HMI_ACCOUNTS,
        "network_switch" | "firewall" | "router" => NETWORK_ACCOUNTS,
        "jump_host" if system.vendor != "Microsoft" => NETWORK_ACCOUNTS,
        _ => SERVER_ACCOUNTS,
    }
}

/// Up to `n` systems whose accounts are kept: the most critical of each kind of system, then
/// the next of each kind.
fn account_systems(assets: &[OpsAsset], n: usize) -> Vec<usize> {
    const TYPES: &[&str] = &[
        "domain_controller",
        "scada_server",
        "engineering_workstation",
        "firewall",
        "historian",
        "hmi",
        "jump_host",
        "network_switch",
        "mes_server",
        "operator_workstation",
        "application_server",
    ];
    let mut by_type: Vec<Vec<usize>> = TYPES
        .iter()
        .map(|t| {
            let mut v: Vec<usize> = (0..assets.len())
                .filter(|&i| assets[i].asset_type == *t)
                .collect();
            v.sort_by(|a, b| rank(&assets[*b].criticality).cmp(&rank(&assets[*a].criticality)));
            v
        })
        .collect();
    let mut out = Vec::new();
    for _round in 0..3 {
        for list in &mut by_type {
            if out.len() < n && !list.is_empty() {
                out.push(list.remove(0));
            }
        }
    }
    out
}

/// A backup plan the demo may have.
struct BackupPlan {
    name: &'static str,
    contents: &'static str,
    members: Vec<usize>,
    frequency: i64,
    storage: &'static str,
    retention: &'static str,
    tool: &'static str,
    size: (i64, i64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_and_families_read_well() {
        assert_eq!(login("Yusuf García"), "ygarcia");
        assert_eq!(login("Ute Müller"), "umuller");
        assert_eq!(
            model_family("SIMATIC S7-1500 CPU 1516-3 PN/DP"),
            "SIMATIC S7-1500"
        );
        assert_eq!(model_family("PA-3220"), "PA-3220");
        assert_eq!(model_family("PI Server (PI Data Archive)"), "PI Server");
    }

    #[test]
    fn the_generator_is_deterministic() {
        let a: Vec<u64> = (0..5).map(|_| Rng::new(7).next_u64()).collect();
        let mut r1 = Rng::seeded(OPS_STREAM, 3);
        let mut r2 = Rng::seeded(OPS_STREAM, 3);
        assert_eq!(people(&mut r1, 10), people(&mut r2, 10));
        assert_eq!(a[0], a[4]);
        let mut r = Rng::new(1);
        for _ in 0..1000 {
            let x = r.between(3, 5);
            assert!((3..=5).contains(&x));
        }
        assert_eq!(r.between(5, 5), 5);
        assert_eq!(r.hex(64).len(), 64);
    }
}
