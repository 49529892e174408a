//! Applying: the planned calls, made one after another, after the fresh facts confirm each fix.

use super::{Action, ActionStatus};
use super::{Call, PlannedFix};
use crate::facts::CallFailure;
pub use crate::facts::ports::FixWriter;

/// `call` with each group id `${NAME}` replaced by the group an earlier call created under NAME.
fn resolve(call: &Call, created: &[(String, String)]) -> Call {
    let substitute = |id: &String| {
        created
            .iter()
            .find(|(name, _)| *id == format!("${{{name}}}"))
            .map_or_else(|| id.clone(), |(_, created)| created.clone())
    };
    let mut call = call.clone();
    match &mut call {
        Call::AuthorizeHttpsIngress { group_id, .. } => *group_id = substitute(group_id),
        Call::CreateInterfaceEndpoint { security_group_ids, .. } => {
            *security_group_ids = security_group_ids.iter().map(substitute).collect();
        }
        _ => {}
    }
    call
}

/// The facts read again just before applying: the fixes they call for, and the calls that failed
/// this time though they had answered during the diagnosis.
#[derive(Debug, Clone, Default)]
pub struct Reread {
    pub plan: Vec<PlannedFix>,
    pub failed: Vec<CallFailure>,
}

/// Applies each of `planned` that the re-read plan holds unchanged. A fix the re-read does not hold
/// is skipped when the facts were read again in full, and failed when some could not be: a failed
/// read is no proof that the fix was already made. One fix failing does not stop the others.
pub async fn apply<W: FixWriter>(writer: &W, planned: &[PlannedFix], fresh: &Reread) -> Vec<Action> {
    let mut actions = Vec::new();
    for fix in planned {
        let action = |status, detail: String| Action {
            fix: fix.id.clone(),
            status,
            detail,
            calls: fix.calls.clone(),
        };
        if !fresh.plan.contains(fix) {
            let (status, detail) = match (fresh.plan.iter().any(|f| f.id == fix.id), fresh.failed.as_slice()) {
                (true, _) => (
                    ActionStatus::Skipped,
                    "Skipped: the resource changed since the diagnosis read it.".to_string(),
                ),
                (false, []) => (
                    ActionStatus::Skipped,
                    "Skipped: the facts read again no longer call for it (already done, or no longer the cause)."
                        .to_string(),
                ),
                (false, failed) => (
                    ActionStatus::Failed,
                    format!(
                        "Not applied: the facts could not be read again to confirm it ({}).",
                        failed
                            .iter()
                            .map(|f| format!("{} failed with {}", f.operation, f.error_code))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                ),
            };
            actions.push(action(status, detail));
            continue;
        }
        let mut failure = None;
        let mut created: Vec<(String, String)> = Vec::new();
        for (made, call) in fix.calls.iter().enumerate() {
            let call = resolve(call, &created);
            match writer.call(&fix.region, &call).await {
                Ok(Some(id)) => {
                    if let Call::CreateSecurityGroup { creates, .. } = &call {
                        created.push((creates.clone(), id));
                    }
                }
                Ok(None) => {}
                Err(error) => {
                    failure = Some(format!(
                        "{} failed with {}: {} ({made} of {} calls made)",
                        error.operation,
                        error.error_code,
                        error.message,
                        fix.calls.len()
                    ));
                    break;
                }
            }
        }
        actions.push(match failure {
            Some(detail) => action(ActionStatus::Failed, detail),
            None => action(
                ActionStatus::Applied,
                format!(
                    "{} ({} call{} made)",
                    fix.description,
                    fix.calls.len(),
                    if fix.calls.len() == 1 { "" } else { "s" }
                ),
            ),
        });
    }
    actions
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::checks::{Code, Risk};
    use crate::fixes::tags;

    struct Writer {
        made: Mutex<Vec<Call>>,
        fail_on: Option<&'static str>,
    }

    impl FixWriter for Writer {
        async fn call(&self, _: &str, call: &Call) -> Result<Option<String>, CallFailure> {
            if let Call::CreateLogGroup { log_group_name, .. } = call {
                if Some(log_group_name.as_str()) == self.fail_on {
                    return Err(CallFailure {
                        operation: "logs:CreateLogGroup".into(),
                        resource: log_group_name.clone(),
                        error_code: "AccessDeniedException".into(),
                        message: "no".into(),
                    });
                }
            }
            self.made.lock().unwrap().push(call.clone());
            Ok(matches!(call, Call::CreateSecurityGroup { .. }).then(|| "sg-new".to_string()))
        }
    }

    fn log_group_fix(group: &str) -> PlannedFix {
        let id = format!("create-log-group:{group}");
        PlannedFix {
            id: id.clone(),
            code: Code::LogGroupNotFound,
            risk: Risk::Safe,
            description: format!("Create log group {group}."),
            region: "us-east-1".into(),
            calls: vec![Call::CreateLogGroup {
                log_group_name: group.into(),
                region: "us-east-1".into(),
                tags: tags(&id),
            }],
        }
    }

    #[tokio::test]
    async fn only_fixes_the_fresh_facts_still_call_for_are_applied() {
        let writer = Writer {
            made: Mutex::new(vec![]),
            fail_on: None,
        };
        let (a, b, c) = (log_group_fix("/a"), log_group_fix("/b"), log_group_fix("/c"));
        let mut c_changed = c.clone();
        c_changed.region = "eu-west-1".into();
        let fresh = Reread {
            plan: vec![a.clone(), c_changed],
            failed: vec![],
        };
        let actions = apply(&writer, &[a.clone(), b, c], &fresh).await;
        let statuses: Vec<&ActionStatus> = actions.iter().map(|a| &a.status).collect();
        assert_eq!(
            statuses,
            [&ActionStatus::Applied, &ActionStatus::Skipped, &ActionStatus::Skipped]
        );
        assert!(
            actions[1].detail.contains("no longer call for it"),
            "{}",
            actions[1].detail
        );
        assert!(actions[2].detail.contains("changed since"), "{}", actions[2].detail);
        assert_eq!(*writer.made.lock().unwrap(), a.calls, "exactly the planned calls");
    }

    #[tokio::test]
    async fn a_later_call_uses_what_an_earlier_one_created() {
        let writer = Writer {
            made: Mutex::new(vec![]),
            fail_on: None,
        };
        let fix = PlannedFix {
            calls: vec![
                Call::CreateSecurityGroup {
                    group_name: "g".into(),
                    description: "d".into(),
                    vpc_id: "vpc-1".into(),
                    tags: tags("x"),
                    creates: "endpoint-group".into(),
                },
                Call::AuthorizeHttpsIngress {
                    group_id: "${endpoint-group}".into(),
                    from_security_groups: vec!["sg-task".into()],
                },
            ],
            ..log_group_fix("/unused")
        };
        apply(
            &writer,
            std::slice::from_ref(&fix),
            &Reread {
                plan: vec![fix.clone()],
                failed: vec![],
            },
        )
        .await;
        assert_eq!(
            writer.made.lock().unwrap()[1],
            Call::AuthorizeHttpsIngress {
                group_id: "sg-new".into(),
                from_security_groups: vec!["sg-task".into()]
            }
        );
    }

    #[tokio::test]
    async fn a_fix_the_re_read_could_not_confirm_is_failed_not_already_done() {
        let writer = Writer {
            made: Mutex::new(vec![]),
            fail_on: None,
        };
        let throttled = CallFailure {
            operation: "logs:DescribeLogGroups".into(),
            resource: "/a".into(),
            error_code: "ThrottlingException".into(),
            message: "slow down".into(),
        };
        let actions = apply(
            &writer,
            &[log_group_fix("/a")],
            &Reread {
                plan: vec![],
                failed: vec![throttled],
            },
        )
        .await;
        assert_eq!(actions[0].status, ActionStatus::Failed);
        assert!(
            actions[0]
                .detail
                .contains("logs:DescribeLogGroups failed with ThrottlingException"),
            "{}",
            actions[0].detail
        );
        assert!(writer.made.lock().unwrap().is_empty(), "nothing written");
    }

    #[tokio::test]
    async fn one_failing_fix_does_not_stop_the_others() {
        let writer = Writer {
            made: Mutex::new(vec![]),
            fail_on: Some("/a"),
        };
        let (a, b) = (log_group_fix("/a"), log_group_fix("/b"));
        let actions = apply(
            &writer,
            &[a.clone(), b.clone()],
            &Reread {
                plan: vec![a, b],
                failed: vec![],
            },
        )
        .await;
        assert_eq!(actions[0].status, ActionStatus::Failed);
        assert!(
            actions[0].detail.contains("AccessDeniedException"),
            "{}",
            actions[0].detail
        );
        assert_eq!(actions[1].status, ActionStatus::Applied);
    }
}
