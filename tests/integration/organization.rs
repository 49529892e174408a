//! Organization mode: one handler in a central account, events from member accounts, each read and
//! fixed through the role assumed in its own account (accounts 3200000000xx).

use ecs_pull_doctor::adapters::aws::SnsPublisher;
use ecs_pull_doctor::adapters::aws::{AwsClients, Organization};
use ecs_pull_doctor::checks::{Code, Risk, Verdict};
use ecs_pull_doctor::facts::members::MemberRole;
use ecs_pull_doctor::handler::Handler;
use ecs_pull_doctor::notices::{Destination, Outgoing, PublishFuture, Publisher};
use ecs_pull_doctor::report::notify::NoticeFormat;
use ecs_pull_doctor::report::{ActionStatus, Report};
use ecs_pull_doctor::settings::{FixMode, Modes};
use ecs_pull_doctor::wiring::aws_handler;
use lambda_runtime::{Context, LambdaEvent};
use std::sync::{Arc, Mutex};

use crate::support::account;
use crate::support::scenario::{Builder, StoppedTask, event_for};
use crate::support::trust::{AssumeLog, with_trust};

const MEMBER_ROLE: &str = "ecs-pull-doctor-member";
const STORM: std::time::Duration = std::time::Duration::from_secs(900);

/// The member role as infra/member.yaml makes it, trusting the central account.
async fn member_role(member: &aws_config::SdkConfig, central: &str) {
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{central}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    aws_sdk_iam::Client::new(member)
        .create_role()
        .role_name(MEMBER_ROLE)
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("member role");
}

/// The handler of a central deployment in `central`, fixing safe causes and sending chat notices
/// to a topic there, with its STS log and the notices sent.
async fn central_handler(central: &str) -> (Handler<AwsClients>, AssumeLog, Sent) {
    let (config, log) = with_trust(&account(central).await);
    let modes = Modes {
        fix: FixMode::Apply,
        allow_fix: vec![Risk::Safe],
        ..Modes::lambda_default()
    };
    let role = MemberRole {
        name: MEMBER_ROLE.into(),
        external_id: Some("org-doctor".into()),
    };
    let topic = aws_sdk_sns::Client::new(&config)
        .create_topic()
        .name("doctor-chat")
        .send()
        .await
        .expect("a topic");
    let destination = Destination {
        topic_arn: topic.topic_arn().expect("its ARN").to_string(),
        format: NoticeFormat::Chat,
    };
    let sent = Sent::default();
    let publisher = Recording {
        sns: SnsPublisher::new(&config, &destination),
        sent: sent.clone(),
    };
    let handler = Handler::new(AwsClients::new(config.clone()), modes, STORM)
        .with_members(Organization::new(config, role))
        .with_notices(destination, publisher);
    (handler, log, sent)
}

/// The messages the emulator's SNS accepted.
#[derive(Clone, Default)]
struct Sent(Arc<Mutex<Vec<serde_json::Value>>>);

impl Sent {
    fn in_thread_of(&self, account: &str) -> Vec<serde_json::Value> {
        let prefix = format!("ecs-pull-doctor/{account}/");
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|m| {
                m["metadata"]["threadId"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with(&prefix)
            })
            .cloned()
            .collect()
    }
}

/// The SNS adapter, keeping what it sent once SNS took it.
struct Recording {
    sns: SnsPublisher,
    sent: Sent,
}

impl Publisher for Recording {
    fn publish<'a>(&'a self, topic_arn: &'a str, outgoing: &'a Outgoing) -> PublishFuture<'a> {
        Box::pin(async move {
            self.sns.publish(topic_arn, outgoing).await?;
            self.sent
                .0
                .lock()
                .unwrap()
                .push(serde_json::from_str(&outgoing.message).expect("chat JSON"));
            Ok(())
        })
    }
}

async fn handle(handler: &Handler<AwsClients>, event: serde_json::Value) -> Report {
    handler
        .handle(LambdaEvent::new(event, Context::default()))
        .await
        .expect("a report")
}

async fn log_group_exists(config: &aws_config::SdkConfig, name: &str) -> bool {
    let answer = aws_sdk_cloudwatchlogs::Client::new(config)
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap();
    answer.log_groups().iter().any(|g| g.log_group_name() == Some(name))
}

fn role_in(member: &str) -> String {
    format!("arn:aws:iam::{member}:role/{MEMBER_ROLE}")
}

fn task_id(task: &StoppedTask) -> &str {
    task.task_arn.rsplit('/').next().unwrap()
}

#[tokio::test]
async fn events_from_two_member_accounts_are_each_read_and_fixed_in_their_own_account() {
    let (central, first, second) = ("320000000001", "320000000002", "320000000003");
    let (first_config, second_config) = (account(first).await, account(second).await);
    member_role(&first_config, central).await;
    member_role(&second_config, central).await;
    let missing_tag = Builder::new(&first_config).await.service_with_missing_tag("cart").await;
    let missing_log_group = Builder::new(&second_config)
        .await
        .service_with_missing_log_group("billing")
        .await;
    let (handler, log, sent) = central_handler(central).await;

    let (one, two) = tokio::join!(
        handle(&handler, event_for("image-tag-not-found", &missing_tag)),
        handle(&handler, event_for("logs-group-not-found", &missing_log_group)),
    );

    // Each from its own account: the central account has neither task, nor their images or roles.
    assert_eq!(
        (one.verdict, one.root_cause),
        (Verdict::Diagnosed, Some(Code::EcrImageNotFound)),
        "{one:#?}"
    );
    assert_eq!(one.task.account.as_deref(), Some(first));
    assert_eq!(
        one.task.service.as_deref(),
        Some("web"),
        "the service was described in the member account"
    );
    assert_eq!(
        (two.verdict, two.root_cause),
        (Verdict::Diagnosed, Some(Code::LogGroupNotFound)),
        "{two:#?}"
    );
    assert_eq!(two.task.account.as_deref(), Some(second));
    // The fix is written in the member account, through its role.
    assert_eq!(two.actions.len(), 1, "{:#?}", two.actions);
    assert_eq!(two.actions[0].status, ActionStatus::Applied, "{:#?}", two.actions);
    assert!(
        log_group_exists(&second_config, "/ecs/billing").await,
        "created in the member account"
    );
    assert!(
        !log_group_exists(&account(central).await, "/ecs/billing").await,
        "not in the central account"
    );

    // One session per account, named after the task that opened it.
    let sessions = log.of_role(&role_in(first));
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(
        sessions[0].session,
        format!("ecs-pull-doctor-{}", task_id(&missing_tag))
    );
    assert_eq!(log.of_role(&role_in(second)).len(), 1);

    // A later stop in the first account reuses its session.
    let mut later = event_for("image-tag-not-found", &missing_tag);
    later["detail"]["version"] = serde_json::json!(99);
    let again = handle(&handler, later).await;
    assert_eq!(again.root_cause, Some(Code::EcrImageNotFound));
    assert!(!again.duplicate);
    assert_eq!(log.of_role(&role_in(first)).len(), 1, "the cached session was used");

    // Each report's notice, in its account's thread: the second stop of the first account too.
    let first_notices = sent.in_thread_of(first);
    assert_eq!(first_notices.len(), 2, "{first_notices:#?}");
    assert!(
        first_notices[0]["content"]["title"]
            .as_str()
            .unwrap()
            .contains("ECR_IMAGE_NOT_FOUND")
    );
    let second_notices = sent.in_thread_of(second);
    assert_eq!(second_notices.len(), 1);
    assert!(
        second_notices[0]["content"]["title"]
            .as_str()
            .unwrap()
            .starts_with(":white_check_mark: Fixed LOG_GROUP_NOT_FOUND"),
        "{:#}",
        second_notices[0]
    );
    assert!(
        second_notices[0]["content"]["nextSteps"][0]
            .as_str()
            .unwrap()
            .starts_with("Applied "),
        "{:#}",
        second_notices[0]
    );
}

#[tokio::test]
async fn a_member_without_the_role_is_check_failed_for_that_account_only() {
    let (central, with_role, without_role) = ("320000000004", "320000000005", "320000000006");
    let with_config = account(with_role).await;
    member_role(&with_config, central).await;
    let reachable = Builder::new(&with_config).await.service_with_missing_tag("cart").await;
    let unreachable = Builder::new(&account(without_role).await)
        .await
        .service_with_missing_log_group("billing")
        .await;
    let (handler, _, sent) = central_handler(central).await;

    let (denied, read) = tokio::join!(
        handle(&handler, event_for("logs-group-not-found", &unreachable)),
        handle(&handler, event_for("image-tag-not-found", &reachable)),
    );

    assert_eq!(read.root_cause, Some(Code::EcrImageNotFound), "{read:#?}");
    assert_eq!(denied.verdict, Verdict::Inconclusive, "{denied:#?}");
    assert_eq!(denied.root_cause, None);
    assert_eq!(denied.task.account.as_deref(), Some(without_role));
    assert_eq!(denied.findings.len(), 1, "{:#?}", denied.findings);
    let finding = &denied.findings[0];
    assert_eq!(finding.code, Code::CheckFailed);
    assert_eq!(finding.resource, role_in(without_role));
    assert_eq!(finding.evidence["call"], "sts:AssumeRole");
    assert_eq!(finding.evidence["errorCode"], "AccessDenied");
    assert!(finding.remedy.contains("infra/member.json"), "{}", finding.remedy);
    // What the stop reason says is still reported; nothing was written in the account.
    assert!(
        denied.failure.message.contains("log group does not exist"),
        "{}",
        denied.failure.message
    );
    assert!(denied.actions.is_empty());
    assert!(!log_group_exists(&account(without_role).await, "/ecs/billing").await);
    let notices = sent.in_thread_of(without_role);
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["metadata"]["eventType"], "ecs-pull-doctor/inconclusive");
    assert!(
        notices[0]["content"]["nextSteps"][0]
            .as_str()
            .unwrap()
            .starts_with("Not checked: "),
        "{:#}",
        notices[0]
    );
}

/// The command line reads another account through --role-arn, as the central function does.
#[tokio::test]
async fn the_command_line_reads_a_member_account_through_its_role() {
    let (central, member) = ("320000000007", "320000000008");
    let member_config = account(member).await;
    member_role(&member_config, central).await;
    let task = Builder::new(&member_config)
        .await
        .service_with_missing_tag("cart")
        .await;
    let env = crate::support::child_env(&account(central).await).await;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ecs-pull-doctor"))
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env_remove("AWS_PROFILE")
            .output()
            .expect("the binary runs")
    };

    // Without the role, the central account's credentials find no such task.
    let own = run(&["diagnose", "--task", &task.task_arn, "--format", "json"]);
    let own: serde_json::Value = serde_json::from_slice(&own.stdout).unwrap();
    assert_eq!(own["findings"][0]["code"], "TASK_NOT_FOUND", "{own:#}");

    let role = role_in(member);
    let through = run(&[
        "diagnose",
        "--task",
        &task.task_arn,
        "--format",
        "json",
        "--role-arn",
        &role,
        "--external-id",
        "org-doctor",
    ]);
    assert_eq!(
        through.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&through.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&through.stdout).unwrap();
    assert_eq!(report["rootCause"], "ECR_IMAGE_NOT_FOUND", "{report:#}");
    assert_eq!(report["task"]["account"], member);

    let bad = run(&[
        "diagnose",
        "--task",
        &task.task_arn,
        "--role-arn",
        "arn:aws:iam::1234:user/me",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("is not a role ARN"), "{stderr}");
}

/// The function as deployed: organization mode and email notices turned on by its environment.
#[tokio::test]
async fn the_functions_environment_turns_on_organization_mode_and_notices() {
    let (central, member) = ("320000000009", "320000000010");
    let member_config = account(member).await;
    member_role(&member_config, central).await;
    let task = Builder::new(&member_config)
        .await
        .service_with_missing_tag("cart")
        .await;
    let (config, log) = with_trust(&account(central).await);
    let topic = aws_sdk_sns::Client::new(&config)
        .create_topic()
        .name("doctor-mail")
        .send()
        .await
        .expect("a topic");
    let topic_arn = topic.topic_arn().expect("its ARN").to_string();
    let environment = |organization: bool, format: &'static str| {
        let topic_arn = topic_arn.clone();
        move |name: &str| match name {
            "DOCTOR_MEMBER_ROLE_NAME" if organization => Some(MEMBER_ROLE.to_string()),
            "DOCTOR_EXTERNAL_ID" => Some("org-doctor".to_string()),
            "DOCTOR_NOTIFY_TOPIC_ARN" => Some(topic_arn.clone()),
            "DOCTOR_NOTIFY_FORMAT" => Some(format.to_string()),
            _ => None,
        }
    };

    let handler =
        aws_handler(AwsClients::new(config.clone()), environment(true, "email")).expect("a valid environment");
    let report = handle(&handler, event_for("image-tag-not-found", &task)).await;
    assert_eq!(report.root_cause, Some(Code::EcrImageNotFound), "{report:#?}");
    assert_eq!(log.of_role(&role_in(member)).len(), 1);
    let published = log.published();
    assert_eq!(published.len(), 1, "{published:#?}");
    assert_eq!(
        published[0].subject,
        format!("ecs-pull-doctor: ECR_IMAGE_NOT_FOUND [{member}/cart/web]")
    );
    assert!(
        published[0].message.contains(&format!("Account:     {member}")),
        "{}",
        published[0].message
    );

    // Without the role's name the function reads its own account, where the task is not.
    let single = aws_handler(AwsClients::new(config.clone()), environment(false, "chat")).expect("a valid environment");
    let mut again = event_for("image-tag-not-found", &task);
    again["detail"]["version"] = serde_json::json!(7);
    let own = handle(&single, again).await;
    assert_ne!(own.root_cause, Some(Code::EcrImageNotFound), "{own:#?}");
    assert_eq!(log.of_role(&role_in(member)).len(), 1, "no role assumed");

    let error = aws_handler(AwsClients::new(config), environment(true, "pager"))
        .err()
        .expect("a bad format")
        .to_string();
    assert_eq!(
        error,
        "environment variable DOCTOR_NOTIFY_FORMAT: notification format 'pager' is not one of: chat, email"
    );
}

/// A check or sweep that names a member account is read through its role, as a diagnosis is.
#[tokio::test]
async fn a_check_and_a_sweep_of_a_member_account_read_it_through_its_role() {
    use ecs_pull_doctor::handler::Answer;
    let (central, member, stranger) = ("320000000011", "320000000012", "320000000013");
    let member_config = account(member).await;
    member_role(&member_config, central).await;
    Builder::new(&member_config)
        .await
        .service_with_missing_tag("cart")
        .await;
    let (handler, log, _) = central_handler(central).await;
    let answer = |payload: serde_json::Value| {
        handler.answer(LambdaEvent::new(payload, Context::default()), crate::support::REGION)
    };

    let check = answer(serde_json::json!({"check": {"service": "cart/web", "account": member}}))
        .await
        .expect("a pre-flight");
    let Answer::Preflight(report) = check else {
        panic!("a pre-flight report")
    };
    assert_eq!(
        (report.verdict, report.root_cause),
        (Verdict::WillFail, Some(Code::EcrImageNotFound)),
        "{report:#?}"
    );
    let sweep = answer(serde_json::json!({"sweep": {"clusters": "*", "account": member}}))
        .await
        .expect("a sweep");
    let Answer::Sweep(swept) = sweep else {
        panic!("a sweep report")
    };
    assert_eq!(swept.verdict, Verdict::WillFail, "{swept:#?}");
    assert_eq!(swept.sweep.will_fail, 1);
    assert_eq!(log.of_role(&role_in(member)).len(), 1, "one session for both");

    // The central account has no such service: without the account the check reads its own.
    let own = answer(serde_json::json!({"check": {"service": "cart/web"}}))
        .await
        .expect_err("not found here");
    assert_eq!(lambda_runtime::Diagnostic::from(own).error_type, "NotFound");
    // A member without the role: one line naming the call.
    let denied = answer(serde_json::json!({"check": {"service": "cart/web", "account": stranger}}))
        .await
        .expect_err("unreadable");
    let denied = lambda_runtime::Diagnostic::from(denied);
    assert_eq!(denied.error_type, "Unreadable");
    assert!(
        denied.error_message.contains("sts:AssumeRole failed with AccessDenied"),
        "{}",
        denied.error_message
    );
    // A single-account deployment reads no other account.
    let single = Handler::new(AwsClients::new(account(central).await), Modes::lambda_default(), STORM);
    let refused = single.answer(
        LambdaEvent::new(
            serde_json::json!({"check": {"service": "cart/web", "account": member}}),
            Context::default(),
        ),
        crate::support::REGION,
    );
    let refused = lambda_runtime::Diagnostic::from(refused.await.expect_err("refused"));
    assert_eq!(refused.error_type, "InvalidInput");
    assert!(
        refused.error_message.contains("no member role"),
        "{}",
        refused.error_message
    );
}
