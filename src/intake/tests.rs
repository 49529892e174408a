//! Intake over the sample events in events/.

use super::*;
use crate::classify::{Category, StopReasons, classify};

fn event(name: &str) -> String {
    let path = format!("{}/events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn task_event(name: &str) -> TaskFacts {
    match parse_text(&event(name)).unwrap() {
        Payload::TaskEvent(task) => *task,
        other => panic!("{name}: {other:?}"),
    }
}

fn category_of(task: &TaskFacts) -> (bool, Category) {
    let reasons: Vec<&str> = task.containers.iter().filter_map(|c| c.reason.as_deref()).collect();
    let failure = classify(StopReasons {
        stop_code: task.stop_code.as_deref(),
        stopped_reason: task.stopped_reason.as_deref(),
        container_reasons: &reasons,
    });
    (failure.is_applicable(), failure.category)
}

#[test]
fn every_failure_event_reads_and_classifies_into_its_family() {
    for (name, category) in [
        ("network-ecr-api-timeout", Category::Network),
        ("network-s3-layers-timeout", Category::Network),
        ("network-s3-layers-forbidden", Category::Network),
        ("network-docker-hub-timeout", Category::Network),
        ("image-tag-not-found", Category::Image),
        ("image-platform-mismatch", Category::Image),
        ("registry-repository-not-found", Category::Registry),
        ("registry-cross-account-denied", Category::Registry),
        ("registry-rate-limited", Category::Registry),
        ("permissions-ecr-auth-denied", Category::Permissions),
        ("permissions-assume-role", Category::Permissions),
        ("secrets-not-found", Category::Secrets),
        ("secrets-ssm-access-denied", Category::Permissions),
        ("logs-group-not-found", Category::Logs),
        ("storage-no-space", Category::Storage),
        ("volumes-efs-unresolved", Category::Volumes),
        ("env-files-access-denied", Category::EnvFiles),
        ("pull-through-cache-upstream-auth", Category::Registry),
    ] {
        let task = task_event(name);
        assert!(task.is_stopped(), "{name}");
        assert_eq!(category_of(&task), (true, category), "{name}");
    }
}

#[test]
fn the_event_carries_the_task_context() {
    let task = task_event("image-tag-not-found");
    assert_eq!(task.region, "us-east-1");
    assert_eq!(task.account, "111122223333");
    assert_eq!(task.cluster, "prod");
    assert_eq!(task.service_name(), Some("web"));
    assert_eq!(
        task.task_definition_arn,
        "arn:aws:ecs:us-east-1:111122223333:task-definition/shop-web:7"
    );
    let eni = task.eni.as_ref().unwrap();
    assert_eq!(eni.subnet_id.as_deref(), Some("subnet-0a1b2c3d4e5f60718"));
    assert_eq!(eni.eni_id.as_deref(), Some("eni-0123456789abcdef0"));
    assert_eq!(task.cpu_architecture.as_deref(), Some("x86_64"));
    assert_eq!(task.version, Some(5));
    assert_eq!(
        task.containers[0].image.as_deref(),
        Some("111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.4.2")
    );
    // EC2 tasks in bridge mode have no ENI.
    assert_eq!(task_event("storage-no-space").eni, None);
}

#[test]
fn healthy_and_running_tasks_do_not_apply() {
    assert!(!category_of(&task_event("healthy-stopped")).0);
    assert!(!task_event("running").is_stopped());
}

#[test]
fn a_manual_request_is_read_with_its_modes() {
    let Payload::Manual(request) = parse_text(&event("manual-invoke")).unwrap() else {
        panic!("manual")
    };
    assert_eq!(request.task.cluster.as_deref(), Some("prod"));
    assert_eq!(request.fix, Some(FixMode::DryRun));
    assert_eq!(request.runbook, Some(RunbookMode::Never));
    let Payload::Manual(request) =
        parse_text(r#"{"taskArn": "arn:aws:ecs:eu-west-1:111122223333:task/abc123", "cluster": "blue"}"#).unwrap()
    else {
        panic!("manual")
    };
    assert_eq!(request.task.cluster.as_deref(), Some("blue"));
    assert_eq!(request.fix, None);
}

#[test]
fn other_events_are_recognised_without_being_errors() {
    let other = r#"{"version":"0","id":"1","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"111122223333","time":"2026-11-23T03:02:48Z","region":"us-east-1","resources":[],"detail":{"instance-id":"i-1","state":"stopped"}}"#;
    assert_eq!(
        parse_text(other).unwrap(),
        Payload::OtherEvent {
            source: "aws.ec2".into(),
            detail_type: "EC2 Instance State-change Notification".into()
        }
    );
}

#[test]
fn bad_input_is_a_one_line_error() {
    let broken_event = event("image-tag-not-found").replace("\"taskArn\": \"arn:aws:ecs", "\"taskArn\": \"arn:aws:s3");
    let cases: Vec<(String, &str)> = vec![
        ("{not json".into(), "not valid JSON"),
        ("[1, 2]".into(), "neither an EventBridge event nor a manual request"),
        (
            r#"{"hello": "world"}"#.into(),
            "neither an EventBridge event nor a manual request",
        ),
        (
            r#"{"taskArn": "arn:aws:ecs:us-east-1:111122223333:service/prod/web"}"#.into(),
            "is not an ECS task ARN",
        ),
        (r#"{"taskArn": 42}"#.into(), "manual request is malformed"),
        (
            r#"{"taskArn": "arn:aws:ecs:us-east-1:111122223333:task/p/a", "fix": "always"}"#.into(),
            "fix mode 'always'",
        ),
        (
            r#"{"taskArn": "arn:aws:ecs:us-east-1:111122223333:task/p/a", "fixx": "off"}"#.into(),
            "unknown field `fixx`",
        ),
        (
            r#"{"detail-type": "ECS Task State Change", "source": "aws.ecs", "detail": {}}"#.into(),
            "event is malformed",
        ),
        (broken_event, "is not an ECS task ARN"),
    ];
    for (input, expected) in cases {
        let error = parse_text(&input).unwrap_err().to_string();
        assert!(error.contains(expected), "{input}\n -> {error}");
        assert!(!error.contains('\n'), "one line: {error}");
    }
}

#[test]
fn a_check_request_names_a_service_or_a_task_definition_with_its_network() {
    use crate::preflight::Subject;
    use serde_json::json;
    let service = crate::intake::parse_check(&json!({"check": {"service": "prod/web"}}), "eu-west-1")
        .unwrap()
        .unwrap();
    assert_eq!(
        service,
        Subject::Service {
            region: "eu-west-1".into(),
            cluster: "prod".into(),
            service: "web".into()
        }
    );
    let definition = json!({"check": {"taskDefinition": "web:3", "subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": true, "region": "us-west-2"}});
    let Subject::TaskDefinition {
        region,
        cluster,
        assign_public_ip,
        ..
    } = crate::intake::parse_check(&definition, "eu-west-1").unwrap().unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (region.as_str(), cluster.as_str(), assign_public_ip),
        ("us-west-2", "default", true)
    );
    // Not a check: left to the other payloads.
    assert!(
        crate::intake::parse_check(
            &json!({"taskArn": "arn:aws:ecs:us-east-1:111122223333:task/prod/abc"}),
            "eu-west-1"
        )
        .is_none()
    );
    // Wrong ones: one line each, naming the key.
    for (request, says) in [
        (
            json!({"check": {"service": "web"}}),
            "service: 'web' is not CLUSTER/SERVICE",
        ),
        (
            json!({"check": {"taskDefinition": "web:3", "subnets": ["vpc-1"], "securityGroups": ["sg-1"]}}),
            "subnets: 'vpc-1' is not an ID starting with subnet-",
        ),
        (
            json!({"check": {"taskDefinition": "web:3", "subnets": ["subnet-1"]}}),
            "securityGroups: needs at least one ID",
        ),
        (
            json!({"check": {"service": "prod/web", "fix": "apply"}}),
            "unknown field `fix`",
        ),
        (json!({"check": {}}), "give either"),
    ] {
        let error = crate::intake::parse_check(&request, "eu-west-1")
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("the check request is malformed: ") && error.contains(says),
            "{error}"
        );
        assert!(!error.contains('\n'));
    }
}

#[test]
fn a_sweep_request_names_clusters_or_all_of_them() {
    use crate::preflight::Clusters;
    use serde_json::json;
    let all = crate::intake::parse_sweep(&json!({"sweep": {"clusters": "*"}}), "eu-west-1")
        .unwrap()
        .unwrap();
    assert_eq!(all, ("eu-west-1".to_string(), Clusters::All));
    let named = crate::intake::parse_sweep(
        &json!({"sweep": {"clusters": ["prod", "staging"], "region": "us-west-2"}}),
        "eu-west-1",
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        named,
        (
            "us-west-2".to_string(),
            Clusters::Named(vec!["prod".into(), "staging".into()])
        )
    );
    assert!(crate::intake::parse_sweep(&json!({"check": {"service": "a/b"}}), "eu-west-1").is_none());
    for (request, says) in [
        (json!({"sweep": {"clusters": []}}), "clusters must be a list of names"),
        (json!({"sweep": {"clusters": [3]}}), "clusters must be names"),
        (
            json!({"sweep": {"clusters": "*", "fix": "apply"}}),
            "unknown field `fix`",
        ),
        (json!({"sweep": "*"}), "it must be an object"),
    ] {
        let error = crate::intake::parse_sweep(&request, "eu-west-1")
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("the sweep request is malformed: ") && error.contains(says),
            "{error}"
        );
    }
}

#[test]
fn an_event_whose_account_is_not_the_tasks_is_rejected() {
    let text = event("image-tag-not-found").replace("\"account\": \"111122223333\"", "\"account\": \"444455556666\"");
    assert!(text.contains("444455556666"), "the sample event names its account");
    let error = parse_text(&text).unwrap_err().to_string();
    assert_eq!(
        error,
        "the ECS Task State Change event is malformed: the event's account 444455556666 is not the task's account 111122223333"
    );
}

#[test]
fn a_check_or_sweep_may_name_the_member_account() {
    use crate::intake::requested_account;
    use serde_json::json;
    assert_eq!(
        requested_account(&json!({"check": {"service": "prod/web", "account": "111122223333"}})).unwrap(),
        Some("111122223333".into())
    );
    assert_eq!(
        requested_account(&json!({"sweep": {"clusters": "*", "account": "111122223333"}})).unwrap(),
        Some("111122223333".into())
    );
    assert!(
        crate::intake::parse_sweep(
            &json!({"sweep": {"clusters": "*", "account": "111122223333"}}),
            "eu-west-1"
        )
        .unwrap()
        .is_ok()
    );
    assert!(
        crate::intake::parse_check(
            &json!({"check": {"service": "prod/web", "account": "111122223333"}}),
            "eu-west-1"
        )
        .unwrap()
        .is_ok()
    );
    assert_eq!(
        requested_account(&json!({"check": {"service": "prod/web"}})).unwrap(),
        None
    );
    assert_eq!(
        requested_account(&json!({"taskArn": "arn:aws:ecs:us-east-1:111122223333:task/prod/abc"})).unwrap(),
        None
    );
    let error = requested_account(&json!({"sweep": {"clusters": "*", "account": "1234"}}))
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "the sweep request is malformed: account: \"1234\" is not a 12-digit account ID"
    );
}
