//! The organization dashboard (`/organization`): the sites compared side by side — SL-A
//! against SL-T per FR and the open requirements (the gap roll-up), the program KPIs that miss
//! their targets on the latest daily snapshot, and what is overdue or due this week — each
//! row drilling down to the site's gap, KPIs and due list. Built to stay fast at 100 sites: one
//! pass over the zones and one read of the latest daily snapshot, which also holds the due
//! counts (the due engine runs at snapshot time; without a snapshot it runs for the page).

use crate::AppState;
use crate::auth::Principal;
use crate::gap::{GapRow, rollup_row, site_rollups};
use crate::ui::{Nav, UiError, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use otkeep_core::due::Bucket;
use otkeep_core::kpi::{KPIS, kpi_def};
use otkeep_core::risk_kinds::TREATMENT_KIND;
use otkeep_core::sl::FOUNDATIONAL_REQUIREMENTS;
use otkeep_store::kpi::{DUE_OVERDUE, DUE_THIS_WEEK};
use std::collections::HashMap;

struct SiteLine {
    id: i64,
    gap: GapRow,
    /// KPIs missing their target on the latest snapshot (labels).
    missed: Vec<&'static str>,
    overdue: usize,
    this_week: usize,
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgDashboard {
    nav: Nav,
    frs: Vec<&'static str>,
    sites: Vec<SiteLine>,
    total: GapRow,
    snapshot_day: String,
    /// The day the overdue counts are from ("now" when computed for the page).
    due_as_of: String,
    kpi_count: usize,
    overdue: usize,
    this_week: usize,
}

pub async fn page(State(state): State<AppState>, p: Principal) -> Result<Response, UiError> {
    // Read-only: a fresh read replica may serve it.
    let state = state.for_heavy_reads().await;
    let (sites, total) = site_rollups(&state, &p).await?;
    let ids: Vec<i64> = sites.iter().map(|(s, _)| s.id).collect();
    let today = jiff::Zoned::now().date();
    // KPIs: the latest snapshot of each site, against the targets.
    let targets = state.store.kpi_targets().await?;
    let history = state
        .store
        .kpi_history(
            &ids,
            today
                .checked_sub(jiff::Span::new().days(7))
                .unwrap_or(today),
        )
        .await?;
    let snapshot_day = history
        .iter()
        .map(|p| p.day.clone())
        .max()
        .unwrap_or_default();
    let mut missed: HashMap<i64, Vec<&'static str>> = HashMap::new();
    for point in history.iter().filter(|p| p.day == snapshot_day) {
        if let (Some(def), Some(v)) = (kpi_def(&point.kpi), point.value)
            && !def.meets(v, targets[def.key].target)
        {
            missed.entry(point.site_id).or_default().push(def.label);
        }
    }
    // What is due: from the latest snapshot (the due engine over 100 sites takes most of a
    // second), else computed now for every readable site.
    let mut due: HashMap<i64, (usize, usize)> = HashMap::new();
    let from_snapshot = history
        .iter()
        .any(|p| p.day == snapshot_day && p.kpi == DUE_OVERDUE);
    if from_snapshot {
        for point in history.iter().filter(|p| p.day == snapshot_day) {
            let n = point.value.unwrap_or(0).max(0) as usize;
            let e = due.entry(point.site_id).or_default();
            match point.kpi.as_str() {
                DUE_OVERDUE => e.0 = n,
                DUE_THIS_WEEK => e.1 = n,
                _ => {}
            }
        }
    } else {
        let scope = p.read_scope(&TREATMENT_KIND)?;
        for o in state.store.due(&scope, &today.to_string()).await? {
            let Some(site) = o.site_id else { continue };
            let e = due.entry(site).or_default();
            match Bucket::of(o.due, today) {
                Bucket::Overdue => e.0 += 1,
                Bucket::ThisWeek => e.1 += 1,
                _ => {}
            }
        }
    }
    let lines: Vec<SiteLine> = sites
        .iter()
        .map(|(s, r)| {
            let (overdue, this_week) = due.get(&s.id).copied().unwrap_or_default();
            SiteLine {
                id: s.id,
                gap: rollup_row(format!("/gap/sites/{}", s.id), s.title(), r),
                missed: missed.remove(&s.id).unwrap_or_default(),
                overdue,
                this_week,
            }
        })
        .collect();
    let (overdue, this_week) = lines
        .iter()
        .fold((0, 0), |(o, w), l| (o + l.overdue, w + l.this_week));
    Ok(render(
        StatusCode::OK,
        &OrgDashboard {
            nav: Nav::new("organization", &p),
            frs: FOUNDATIONAL_REQUIREMENTS.iter().map(|f| f.0).collect(),
            total: rollup_row(String::new(), "Organization".into(), &total),
            sites: lines,
            due_as_of: if from_snapshot {
                snapshot_day.clone()
            } else {
                "now".to_string()
            },
            snapshot_day,
            kpi_count: KPIS.len(),
            overdue,
            this_week,
        },
    ))
}
