//! What the doctor asks AWS to do, as data: each call a fix makes, and the runbook's start. The plan
//! holds them, the dry-run shows them, the writer port makes them exactly as written.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Operation;

/// One AWS call, with its parameters as the API names them. A group id `${NAME}` stands for the
/// group an earlier call of the same fix created under `Creates` NAME.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "operation", content = "parameters")]
pub enum Call {
    #[serde(rename = "iam:AttachRolePolicy", rename_all = "PascalCase")]
    AttachRolePolicy { role_name: String, policy_arn: String },
    #[serde(rename = "iam:UpdateAssumeRolePolicy", rename_all = "PascalCase")]
    UpdateAssumeRolePolicy { role_name: String, policy_document: String },
    #[serde(rename = "iam:TagRole", rename_all = "PascalCase")]
    TagRole {
        role_name: String,
        tags: BTreeMap<String, String>,
    },
    #[serde(rename = "ec2:ModifyVpcEndpoint", rename_all = "PascalCase")]
    ModifyVpcEndpoint {
        vpc_endpoint_id: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        add_route_table_ids: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        policy_document: Option<String>,
    },
    #[serde(rename = "ec2:CreateVpcEndpoint", rename_all = "PascalCase")]
    CreateVpcEndpoint {
        vpc_id: String,
        service_name: String,
        vpc_endpoint_type: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        route_table_ids: Vec<String>,
        tags: BTreeMap<String, String>,
        /// The same for the same fix: a repeated apply gets the endpoint the first one made.
        client_token: String,
    },
    #[serde(rename = "ec2:CreateTags", rename_all = "PascalCase")]
    CreateTags {
        resources: Vec<String>,
        tags: BTreeMap<String, String>,
    },
    #[serde(rename = "logs:CreateLogGroup", rename_all = "camelCase")]
    CreateLogGroup {
        log_group_name: String,
        region: String,
        tags: BTreeMap<String, String>,
    },
    #[serde(rename = "ec2:CreateSecurityGroup", rename_all = "PascalCase")]
    CreateSecurityGroup {
        group_name: String,
        description: String,
        vpc_id: String,
        tags: BTreeMap<String, String>,
        creates: String,
    },
    #[serde(rename = "ec2:CreateVpcEndpoint", rename_all = "PascalCase")]
    CreateInterfaceEndpoint {
        vpc_id: String,
        service_name: String,
        subnet_ids: Vec<String>,
        security_group_ids: Vec<String>,
        private_dns_enabled: bool,
        tags: BTreeMap<String, String>,
        client_token: String,
    },
    /// TCP 443 in, from security groups.
    #[serde(rename = "ec2:AuthorizeSecurityGroupIngress", rename_all = "PascalCase")]
    AuthorizeHttpsIngress {
        group_id: String,
        from_security_groups: Vec<String>,
    },
    /// TCP 443 out, to CIDRs, security groups or prefix lists.
    #[serde(rename = "ec2:AuthorizeSecurityGroupEgress", rename_all = "PascalCase")]
    AuthorizeHttpsEgress {
        group_id: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        cidrs: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        security_groups: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        prefix_lists: Vec<String>,
    },
    #[serde(rename = "ecs:UpdateService", rename_all = "camelCase")]
    EnablePublicIp {
        cluster: String,
        service: String,
        subnets: Vec<String>,
        security_groups: Vec<String>,
    },
    #[serde(rename = "ecs:UpdateService", rename_all = "camelCase")]
    ForceNewDeployment { cluster: String, service: String },
    #[serde(rename = "ecs:TagResource", rename_all = "camelCase")]
    TagEcsResource {
        resource_arn: String,
        tags: BTreeMap<String, String>,
    },
}

impl Call {
    /// The IAM action this call is, as the report names it.
    pub fn operation(&self) -> Operation {
        match self {
            Call::AttachRolePolicy { .. } => Operation::AttachRolePolicy,
            Call::UpdateAssumeRolePolicy { .. } => Operation::UpdateAssumeRolePolicy,
            Call::TagRole { .. } => Operation::TagRole,
            Call::ModifyVpcEndpoint { .. } => Operation::ModifyVpcEndpoint,
            Call::CreateVpcEndpoint { .. } | Call::CreateInterfaceEndpoint { .. } => Operation::CreateVpcEndpoint,
            Call::CreateTags { .. } => Operation::CreateTags,
            Call::CreateLogGroup { .. } => Operation::CreateLogGroup,
            Call::CreateSecurityGroup { .. } => Operation::CreateSecurityGroup,
            Call::AuthorizeHttpsIngress { .. } => Operation::AuthorizeSecurityGroupIngress,
            Call::AuthorizeHttpsEgress { .. } => Operation::AuthorizeSecurityGroupEgress,
            Call::EnablePublicIp { .. } | Call::ForceNewDeployment { .. } => Operation::UpdateService,
            Call::TagEcsResource { .. } => Operation::TagResource,
        }
    }
}

/// What to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunbookRequest {
    pub cluster: String,
    pub task_id: String,
    pub roles: RunbookRoles,
    /// Derived from the task: a retried invocation cannot start a second execution.
    pub client_token: String,
    /// Names the cluster and the service (or task definition family): executions are found by it.
    pub tag_key: String,
    pub tag_value: String,
}

/// Roles the runbook may use, from the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunbookRoles {
    /// AutomationAssumeRole: the role SSM Automation acts as.
    pub automation_assume_role: Option<String>,
    /// LambdaRoleArn: the role of the test function the runbook creates (else it creates one).
    pub lambda_role: Option<String>,
}
