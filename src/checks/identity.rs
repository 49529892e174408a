//! The execution role: present when needed, existing, assumable by ECS, and allowed what the task
//! needs (ECR, secrets and their keys, logs).

use crate::model::arn::partition_of;
use serde_json::{Value, json};

use super::policy::{Context, Decision, Policy, Principal, Request};
use super::{
    Code, Denial, DeniedAction, Detail, Finding, IdentityDetail, Outcome, Severity, could_not_check, unreadable_policy,
};
use crate::facts::requirements::{ADMINISTRATOR_PROBE, Permission, Purpose, required_permissions};
use crate::facts::requirements::{kms_permissions, pull_through_needs};
use crate::facts::{
    ExecutionRoleFacts, Fact, Permissions, PolicyKind, RoleFacts, RolePolicy, SimulatedDecision, Snapshot,
};

/// What the permission check concluded for one request.
pub(super) enum Answer {
    Allowed,
    Denied {
        denial: Denial,
        statement: Option<Value>,
        matched: Vec<String>,
    },
    Undecided {
        keys: Vec<String>,
    },
}

pub fn check(snapshot: &Snapshot) -> Outcome {
    let mut out = Outcome::default();
    let Some(definition) = snapshot.task_definition.known() else {
        return out;
    };
    let task = &snapshot.task;
    let mut required = required_permissions(task, definition);
    required.extend(kms_permissions(&snapshot.secrets, task));
    required.extend(pull_through_needs(&snapshot.ecr_images));
    // On EC2 the container instance's role pulls from ECR and writes logs; only secrets need the execution role.
    if task.launch_type.as_deref() == Some("EC2") {
        required.retain(|p| p.purpose == Purpose::Secrets);
    }
    let Some(role) = &snapshot.execution_role else {
        if !required.is_empty() {
            out.finding(
                Finding::new(
                    Code::ExecutionRoleMissing,
                    Severity::Error,
                    &definition.arn,
                    format!("Task definition {}:{} has no execution role, but the task needs one to start.", definition.family, definition.revision),
                )
                .evidence(json!({"taskDefinition": definition.arn, "needs": required.iter().map(|p| json!({"action": p.action, "resource": p.resource, "why": p.why})).collect::<Vec<_>>()}))
                .remedy("Set executionRoleArn in the task definition to a role that trusts ecs-tasks.amazonaws.com and has AmazonECSTaskExecutionRolePolicy (plus access to the task's secrets), then register a new revision."),
            );
        }
        return out;
    };
    let found = match &role.role {
        Fact::Failed(failure) => {
            out.finding(could_not_check(failure, format!("the execution role {}", role.arn)));
            return out;
        }
        Fact::Known(None) => {
            out.finding(
                Finding::new(Code::ExecutionRoleNotFound, Severity::Error, &role.arn, format!("The execution role {} does not exist.", role.arn))
                    .evidence(json!({"roleArn": role.arn, "call": "iam:GetRole", "answer": "NoSuchEntity"}))
                    .remedy(format!("Create role {} (trusting ecs-tasks.amazonaws.com, with AmazonECSTaskExecutionRolePolicy), or point the task definition at a role that exists.", role.arn)),
            );
            return out;
        }
        Fact::Known(Some(found)) => found,
    };
    check_trust(snapshot, found, &mut out);
    if let Some(permissions) = &role.permissions {
        check_permissions(found, permissions, &required, &mut out);
    }
    out
}

/// Whether the role is allowed any administrator-level action ([`ADMINISTRATOR_PROBE`]); `None`
/// when that is not known (its permissions could not be read, or a policy could not be parsed).
pub fn administrator_level(role: &ExecutionRoleFacts) -> Option<bool> {
    match role.permissions.as_ref()? {
        Permissions::Simulated(decisions) => {
            let probed: Vec<&SimulatedDecision> = decisions
                .iter()
                .filter(|d| ADMINISTRATOR_PROBE.contains(&d.action.as_str()))
                .collect();
            (!probed.is_empty()).then(|| probed.iter().any(|d| d.decision == "allowed"))
        }
        Permissions::Offline { policies, .. } => {
            let identity = policies
                .known()?
                .iter()
                .filter(|p| p.kind != PolicyKind::Boundary)
                .map(|p| Policy::parse(&p.document).ok().filter(|parsed| !parsed.has_malformed()))
                .collect::<Option<Vec<Policy>>>()?;
            let context = Context::complete();
            let mut unknown = false;
            for action in ADMINISTRATOR_PROBE {
                match Policy::evaluate_all(
                    &identity,
                    &Request {
                        principal: None,
                        action,
                        resource: "*",
                        context: &context,
                    },
                ) {
                    Decision::Allowed { .. } => return Some(true),
                    Decision::Undecided { .. } => unknown = true,
                    _ => {}
                }
            }
            (!unknown).then_some(false)
        }
    }
}

fn check_trust(snapshot: &Snapshot, role: &RoleFacts, out: &mut Outcome) {
    let task = &snapshot.task;
    let cluster_arn = task.cluster_arn.clone().unwrap_or_else(|| {
        format!(
            "arn:{}:ecs:{}:{}:cluster/{}",
            partition_of(&task.region),
            task.region,
            task.account,
            task.cluster
        )
    });
    let trust: Value = serde_json::from_str(&role.trust_policy).unwrap_or(Value::Null);
    let decision = match Policy::parse(&role.trust_policy) {
        Ok(policy) => {
            let context = Context::complete()
                .with("aws:SourceAccount", &task.account)
                .with("aws:SourceArn", &cluster_arn);
            let ecs = Principal::Service("ecs-tasks.amazonaws.com".into());
            policy.evaluate(&Request {
                principal: Some(&ecs),
                action: "sts:AssumeRole",
                resource: &role.arn,
                context: &context,
            })
        }
        Err(error) => {
            out.finding(unreadable_policy(
                &role.arn,
                &format!("the trust policy of {}", role.arn),
                &error,
                &role.trust_policy,
            ));
            return;
        }
    };
    let (severity, why) = match decision {
        Decision::Allowed { .. } => {
            out.pass(
                "execution-role-trust",
                &role.arn,
                format!("ECS tasks may assume {}", role.name),
            );
            return;
        }
        Decision::ExplicitlyDenied { .. } => (Severity::Error, "explicitly denies"),
        Decision::ImplicitlyDenied => (Severity::Error, "does not allow"),
        Decision::Undecided { .. } => (
            Severity::Warning,
            "may not allow, depending on conditions the doctor cannot see,",
        ),
    };
    out.finding(
        Finding::new(
            Code::ExecutionRoleTrustInvalid,
            severity,
            &role.arn,
            format!("The trust policy of {} {why} sts:AssumeRole by ecs-tasks.amazonaws.com for cluster {cluster_arn}.", role.name),
        )
        .evidence(json!({"roleArn": role.arn, "trustPolicy": trust, "evaluatedWith": {"principal": "ecs-tasks.amazonaws.com", "aws:SourceAccount": task.account, "aws:SourceArn": cluster_arn}}))
        .remedy(format!(
            "Make role {}'s trust policy allow {{\"Effect\": \"Allow\", \"Principal\": {{\"Service\": \"ecs-tasks.amazonaws.com\"}}, \"Action\": \"sts:AssumeRole\"}}, with any aws:SourceAccount / aws:SourceArn condition matching {} and {cluster_arn}.",
            role.name, task.account
        )),
    );
}

fn simulated_answer(decisions: &[SimulatedDecision], permission: &Permission) -> Option<Answer> {
    let found = decisions.iter().find(|d| {
        d.action.eq_ignore_ascii_case(permission.action) && (d.resource == permission.resource || d.resource == "*")
    })?;
    Some(match found.decision.as_str() {
        "allowed" => Answer::Allowed,
        _ if found.allowed_by_organizations == Some(false) => Answer::Denied {
            denial: Denial::Organizations,
            statement: None,
            matched: found.matched.clone(),
        },
        "explicitDeny" => Answer::Denied {
            denial: Denial::ExplicitDeny,
            statement: None,
            matched: found.matched.clone(),
        },
        _ if found.allowed_by_boundary == Some(false) => Answer::Denied {
            denial: Denial::Boundary,
            statement: None,
            matched: found.matched.clone(),
        },
        // A condition the simulation could not evaluate: the task's own request may be allowed.
        _ if !found.missing_context.is_empty() => Answer::Undecided {
            keys: found.missing_context.clone(),
        },
        _ => Answer::Denied {
            denial: Denial::NoAllow,
            statement: None,
            matched: found.matched.clone(),
        },
    })
}

/// The role's policies as read for offline evaluation. `unreadable` names the documents that could
/// not be parsed: what they might allow is unknown, so no implicit deny is concluded while any is.
struct Offline<'p> {
    identity: &'p [Policy],
    boundary: Option<&'p Policy>,
    identity_unreadable: bool,
    boundary_unreadable: bool,
}

fn offline_answer(policies: &Offline, permission: &Permission, role: &RoleFacts) -> Answer {
    let (identity, boundary) = (policies.identity, policies.boundary);
    let context = Context::partial()
        .with("aws:PrincipalArn", &role.arn)
        .with("aws:PrincipalAccount", role.arn.split(':').nth(4).unwrap_or_default());
    let request = Request {
        principal: None,
        action: permission.action,
        resource: &permission.resource,
        context: &context,
    };
    let from_identity = Policy::evaluate_all(identity, &request);
    // `explicit` and `implicit` say, for the report, why a deny of each kind denies.
    let answer = |decision: Decision, explicit: Denial, implicit: Denial| match decision {
        Decision::Allowed { .. } => Answer::Allowed,
        Decision::ExplicitlyDenied { statement } => Answer::Denied {
            denial: explicit,
            statement: Some(statement),
            matched: vec![],
        },
        Decision::ImplicitlyDenied => Answer::Denied {
            denial: implicit,
            statement: None,
            matched: vec![],
        },
        Decision::Undecided { keys, .. } => Answer::Undecided { keys },
    };
    let unreadable = |why: &str| Answer::Undecided {
        keys: vec![why.to_string()],
    };
    match answer(from_identity, Denial::ExplicitDeny, Denial::NoAllow) {
        Answer::Allowed => match boundary {
            // A permissions boundary caps what the identity policies allow.
            Some(boundary) => match answer(boundary.evaluate(&request), Denial::Boundary, Denial::Boundary) {
                Answer::Denied { statement: None, .. } if policies.boundary_unreadable => {
                    unreadable("(the permissions boundary could not be read)")
                }
                other => other,
            },
            None if policies.boundary_unreadable => unreadable("(the permissions boundary could not be read)"),
            None => Answer::Allowed,
        },
        // An explicit deny stands whatever else the role holds; "nothing allows it" does not.
        Answer::Denied { statement: None, .. } if policies.identity_unreadable => {
            unreadable("(a policy of the role could not be read)")
        }
        // Nothing allows it, and the boundary would not let an added Allow through either.
        Answer::Denied {
            denial: Denial::NoAllow,
            statement,
            matched,
        } => match boundary.map(|b| b.evaluate(&request)) {
            Some(Decision::ImplicitlyDenied | Decision::ExplicitlyDenied { .. }) => Answer::Denied {
                denial: Denial::Boundary,
                statement,
                matched,
            },
            _ => Answer::Denied {
                denial: Denial::NoAllow,
                statement,
                matched,
            },
        },
        other => other,
    }
}

/// How the answers were reached (for the evidence), each required permission's answer, and, when
/// IAM could not simulate, the CHECK_FAILED saying so. `None` when neither the simulation nor the
/// role's policies could be read (reported in `out`).
pub(super) type Judged<'r> = (Value, Vec<(&'r Permission, Answer)>, Option<Finding>);

/// Each required permission judged: by IAM's simulation, else by the role's own policies here.
pub(super) fn judge<'r>(
    role: &RoleFacts,
    permissions: &Permissions,
    required: &'r [Permission],
    out: &mut Outcome,
) -> Option<Judged<'r>> {
    match permissions {
        Permissions::Simulated(decisions) => Some((
            json!("iam:SimulatePrincipalPolicy"),
            required
                .iter()
                .filter_map(|p| Some((p, simulated_answer(decisions, p)?)))
                .collect(),
            None,
        )),
        Permissions::Offline {
            simulation,
            policies: Fact::Failed(failure),
        } => {
            out.finding(could_not_check(
                failure,
                format!(
                    "the permissions of {} (iam:SimulatePrincipalPolicy failed too: {})",
                    role.arn, simulation.error_code
                ),
            ));
            None
        }
        Permissions::Offline {
            simulation,
            policies: Fact::Known(policies),
        } => {
            let unsimulated = could_not_check(
                simulation,
                format!(
                    "the permissions of {} with IAM's simulator; its policies were read and evaluated here instead, which cannot see service control policies",
                    role.arn
                ),
            );
            let method = json!({
                "offlineEvaluation": policies.iter().map(|p| json!({"policy": p.name, "kind": p.kind})).collect::<Vec<_>>(),
                "simulationUnavailable": {"call": simulation.operation, "errorCode": simulation.error_code},
            });
            Some((
                method,
                offline_answers(role, policies, required, out),
                Some(unsimulated),
            ))
        }
    }
}

fn check_permissions(role: &RoleFacts, permissions: &Permissions, required: &[Permission], out: &mut Outcome) {
    let Some((method, answers, unsimulated)) = judge(role, permissions, required, out) else {
        return;
    };
    for purpose in [Purpose::Ecr, Purpose::Secrets, Purpose::Logs, Purpose::EnvFiles] {
        let relevant: Vec<&(&Permission, Answer)> = answers.iter().filter(|(p, _)| p.purpose == purpose).collect();
        if relevant.is_empty() {
            continue;
        }
        match purpose_finding(role, purpose, &method, &relevant) {
            Some(finding) => out.finding(finding),
            None => out.pass(
                &format!("execution-role-{}", purpose.name()),
                &role.arn,
                format!("{} is allowed what the task needs for {}", role.name, purpose.name()),
            ),
        }
    }
    if let Some(note) = unsimulated {
        out.finding(note);
    }
}

/// Each required permission judged on the role's own policies; a policy that cannot be parsed is
/// reported and makes what it might have allowed undecided.
fn offline_answers<'r>(
    role: &RoleFacts,
    policies: &[RolePolicy],
    required: &'r [Permission],
    out: &mut Outcome,
) -> Vec<(&'r Permission, Answer)> {
    let mut identity = Vec::new();
    let mut boundary = None;
    let (mut identity_unreadable, mut boundary_unreadable) = (false, false);
    for policy in policies {
        match Policy::parse(&policy.document) {
            Ok(parsed) if policy.kind == PolicyKind::Boundary => boundary = Some(parsed),
            Ok(parsed) => identity.push(parsed),
            Err(error) => {
                *(if policy.kind == PolicyKind::Boundary {
                    &mut boundary_unreadable
                } else {
                    &mut identity_unreadable
                }) = true;
                out.finding(unreadable_policy(
                    &policy.name,
                    &format!("policy {} of {}", policy.name, role.name),
                    &error,
                    &policy.document,
                ));
            }
        }
    }
    let offline = Offline {
        identity: &identity,
        boundary: boundary.as_ref(),
        identity_unreadable,
        boundary_unreadable,
    };
    required
        .iter()
        .map(|p| (p, offline_answer(&offline, p, role)))
        .collect()
}

/// The finding for one purpose (ECR, secrets, logs): an error naming the first denied permission,
/// else a warning naming the first undecided one; `None` when all are allowed.
pub(super) fn purpose_finding(
    role: &RoleFacts,
    purpose: Purpose,
    method: &Value,
    relevant: &[&(&Permission, Answer)],
) -> Option<Finding> {
    let denied: Vec<(&Permission, Denial, &Option<Value>, &Vec<String>)> = relevant
        .iter()
        .filter_map(|(p, answer)| match answer {
            Answer::Denied {
                denial,
                statement,
                matched,
            } => Some((*p, *denial, statement, matched)),
            _ => None,
        })
        .collect();
    let undecided: Vec<(&Permission, &Vec<String>)> = relevant
        .iter()
        .filter_map(|(p, answer)| match answer {
            Answer::Undecided { keys } => Some((*p, keys)),
            _ => None,
        })
        .collect();
    let (severity, first, listed, cause) = match (denied.first(), undecided.first()) {
        (Some((first, denial, ..)), _) => (Severity::Error, *first, denied.len(), Cause::Denied(*denial)),
        (None, Some((first, keys))) => (Severity::Warning, *first, undecided.len(), Cause::Conditions(keys)),
        (None, None) => return None,
    };
    let code = match purpose {
        Purpose::Ecr => Code::ExecutionRoleMissingEcrPermissions,
        Purpose::Secrets => Code::ExecutionRoleMissingSecretsPermissions,
        Purpose::Logs => Code::ExecutionRoleMissingLogsPermissions,
        Purpose::Volumes => Code::EfsAccessDenied,
        Purpose::EnvFiles => Code::EnvFileAccessDenied,
    };
    let summary = format!(
        "{} {} {} {} on {}{}.",
        if purpose == Purpose::Volumes {
            "Task role"
        } else {
            "Execution role"
        },
        role.name,
        if severity == Severity::Error {
            "is not allowed"
        } else {
            "may not be allowed"
        },
        first.action,
        first.resource,
        if listed > 1 {
            format!(" (and {} more)", listed - 1)
        } else {
            String::new()
        }
    );
    let denied_json: Vec<Value> = denied
        .iter()
        .map(|(p, denial, statement, matched)| json!({"action": p.action, "resource": p.resource, "why": p.why, "decision": denial.label(), "statement": statement, "matchedPolicies": matched}))
        .collect();
    let undecided_json: Vec<Value> = undecided
        .iter()
        .map(|(p, keys)| json!({"action": p.action, "resource": p.resource, "conditionKeys": keys}))
        .collect();
    let denied_actions = denied
        .iter()
        .map(|(p, denial, ..)| DeniedAction {
            action: p.action.to_string(),
            resource: p.resource.clone(),
            denial: *denial,
        })
        .collect();
    Some(
        Finding::new(code, severity, &role.arn, summary)
            .evidence(
                json!({"roleArn": role.arn, "method": method, "denied": denied_json, "undecided": undecided_json}),
            )
            .remedy(permission_remedy(role, purpose, first, listed, cause))
            .detail(Detail::Identity(IdentityDetail { denied: denied_actions })),
    )
}

/// Why the first listed permission is not (surely) allowed.
enum Cause<'a> {
    Denied(Denial),
    Conditions(&'a [String]),
}

/// What denies decides what cures it: only a missing Allow is cured by granting one.
fn permission_remedy(role: &RoleFacts, purpose: Purpose, first: &Permission, listed: usize, cause: Cause) -> String {
    let action = first.action;
    match cause {
        Cause::Denied(Denial::Boundary) => format!(
            "Role {}'s permissions boundary does not allow {action}: widen the boundary. Attaching a policy to the role would not help.",
            role.name
        ),
        Cause::Denied(Denial::Organizations) => format!(
            "A service control policy of the organization does not allow {action} in this account: only its administrators can allow it. Nothing on role {} can.",
            role.name
        ),
        Cause::Denied(Denial::ExplicitDeny) => format!(
            "Remove or narrow the statement that denies {action} to role {}; an added Allow never beats a Deny.",
            role.name
        ),
        Cause::Denied(Denial::NoAllow) => match purpose {
            // The managed policy does not grant what a pull-through cache's first pull needs.
            Purpose::Ecr if matches!(action, "ecr:CreateRepository" | "ecr:BatchImportUpstreamImage") => format!(
                "Give role {} an inline policy that allows ecr:CreateRepository and ecr:BatchImportUpstreamImage on {}: \
                 the first pull through a pull-through cache rule creates the repository and imports the image.",
                role.name, first.resource
            ),
            Purpose::Ecr => format!(
                "Attach AmazonECSTaskExecutionRolePolicy to role {} (and remove any statement that denies these ECR actions).",
                role.name
            ),
            Purpose::Secrets => format!(
                "Give role {} an inline policy that allows {action} on {}{}.",
                role.name,
                first.resource,
                if listed > 1 {
                    " (and the other resources listed)"
                } else {
                    ""
                }
            ),
            Purpose::Logs => format!(
                "Attach AmazonECSTaskExecutionRolePolicy to role {} for logs:CreateLogStream and logs:PutLogEvents; awslogs-create-group also needs logs:CreateLogGroup, which that policy lacks.",
                role.name
            ),
            Purpose::EnvFiles => format!(
                "Give role {} an inline policy that allows s3:GetObject on each environment file and s3:GetBucketLocation on its bucket (here {action} on {}).",
                role.name, first.resource
            ),
            Purpose::Volumes => format!(
                "Give task role {} an inline policy that allows {action}{} on {} (the task role mounts the volume, not the execution role).",
                role.name,
                if listed > 1 {
                    " and the other actions listed"
                } else {
                    ""
                },
                first.resource
            ),
        },
        Cause::Conditions(keys) => format!(
            "Whether role {} may {action} depends on conditions the doctor cannot evaluate ({}). Make sure the task's requests meet them, or allow the action without them: ECS asks for the registry token (ecr:GetAuthorizationToken) outside any VPC endpoint, so aws:SourceVpce and aws:SourceVpc conditions never hold for it.",
            role.name,
            keys.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::facts::fixtures::{self, private_vpc, snapshot};
    use crate::facts::{CallFailure, ExecutionRoleFacts, SecretFacts, SecretMeta, SecretReference};

    /// The findings' codes, less the note that the simulation was unavailable (most fixtures evaluate offline).
    fn codes(outcome: &Outcome) -> Vec<(Code, Severity)> {
        outcome
            .findings
            .iter()
            .filter(|f| f.evidence["call"] != "iam:SimulatePrincipalPolicy")
            .map(|f| (f.code, f.severity))
            .collect()
    }

    fn with_role(role: ExecutionRoleFacts) -> Snapshot {
        let mut s = snapshot(private_vpc());
        s.execution_role = Some(role);
        s
    }

    fn inline(name: &str, document: serde_json::Value) -> RolePolicy {
        RolePolicy {
            name: name.into(),
            kind: PolicyKind::Inline,
            document: document.to_string(),
        }
    }

    #[test]
    fn a_role_with_the_managed_policy_passes() {
        let outcome = check(&snapshot(private_vpc()));
        assert_eq!(codes(&outcome), vec![]);
        let passed: Vec<&str> = outcome.passes.iter().map(|p| p.check.as_str()).collect();
        assert_eq!(
            passed,
            ["execution-role-trust", "execution-role-ecr", "execution-role-logs"]
        );
    }

    #[test]
    fn no_execution_role_where_one_is_needed() {
        let mut s = snapshot(private_vpc());
        s.execution_role = None;
        if let Fact::Known(d) = &mut s.task_definition {
            d.execution_role_arn = None;
        }
        let outcome = check(&s);
        assert_eq!(codes(&outcome), vec![(Code::ExecutionRoleMissing, Severity::Error)]);
        // On EC2 the instance role pulls and logs: without secrets, no execution role is needed.
        s.task.launch_type = Some("EC2".into());
        assert_eq!(codes(&check(&s)), vec![]);
    }

    #[test]
    fn a_role_that_does_not_exist() {
        let outcome = check(&with_role(ExecutionRoleFacts {
            arn: fixtures::ROLE.into(),
            role: Fact::Known(None),
            permissions: None,
        }));
        assert_eq!(codes(&outcome), vec![(Code::ExecutionRoleNotFound, Severity::Error)]);
        assert_eq!(outcome.findings[0].evidence["answer"], "NoSuchEntity");
    }

    #[test]
    fn trust_must_let_ecs_tasks_assume_the_role_for_this_account_and_cluster() {
        let mut role = fixtures::execution_role(vec![fixtures::execution_role_policy()]);
        let set_trust = |role: &mut ExecutionRoleFacts, trust: serde_json::Value| {
            if let Fact::Known(Some(found)) = &mut role.role {
                found.trust_policy = trust.to_string();
            }
        };
        set_trust(
            &mut role,
            json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        );
        let outcome = check(&with_role(role.clone()));
        assert_eq!(
            codes(&outcome),
            vec![(Code::ExecutionRoleTrustInvalid, Severity::Error)]
        );
        assert_eq!(
            outcome.findings[0].evidence["evaluatedWith"]["aws:SourceArn"],
            "arn:aws:ecs:us-east-1:111122223333:cluster/prod"
        );

        let conditioned = |account: &str| {
            json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}, "ArnLike": {"aws:SourceArn": format!("arn:aws:ecs:us-east-1:{account}:*")}}}]})
        };
        set_trust(&mut role, conditioned("111122223333"));
        assert_eq!(codes(&check(&with_role(role.clone()))), vec![]);
        set_trust(&mut role, conditioned("444455556666"));
        assert_eq!(
            codes(&check(&with_role(role))),
            vec![(Code::ExecutionRoleTrustInvalid, Severity::Error)]
        );
    }

    #[test]
    fn offline_evaluation_finds_missing_and_denied_permissions() {
        // No policy at all: ECR and logs are both missing.
        let outcome = check(&with_role(fixtures::execution_role(vec![])));
        assert_eq!(
            codes(&outcome),
            vec![
                (Code::ExecutionRoleMissingEcrPermissions, Severity::Error),
                (Code::ExecutionRoleMissingLogsPermissions, Severity::Error)
            ]
        );
        assert_eq!(
            outcome.findings[0].evidence["method"]["simulationUnavailable"]["errorCode"],
            "AccessDenied"
        );

        // An explicit deny in an inline policy beats the managed policy's allow.
        let deny = inline(
            "no-pulls",
            json!({"Version": "2012-10-17", "Statement": [{"Sid": "NoPulls", "Effect": "Deny", "Action": "ecr:BatchGetImage", "Resource": "*"}]}),
        );
        let outcome = check(&with_role(fixtures::execution_role(vec![
            fixtures::execution_role_policy(),
            deny,
        ])));
        assert_eq!(
            codes(&outcome),
            vec![(Code::ExecutionRoleMissingEcrPermissions, Severity::Error)]
        );
        let denied = &outcome.findings[0].evidence["denied"][0];
        assert_eq!(denied["action"], "ecr:BatchGetImage");
        assert_eq!(denied["statement"]["Sid"], "NoPulls");
    }

    #[test]
    fn a_permissions_boundary_caps_what_the_policies_allow() {
        let boundary = RolePolicy {
            name: "arn:aws:iam::111122223333:policy/boundary".into(),
            kind: PolicyKind::Boundary,
            document: json!({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}).to_string(),
        };
        let outcome = check(&with_role(fixtures::execution_role(vec![
            fixtures::execution_role_policy(),
            boundary,
        ])));
        assert_eq!(
            codes(&outcome),
            vec![(Code::ExecutionRoleMissingLogsPermissions, Severity::Error)]
        );
        assert_eq!(
            outcome.findings[0].evidence["denied"][0]["decision"],
            "the permissions boundary does not allow it"
        );
    }

    #[test]
    fn secrets_and_their_customer_keys_need_permission() {
        let mut s = snapshot(private_vpc());
        let secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf";
        let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        if let Fact::Known(d) = &mut s.task_definition {
            d.containers[0].secrets = vec![SecretReference {
                name: "DB".into(),
                value_from: secret.into(),
            }];
        }
        s.secrets = vec![SecretFacts {
            alias_key: None,
            container: "web".into(),
            name: Some("DB".into()),
            value_from: secret.into(),
            lookup: Fact::Known(Some(SecretMeta {
                arn: secret.into(),
                kms_key_id: Some(key.into()),
                ..Default::default()
            })),
        }];
        let allow_secret = inline(
            "secret",
            json!({"Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret}]}),
        );
        s.execution_role = Some(fixtures::execution_role(vec![
            fixtures::execution_role_policy(),
            allow_secret.clone(),
        ]));
        let outcome = check(&s);
        assert_eq!(
            codes(&outcome),
            vec![(Code::ExecutionRoleMissingSecretsPermissions, Severity::Error)]
        );
        assert_eq!(outcome.findings[0].evidence["denied"][0]["action"], "kms:Decrypt");
        assert_eq!(outcome.findings[0].evidence["denied"][0]["resource"], key);
        let allow_key = inline(
            "key",
            json!({"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}]}),
        );
        s.execution_role = Some(fixtures::execution_role(vec![
            fixtures::execution_role_policy(),
            allow_secret,
            allow_key,
        ]));
        assert_eq!(codes(&check(&s)), vec![]);
    }

    #[test]
    fn simulated_answers_are_used_as_given() {
        let mut role = fixtures::execution_role(vec![]);
        let decision = |action: &str, resource: &str, decision: &str| SimulatedDecision {
            action: action.into(),
            resource: resource.into(),
            decision: decision.into(),
            matched: vec!["deny-all".into()],
            ..Default::default()
        };
        let repository = "arn:aws:ecr:us-east-1:111122223333:repository/shop/web";
        let group = "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/shop-web:*";
        role.permissions = Some(Permissions::Simulated(vec![
            decision("ecr:GetAuthorizationToken", "*", "allowed"),
            decision("ecr:BatchGetImage", repository, "explicitDeny"),
            decision("ecr:GetDownloadUrlForLayer", repository, "allowed"),
            decision("logs:CreateLogStream", group, "allowed"),
            decision("logs:PutLogEvents", group, "allowed"),
        ]));
        let outcome = check(&with_role(role));
        assert_eq!(
            codes(&outcome),
            vec![(Code::ExecutionRoleMissingEcrPermissions, Severity::Error)]
        );
        let evidence = &outcome.findings[0].evidence;
        assert_eq!(evidence["method"], "iam:SimulatePrincipalPolicy");
        assert_eq!(evidence["denied"][0]["decision"], "explicit deny");
        assert_eq!(evidence["denied"][0]["matchedPolicies"], json!(["deny-all"]));
    }

    #[test]
    fn an_unreadable_policy_leaves_what_it_might_allow_undecided_and_keeps_every_deny() {
        let broken = inline(
            "garbled",
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": {"not": "a list"}}]}),
        );
        let outcome = check(&with_role(fixtures::execution_role(vec![broken.clone()])));
        // Nothing readable allows ECR or logs, but the garbled policy might: a warning, not an error.
        assert!(
            codes(&outcome).iter().all(|(_, severity)| *severity != Severity::Error),
            "{:#?}",
            outcome.findings
        );
        let deny = inline(
            "no-pulls",
            json!({"Statement": [{"Sid": "NoPulls", "Effect": "Deny", "Action": "ecr:BatchGetImage", "Resource": "*"}]}),
        );
        let outcome = check(&with_role(fixtures::execution_role(vec![
            fixtures::execution_role_policy(),
            broken,
            deny,
        ])));
        assert!(
            codes(&outcome).contains(&(Code::ExecutionRoleMissingEcrPermissions, Severity::Error)),
            "an explicit deny stands: {:#?}",
            outcome.findings
        );
    }

    #[test]
    fn evaluating_offline_says_the_simulation_was_not_available() {
        let outcome = check(&with_role(fixtures::execution_role(vec![
            fixtures::execution_role_policy(),
        ])));
        let note = outcome
            .findings
            .iter()
            .find(|f| f.evidence["call"] == "iam:SimulatePrincipalPolicy")
            .expect("CHECK_FAILED for the simulation");
        assert_eq!((note.code, note.severity), (Code::CheckFailed, Severity::Info));
    }

    #[test]
    fn the_simulation_says_which_policy_denies_and_the_remedy_follows() {
        let repository = "arn:aws:ecr:us-east-1:111122223333:repository/shop/web";
        let group = "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/shop-web:*";
        let simulated = |ecr: SimulatedDecision| {
            let mut role = fixtures::execution_role(vec![]);
            let allowed = |action: &str, resource: &str| SimulatedDecision {
                action: action.into(),
                resource: resource.into(),
                decision: "allowed".into(),
                ..Default::default()
            };
            role.permissions = Some(Permissions::Simulated(vec![
                SimulatedDecision {
                    action: "ecr:GetAuthorizationToken".into(),
                    resource: "*".into(),
                    ..ecr
                },
                allowed("ecr:BatchGetImage", repository),
                allowed("ecr:GetDownloadUrlForLayer", repository),
                allowed("logs:CreateLogStream", group),
                allowed("logs:PutLogEvents", group),
            ]));
            check(&with_role(role))
        };
        let boundary = simulated(SimulatedDecision {
            decision: "implicitDeny".into(),
            allowed_by_boundary: Some(false),
            ..Default::default()
        });
        let finding = boundary
            .findings
            .iter()
            .find(|f| f.code == Code::ExecutionRoleMissingEcrPermissions)
            .expect("denied");
        assert_eq!(
            (finding.severity, finding.evidence["denied"][0]["decision"].as_str()),
            (Severity::Error, Some("the permissions boundary does not allow it"))
        );
        assert!(finding.remedy.contains("widen the boundary"), "{}", finding.remedy);
        let scp = simulated(SimulatedDecision {
            decision: "implicitDeny".into(),
            allowed_by_organizations: Some(false),
            ..Default::default()
        });
        assert!(
            scp.findings[0].remedy.contains("service control policy"),
            "{}",
            scp.findings[0].remedy
        );
        let condition = simulated(SimulatedDecision {
            decision: "implicitDeny".into(),
            missing_context: vec!["aws:SourceVpce".into()],
            ..Default::default()
        });
        let finding = &condition.findings[0];
        assert_eq!(
            finding.severity,
            Severity::Warning,
            "the task's own request may meet the condition"
        );
        assert!(finding.remedy.contains("aws:SourceVpce"), "{}", finding.remedy);
    }

    #[test]
    fn unreadable_role_or_policies_are_check_failed() {
        let failure = CallFailure {
            operation: "iam:GetRole".into(),
            resource: fixtures::ROLE.into(),
            error_code: "AccessDenied".into(),
            message: "no".into(),
        };
        let outcome = check(&with_role(ExecutionRoleFacts {
            arn: fixtures::ROLE.into(),
            role: Fact::Failed(failure.clone()),
            permissions: None,
        }));
        assert_eq!(codes(&outcome), vec![(Code::CheckFailed, Severity::Info)]);
        let mut role = fixtures::execution_role(vec![]);
        role.permissions = Some(Permissions::Offline {
            simulation: failure.clone(),
            policies: Fact::Failed(CallFailure {
                operation: "iam:ListRolePolicies".into(),
                ..failure
            }),
        });
        let outcome = check(&with_role(role));
        assert_eq!(codes(&outcome), vec![(Code::CheckFailed, Severity::Info)]);
        assert_eq!(outcome.passes.len(), 1, "trust was still checked");
    }
}
