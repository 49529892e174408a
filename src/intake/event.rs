//! The "ECS Task State Change" event's detail, typed. `overrides` is deliberately not read: it can
//! carry environment values, which the doctor must never hold or log.

use crate::redact::redact;
use serde::Deserialize;

use crate::facts::{ContainerState, EniAttachment, TaskFacts};
use crate::model::TaskArn;
use crate::model::arn::cluster_name;

pub type TaskStateChangeEvent = aws_lambda_events::event::eventbridge::EventBridgeEvent<TaskStateChange>;

pub const DETAIL_TYPE: &str = "ECS Task State Change";
pub const SOURCE: &str = "aws.ecs";

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TaskStateChange {
    pub task_arn: String,
    #[serde(default)]
    pub cluster_arn: Option<String>,
    #[serde(default)]
    pub task_definition_arn: Option<String>,
    #[serde(default)]
    pub last_status: Option<String>,
    #[serde(default)]
    pub desired_status: Option<String>,
    #[serde(default)]
    pub stop_code: Option<String>,
    #[serde(default)]
    pub stopped_reason: Option<String>,
    #[serde(default)]
    pub launch_type: Option<String>,
    #[serde(default)]
    pub platform_version: Option<String>,
    #[serde(default)]
    pub availability_zone: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub started_by: Option<String>,
    #[serde(default)]
    pub containers: Vec<EventContainer>,
    #[serde(default)]
    pub attachments: Vec<EventAttachment>,
    #[serde(default)]
    pub attributes: Vec<NameValue>,
    #[serde(default)]
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EventContainer {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub image_digest: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub last_status: Option<String>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
pub struct EventAttachment {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub details: Vec<NameValue>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
pub struct NameValue {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

fn value_of<'a>(pairs: &'a [NameValue], name: &str) -> Option<&'a str> {
    pairs.iter().find(|p| p.name == name).and_then(|p| p.value.as_deref())
}

impl TaskStateChange {
    /// The task as the event describes it. The ARN was validated when the event was read.
    pub fn to_task_facts(&self, arn: &TaskArn) -> TaskFacts {
        let eni = self
            .attachments
            .iter()
            .find(|a| matches!(a.kind.as_deref(), Some("eni") | Some("ElasticNetworkInterface")))
            .map(|a| EniAttachment {
                eni_id: value_of(&a.details, "networkInterfaceId").map(str::to_string),
                subnet_id: value_of(&a.details, "subnetId").map(str::to_string),
                private_ip: value_of(&a.details, "privateIPv4Address").map(str::to_string),
            });
        TaskFacts {
            arn: self.task_arn.clone(),
            region: arn.region.clone(),
            account: arn.account.clone(),
            cluster: self
                .cluster_arn
                .as_deref()
                .map(cluster_name)
                .or(arn.cluster.as_deref())
                .unwrap_or("default")
                .to_string(),
            cluster_arn: self.cluster_arn.clone(),
            task_definition_arn: self.task_definition_arn.clone().unwrap_or_default(),
            launch_type: self.launch_type.clone(),
            platform_version: self.platform_version.clone(),
            availability_zone: self.availability_zone.clone(),
            last_status: self.last_status.clone(),
            desired_status: self.desired_status.clone(),
            stop_code: self.stop_code.clone(),
            stopped_reason: self.stopped_reason.as_deref().map(redact),
            group: self.group.clone(),
            started_by: self.started_by.clone(),
            containers: self
                .containers
                .iter()
                .map(|c| ContainerState {
                    name: c.name.clone(),
                    image: c.image.clone(),
                    image_digest: c.image_digest.clone(),
                    reason: c.reason.as_deref().map(redact),
                    last_status: c.last_status.clone(),
                })
                .collect(),
            eni,
            cpu_architecture: value_of(&self.attributes, "ecs.cpu-architecture").map(str::to_string),
            version: self.version,
        }
    }
}
