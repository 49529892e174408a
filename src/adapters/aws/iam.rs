use aws_sdk_iam::Client;
use aws_sdk_iam::types::PolicyEvaluationDecisionType;
use futures::future::join_all;

use super::{AwsClients, call_failure};
use crate::facts::Deadline;
use crate::facts::{Fact, IamReader, PolicyKind, RoleFacts, RolePolicy, SimulatedDecision};
use crate::model::Operation;

/// IAM returns policy documents URL-encoded.
fn decode(document: &str) -> String {
    percent_encoding::percent_decode_str(document)
        .decode_utf8_lossy()
        .into_owned()
}

fn role_name(arn: &str) -> &str {
    // arn:aws:iam::ACCOUNT:role/path/NAME: the name is the last segment.
    arn.rsplit('/').next().unwrap_or(arn)
}

impl AwsClients {
    fn iam(&self) -> Client {
        self.iam_client()
    }

    /// A managed policy's default version: GetPolicy, then GetPolicyVersion, each bounded under its name.
    async fn managed_policy(&self, iam: &Client, arn: &str, kind: PolicyKind, deadline: Deadline) -> Fact<RolePolicy> {
        let version = deadline
            .bound(Operation::GetPolicy.iam(), arn, async {
                match iam.get_policy().policy_arn(arn).send().await {
                    Ok(policy) => Fact::Known(
                        policy
                            .policy()
                            .and_then(|p| p.default_version_id())
                            .unwrap_or("v1")
                            .to_string(),
                    ),
                    Err(error) => Fact::Failed(call_failure(Operation::GetPolicy.iam(), arn, &error)),
                }
            })
            .await;
        let version = match version {
            Fact::Known(version) => version,
            Fact::Failed(failure) => return Fact::Failed(failure),
        };
        deadline
            .bound(Operation::GetPolicyVersion.iam(), arn, async {
                match iam
                    .get_policy_version()
                    .policy_arn(arn)
                    .version_id(&version)
                    .send()
                    .await
                {
                    Ok(document) => {
                        let text = document
                            .policy_version()
                            .and_then(|v| v.document())
                            .map(decode)
                            .unwrap_or_default();
                        Fact::Known(RolePolicy {
                            name: arn.to_string(),
                            kind,
                            document: text,
                        })
                    }
                    Err(error) => Fact::Failed(call_failure(Operation::GetPolicyVersion.iam(), arn, &error)),
                }
            })
            .await
    }
}

impl IamReader for AwsClients {
    async fn role(&self, arn: &str) -> Fact<Option<RoleFacts>> {
        match self.iam().get_role().role_name(role_name(arn)).send().await {
            Ok(output) => Fact::Known(output.role().map(|role| {
                RoleFacts {
                    arn: role.arn().to_string(),
                    name: role.role_name().to_string(),
                    trust_policy: role.assume_role_policy_document().map(decode).unwrap_or_default(),
                    permissions_boundary: role
                        .permissions_boundary()
                        .and_then(|b| b.permissions_boundary_arn())
                        .map(str::to_string),
                }
            })),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                Fact::Known(None)
            }
            Err(error) => Fact::Failed(call_failure(Operation::GetRole.iam(), arn, &error)),
        }
    }

    async fn simulate(&self, role_arn: &str, actions: &[&str], resource: &str) -> Fact<Vec<SimulatedDecision>> {
        let mut request = self
            .iam()
            .simulate_principal_policy()
            .policy_source_arn(role_arn)
            .resource_arns(resource);
        for action in actions {
            request = request.action_names(*action);
        }
        match request.send().await {
            Ok(output) => Fact::Known(
                output
                    .evaluation_results()
                    .iter()
                    .map(|r| SimulatedDecision {
                        action: r.eval_action_name().to_string(),
                        resource: r.eval_resource_name().unwrap_or(resource).to_string(),
                        decision: match r.eval_decision() {
                            PolicyEvaluationDecisionType::Allowed => "allowed",
                            PolicyEvaluationDecisionType::ExplicitDeny => "explicitDeny",
                            _ => "implicitDeny",
                        }
                        .to_string(),
                        matched: r
                            .matched_statements()
                            .iter()
                            .filter_map(|s| s.source_policy_id())
                            .map(str::to_string)
                            .collect(),
                        missing_context: r.missing_context_values().to_vec(),
                        allowed_by_boundary: r
                            .permissions_boundary_decision_detail()
                            .map(|d| d.allowed_by_permissions_boundary()),
                        allowed_by_organizations: r
                            .organizations_decision_detail()
                            .map(|d| d.allowed_by_organizations()),
                    })
                    .collect(),
            ),
            Err(error) => Fact::Failed(call_failure(Operation::SimulatePrincipalPolicy.iam(), role_arn, &error)),
        }
    }

    async fn role_policies(&self, role: &RoleFacts, deadline: Deadline) -> Fact<Vec<RolePolicy>> {
        let iam = self.iam();
        let (inline, attached) = tokio::join!(
            deadline.bound(Operation::ListRolePolicies.iam(), &role.arn, async {
                match iam.list_role_policies().role_name(&role.name).send().await {
                    Ok(output) => Fact::Known(output.policy_names().to_vec()),
                    Err(error) => Fact::Failed(call_failure(Operation::ListRolePolicies.iam(), &role.arn, &error)),
                }
            }),
            deadline.bound(Operation::ListAttachedRolePolicies.iam(), &role.arn, async {
                match iam.list_attached_role_policies().role_name(&role.name).send().await {
                    Ok(output) => Fact::Known(
                        output
                            .attached_policies()
                            .iter()
                            .filter_map(|p| p.policy_arn())
                            .map(str::to_string)
                            .collect::<Vec<_>>(),
                    ),
                    Err(error) => Fact::Failed(call_failure(
                        Operation::ListAttachedRolePolicies.iam(),
                        &role.arn,
                        &error,
                    )),
                }
            }),
        );
        let (inline, attached) = match (inline, attached) {
            (Fact::Known(inline), Fact::Known(attached)) => (inline, attached),
            (Fact::Failed(failure), _) | (_, Fact::Failed(failure)) => return Fact::Failed(failure),
        };
        let (iam, role) = (&iam, role);
        let inline = join_all(inline.iter().map(|name| {
            deadline.bound(Operation::GetRolePolicy.iam(), name, async move {
                match iam
                    .get_role_policy()
                    .role_name(&role.name)
                    .policy_name(name)
                    .send()
                    .await
                {
                    Ok(output) => Fact::Known(RolePolicy {
                        name: name.clone(),
                        kind: PolicyKind::Inline,
                        document: decode(output.policy_document()),
                    }),
                    Err(error) => Fact::Failed(call_failure(Operation::GetRolePolicy.iam(), name, &error)),
                }
            })
        }));
        let managed = join_all(
            attached
                .iter()
                .map(|arn| self.managed_policy(iam, arn, PolicyKind::Managed, deadline)),
        );
        let boundary = async {
            match &role.permissions_boundary {
                Some(arn) => Some(self.managed_policy(iam, arn, PolicyKind::Boundary, deadline).await),
                None => None,
            }
        };
        let (inline, managed, boundary) = tokio::join!(inline, managed, boundary);
        let mut policies = Vec::new();
        for fact in inline.into_iter().chain(managed).chain(boundary) {
            match fact {
                Fact::Known(policy) => policies.push(policy),
                Fact::Failed(failure) => return Fact::Failed(failure),
            }
        }
        Fact::Known(policies)
    }
}
