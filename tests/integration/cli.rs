//! The `ecs-pull-doctor` binary: exit codes, one-line errors, both output formats.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::support::scenario::{Builder, event_for};
use crate::support::{account, child_env};

fn doctor(args: &[&str], env: &[(String, String)], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecs-pull-doctor"));
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env_remove("AWS_PROFILE");
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary runs");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn diagnoses_a_task_by_its_arn() {
    let config = account("200000000021").await;
    let task = Builder::new(&config).await.service_with_missing_tag("cli").await;
    let env = child_env(&config).await;

    let json = doctor(&["diagnose", "--task", &task.task_arn, "--format", "json"], &env, None);
    assert_eq!(json.status.code(), Some(0), "{}", String::from_utf8_lossy(&json.stderr));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["schema"], "ecs-pull-doctor/report/v1");
    assert_eq!(report["verdict"], "diagnosed");
    assert_eq!(report["rootCause"], "ECR_IMAGE_NOT_FOUND");
    assert_eq!(report["findings"][0]["fix"], serde_json::Value::Null);
    assert_eq!(report["task"]["cluster"], "cli");

    // Not a terminal: JSON unless text is asked for; text is plain, root cause first.
    let text = doctor(&["diagnose", "--task", &task.task_arn, "--format", "text"], &env, None);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(!text.contains('\x1b'), "no colour codes off a terminal");
    let verdict = text.find("DIAGNOSED  root cause: ECR_IMAGE_NOT_FOUND").expect(&text);
    let fail = text.find("FAIL  ECR_IMAGE_NOT_FOUND").expect(&text);
    let fix = text.find("fix: Push tag 1.4.2").expect(&text);
    let ok = text.find(" OK ").expect(&text);
    assert!(verdict < fail && fail < fix && fix < ok, "{text}");
}

#[tokio::test]
async fn diagnoses_an_event_from_standard_input() {
    let config = account("200000000022").await;
    let task = Builder::new(&config).await.service_with_missing_tag("stdin").await;
    let env = child_env(&config).await;
    let event = event_for("image-tag-not-found", &task).to_string();

    let output = doctor(&["diagnose", "--event", "-"], &env, Some(&event));

    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["rootCause"], "ECR_IMAGE_NOT_FOUND");
}

#[test]
fn bad_input_exits_2_with_one_line_and_no_panic() {
    let events = concat!(env!("CARGO_MANIFEST_DIR"), "/events");
    let no_aws = [("AWS_ENDPOINT_URL".to_string(), "http://127.0.0.1:9".to_string())];
    let cases: Vec<(Vec<String>, Option<&str>, &str)> = vec![
        (vec!["diagnose".into()], None, "required"),
        (
            vec![
                "diagnose".into(),
                "--task".into(),
                "arn:aws:ecs:us-east-1:111122223333:service/prod/web".into(),
            ],
            None,
            "is not an ECS task ARN",
        ),
        (
            vec![
                "diagnose".into(),
                "--task".into(),
                "x".into(),
                "--event".into(),
                "y".into(),
            ],
            None,
            "cannot be used with",
        ),
        (
            vec!["diagnose".into(), "--event".into(), "/no/such/file.json".into()],
            None,
            "cannot read /no/such/file.json",
        ),
        (
            vec!["diagnose".into(), "--event".into(), "-".into()],
            Some("{not json"),
            "not valid JSON",
        ),
        (
            vec!["diagnose".into(), "--event".into(), "-".into()],
            Some(r#"{"hello": 1}"#),
            "neither an EventBridge event",
        ),
        (
            vec![
                "diagnose".into(),
                "--event".into(),
                format!("{events}/running.json"),
                "--region".into(),
                "us-east-1".into(),
            ],
            None,
            "go with --task",
        ),
        (
            vec![
                "diagnose".into(),
                "--task".into(),
                "arn:aws:ecs:us-east-1:111122223333:task/p/a".into(),
                "--fix".into(),
                "yes".into(),
            ],
            None,
            "fix mode 'yes'",
        ),
        (
            vec![
                "diagnose".into(),
                "--task".into(),
                "arn:aws:ecs:us-east-1:111122223333:task/p/a".into(),
                "--allow-fix".into(),
                "safe,all".into(),
            ],
            None,
            "fix risk class 'all'",
        ),
        (
            vec![
                "diagnose".into(),
                "--task".into(),
                "arn:aws:ecs:us-east-1:111122223333:task/p/a".into(),
                "--region".into(),
                "mars".into(),
            ],
            None,
            "not an AWS region",
        ),
        (
            vec![
                "diagnose".into(),
                "--task".into(),
                "arn:aws:ecs:us-east-1:111122223333:task/p/a".into(),
                "--format".into(),
                "yaml".into(),
            ],
            None,
            "invalid value 'yaml'",
        ),
    ];
    for (args, stdin, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = doctor(&args, &no_aws, stdin);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: one line: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}: no report");
    }
}

#[test]
fn an_event_that_does_not_apply_needs_no_aws_at_all() {
    // The endpoint is a closed port: any AWS call would fail and show up in the report.
    let no_aws = [("AWS_ENDPOINT_URL".to_string(), "http://127.0.0.1:9".to_string())];
    for name in ["running", "healthy-stopped"] {
        let path = format!("{}/events/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let output = doctor(&["diagnose", "--event", &path, "--format", "json"], &no_aws, None);
        assert_eq!(output.status.code(), Some(0), "{name}");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["verdict"], "not-applicable", "{name}");
        assert_eq!(report["findings"], serde_json::json!([]), "{name}");
    }
}

#[tokio::test]
async fn a_stalled_endpoint_still_gives_a_report_within_the_timeout() {
    let endpoint = crate::support::stalled_endpoint().await;
    let env: Vec<(String, String)> = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let started = std::time::Instant::now();
    // The child blocks on a server in this process: run it off the runtime's threads.
    let output = tokio::task::spawn_blocking(move || {
        doctor(
            &[
                "diagnose",
                "--event",
                "events/image-tag-not-found.json",
                "--format",
                "json",
                "--timeout",
                "2",
            ],
            &env,
            None,
        )
    })
    .await
    .unwrap();
    let took = started.elapsed();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        took < std::time::Duration::from_millis(3500),
        "a 2 s budget took {took:?}"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["verdict"], "inconclusive", "{report:#}");
    let cut: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["evidence"]["errorCode"] == "Deadline")
        .collect();
    assert!(!cut.is_empty(), "the calls cut off are named: {report:#}");
    assert!(
        cut.iter()
            .all(|f| f["code"] == "CHECK_FAILED" && f["severity"] == "info")
    );
}

#[test]
fn the_timeout_must_be_a_whole_number_of_seconds() {
    let output = doctor(
        &[
            "diagnose",
            "--event",
            "events/image-tag-not-found.json",
            "--timeout",
            "0",
        ],
        &[],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--timeout"), "{stderr}");
}

#[tokio::test]
async fn check_is_a_ci_gate_with_github_annotations() {
    let config = account("200000000031").await;
    let task = Builder::new(&config).await.service_with_missing_tag("gate").await;
    let env = child_env(&config).await;
    let service = format!("{}/{}", task.cluster, task.service.clone().unwrap());

    let json = doctor(
        &[
            "check",
            "--service",
            &service,
            "--region",
            "us-east-1",
            "--format",
            "json",
        ],
        &env,
        None,
    );
    assert_eq!(
        json.status.code(),
        Some(3),
        "will-fail exits 3: {}",
        String::from_utf8_lossy(&json.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        (report["verdict"].as_str(), report["rootCause"].as_str()),
        (Some("will-fail"), Some("ECR_IMAGE_NOT_FOUND"))
    );
    assert_eq!(report["failure"], serde_json::Value::Null);
    assert_eq!(report["subject"]["service"], task.service.clone().unwrap());

    let github = doctor(
        &[
            "check",
            "--service",
            &service,
            "--region",
            "us-east-1",
            "--format",
            "github",
        ],
        &env,
        None,
    );
    assert_eq!(github.status.code(), Some(3));
    let text = String::from_utf8(github.stdout).unwrap();
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("::error title=ECR_IMAGE_NOT_FOUND "), "{text}");
    assert!(
        first.contains("%0AFix: Push tag 1.4.2"),
        "one line, the fix after an escaped newline: {first}"
    );
    assert!(text.contains("WILL FAIL  root cause: ECR_IMAGE_NOT_FOUND"), "{text}");

    // A healthy service passes the gate; a bad argument is a one-line error with exit 2.
    let builder = Builder::new(&config).await;
    let repository = builder.repository("shop/ok", &["1.0.0"]).await;
    let healthy = builder
        .fargate_task(
            "fine",
            &crate::support::scenario::NetworkSpec::nat(),
            &format!("{repository}:1.0.0"),
            Some("ok"),
            "Task failed to start",
        )
        .await;
    let ok = doctor(
        &[
            "check",
            "--service",
            &format!("{}/ok", healthy.cluster),
            "--region",
            "us-east-1",
            "--format",
            "text",
        ],
        &env,
        None,
    );
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("READY"));
    let bad = doctor(
        &[
            "check",
            "--task-definition",
            "web:3",
            "--subnets",
            "vpc-1",
            "--security-groups",
            "sg-1",
            "--region",
            "us-east-1",
        ],
        &env,
        None,
    );
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr).trim(),
        "ecs-pull-doctor: --subnets: 'vpc-1' is not an ID starting with subnet-"
    );
    let missing = doctor(
        &["check", "--service", "nowhere/web", "--region", "us-east-1"],
        &env,
        None,
    );
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr).trim(),
        "ecs-pull-doctor: service web does not exist in cluster nowhere (us-east-1)"
    );
}
