//! Intake: what the doctor was asked to look at. An EventBridge event, a manual `{"taskArn": ...}`
//! request, or something it must refuse with a one-line reason.

mod dedup;
mod event;
mod request;

use serde::Deserialize;
use serde_json::Value;

pub use dedup::RecentDeliveries;
pub use event::{
    DETAIL_TYPE, EventAttachment, EventContainer, NameValue, SOURCE, TaskStateChange, TaskStateChangeEvent,
};
pub use request::{BadSubject, Clusters, Field, Subject};

use crate::facts::TaskFacts;
use crate::model::TaskArn;
use crate::settings::{FixMode, RunbookMode};

/// A request the engine can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A task state change: the event itself carries the task.
    TaskEvent(Box<TaskFacts>),
    /// A person asked about a task by its ARN.
    Manual(ManualRequest),
    /// A well-formed EventBridge event of another kind: diagnosed as not applicable.
    OtherEvent { source: String, detail_type: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ManualRequest {
    pub task: TaskArn,
    pub fix: Option<FixMode>,
    pub runbook: Option<RunbookMode>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error("input is not valid JSON: {0}")]
    NotJson(String),
    #[error("input is neither an EventBridge event nor a manual request {{\"taskArn\": \"arn:aws:ecs:...\"}}")]
    Unrecognised,
    #[error("the ECS Task State Change event is malformed: {0}")]
    MalformedEvent(String),
    #[error("the manual request is malformed: {0}")]
    MalformedRequest(String),
    #[error(transparent)]
    BadArn(#[from] crate::model::arn::ArnError),
    #[error("the check request is malformed: {0}")]
    MalformedCheck(String),
    #[error("the sweep request is malformed: {0}")]
    MalformedSweep(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawManualRequest {
    task_arn: String,
    #[serde(default)]
    cluster: Option<String>,
    #[serde(default)]
    fix: Option<String>,
    #[serde(default)]
    runbook: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawCheck {
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    task_definition: Option<String>,
    #[serde(default)]
    subnets: Vec<String>,
    #[serde(default)]
    security_groups: Vec<String>,
    #[serde(default)]
    assign_public_ip: bool,
    #[serde(default)]
    cluster: Option<String>,
    #[serde(default)]
    region: Option<String>,
    /// Read by [`requested_account`].
    #[serde(default)]
    #[allow(dead_code)]
    account: Option<String>,
}

/// The member account a pre-flight or sweep request names (`"account": "123456789012"`), for an
/// organization deployment; `Ok(None)` when it names none or is another payload.
pub fn requested_account(value: &Value) -> Result<Option<String>, IntakeError> {
    let Some((kind, request)) = value.as_object().filter(|o| o.len() == 1).and_then(|o| o.iter().next()) else {
        return Ok(None);
    };
    if kind != "check" && kind != "sweep" {
        return Ok(None);
    }
    match request.get("account") {
        None => Ok(None),
        Some(Value::String(account)) if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(account.clone()))
        }
        Some(other) => {
            let why = format!("account: {other} is not a 12-digit account ID");
            Err(if kind == "check" {
                IntakeError::MalformedCheck(why)
            } else {
                IntakeError::MalformedSweep(why)
            })
        }
    }
}

/// A pre-flight request, `{"check": {...}}` (CONTRACT.md's third payload), in `region` unless it
/// names its own; `None` when the payload is not one.
pub fn parse_check(value: &Value, region: &str) -> Option<Result<Subject, IntakeError>> {
    let request = value.as_object().filter(|o| o.len() == 1)?.get("check")?;
    let malformed = |why: String| IntakeError::MalformedCheck(why);
    let parsed = (|| {
        let raw: RawCheck = serde_json::from_value(request.clone()).map_err(|e| malformed(e.to_string()))?;
        let region = raw.region.as_deref().unwrap_or(region);
        if !crate::model::arn::is_region(region) {
            return Err(malformed(format!("'{region}' is not an AWS region")));
        }
        let keyed = |bad: BadSubject| malformed(format!("{}: {}", bad.field.key(), bad.problem));
        match (&raw.service, &raw.task_definition) {
            (Some(service), None) => Subject::service(region, service).map_err(keyed),
            (None, Some(definition)) => {
                let cluster = raw.cluster.as_deref().unwrap_or("default");
                Subject::task_definition(region, cluster, definition, &raw.subnets, &raw.security_groups, raw.assign_public_ip).map_err(keyed)
            }
            _ => Err(malformed("give either \"service\": \"CLUSTER/SERVICE\" or \"taskDefinition\" with \"subnets\" and \"securityGroups\"".into())),
        }
    })();
    Some(parsed)
}

/// A sweep request, `{"sweep": {"clusters": ["NAME", ...] | "*"}}` (CONTRACT.md's fourth payload),
/// in `region` unless it names its own; `None` when the payload is not one.
pub fn parse_sweep(value: &Value, region: &str) -> Option<Result<(String, Clusters), IntakeError>> {
    let request = value.as_object().filter(|o| o.len() == 1)?.get("sweep")?;
    let malformed = |why: &str| IntakeError::MalformedSweep(why.to_string());
    let parsed = (|| {
        let request = request
            .as_object()
            .ok_or_else(|| malformed("it must be an object: {\"clusters\": [\"NAME\", ...] | \"*\"}"))?;
        if let Some(unknown) = request
            .keys()
            .find(|k| !matches!(k.as_str(), "clusters" | "region" | "account"))
        {
            return Err(malformed(&format!("unknown field `{unknown}`")));
        }
        let region = match request.get("region") {
            None => region.to_string(),
            Some(Value::String(named)) if crate::model::arn::is_region(named) => named.clone(),
            Some(other) => return Err(malformed(&format!("{other} is not an AWS region"))),
        };
        let clusters = match request.get("clusters") {
            Some(Value::String(all)) if all == "*" => Clusters::All,
            Some(Value::Array(names)) if !names.is_empty() => Clusters::Named(
                names
                    .iter()
                    .map(|n| {
                        n.as_str()
                            .filter(|n| !n.is_empty() && !n.contains('/'))
                            .map(str::to_string)
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| malformed("clusters must be names"))?,
            ),
            _ => return Err(malformed("clusters must be a list of names, or \"*\"")),
        };
        Ok((region, clusters))
    })();
    Some(parsed)
}

/// Reads raw input text.
pub fn parse_text(text: &str) -> Result<Payload, IntakeError> {
    let value: Value = serde_json::from_str(text).map_err(|e| IntakeError::NotJson(e.to_string()))?;
    parse_value(value)
}

/// Recognises what was sent.
pub fn parse_value(value: Value) -> Result<Payload, IntakeError> {
    let Value::Object(object) = &value else {
        return Err(IntakeError::Unrecognised);
    };
    if object.contains_key("detail-type") {
        let text = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
        let (source, detail_type) = (text("source"), text("detail-type"));
        if source != SOURCE || detail_type != DETAIL_TYPE {
            return Ok(Payload::OtherEvent { source, detail_type });
        }
        let event: TaskStateChangeEvent =
            serde_json::from_value(value).map_err(|e| IntakeError::MalformedEvent(e.to_string()))?;
        let arn: TaskArn = event.detail.task_arn.parse()?;
        // In an organization the account says whose role reads the task: the two must agree.
        if let Some(account) = event.account.as_deref().filter(|a| !a.is_empty() && *a != arn.account) {
            return Err(IntakeError::MalformedEvent(format!(
                "the event's account {account} is not the task's account {}",
                arn.account
            )));
        }
        return Ok(Payload::TaskEvent(Box::new(event.detail.to_task_facts(&arn))));
    }
    if object.contains_key("taskArn") {
        let raw: RawManualRequest =
            serde_json::from_value(value).map_err(|e| IntakeError::MalformedRequest(e.to_string()))?;
        let mut task: TaskArn = raw.task_arn.parse()?;
        if let Some(cluster) = raw.cluster.as_deref().filter(|c| !c.is_empty()) {
            task = task.with_cluster(cluster);
        }
        let bad = |e: crate::settings::ModeError| IntakeError::MalformedRequest(e.to_string());
        return Ok(Payload::Manual(ManualRequest {
            task,
            fix: raw.fix.as_deref().map(str::parse).transpose().map_err(bad)?,
            runbook: raw.runbook.as_deref().map(str::parse).transpose().map_err(bad)?,
        }));
    }
    Err(IntakeError::Unrecognised)
}

#[cfg(test)]
mod tests;
