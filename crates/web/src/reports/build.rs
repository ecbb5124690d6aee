//! The report builders: records → [`Document`]. Each builder reads through a [`Ctx`] (the store
//! to read, live or rebuilt as of a date, and the reader's scope narrowed to the report's site)
//! and notes every record it shows, so the cover lists the record versions used.

use super::{Period, ReportKind};
use crate::gap::{diagram_svg, fr_cells_text, gap_of};
use otkeep_core::access::{Access, Scope};
use otkeep_core::catalog::Target;
use otkeep_core::config_kinds::CHANGE_KIND;
use otkeep_core::gap::Status;
use otkeep_core::kind::FieldType;
use otkeep_core::kinds::{ASSET_KIND, CONDUIT_KIND, SITE_KIND, ZONE_KIND};
use otkeep_core::sl::FOUNDATIONAL_REQUIREMENTS;
use otkeep_core::{KindDef, Record, Value};
use otkeep_report::document::{Document, Section, SignatureLine, Source};
use otkeep_store::{ListQuery, RefTitles, Store, StoreError};
use std::collections::BTreeMap;

/// A record shown: (id, version, updated_at).
type Used = (i64, i64, String);

/// What a builder reads from.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub access: &'a Access,
    /// The site the report is about (`None`: the organization).
    pub site: Option<&'a Record>,
    /// The day the records are as of (today, or the point-in-time date).
    pub day: jiff::civil::Date,
    pub period: Period,
    /// The records shown, per kind (plural label, name): (id, version, updated_at).
    used: BTreeMap<(&'static str, &'static str), Vec<Used>>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        store: &'a Store,
        access: &'a Access,
        site: Option<&'a Record>,
        day: jiff::civil::Date,
        period: Period,
    ) -> Ctx<'a> {
        Ctx {
            store,
            access,
            site,
            day,
            period,
            used: BTreeMap::new(),
        }
    }

    /// The reader's scope of `kind`, narrowed to the report's site.
    pub fn scope(&self, kind: &KindDef) -> Scope {
        let scope = self.access.read_scope(kind);
        let Some(site) = self.site.map(|s| s.id) else {
            return scope;
        };
        match scope {
            Scope::All => Scope::Limited {
                sites: vec![site],
                records: Vec::new(),
            },
            Scope::Limited { sites, records } => Scope::Limited {
                sites: sites.into_iter().filter(|s| *s == site).collect(),
                records,
            },
        }
    }

    /// Every record of `kind` in scope (and, for a site report, in the site), noted as used.
    async fn records(&mut self, kind: &'static KindDef) -> Result<Vec<Record>, StoreError> {
        let q = ListQuery {
            scope: self.scope(kind),
            ..ListQuery::default()
        };
        let mut records = self.store.list_all(kind, &q).await?;
        if let Some(site) = self.site {
            records.retain(|r| r.site_id().is_none_or(|s| s == site.id));
        }
        self.note(&records);
        Ok(records)
    }

    fn note(&mut self, records: &[Record]) {
        for r in records {
            self.used
                .entry((r.kind.label_plural, r.kind.name))
                .or_default()
                .push((r.id, r.version, r.updated_at.clone()));
        }
    }

    /// The records used, per kind, for the cover.
    pub fn sources(&self) -> Vec<Source> {
        self.used
            .iter()
            .map(|((label, _), list)| Source::of(label, list.iter().cloned()))
            .collect()
    }

    /// The signatures on the records used, per kind then record: whether each was given to the
    /// version shown.
    pub async fn signatures(&self) -> Result<Vec<SignatureLine>, StoreError> {
        let mut out = Vec::new();
        for ((label, name), list) in &self.used {
            let versions: BTreeMap<i64, i64> = list.iter().map(|(id, v, _)| (*id, *v)).collect();
            let ids: Vec<i64> = versions.keys().copied().collect();
            let mut by_record: Vec<_> = self
                .store
                .signatures_of(name, &ids)
                .await?
                .into_iter()
                .collect();
            by_record.sort_by_key(|(id, _)| *id);
            for (id, signatures) in by_record {
                let shown = versions.get(&id).copied().unwrap_or_default();
                for s in signatures {
                    out.push(SignatureLine {
                        record: format!("{label} #{id} v{}", s.record_version),
                        signer: format!("{} ({})", s.signer_name, s.signer),
                        meaning: s.meaning,
                        signed_at: s.signed_at,
                        on_version_shown: s.record_version == shown,
                    });
                }
            }
        }
        Ok(out)
    }

    /// How rows of `records` name their record: the title, prefixed by the site's code in an
    /// organization report (zone names repeat across sites).
    async fn namer(&self, records: &[Record]) -> Result<impl Fn(&Record) -> String, StoreError> {
        let sites = if self.site.is_some() {
            std::collections::HashMap::new()
        } else {
            self.store
                .titles(&SITE_KIND, records.iter().filter_map(Record::site_id))
                .await?
        };
        Ok(
            move |r: &Record| match r.site_id().and_then(|s| sites.get(&s)) {
                Some(site) => format!("{site} · {}", r.title()),
                None => r.title(),
            },
        )
    }

    fn today(&self) -> String {
        self.day.to_string()
    }
}

/// `#12 v3`: a row's record and version, as the cover lists them.
fn reference(r: &Record) -> String {
    format!("#{} v{}", r.id, r.version)
}

/// A cell of `field` of `r`: references by title, lists joined, booleans as yes/no.
fn cell(r: &Record, field: &str, titles: &RefTitles) -> String {
    let Some(f) = r.kind.field(field) else {
        return String::new();
    };
    let target = f.ref_kind().and_then(otkeep_core::kind);
    match (f.ty, r.get(field), target) {
        (FieldType::Bool, v, _) => if v.as_bool() { "yes" } else { "no" }.into(),
        (_, Value::Null, _) => String::new(),
        (_, v, Some(t)) => v
            .ids()
            .iter()
            .map(|id| {
                titles
                    .get(&(t.name, *id))
                    .cloned()
                    .unwrap_or_else(|| format!("#{id}"))
            })
            .collect::<Vec<_>>()
            .join(", "),
        (_, v, None) => v.to_text(),
    }
}

/// A table of `records` with the kind's list columns (the same columns as its list page),
/// preceded by the record reference.
async fn kind_table(
    ctx: &Ctx<'_>,
    kind: &'static KindDef,
    records: &[Record],
    skip: &[&str],
) -> Result<(Vec<String>, Vec<Vec<String>>), StoreError> {
    let titles = ctx.store.ref_titles(kind, records).await?;
    let fields: Vec<_> = kind
        .fields
        .iter()
        .filter(|f| f.in_list && !skip.contains(&f.name))
        .filter(|f| !(ctx.site.is_some() && f.name == "site_id"))
        .collect();
    let mut columns = vec!["Record".to_string()];
    columns.extend(fields.iter().map(|f| f.label.to_string()));
    let rows = records
        .iter()
        .map(|r| {
            let mut row = vec![reference(r)];
            row.extend(fields.iter().map(|f| cell(r, f.name, &titles)));
            row
        })
        .collect();
    Ok((columns, rows))
}

fn with_table(
    section: Section,
    name: &str,
    (columns, rows): (Vec<String>, Vec<Vec<String>>),
) -> Section {
    let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
    section.table(name, &cols, rows)
}

fn count_by(records: &[Record], field: &str) -> Vec<(String, String)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in records {
        let v = r.get(field).to_text();
        *counts
            .entry(if v.is_empty() { "(not set)".into() } else { v })
            .or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(k, n)| (k, n.to_string()))
        .collect()
}

/// Builds the sections of `kind` of report.
pub async fn sections(ctx: &mut Ctx<'_>, kind: ReportKind) -> Result<Vec<Section>, StoreError> {
    match kind {
        ReportKind::Inventory => inventory(ctx).await,
        ReportKind::Zones => zones(ctx).await,
        ReportKind::SlJustification => sl_justification(ctx).await,
        ReportKind::Gap => gap(ctx).await,
        ReportKind::Risk => risk(ctx).await,
        ReportKind::Exceptions => exceptions(ctx).await,
        ReportKind::Vulnerabilities => vulnerabilities(ctx).await,
        ReportKind::Changes => changes(ctx).await,
        ReportKind::Operations => operations(ctx).await,
        ReportKind::Kpis => kpis(ctx).await,
    }
}

async fn inventory(ctx: &mut Ctx<'_>) -> Result<Vec<Section>, StoreError> {
    let assets = ctx.records(&ASSET_KIND).await?;
    let summary = Section::new("Summary")
        .paragraph(format!("{} assets.", assets.len()))
        .facts(count_by(&assets, "asset_type"))
        .paragraph("By criticality:")
        .facts(count_by(&assets, "criticality"));
    let table = kind_table(ctx, &ASSET_KIND, &assets, &[]).await?;
    Ok(vec![
        summary,
        with_table(Section::new("Assets"), "Assets", table),
    ])
}

async fn zones(ctx: &mut Ctx<'_>) -> Result<Vec<Section>, StoreError> {
    let zones = ctx.records(&ZONE_KIND).await?;
    let conduits = ctx.records(&CONDUIT_KIND).await?;
    let mut out = Vec::new();
    // One diagram per site (the site's own, or every site of the organization in reach).
    let sites: Vec<Record> = match ctx.site {
        Some(site) => vec![site.clone()],
        None => ctx.records(&SITE_KIND).await?,
    };
    let mut figures = Section::new("Diagrams");
    for site in &sites {
        let of_site = |r: &&Record| r.site_id() == Some(site.id);
        let site_zones: Vec<Record> = zones.iter().filter(of_site).cloned().collect();
        if site_zones.is_empty() {
            continue;
        }
        let site_conduits: Vec<Record> = conduits.iter().filter(of_site).cloned().collect();
        let scope = Scope::Limited {
            sites: vec![site.id],
            records: Vec::new(),
        };
        let svg = diagram_svg(
            ctx.store,
            &scope,
            site,
            &site_zones,
            &site_conduits,
            &ctx.today(),
        )
        .await?;
        figures = figures.figure(
            svg,
            format!(
                "{}: zones by Purdue level with SL-A/SL-T and the conduits between them",
                site.title()
            ),
        );
    }
    if !figures.blocks.is_empty() {
        out.push(figures);
    }
    let zone_table = kind_table(ctx, &ZONE_KIND, &zones, &[]).await?;
    out.push(with_table(Section::new("Zones"), "Zones", zone_table));
    let conduit_table = kind_table(ctx, &CONDUIT_KIND, &conduits, &["channels"]).await?;
    out.push(with_table(
        Section::new("Conduits"),
        "Conduits",
        conduit_table,
    ));
    let titles = ctx.store.ref_titles(&CONDUIT_KIND, &conduits).await?;
    let mut flows = Vec::new();
    for c in &conduits {
        if let Value::Channels(list) = c.get("channels") {
            for ch in list {
                flows.push(vec![
                    reference(c),
                    c.title(),
                    cell(c, "zone_a_id", &titles),
                    cell(c, "zone_b_id", &titles),
                    ch.protocol.clone(),
                    ch.port.map(|p| p.to_string()).unwrap_or_default(),
                    ch.transport.clone(),
                    ch.direction.clone(),
                ]);
            }
        }
    }
    out.push(
        Section::new("Channels and data flows")
            .paragraph("Each channel a conduit allows: protocol, port, transport and direction (a_to_b is from the first zone to the second).")
            .table(
                "Channels",
                &["Record", "Conduit", "Zone A", "Zone B", "Protocol", "Port", "Transport", "Direction"],
                flows,
            ),
    );
    Ok(out)
}

async fn sl_justification(ctx: &mut Ctx<'_>) -> Result<Vec<Section>, StoreError> {
    let mut out = vec![Section::new("Method").paragraph(
        "Each zone's and conduit's target security level (SL-T) per foundational requirement, with the justification recorded when it was set. An SL-T change is only accepted with a new justification; the record version shows how often it changed.",
    )];
    for kind in [&ZONE_KIND, &CONDUIT_KIND] {
        let records = ctx.records(kind).await?;
        let name = ctx.namer(&records).await?;
        let rows = records
            .iter()
            .map(|r| {
                vec![
                    reference(r),
                    name(r),
                    r.get("sl_t").to_text(),
                    r.get("sl_t_justification").to_text(),
                    r.updated_at.get(..10).unwrap_or("").to_string(),
                ]
            })
            .collect();
        out.push(Section::new(kind.label_plural).table(
            kind.label_plural,
            &[
                "Record",
                "Name",
                "SL-T (FR1-FR7)",
                "Justification",
                "Last changed",
            ],
            rows,
        ));
    }
    Ok(out)
}

async fn gap(ctx: &mut Ctx<'_>) -> Result<Vec<Section>, StoreError> {
    let catalog = ctx.store.catalog().await?;
    let scope = ctx.scope(&ZONE_KIND);
    let (_, cover) = ctx.store.coverage(&scope, &ctx.today()).await?;
    let mut frs: Vec<&str> = vec!["Record", "Name"];
    frs.extend(FOUNDATIONAL_REQUIREMENTS.iter().map(|f| f.0));
    frs.extend(["In force", "Met", "Open"]);
    let mut out = vec![Section::new("Method").paragraph(
        "For each zone and conduit: the requirements of IEC 62443-3-3 in force at its SL-T, their assessed status (a valid, approved countermeasure meets an unmet zone requirement), and the achieved level SL-A per foundational requirement (FR cells read SL-A/SL-T).",
    )];
    let mut total = otkeep_core::gap::Rollup::default();
    for (kind, target, conduits) in [
        (&ZONE_KIND, Target::Zone, false),
        (&CONDUIT_KIND, Target::Conduit, true),
    ] {
        let statuses = ctx
            .store
            .assessment_statuses(&ctx.scope(kind), conduits)
            .await?;
        let records = ctx.records(kind).await?;
        let name = ctx.namer(&records).await?;
        let rows = records
            .iter()
            .map(|r| {
                let g = gap_of(&catalog, r, target, &statuses, &cover);
                if target == Target::Zone {
                    total.add(&g);
                }
                let mut row = vec![reference(r), name(r)];
                row.extend(fr_cells_text(&g));
                row.extend([
                    g.in_force().to_string(),
                    g.met().to_string(),
                    g.open().to_string(),
                ]);
                row
            })
            .collect();
        out.push(Section::new(kind.label_plural).table(kind.label_plural, &frs, rows));
    }
    out.insert(
        1,
        Section::new("Summary").facts(vec![
            ("Zones".into(), total.parts.to_string()),
            ("Zones below target".into(), total.parts_short.to_string()),
            ("Requirements in force".into(), total.in_force().to_string()),
            ("Met".into(), total.met().to_string()),
            ("Open".into(), (total.in_force() - total.met()).to_string()),
        ]),
    );
    let mut open = Vec::new();
    // (site id, prefix of its rows): an organization report names the site of each row.
    let sites: Vec<(i64, String)> = match ctx.site {
        Some(s) => vec![(s.id, String::new())],
        None => ctx
            .records(&SITE_KIND)
            .await?
            .iter()
            .map(|s| (s.id, format!("{} · ", s.title())))
            .collect(),
    };
    for (site, prefix) in sites {
        for row in ctx.store.assessment_rows(site, &ctx.today()).await? {
            if matches!(
                row.counts_as,
                Status::Implemented | Status::NotApplicable | Status::Compensated
            ) || !ctx.scope(row.target_kind).covers(row.target_id, Some(site))
            {
                continue;
            }
            open.push(vec![
                format!("{prefix}{}", row.target_title),
                row.requirement.id.clone(),
                row.status.label().to_string(),
                row.owner.clone(),
                row.target_date.clone(),
                row.notes.clone(),
            ]);
        }
    }
    out.push(
        Section::new("Open requirements")
            .paragraph("Requirements in force that are not met, with their owner and target date.")
            .table(
                "Open requirements",
                &[
                    "Zone or conduit",
                    "Requirement",
                    "Status",
                    "Owner",
                    "Target date",
                    "Notes",
                ],
                open,
            ),
    );
    Ok(out)
}

async fn risk(ctx: &mut Ctx<'_>) -> Result<Vec<Section>, StoreError> {
    use otkeep_core::risk_kinds::{RISK_KIND, TREATMENT_KIND};
    let register = ctx.store.risk_register(&ctx.scope(&RISK_KIND)).await?;
    let risks: Vec<Record> = register
        .iter()
        .filter(|r| ctx.site.is_none_or(|s| r.risk.site_id() == Some(s.id)))
        .map(|r| r.risk.clone())
        .collect();
    ctx.note(&risks);
    let rating = |row: &otkeep_store::RegisterRow, r: Option<&otkeep_core::risk::Rating>| {
        r.map(|r| {
            let level = row
                .method
                .levels
                .get(r.level)
                .map(|l| l.label.clone())
                .unwrap_or_default();
            format!("{level} (L{} × I{})", r.likelihood, r.impact)
        })
        .unwrap_or_default()
    };
    let rows = register
        .iter()
        .filter(|r| ctx.site.is_none_or(|s| r.risk.site_id() == Some(s.id)))
        .map(|row| {
            vec![
                reference(&row.risk),
                row.risk.title(),
                row.assessment
                    .as_ref()
                    .map(|a| a.1.clone())
                    .unwrap_or_default(),
                rating(row, row.inherent.as_ref()),
                rating(row, row.residual.as_ref()),
                row.risk.get("owner").to_text(),
                row.risk.get("status").to_text(),
                format!("v{}", row.method_version),
            ]
        })
        .collect();
    let treatments = ctx.records(&TREATMENT_KIND).await?;
    let table = kind_table(ctx, &TREATMENT_KIND, &treatments, &[]).await?;
    Ok(vec![
        Section::new("Risk register").table(
            "Risk register",
            &[
                "Record",
                "Risk",
                "Assessment",
                "Inherent",
                "Residual",
                "Owner",
                "Status",
                "Method",
            ],
            rows,
        ),
        with_table(Section::new("Treatment plan"), "Treatment plan", table),
    ])
}

async fn exceptions(ctx: &mut Ctx<'_>) -> Result<Vec<Section>, StoreError> {
    use otkeep_core::risk_kinds::EXCEPTION_KIND;
    let list = ctx
        .store
        .exceptions(&ctx.scope(&EXCEPTION_KIND), &ctx.today())
        .await?;
    let list: Vec<_> = list
        .into_iter()
        .filter(|e| ctx.site.is_none_or(|s| e.record.site_id() == Some(s.id)))
        .collect();
    let records: Vec<Record> = list.iter().map(|e| e.record.clone()).collect();
    ctx.note(&records);
    let (mut columns, mut rows) = kind_table(ctx, &EXCEPTION_KIND, &records, &[]).await?;
    columns.push("State".into());
    for (row, e) in rows.iter_mut().zip(&list) {
        row.push(e.state.describe());
    }
    let mut states: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &list {
        *states.entry(e.state.key()).or_default() += 1;
    }
    Ok(vec![
        Section::new("Summary").facts(
            states
                .into_iter()
                .map(|(k, n)| (k.to_string(), n.to_string()))
                .collect(),
        ),
        with_table(Section::new("Exceptions"), "Exceptions", (columns, rows)),
    ])
}

async fn vulnerabilities(ctx: &mut Ctx<'_>) -> Result<Vec<Section>, StoreError> {
    let matches = ctx
        .store
        .advisory_matches(&ctx.scope(&ASSET_KIND), None, None)
        .await?;
    let matches: Vec<_> = matches
        .into_iter()
        .filter(|m| ctx.site.is_none_or(|s| m.site_id == s.id))
        .collect();
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &matches {
        *by_status.entry(m.status.key()).or_default() += 1;
    }
    let rows = matches
        .iter()
        .map(|m| {
            vec![
                m.tracking_id.clone(),
                m.advisory_title.clone(),
                m.severity.clone(),
                m.asset_name.clone(),
                m.confidence.clone(),
                m.status.key().to_string(),
                m.justification.clone(),
                m.updated_at.get(..10).unwrap_or("").to_string(),
            ]
        })
        .collect();
    Ok(vec![
        Section::new("Summary")
            .paragraph("Advisories matched to the assets, by triage status. In a point-in-time report the matches are those made by then; their triage status is the current one.")
            .facts(
                by_status
                    .into_iter()
                    .map(|(k, n)| (k.to_string(), n.to_string()))
                    .collect(),
            ),
        Section::new("Advisory matches").table(
            "Advisory matches",
            &["Advisory", "Title", "Severity", "Asset", "Confidence", "Status", "Justification", "Updated"],
            rows,
        ),
    ])
}

/// Records of `kind` whose `date_field` (or, when empty, last change) falls in the period.
fn in_period(records: Vec<Record>, date_field: &str, period: &Period) -> Vec<Record> {
    records
        .into_iter()
        .filter(|r| {
            let d = r.get(date_field).to_text();
            let d = if d.is_empty() {
                r.updated_at.get(..10).unwrap_or("").to_string()
            } else {
                d.get(..10).unwrap_or(&d).to_string()
            };
            d.as_str() >= period.from.as_str() && d.as_str() <= period.to.as_str()
        })
        .collect()
}

async fn changes(ctx: &mut Ctx<'_>) -> Result<Vec<Section>, StoreError> {
    let q = ListQuery {
        scope: ctx.scope(&CHANGE_KIND),
        ..ListQuery::default()
    };
    let all = ctx.store.list_all(&CHANGE_KIND, &q).await?;
    let mut list = in_period(all, "", &ctx.period);
    if let Some(site) = ctx.site {
        list.retain(|r| r.site_id() == Some(site.id));
    }
    ctx.note(&list);
    let table = kind_table(ctx, &CHANGE_KIND, &list, &[]).await?;
    Ok(vec![
        Section::new("Period").facts(vec![
            ("From".into(), ctx.period.from.clone()),
            ("To".into(), ctx.period.to.clone()),
            ("Changes".into(), list.len().to_string()),
        ])
        .paragraph("Change requests created or last changed in the period; each record's history is in the audit trail.")
        .facts(count_by(&list, "status")),
        with_table(Section::new("Changes"), "Changes", table),
    ])
}

async fn operations(ctx: &mut Ctx<'_>) -> Result<Vec<Section>, StoreError> {
    use otkeep_core::account_kinds::{ACCESS_REVIEW_KIND, REVOCATION_KIND};
    use otkeep_core::ops_kinds::{BACKUP_RECORD_KIND, RESTORE_TEST_KIND};
    use otkeep_core::patch_kinds::PATCH_DEPLOYMENT_KIND;
    use otkeep_core::remote_kinds::REMOTE_SESSION_KIND;
    let mut out = vec![Section::new("Period").facts(vec![
        ("From".into(), ctx.period.from.clone()),
        ("To".into(), ctx.period.to.clone()),
    ])];
    for kind in [
        &PATCH_DEPLOYMENT_KIND,
        &BACKUP_RECORD_KIND,
        &RESTORE_TEST_KIND,
        &ACCESS_REVIEW_KIND,
        &REVOCATION_KIND,
        &REMOTE_SESSION_KIND,
    ] {
        let q = ListQuery {
            scope: ctx.scope(kind),
            ..ListQuery::default()
        };
        let date_field = kind
            .fields
            .iter()
            .find(|f| matches!(f.ty, FieldType::Date | FieldType::DateTime))
            .map_or("", |f| f.name);
        let mut list = in_period(ctx.store.list_all(kind, &q).await?, date_field, &ctx.period);
        if let Some(site) = ctx.site {
            list.retain(|r| r.site_id().is_none_or(|s| s == site.id));
        }
        ctx.note(&list);
        let table = kind_table(ctx, kind, &list, &[]).await?;
        out.push(with_table(
            Section::new(kind.label_plural).paragraph(format!("{} in the period.", list.len())),
            kind.label_plural,
            table,
        ));
    }
    Ok(out)
}

async fn kpis(ctx: &mut Ctx<'_>) -> Result<Vec<Section>, StoreError> {
    use otkeep_store::kpi::ORGANIZATION;
    let scope = ctx.scope(&ASSET_KIND);
    let now = ctx.day.to_datetime(jiff::civil::time(23, 59, 59, 0));
    let values = ctx.store.program_kpis(&scope, now).await?;
    let targets = ctx.store.kpi_targets().await?;
    let subject = ctx.site.map_or(ORGANIZATION, |s| s.id);
    let since = ctx
        .day
        .checked_sub(jiff::Span::new().days(90))
        .unwrap_or(ctx.day);
    let history = ctx.store.kpi_history(&[subject], since).await?;
    let mut rows = Vec::new();
    let mut charts = Section::new("Trends (90 days)");
    for (def, value) in &values {
        let target = targets.get(def.key);
        let t = target.map_or(def.default_target, |t| t.target);
        rows.push(vec![
            def.label.to_string(),
            def.formula.to_string(),
            def.show(*value),
            def.show(Some(t)),
            match value {
                Some(v) if def.meets(*v, t) => "yes".into(),
                Some(_) => "no".into(),
                None => "–".into(),
            },
            target.map(|t| t.owner.clone()).unwrap_or_default(),
        ]);
        let series: Vec<(String, Option<i64>)> = history
            .iter()
            .filter(|p| p.kpi == def.key && p.day.as_str() <= ctx.today().as_str())
            .map(|p| (p.day.clone(), p.value))
            .collect();
        if !series.is_empty() {
            charts = charts.figure(
                otkeep_report::trend::trend_svg(&series, Some(t), def.unit, def.label),
                def.label,
            );
        }
    }
    let mut out = vec![Section::new("Program KPIs").table(
        "KPIs",
        &["KPI", "Formula", "Value", "Target", "Meets target", "Owner"],
        rows,
    )];
    if charts.blocks.is_empty() {
        charts = charts.paragraph("No daily snapshots yet (they are taken by the server each day, or by `otkeep kpi --snapshot`).");
    }
    out.push(charts);
    Ok(out)
}

/// Builds the whole document: cover and sections.
pub async fn document(
    ctx: &mut Ctx<'_>,
    kind: ReportKind,
    cover: otkeep_report::document::Cover,
) -> Result<Document, StoreError> {
    let sections = sections(ctx, kind).await?;
    let mut cover = cover;
    cover.sources = ctx.sources();
    cover.signatures = ctx.signatures().await?;
    Ok(Document { cover, sections })
}
