//! What acting did: each fix's outcome and the runbook's, as the report shows them.

use serde::{Deserialize, Serialize};

use super::Call;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionStatus {
    Planned,
    Applied,
    Skipped,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    pub fix: String,
    pub status: ActionStatus,
    pub detail: String,
    /// The AWS calls the fix makes (planned) or made (applied), exactly.
    pub calls: Vec<Call>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunbookStatus {
    Started,
    AlreadyRunning,
    Skipped,
    Failed,
}

impl RunbookStatus {
    /// As a person reads it.
    pub fn label(&self) -> &'static str {
        match self {
            RunbookStatus::Started => "started",
            RunbookStatus::AlreadyRunning => "already running",
            RunbookStatus::Skipped => "skipped",
            RunbookStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunbookOutcome {
    pub status: RunbookStatus,
    pub execution_id: Option<String>,
    /// Why it was started, skipped or failed.
    pub detail: String,
}
