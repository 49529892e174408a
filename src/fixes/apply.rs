//! Applying: the planned calls, made one after another, after the fresh facts confirm each fix.

use std::future::Future;

use super::{Call, PlannedFix};
use crate::facts::CallFailure;
use crate::report::{Action, ActionStatus};

/// Makes one planned AWS call in `region`; answers the id of what it created, if anything.
pub trait FixWriter: Sync {
    fn call(&self, region: &str, call: &Call) -> impl Future<Output = Result<Option<String>, CallFailure>> + Send;
}

/// `call` with each group id `${NAME}` replaced by the group an earlier call created under NAME.
fn resolve(call: &Call, created: &[(String, String)]) -> Call {
    let substitute = |id: &String| {
        created.iter().find(|(name, _)| *id == format!("${{{name}}}")).map_or_else(|| id.clone(), |(_, created)| created.clone())
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

/// Applies each of `planned` that `fresh` (planned again from facts read just now) holds unchanged.
/// One fix failing does not stop the others.
pub async fn apply<W: FixWriter>(writer: &W, planned: &[PlannedFix], fresh: &[PlannedFix]) -> Vec<Action> {
    let mut actions = Vec::new();
    for fix in planned {
        let action = |status, detail: String| Action { fix: fix.id.clone(), status, detail, calls: fix.calls.clone() };
        if !fresh.contains(fix) {
            let why = match fresh.iter().find(|f| f.id == fix.id) {
                Some(_) => "the resource changed since the diagnosis read it",
                None => "the facts read again no longer call for it (already done, or no longer the cause)",
            };
            actions.push(action(ActionStatus::Skipped, format!("Skipped: {why}.")));
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
                format!("{} ({} call{} made)", fix.description, fix.calls.len(), if fix.calls.len() == 1 { "" } else { "s" }),
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
                    return Err(CallFailure { operation: "logs:CreateLogGroup".into(), resource: log_group_name.clone(), error_code: "AccessDeniedException".into(), message: "no".into() });
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
            calls: vec![Call::CreateLogGroup { log_group_name: group.into(), region: "us-east-1".into(), tags: tags(&id) }],
        }
    }

    #[tokio::test]
    async fn only_fixes_the_fresh_facts_still_call_for_are_applied() {
        let writer = Writer { made: Mutex::new(vec![]), fail_on: None };
        let (a, b, c) = (log_group_fix("/a"), log_group_fix("/b"), log_group_fix("/c"));
        let mut c_changed = c.clone();
        c_changed.region = "eu-west-1".into();
        let actions = apply(&writer, &[a.clone(), b, c], &[a.clone(), c_changed]).await;
        let statuses: Vec<&ActionStatus> = actions.iter().map(|a| &a.status).collect();
        assert_eq!(statuses, [&ActionStatus::Applied, &ActionStatus::Skipped, &ActionStatus::Skipped]);
        assert!(actions[1].detail.contains("no longer call for it"), "{}", actions[1].detail);
        assert!(actions[2].detail.contains("changed since"), "{}", actions[2].detail);
        assert_eq!(*writer.made.lock().unwrap(), a.calls, "exactly the planned calls");
    }

    #[tokio::test]
    async fn a_later_call_uses_what_an_earlier_one_created() {
        let writer = Writer { made: Mutex::new(vec![]), fail_on: None };
        let fix = PlannedFix {
            calls: vec![
                Call::CreateSecurityGroup { group_name: "g".into(), description: "d".into(), vpc_id: "vpc-1".into(), tags: tags("x"), creates: "endpoint-group".into() },
                Call::AuthorizeHttpsIngress { group_id: "${endpoint-group}".into(), from_security_groups: vec!["sg-task".into()] },
            ],
            ..log_group_fix("/unused")
        };
        apply(&writer, std::slice::from_ref(&fix), std::slice::from_ref(&fix)).await;
        assert_eq!(writer.made.lock().unwrap()[1], Call::AuthorizeHttpsIngress { group_id: "sg-new".into(), from_security_groups: vec!["sg-task".into()] });
    }

    #[tokio::test]
    async fn one_failing_fix_does_not_stop_the_others() {
        let writer = Writer { made: Mutex::new(vec![]), fail_on: Some("/a") };
        let (a, b) = (log_group_fix("/a"), log_group_fix("/b"));
        let actions = apply(&writer, &[a.clone(), b.clone()], &[a, b]).await;
        assert_eq!(actions[0].status, ActionStatus::Failed);
        assert!(actions[0].detail.contains("AccessDeniedException"), "{}", actions[0].detail);
        assert_eq!(actions[1].status, ActionStatus::Applied);
    }
}
