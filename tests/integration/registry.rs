//! ECR_REPOSITORY_NOT_FOUND and ECR_IMAGE_NOT_FOUND, end to end.

use ecs_pull_doctor::adapters::aws::AwsClients;
use ecs_pull_doctor::checks::{Code, Verdict};
use ecs_pull_doctor::engine;
use ecs_pull_doctor::intake::{ManualRequest, Payload};
use ecs_pull_doctor::report::Report;
use ecs_pull_doctor::settings::Modes;

use crate::common::{deadline, errors};
use crate::support::scenario::{Builder, NetworkSpec, StoppedTask};
use crate::support::{REGION, account};

/// The diagnosis of a stopped task by its ARN. For a service's task it diagnosed, the pre-flight of
/// that service is made too and must agree (crate::preflight::agrees_with_the_diagnosis): so every
/// broken scenario of the suite is also a scenario the pre-flight is tested on.
pub async fn diagnose_by_arn(config: &aws_config::SdkConfig, task: &StoppedTask) -> Report {
    let request = ManualRequest {
        task: task.task_arn.parse().unwrap(),
        fix: None,
        runbook: None,
    };
    let report = engine::diagnose(
        &AwsClients::new(config.clone()),
        Payload::Manual(request),
        &Modes::command_line_default(),
        deadline(),
    )
    .await;
    Box::pin(crate::preflight::agrees_with_the_diagnosis(config, task, &report)).await;
    report
}

#[tokio::test]
async fn a_tag_that_was_never_pushed_is_the_root_cause() {
    let config = account("200000000001").await;
    let task = Builder::new(&config).await.service_with_missing_tag("shop").await;

    let report = diagnose_by_arn(&config, &task).await;

    assert_eq!(report.verdict, Verdict::Diagnosed, "{report:#?}");
    assert_eq!(report.root_cause, Some(Code::EcrImageNotFound));
    let root = &report.findings[0];
    assert_eq!(root.code, Code::EcrImageNotFound);
    assert_eq!(root.resource, task.image);
    assert_eq!(root.evidence["tag"], "1.4.2");
    assert_eq!(root.evidence["call"], "ecr:BatchGetImage");
    assert_eq!(
        root.evidence["repositoryArn"],
        format!("arn:aws:ecr:{REGION}:200000000001:repository/shop/web")
    );
    assert!(root.remedy.contains("Push tag 1.4.2"), "{}", root.remedy);
    // What the repository does hold, newest first (pushed in the same second here, so as a set).
    let mut recent: Vec<String> = serde_json::from_value(root.evidence["recentTags"].clone()).unwrap();
    recent.sort();
    assert_eq!(recent, vec!["1.4.0", "1.4.1"]);
    assert!(root.remedy.contains("newest tags: 1.4."), "{}", root.remedy);
    assert_eq!(errors(&report), vec![Code::EcrImageNotFound]);
    assert!(
        report.passed.iter().any(|p| p.check == "ecr-repository"),
        "the repository was checked and exists"
    );
    assert_eq!(report.failure.facts.reference.as_deref(), Some("1.4.2"));
}

#[tokio::test]
async fn an_image_that_exists_gives_no_error_finding() {
    let config = account("200000000002").await;
    let builder = Builder::new(&config).await;
    let repository = builder.repository("shop/api", &["2.0.0"]).await;
    let image = format!("{repository}:2.0.0");
    // A transient timeout in an environment whose image is there.
    let reason = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref \
                  200000000002.dkr.ecr.us-east-1.amazonaws.com/shop/api:2.0.0: failed to do request: Head \
                  \"https://200000000002.dkr.ecr.us-east-1.amazonaws.com/v2/shop/api/manifests/2.0.0\": dial tcp 10.0.1.9:443: i/o timeout";
    let task = builder
        .fargate_task("ok", &NetworkSpec::default(), &image, Some("api"), reason)
        .await;

    let report = diagnose_by_arn(&config, &task).await;

    assert_eq!(errors(&report), Vec::<Code>::new(), "{report:#?}");
    assert_eq!(report.verdict, Verdict::Inconclusive);
    assert_eq!(report.root_cause, None);
    let checks: Vec<&str> = report.passed.iter().map(|p| p.check.as_str()).collect();
    assert!(
        checks.contains(&"ecr-repository") && checks.contains(&"ecr-image"),
        "{checks:?}"
    );
}

#[tokio::test]
async fn a_repository_in_the_wrong_region_is_not_found() {
    let config = account("200000000003").await;
    let builder = Builder::new(&config).await;
    // The repository exists in us-east-1, but the task definition points at us-west-2.
    builder.repository("platform/base", &["2026.11"]).await;
    let image = "200000000003.dkr.ecr.us-west-2.amazonaws.com/platform/base:2026.11";
    let reason = format!(
        "CannotPullContainerError: API error (404): repository {} not found",
        image.trim_end_matches(":2026.11")
    );
    let task = builder
        .fargate_task("west", &NetworkSpec::default(), image, Some("base"), &reason)
        .await;

    let report = diagnose_by_arn(&config, &task).await;

    assert_eq!(report.verdict, Verdict::Diagnosed, "{report:#?}");
    assert_eq!(report.root_cause, Some(Code::EcrRepositoryNotFound));
    let root = &report.findings[0];
    assert_eq!(
        root.resource,
        "arn:aws:ecr:us-west-2:200000000003:repository/platform/base"
    );
    assert_eq!(root.evidence["region"], "us-west-2");
    assert_eq!(root.evidence["answer"], "RepositoryNotFoundException");
    // No image lookup is reported for a missing repository; and an image in another region cannot
    // come through this region's endpoints, so the private subnet is a second, separate error.
    assert_eq!(
        errors(&report),
        vec![Code::EcrRepositoryNotFound, Code::NoInternetRoute]
    );
    assert_eq!(report.findings[1].evidence["services"], serde_json::json!(["internet"]));
}

#[tokio::test]
async fn an_image_in_another_account_is_looked_up_in_that_registry() {
    let config = account("200000000004").await;
    let image = "300000000009.dkr.ecr.us-east-1.amazonaws.com/platform/base:7";
    let reason = "CannotPullContainerError: API error (404): repository 300000000009.dkr.ecr.us-east-1.amazonaws.com/platform/base not found";
    let task = Builder::new(&config)
        .await
        .fargate_task("shared", &NetworkSpec::default(), image, Some("base"), reason)
        .await;

    let report = diagnose_by_arn(&config, &task).await;

    assert_eq!(report.root_cause, Some(Code::EcrRepositoryNotFound), "{report:#?}");
    assert_eq!(report.findings[0].evidence["registryId"], "300000000009");
    assert_eq!(
        report.findings[0].resource,
        "arn:aws:ecr:us-east-1:300000000009:repository/platform/base"
    );
}
