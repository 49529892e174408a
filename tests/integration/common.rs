//! What most integration tests share: a broken service to diagnose, and the assertions on its report.

use ecs_pull_doctor::checks::{Code, Finding, Severity, Verdict};
use ecs_pull_doctor::facts::Deadline;
use ecs_pull_doctor::report::Report;

use crate::support::account;
use crate::support::scenario::{Builder, DefinitionSpec, NetworkSpec, StoppedTask};

/// Service `web` in cluster `name` of `account_id`, its network and task definition built as the specs
/// say, its image `shop/web:1.0.0` present, its task stopped with `reason` (ACCOUNT in it becomes the
/// account).
pub async fn stopped(
    account_id: &str,
    name: &str,
    network: NetworkSpec,
    definition: DefinitionSpec,
    reason: &str,
) -> (aws_config::SdkConfig, StoppedTask) {
    let config = account(account_id).await;
    let builder = Builder::new(&config).await;
    let repository = builder.repository("shop/web", &["1.0.0"]).await;
    let reason = reason.replace("ACCOUNT", &builder.account);
    let task = builder
        .fargate_task_with(
            name,
            &network,
            &definition,
            &format!("{repository}:1.0.0"),
            Some("web"),
            &reason,
        )
        .await;
    (config, task)
}

/// A deadline no healthy emulator run comes near.
pub fn deadline() -> Deadline {
    Deadline::after(std::time::Duration::from_secs(60))
}

pub fn errors(report: &Report) -> Vec<Code> {
    report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.code)
        .collect()
}

/// The root cause, asserted to be `code`.
pub fn root(report: &Report, code: Code) -> &Finding {
    assert_eq!(report.verdict, Verdict::Diagnosed, "{report:#?}");
    assert_eq!(report.root_cause, Some(code), "{report:#?}");
    &report.findings[0]
}
