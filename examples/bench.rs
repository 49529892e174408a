//! `make bench`: one diagnosis per scenario family against the local emulator, every AWS call held
//! for a fixed delay (BENCH_LATENCY_MS, default 50) as a real region's latency would hold it. For each
//! it prints the calls made, the sequential rounds they took, and the wall time, from a task ARN and
//! from the task's event. A measurement, not a test: nothing here passes or fails.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use ecs_pull_doctor::adapters::aws::AwsClients;
use ecs_pull_doctor::engine;
use ecs_pull_doctor::facts::Deadline;
use ecs_pull_doctor::intake::{ManualRequest, Payload, parse_value};
use ecs_pull_doctor::settings::Modes;

use ecs_pull_doctor::facts::{Fact, IamReader};
use support::account;
use support::latency::{Simulation, Simulator, delayed};
use support::scenario::{Builder, DefinitionSpec, EfsSpec, Internet, NetworkSpec, RoleSpec, StoppedTask, event_for};

const ECR_API_TIMEOUT: &str = "ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth from Amazon ECR: There is a connection issue between the task and Amazon ECR. Check your task network configuration. operation error ECR: GetAuthorizationToken, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 10.0.1.9:443: i/o timeout";
const ECR_AUTH_DENIED: &str = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 1 time(s): operation error ECR: GetAuthorizationToken, https response error StatusCode: 400, RequestID: 0e5b, api error AccessDeniedException: User: arn:aws:sts::ACCOUNT:assumed-role/app-execution/1f2e is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action";

const EFS_UNRESOLVED: &str = "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve \"fs-0123456789abcdef0.efs.us-east-1.amazonaws.com\" - check that your file system ID is correct, and ensure that the VPC has an EFS mount target for this file system ID.";

/// The emulator has no IAM policy simulator: the bench answers it from each role's policies (read
/// before the timing starts), as AWS answers a doctor allowed iam:SimulatePrincipalPolicy.
async fn simulator(config: &aws_config::SdkConfig) -> Simulator {
    let iam = aws_sdk_iam::Client::new(config);
    let reader = AwsClients::new(config.clone());
    let roles = iam.list_roles().send().await.expect("iam:ListRoles");
    let mut read = Vec::new();
    for role in roles.roles() {
        let Fact::Known(Some(facts)) = reader.role(role.arn()).await else {
            continue;
        };
        let documents = reader
            .role_policies(
                &facts,
                ecs_pull_doctor::facts::Deadline::after(std::time::Duration::from_secs(30)),
            )
            .await
            .known()
            .into_iter()
            .flatten()
            .map(|p| p.document.clone())
            .collect();
        read.push((role.arn().to_string(), documents));
    }
    Simulator::new(read)
}

/// A stopped task of service `web`, its network and definition as the specs say.
async fn stopped(
    config: &aws_config::SdkConfig,
    name: &str,
    network: NetworkSpec,
    definition: DefinitionSpec,
    reason: &str,
) -> StoppedTask {
    let builder = Builder::new(config).await;
    let repository = builder.repository("shop/web", &["1.0.0"]).await;
    let reason = reason.replace("ACCOUNT", &builder.account);
    builder
        .fargate_task_with(
            name,
            &network,
            &definition,
            &format!("{repository}:1.0.0"),
            Some("web"),
            &reason,
        )
        .await
}

/// The task's EventBridge event, as ECS sends it when the task stops.
fn event(task: &StoppedTask) -> Payload {
    let mut event = event_for("network-ecr-api-timeout", task);
    event["detail"]["stoppedReason"] = task.stopped_reason.clone().into();
    for container in event["detail"]["containers"].as_array_mut().into_iter().flatten() {
        container["reason"] = task.stopped_reason.clone().into();
    }
    parse_value(event).expect("the sample event parses")
}

#[tokio::main]
async fn main() {
    let latency = Duration::from_millis(
        std::env::var("BENCH_LATENCY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(50),
    );
    let mut scenarios: Vec<(&str, aws_config::SdkConfig, StoppedTask)> = Vec::new();
    // The identity scenario again, the doctor not allowed to simulate: its role evaluated offline.
    let offline: Option<(aws_config::SdkConfig, StoppedTask)>;
    {
        let config = account("270000000001").await;
        let spec = NetworkSpec {
            interface_endpoints: vec!["ecr.api", "logs"],
            ..NetworkSpec::default()
        };
        let task = stopped(&config, "net", spec, DefinitionSpec::default(), ECR_API_TIMEOUT).await;
        scenarios.push(("network: VPC_ENDPOINT_MISSING", config, task));
    }
    {
        let config = account("270000000002").await;
        let spec = NetworkSpec {
            internet: Internet::DeletedNat,
            ..NetworkSpec::isolated()
        };
        let task = stopped(&config, "nat", spec, DefinitionSpec::default(), ECR_API_TIMEOUT).await;
        scenarios.push(("network: NAT_GATEWAY_UNAVAILABLE", config, task));
    }
    {
        let config = account("270000000003").await;
        let logs_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#;
        let definition = DefinitionSpec {
            role: RoleSpec::Inline(vec![logs_only.into()]),
            ..DefinitionSpec::default()
        };
        let task = stopped(&config, "app", NetworkSpec::default(), definition, ECR_AUTH_DENIED).await;
        offline = Some((config.clone(), task.clone()));
        scenarios.push(("identity: EXECUTION_ROLE_MISSING_ECR_PERMISSIONS", config, task));
    }
    {
        let config = account("270000000004").await;
        let task = Builder::new(&config).await.service_with_missing_tag("shop").await;
        scenarios.push(("registry: ECR_IMAGE_NOT_FOUND", config, task));
    }
    {
        let config = account("270000000005").await;
        let missing = "arn:aws:secretsmanager:us-east-1:270000000005:secret:db-AbCdEf";
        let definition = DefinitionSpec {
            secrets: vec![("DB".into(), missing.into())],
            ..DefinitionSpec::default()
        };
        let reason = format!(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret {missing} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret."
        );
        let task = stopped(&config, "app", NetworkSpec::nat(), definition, &reason).await;
        scenarios.push(("secrets: SECRET_NOT_FOUND", config, task));
    }
    {
        let config = account("270000000007").await;
        let definition = DefinitionSpec {
            efs: Some(EfsSpec::ElsewhereOnly),
            ..DefinitionSpec::default()
        };
        let task = stopped(&config, "vol", NetworkSpec::default(), definition, EFS_UNRESOLVED).await;
        scenarios.push(("volumes: EFS_MOUNT_TARGET_MISSING", config, task));
    }
    {
        let rule = support::pull_through::RuleSpec::docker_hub(
            "270000000008",
            Some("Unable to authenticate with the upstream registry"),
        );
        let role = support::pull_through::may_create_and_import("270000000008");
        let (config, task) =
            support::pull_through::first_pull("270000000008", vec![rule], role, support::pull_through::UPSTREAM_AUTH)
                .await;
        scenarios.push(("cache: PULL_THROUGH_CACHE_UPSTREAM_AUTH_FAILED", config, task));
    }
    {
        let config = account("270000000006").await;
        let task = stopped(
            &config,
            "ok",
            NetworkSpec::nat(),
            DefinitionSpec::default(),
            ECR_API_TIMEOUT,
        )
        .await;
        scenarios.push(("healthy: inconclusive", config, task));
    }

    // The Lambda half of the bench (scripts/bench-lambda) diagnoses the first scenario's task.
    let (_, _, first) = &scenarios[0];
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench");
    std::fs::create_dir_all(dir).expect("target/bench");
    let lambda_task = serde_json::json!({"account": first.account, "taskArn": first.task_arn});
    std::fs::write(format!("{dir}/lambda-task.json"), lambda_task.to_string()).expect("lambda-task.json");

    let mut runs = Vec::new();
    for (name, config, task) in scenarios {
        let simulation = Simulation::Answered(simulator(&config).await);
        runs.push((name, config, task, simulation));
    }
    if let Some((config, task)) = offline {
        runs.push((
            "identity, simulation denied (offline)",
            config,
            task,
            Simulation::Denied,
        ));
    }

    println!(
        "bench: {} ms added to every AWS call; iam:SimulatePrincipalPolicy answered from the roles' policies (the emulator has none)",
        latency.as_millis()
    );
    println!(
        "{:<48} {:<9} {:>5} {:>6} {:>9}  root cause",
        "scenario", "from", "calls", "rounds", "wall ms"
    );
    for (name, config, task, simulation) in &runs {
        let (config, timeline) = delayed(config, latency, simulation.clone());
        let reader = AwsClients::new(config);
        let manual = || {
            Payload::Manual(ManualRequest {
                task: task.task_arn.parse().expect("a task ARN"),
                fix: None,
                runbook: None,
            })
        };
        for (from, payload) in [("task ARN", manual()), ("event", event(task))] {
            timeline.clear();
            let started = Instant::now();
            let report = engine::diagnose(
                &reader,
                payload,
                &Modes::command_line_default(),
                Deadline::after(Duration::from_secs(60)),
            )
            .await;
            let wall = started.elapsed();
            let root = report
                .root_cause
                .map_or_else(|| format!("({:?})", report.verdict), |c| c.as_str().to_string());
            println!(
                "{name:<48} {from:<9} {:>5} {:>6} {:>9}  {root}",
                timeline.calls().len(),
                timeline.rounds(),
                wall.as_millis()
            );
            if std::env::var_os("BENCH_VERBOSE").is_some() {
                for (round, operation) in timeline.by_round() {
                    println!("    round {round:>2}  {operation}");
                }
            }
        }
    }
}
