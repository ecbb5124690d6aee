//! Gathers what the due engine (`otkeep_core::due`) needs: the records of every kind with
//! dates, with the approval facts that only signatures tell.

use crate::assessment::Approval as CountermeasureApproval;
use crate::risk::ExceptionState;
use crate::{ListQuery, Store, StoreError};
use otkeep_core::access::Scope;
use otkeep_core::account_kinds::REVOCATION_KIND;
use otkeep_core::config_kinds::{CERTIFICATE_KIND, CHANGE_KIND};
use otkeep_core::due::{Approval, Obligation, obligations, sort};
use otkeep_core::gov_kinds::{ROLE_ASSIGNMENT_KIND, TRAINING_KIND, TRAINING_RECORD_KIND};
use otkeep_core::incident_kinds::INCIDENT_KIND;
use otkeep_core::kinds::ASSESSMENT_KIND;
use otkeep_core::ops_kinds::{LOG_REVIEW_KIND, LOG_SOURCE_KIND};
use otkeep_core::remote_kinds::REMOTE_SESSION_KIND;
use otkeep_core::risk_kinds::{RISK_ASSESSMENT_KIND, TREATMENT_KIND};
use otkeep_core::supplier_kinds::{CAPABILITY_DECLARATION_KIND, SUPPORT_AGREEMENT_KIND};
use otkeep_core::validation_kinds::PERIODIC_REVIEW_KIND;

impl Store {
    /// Every dated obligation of the records in `scope` as of `today` (`YYYY-MM-DD`), sorted by
    /// date.
    pub async fn due(&self, scope: &Scope, today: &str) -> Result<Vec<Obligation>, StoreError> {
        let day = otkeep_core::value::parse_date(today)
            .map_err(|e| StoreError::Invalid(vec![otkeep_core::FieldError::new("today", e)]))?;
        let mut out = Vec::new();
        for c in self.countermeasures(scope, today).await? {
            let (state, at) = match &c.approval {
                CountermeasureApproval::Approved { at, .. } => ("approved", Some(at.as_str())),
                CountermeasureApproval::PastReview { .. } => ("past_review", None),
                CountermeasureApproval::Rejected { .. } => ("rejected", None),
                CountermeasureApproval::Stale => ("stale", None),
                CountermeasureApproval::Awaiting => ("awaiting", None),
            };
            out.extend(obligations(
                &c.record,
                Approval {
                    state,
                    approved_at: at,
                },
                day,
            ));
        }
        for e in self.exceptions(scope, today).await? {
            let at = match &e.state {
                ExceptionState::Approved { at, .. } => Some(at.as_str()),
                _ => None,
            };
            out.extend(obligations(
                &e.record,
                Approval {
                    state: e.state.key(),
                    approved_at: at,
                },
                day,
            ));
        }
        let q = ListQuery {
            scope: scope.clone(),
            ..ListQuery::default()
        };
        let changes = self.list_all(&CHANGE_KIND, &q).await?;
        let approvals = self.approvals_of(&changes).await?;
        for c in &changes {
            let approved = approvals
                .get(&c.id)
                .is_some_and(|groups| groups.iter().all(|g| g.signed_by.is_some()));
            out.extend(obligations(
                c,
                Approval {
                    state: if approved { "approved" } else { "awaiting" },
                    approved_at: None,
                },
                day,
            ));
        }
        for kind in [
            &TREATMENT_KIND,
            &RISK_ASSESSMENT_KIND,
            &CERTIFICATE_KIND,
            &REVOCATION_KIND,
            &REMOTE_SESSION_KIND,
            &INCIDENT_KIND,
            &SUPPORT_AGREEMENT_KIND,
            &CAPABILITY_DECLARATION_KIND,
        ] {
            for r in self.list_all(kind, &q).await? {
                out.extend(obligations(&r, Approval::default(), day));
            }
        }
        // Only planned requirements carry a target date worth listing.
        let mut planned = q.clone();
        planned
            .filters
            .insert("status", otkeep_core::Value::Text("planned".to_string()));
        for r in self.list_all(&ASSESSMENT_KIND, &planned).await? {
            out.extend(obligations(&r, Approval::default(), day));
        }
        out.extend(self.baseline_obligations(scope).await?);
        out.extend(self.operations_obligations(scope, day).await?);
        out.extend(self.document_obligations(scope, day).await?);
        out.extend(otkeep_core::due::review_obligations(
            &self.list_all(&PERIODIC_REVIEW_KIND, &q).await?,
        ));
        out.extend(otkeep_core::due::training_obligations(
            &self.list_all(&ROLE_ASSIGNMENT_KIND, &q).await?,
            &self.list_all(&TRAINING_KIND, &q).await?,
            &self.list_all(&TRAINING_RECORD_KIND, &q).await?,
            day,
        ));
        for (plan, backup, restore) in self.backup_status(scope).await? {
            out.extend(otkeep_core::due::backup_obligations(
                &plan, backup, restore, day,
            ));
        }
        let reviewed = self
            .latest_dates(&LOG_REVIEW_KIND, "source_id", "reviewed_on", false, scope)
            .await?;
        for source in self.list_all(&LOG_SOURCE_KIND, &q).await? {
            let last = reviewed.get(&source.id).copied();
            out.push(otkeep_core::due::periodic(
                &source,
                last,
                "review_days",
                "review the logs",
                day,
            ));
        }
        sort(&mut out);
        Ok(out)
    }
}
