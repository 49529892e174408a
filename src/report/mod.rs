//! The report: the JSON of CONTRACT.md for machines, and a checklist for people.

#[cfg(test)]
mod golden;
pub mod notify;
pub mod record;
mod text;

use serde::Serialize;

pub use text::{Style, render_github, render_preflight, render_text};

use crate::checks::{Code, Finding, Pass, Verdict};
use crate::classify::{Category, Failure, FailureKind, MessageFacts};
use crate::facts::{NetworkConfig, TaskFacts};
pub use crate::fixes::{Action, ActionStatus, RunbookOutcome, RunbookStatus};
use crate::settings::Modes;

pub const SCHEMA: &str = "ecs-pull-doctor/report/v1";

/// An enum's name as the JSON report spells it (`safe`, `not-applicable`, `network`), for the
/// renderings that show it to a person.
pub(crate) fn serde_name(value: impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema: &'static str,
    pub verdict: Verdict,
    /// Why the verdict, in one sentence.
    pub verdict_reason: String,
    pub task: TaskSummary,
    pub failure: FailureSummary,
    pub root_cause: Option<Code>,
    pub findings: Vec<Finding>,
    /// What was checked and found healthy.
    pub passed: Vec<Pass>,
    pub actions: Vec<Action>,
    pub runbook: Option<RunbookOutcome>,
    /// The modes this diagnosis ran with, after narrowing.
    pub mode: Modes,
    /// Set when this invocation was a repeated delivery of an event already diagnosed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

impl Report {
    /// A report with its verdict and nothing found, passed or done yet.
    pub fn new(
        verdict: Verdict,
        verdict_reason: String,
        task: TaskSummary,
        failure: FailureSummary,
        mode: Modes,
    ) -> Report {
        Report {
            schema: SCHEMA,
            verdict,
            verdict_reason,
            task,
            failure,
            root_cause: None,
            findings: Vec::new(),
            passed: Vec::new(),
            actions: Vec::new(),
            runbook: None,
            mode,
            duplicate: false,
        }
    }

    /// What the checks found and verified, with the finding that explains the failure best.
    pub fn examined(self, findings: Vec<Finding>, passed: Vec<Pass>, root_cause: Option<Code>) -> Report {
        Report {
            findings,
            passed,
            root_cause,
            ..self
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSummary {
    pub arn: Option<String>,
    pub cluster: Option<String>,
    pub task_definition_arn: Option<String>,
    pub launch_type: Option<String>,
    pub platform_version: Option<String>,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: Option<bool>,
    pub service: Option<String>,
    /// Whose task: in an organization deployment, the member account it was read in.
    pub account: Option<String>,
    pub region: Option<String>,
}

impl TaskSummary {
    pub fn from_task(task: &TaskFacts, network: Option<&NetworkConfig>) -> Self {
        let subnets = match network {
            Some(network) => network.subnets.clone(),
            None => task.eni.iter().filter_map(|e| e.subnet_id.clone()).collect(),
        };
        TaskSummary {
            arn: Some(task.arn.clone()),
            cluster: Some(task.cluster.clone()),
            task_definition_arn: Some(task.task_definition_arn.clone()).filter(|a| !a.is_empty()),
            launch_type: task.launch_type.clone(),
            platform_version: task.platform_version.clone(),
            subnets,
            security_groups: network.map(|n| n.security_groups.clone()).unwrap_or_default(),
            assign_public_ip: network.and_then(|n| n.assign_public_ip),
            service: task.service_name().map(str::to_string),
            account: Some(task.account.clone()).filter(|a| !a.is_empty()),
            region: Some(task.region.clone()).filter(|r| !r.is_empty()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureSummary {
    pub kind: FailureKind,
    pub category: Category,
    pub message: String,
    /// What the message itself says: host, repository, tag, API, role, secret.
    pub facts: MessageFacts,
}

impl From<&Failure> for FailureSummary {
    fn from(failure: &Failure) -> Self {
        FailureSummary {
            kind: failure.kind,
            category: failure.category,
            message: failure.message.clone(),
            facts: failure.facts.clone(),
        }
    }
}

/// What was checked, in place of a stopped task.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectSummary {
    pub service: Option<String>,
    pub cluster: Option<String>,
    pub task_definition_arn: Option<String>,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: Option<bool>,
}

/// CONTRACT.md's report for a pre-flight: verdict "ready" or "will-fail", no failure, the subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreflightReport {
    pub schema: &'static str,
    pub verdict: Verdict,
    pub verdict_reason: String,
    pub subject: SubjectSummary,
    /// Always null: nothing has failed yet.
    pub failure: Option<()>,
    pub root_cause: Option<Code>,
    pub findings: Vec<Finding>,
    pub passed: Vec<Pass>,
    /// Always empty: a pre-flight never acts.
    pub actions: Vec<()>,
    pub runbook: Option<()>,
}
