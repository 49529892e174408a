//! The record: one JSON line per report in the function's log, so that a diagnosis outlives the
//! task (ECS forgets a stopped task within about an hour) and CloudWatch Logs Insights can count
//! root causes by account, service and week. Flat fields only: Insights discovers them as they are.

use serde::Serialize;

use super::{ActionStatus, Report};
use crate::checks::{Code, Verdict};
use crate::classify::Category;

/// What the `record` field of every report line says, for `filter record = "..."`.
pub const RECORD: &str = "ecs-pull-doctor/report";

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record<'a> {
    pub record: &'static str,
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
    pub cluster: Option<&'a str>,
    pub service: Option<&'a str>,
    pub task_arn: Option<&'a str>,
    pub task_definition_arn: Option<&'a str>,
    pub verdict: Verdict,
    pub root_cause: Option<Code>,
    pub category: Category,
    /// The root cause in one sentence (or why there is none).
    pub summary: &'a str,
    /// Every finding's code, the root cause's first.
    pub codes: Vec<&'static str>,
    /// Fix IDs by what became of them.
    pub applied: Vec<&'a str>,
    pub planned: Vec<&'a str>,
    pub failed: Vec<&'a str>,
    pub duplicate: bool,
}

impl<'a> Record<'a> {
    pub fn of(report: &'a Report) -> Record<'a> {
        let root = report
            .root_cause
            .and_then(|code| report.findings.iter().find(|f| f.code == code));
        let mut codes: Vec<&'static str> = report.root_cause.iter().map(|c| c.as_str()).collect();
        for finding in &report.findings {
            if !codes.contains(&finding.code.as_str()) {
                codes.push(finding.code.as_str());
            }
        }
        let fixes = |status: ActionStatus| {
            report
                .actions
                .iter()
                .filter(|a| a.status == status)
                .map(|a| a.fix.as_str())
                .collect()
        };
        let task = &report.task;
        Record {
            record: RECORD,
            account: task.account.as_deref(),
            region: task.region.as_deref(),
            cluster: task.cluster.as_deref(),
            service: task.service.as_deref(),
            task_arn: task.arn.as_deref(),
            task_definition_arn: task.task_definition_arn.as_deref(),
            verdict: report.verdict,
            root_cause: report.root_cause,
            category: report.failure.category,
            summary: root.map_or(report.verdict_reason.as_str(), |f| f.summary.as_str()),
            codes,
            applied: fixes(ActionStatus::Applied),
            planned: fixes(ActionStatus::Planned),
            failed: fixes(ActionStatus::Failed),
            duplicate: report.duplicate,
        }
    }

    /// The line as written: JSON without line breaks (a stop reason's newlines are escaped).
    pub fn line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
