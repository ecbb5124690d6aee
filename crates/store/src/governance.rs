//! Governance records in the store: training coverage per site and program role, from the
//! role holders, the required trainings and the completion records (`otkeep_core::due::
//! training_states`, the same rule the due engine uses).

use crate::{ListQuery, Store, StoreError};
use jiff::civil::Date;
use otkeep_core::access::Scope;
use otkeep_core::due::{TrainingState, training_states};
use otkeep_core::gov_kinds::{ROLE_ASSIGNMENT_KIND, TRAINING_KIND, TRAINING_RECORD_KIND};
use otkeep_core::value::Record;

/// How far the current holders of one program role on one site are trained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingCoverage {
    pub site_id: Option<i64>,
    /// The role's key (see `otkeep_core::gov_kinds::PROGRAM_ROLES`).
    pub role: String,
    pub holders: usize,
    /// Trainings the role requires on the site.
    pub trainings: usize,
    /// Holders with every required training done and valid.
    pub current: usize,
    /// What is missing: (person, training, what is wrong).
    pub gaps: Vec<(String, String, String)>,
}

impl TrainingCoverage {
    pub fn percent(&self) -> u32 {
        (self.current * 100)
            .checked_div(self.holders)
            .map_or(100, |p| p as u32)
    }
}

impl Store {
    /// Training coverage per site and role within `scope` as of `today`, by site then role.
    pub async fn training_coverage(
        &self,
        scope: &Scope,
        today: Date,
    ) -> Result<Vec<TrainingCoverage>, StoreError> {
        let q = ListQuery {
            scope: scope.clone(),
            ..ListQuery::default()
        };
        let assignments = self.list_all(&ROLE_ASSIGNMENT_KIND, &q).await?;
        let trainings = self.list_all(&TRAINING_KIND, &q).await?;
        let completions = self.list_all(&TRAINING_RECORD_KIND, &q).await?;
        let states = training_states(&assignments, &trainings, &completions, today);
        let current_holders = assignments
            .iter()
            .filter(|a| !ended(a, today))
            .collect::<Vec<&Record>>();
        let mut out: Vec<TrainingCoverage> = Vec::new();
        for a in &current_holders {
            let role = a.get("role").to_text();
            let site = a.site_id();
            let i = match out.iter().position(|c| c.site_id == site && c.role == role) {
                Some(i) => i,
                None => {
                    out.push(TrainingCoverage {
                        site_id: site,
                        trainings: trainings
                            .iter()
                            .filter(|t| t.site_id() == site && t.get("role").to_text() == role)
                            .count(),
                        role,
                        holders: 0,
                        current: 0,
                        gaps: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            let mine: Vec<_> = states.iter().filter(|(h, _, _)| h.id == a.id).collect();
            let c = &mut out[i];
            c.holders += 1;
            if mine.iter().all(|(_, _, s)| s.current(today)) {
                c.current += 1;
            }
            for (_, t, s) in mine.iter().filter(|(_, _, s)| !s.current(today)) {
                let why = match s {
                    TrainingState::Missing { due } => format!("never completed (due {due})"),
                    TrainingState::Done { until } => format!(
                        "expired on {}",
                        until.map(|u| u.to_string()).unwrap_or_default()
                    ),
                };
                c.gaps.push((a.get("person").to_text(), t.title(), why));
            }
        }
        out.sort_by(|a, b| (a.site_id, &a.role).cmp(&(b.site_id, &b.role)));
        Ok(out)
    }
}

fn ended(assignment: &Record, today: Date) -> bool {
    otkeep_core::value::parse_date(&assignment.get("until").to_text()).is_ok_and(|u| u < today)
}

/// Who the RACI matrix of a site names for one activity: the current holders of the roles
/// accountable and responsible for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RaciPeople {
    pub accountable: Vec<String>,
    pub responsible: Vec<String>,
}

impl Store {
    /// For each site of `scope` and each activity its RACI matrix names, the current holders
    /// of the roles accountable and responsible for it (people to suggest as approver and
    /// owner), by site then activity, as of `today`.
    pub async fn raci_people(
        &self,
        scope: &Scope,
        today: Date,
    ) -> Result<Vec<(Option<i64>, String, RaciPeople)>, StoreError> {
        use otkeep_core::gov_kinds::RACI_KIND;
        let q = ListQuery {
            scope: scope.clone(),
            ..ListQuery::default()
        };
        let entries = self.list_all(&RACI_KIND, &q).await?;
        let holders = self.list_all(&ROLE_ASSIGNMENT_KIND, &q).await?;
        let mut out: Vec<(Option<i64>, String, RaciPeople)> = Vec::new();
        for e in &entries {
            let (site, activity) = (e.site_id(), e.get("activity").to_text());
            let i = match out
                .iter()
                .position(|(s, a, _)| *s == site && *a == activity)
            {
                Some(i) => i,
                None => {
                    out.push((site, activity, RaciPeople::default()));
                    out.len() - 1
                }
            };
            let list = match e.get("responsibility").to_text().as_str() {
                "accountable" => &mut out[i].2.accountable,
                "responsible" => &mut out[i].2.responsible,
                _ => continue,
            };
            let role = e.get("role").to_text();
            list.extend(
                holders
                    .iter()
                    .filter(|h| {
                        h.site_id() == site && !ended(h, today) && h.get("role").to_text() == role
                    })
                    .map(|h| h.get("person").to_text()),
            );
            list.sort();
            list.dedup();
        }
        out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Ok(out)
    }
}

impl Store {
    /// The people the site's RACI matrix suggests as signers of `record` (the current holders
    /// of the role accountable for its activity, else the responsible one), as of `today`.
    pub async fn suggested_signers(
        &self,
        record: &Record,
        today: Date,
    ) -> Result<Vec<String>, StoreError> {
        let Some(activity) = otkeep_core::gov_kinds::APPROVAL_ACTIVITIES
            .iter()
            .find(|(k, _)| *k == record.kind.name)
            .map(|(_, a)| *a)
        else {
            return Ok(Vec::new());
        };
        let scope = Scope::Limited {
            sites: record.site_id().into_iter().collect(),
            records: Vec::new(),
        };
        Ok(self
            .raci_people(&scope, today)
            .await?
            .into_iter()
            .find(|(_, a, _)| a == activity)
            .map(|(_, _, people)| {
                if people.accountable.is_empty() {
                    people.responsible
                } else {
                    people.accountable
                }
            })
            .unwrap_or_default())
    }
}
