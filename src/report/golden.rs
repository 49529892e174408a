//! Golden tests: the JSON and text renderings of reports judged from fixture snapshots, compared
//! byte for byte with the files in tests/golden. The JSON is the contract users build on; a change
//! to it must be deliberate: `UPDATE_GOLDEN=1 cargo test --lib golden` rewrites the files, and the
//! diff is reviewed like code.

use std::path::PathBuf;

use super::{Style, SubjectSummary, render_github, render_preflight, render_text};
use crate::checks::Risk;
use crate::classify::{Failure, classify_message};
use crate::engine::judge;
use crate::facts::fixtures::{self, nat_vpc, private_vpc, snapshot};
use crate::facts::{CallFailure, Fact, Snapshot, VpcEndpoint};
use crate::settings::{FixMode, Modes};

const ECR_API_TIMEOUT: &str = "ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth from Amazon ECR: There is a connection issue between the task and Amazon ECR. Check your task network configuration. operation error ECR: GetAuthorizationToken, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 10.0.1.9:443: i/o timeout";
const ECR_AUTH_DENIED: &str = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 1 time(s): operation error ECR: GetAuthorizationToken, https response error StatusCode: 400, RequestID: 0e5b, api error AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/1f2e is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action";

fn dry_run(risks: &[Risk]) -> Modes {
    Modes {
        fix: FixMode::DryRun,
        allow_fix: risks.to_vec(),
        ..Modes::command_line_default()
    }
}

/// Each case: its file name, the snapshot, the stop reason, and the modes.
fn cases() -> Vec<(&'static str, Snapshot, Failure, Modes)> {
    let timeout = || classify_message(ECR_API_TIMEOUT);

    let mut no_ecr_api = private_vpc();
    if let Fact::Known(endpoints) = &mut no_ecr_api.endpoints {
        endpoints.retain(|e: &VpcEndpoint| !e.service_name.ends_with(".ecr.api"));
    }

    let mut blocked = nat_vpc();
    if let Fact::Known(groups) = &mut blocked.security_groups {
        groups[0].egress = vec![fixtures::https_rule(&["10.0.0.0/16"], &[])];
    }

    let mut unread_nat = nat_vpc();
    unread_nat.nat_gateways = Fact::Failed(CallFailure {
        operation: "ec2:DescribeNatGateways".into(),
        resource: "vpc-1".into(),
        error_code: "UnauthorizedOperation".into(),
        message: "You are not authorized to perform this operation.".into(),
    });

    let mut no_ecr_rights = snapshot(nat_vpc());
    no_ecr_rights.execution_role = Some(fixtures::execution_role(vec![]));

    vec![
        (
            "vpc-endpoint-missing",
            snapshot(no_ecr_api),
            timeout(),
            dry_run(&[Risk::Safe, Risk::Cost]),
        ),
        (
            "security-group-blocks-egress",
            snapshot(blocked),
            timeout(),
            Modes::command_line_default(),
        ),
        (
            "nat-gateways-unreadable",
            snapshot(unread_nat),
            timeout(),
            Modes::command_line_default(),
        ),
        (
            "execution-role-missing-ecr-permissions",
            no_ecr_rights,
            classify_message(ECR_AUTH_DENIED),
            dry_run(&[Risk::Safe]),
        ),
        (
            "healthy-inconclusive",
            snapshot(private_vpc()),
            timeout(),
            Modes::command_line_default(),
        ),
    ]
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// `rendered` against tests/golden/`file` (rewritten instead with `update`); a difference is kept in `differ`.
fn compare(file: &str, rendered: &str, update: bool, differ: &mut Vec<String>) {
    let path = golden(file);
    if update {
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("tests/golden");
        std::fs::write(&path, rendered).expect("golden written");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    if expected != rendered {
        differ.push(format!("{file}:\n--- expected\n{expected}\n--- rendered\n{rendered}"));
    }
}

#[test]
fn reports_render_as_their_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut differ = Vec::new();
    for (name, snapshot, failure, modes) in cases() {
        let (report, _) = judge(&snapshot, &failure, modes);
        let json = serde_json::to_string_pretty(&report).expect("a report serializes") + "\n";
        let text = render_text(&report, Style::Plain);
        for (file, rendered) in [(format!("{name}.json"), json), (format!("{name}.txt"), text)] {
            compare(&file, &rendered, update, &mut differ);
        }
    }
    assert!(
        differ.is_empty(),
        "renderings differ from tests/golden (UPDATE_GOLDEN=1 rewrites them after review):\n{}",
        differ.join("\n")
    );
}

/// The pre-flight's renderings: a service whose subnet lacks the ecr.api endpoint (will-fail), and
/// the same service with it (ready): JSON, the checklist, and GitHub annotations.
#[test]
fn preflight_reports_render_as_their_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut no_ecr_api = private_vpc();
    if let Fact::Known(endpoints) = &mut no_ecr_api.endpoints {
        endpoints.retain(|e: &VpcEndpoint| !e.service_name.ends_with(".ecr.api"));
    }
    let subject = SubjectSummary {
        service: Some("web".into()),
        cluster: Some("prod".into()),
        task_definition_arn: Some("arn:aws:ecs:us-east-1:111122223333:task-definition/shop-web:7".into()),
        subnets: vec!["subnet-task".into()],
        security_groups: vec!["sg-task".into()],
        assign_public_ip: Some(false),
    };
    let mut differ = Vec::new();
    for (name, vpc) in [("preflight-will-fail", no_ecr_api), ("preflight-ready", private_vpc())] {
        let report = crate::preflight::judge(&snapshot(vpc), &subject.subnets, &[], 0, subject.clone());
        let json = serde_json::to_string_pretty(&report).expect("a report serializes") + "\n";
        for (file, rendered) in [
            (format!("{name}.json"), json),
            (format!("{name}.txt"), render_preflight(&report, Style::Plain)),
            (format!("{name}.github.txt"), render_github(&report)),
        ] {
            compare(&file, &rendered, update, &mut differ);
        }
    }
    assert!(
        differ.is_empty(),
        "renderings differ from tests/golden (UPDATE_GOLDEN=1 rewrites them after review):\n{}",
        differ.join("\n")
    );
}

/// The chat message and the email of a diagnosed, an inconclusive and a fixed report. The chat
/// files are also validated against the custom notification schema (tests/infra).
#[test]
fn notifications_render_as_their_golden_files() {
    use super::ActionStatus;
    use super::notify::{chat_message, email};
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut differ = Vec::new();
    let judged = |name: &str| {
        let (_, snapshot, failure, modes) = cases().into_iter().find(|case| case.0 == name).expect("a golden case");
        judge(&snapshot, &failure, modes).0
    };
    // The dry-run's plan as `act` reports it once applied.
    let mut fixed = judged("execution-role-missing-ecr-permissions");
    assert!(!fixed.actions.is_empty(), "the case plans a fix");
    for action in &mut fixed.actions {
        action.status = ActionStatus::Applied;
    }
    let reports = [
        ("diagnosed", judged("security-group-blocks-egress")),
        ("inconclusive", judged("nat-gateways-unreadable")),
        ("applied-fix", fixed),
    ];
    for (name, report) in reports {
        let chat = serde_json::to_string_pretty(&chat_message(&report)).expect("a message serializes") + "\n";
        let mail = email(&report);
        compare(&format!("chat-{name}.json"), &chat, update, &mut differ);
        compare(
            &format!("email-{name}.txt"),
            &format!("Subject: {}\n\n{}", mail.subject, mail.body),
            update,
            &mut differ,
        );
    }
    assert!(
        differ.is_empty(),
        "renderings differ from tests/golden (UPDATE_GOLDEN=1 rewrites them after review):\n{}",
        differ.join("\n")
    );
}

/// The log record of each notice's report: one line, flat fields a Logs Insights query names.
#[test]
fn each_report_is_one_flat_log_line() {
    use super::record::{RECORD, Record};
    let (_, snapshot, failure, modes) = cases()
        .into_iter()
        .find(|case| case.0 == "execution-role-missing-ecr-permissions")
        .expect("a case");
    let report = judge(&snapshot, &failure, modes).0;
    let line = Record::of(&report).line();
    assert!(!line.contains('\n'), "{line}");
    let record: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(record["record"], RECORD);
    assert_eq!(record["account"], "111122223333");
    assert_eq!(record["region"], "us-east-1");
    assert_eq!(record["cluster"], "prod");
    assert_eq!(record["service"], "web");
    assert_eq!(record["verdict"], "diagnosed");
    assert_eq!(record["rootCause"], "EXECUTION_ROLE_MISSING_ECR_PERMISSIONS");
    assert_eq!(
        record["codes"][0], "EXECUTION_ROLE_MISSING_ECR_PERMISSIONS",
        "the root cause first"
    );
    assert_eq!(
        record["planned"][0],
        "attach-execution-role-policy:ecsTaskExecutionRole"
    );
    assert_eq!(record["applied"], serde_json::json!([]));
    assert!(
        record["summary"]
            .as_str()
            .unwrap()
            .starts_with("Execution role ecsTaskExecutionRole is not allowed")
    );
    let nested: Vec<&String> = record
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.is_object())
        .map(|(k, _)| k)
        .collect();
    assert!(nested.is_empty(), "flat: {nested:?}");
}
