//! The engine: intake -> classification -> facts -> checks -> verdict -> plan -> actions -> report.
//! One diagnosis, whoever asked for it (the Lambda function or the command line).
//!
//! It runs in two steps so that a caller may decide in between whether to act: [`assess`] reads,
//! checks and plans (and reports a dry-run); [`act`] applies fixes and starts the runbook.

mod bounded;

pub use bounded::Bounded;

use serde_json::json;

use crate::checks::{self, Code, Finding, Fix, Outcome, Pass, Severity, Verdict, VerdictOutcome, could_not_check};
use crate::classify::{Failure, StopReasons, classify};
use crate::facts::Deadline;
use crate::facts::members::MemberTask;
use crate::facts::{CallFailure, EcsReader, Fact, Snapshot, TaskFacts, gather};
use crate::fixes::{self, PlannedFix, runbook};
use crate::intake::Payload;
use crate::model::TaskArn;
use crate::report::{Action, ActionStatus, FailureSummary, Report, RunbookOutcome, RunbookStatus, TaskSummary};
use crate::settings::{FixMode, Modes};

pub use crate::facts::Doctor;

/// A diagnosis before any action: the report, and what acting on it needs.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub report: Report,
    task: Option<TaskFacts>,
    failure: Failure,
    /// The fixes the findings call for that the modes allow.
    fixes: Vec<PlannedFix>,
    /// The calls that failed while diagnosing: a re-read that fails anew is not "already done".
    unread: Vec<CallFailure>,
    deadline: Deadline,
    /// Whether the task record came from ecs:DescribeTasks. An event's record is a claim, which
    /// ECS must confirm before anything is written or started.
    confirmed: bool,
}

impl Assessment {
    fn applies(&self) -> bool {
        self.report.mode.fix == FixMode::Apply && !self.fixes.is_empty()
    }

    fn starts_runbook(&self) -> bool {
        self.task.is_some() && runbook::wanted(self.report.mode.runbook, self.report.verdict)
    }

    /// What acting would be about: the task's group (service or family) and the cause. `None` when
    /// [`act`] would do nothing.
    pub fn acting_key(&self) -> Option<String> {
        let task = self.task.as_ref().filter(|_| self.applies() || self.starts_runbook())?;
        let cause = self.report.root_cause.map_or("inconclusive", Code::as_str);
        // The account too: in an organization two accounts may have a cluster and service of one name.
        Some(format!(
            "{}/{}/{}/{cause}",
            task.account,
            task.cluster,
            runbook::group(task)
        ))
    }
}

/// Diagnoses and acts as the modes allow, every call ending by `deadline`.
pub async fn diagnose<D: Doctor>(doctor: &D, payload: Payload, configured: &Modes, deadline: Deadline) -> Report {
    act(doctor, assess(doctor, payload, configured, deadline).await).await
}

/// Reads, checks and plans. A dry-run's plan is in the report's actions. Whatever has not answered
/// when `deadline` passes is reported as not checked.
pub async fn assess<D: Doctor>(doctor: &D, payload: Payload, configured: &Modes, deadline: Deadline) -> Assessment {
    let doctor = &Bounded::new(doctor, deadline);
    let mut assessment = match payload {
        Payload::OtherEvent { source, detail_type } => {
            let reason = format!("The event is \"{detail_type}\" from {source}, not an ECS Task State Change.");
            not_applicable(TaskSummary::default(), Failure::unknown(), reason, configured.clone())
        }
        Payload::TaskEvent(task) => assess_task(doctor, *task, configured.clone(), deadline).await,
        Payload::Manual(request) => {
            let modes = configured.narrowed(request.fix, request.runbook);
            match doctor.describe_task(&request.task).await {
                Fact::Known(Some(task)) => {
                    let mut assessment = assess_task(doctor, task, modes, deadline).await;
                    assessment.confirmed = true;
                    assessment
                }
                Fact::Known(None) => task_not_found(&request.task, modes),
                Fact::Failed(failure) => {
                    let finding = could_not_check(
                        &failure,
                        "the task: without it there is no stop reason to diagnose".into(),
                    );
                    let reason = "The task could not be described, so its stop reason is unknown.".to_string();
                    unexplained(summary_of_arn(&request.task), finding, reason, modes)
                }
            }
        }
    };
    assessment.deadline = deadline;
    assessment
}

/// Applies the planned fixes (after reading the facts again) and starts the runbook, as the modes
/// allow. Nothing is written once the assessment's deadline has passed.
pub async fn act<D: Doctor>(doctor: &D, assessment: Assessment) -> Report {
    let (applies, starts_runbook) = (assessment.applies(), assessment.starts_runbook());
    let doctor = &Bounded::new(doctor, assessment.deadline);
    if let (true, false, Some(task)) = (applies || starts_runbook, assessment.confirmed, &assessment.task) {
        let described = match task.arn.parse::<TaskArn>() {
            Ok(arn) => doctor.describe_task(&arn).await,
            Err(error) => Fact::Failed(CallFailure {
                operation: "ecs:DescribeTasks".into(),
                resource: task.arn.clone(),
                error_code: "InvalidTaskArn".into(),
                message: error.to_string(),
            }),
        };
        if let Err(why) = fixes::verify::confirm(task, &assessment.failure, &described) {
            return hold(assessment, &format!("{why}, so nothing is changed for it"));
        }
    }
    let Assessment {
        mut report,
        task,
        failure,
        fixes: planned,
        unread,
        deadline,
        ..
    } = assessment;
    let Some(task) = task else { return report };
    if applies {
        // Read everything again: a fix applies only if the fresh facts call for it unchanged.
        let fresh_snapshot = Box::pin(gather(doctor, task.clone(), deadline)).await;
        let (fresh_findings, _, _) = examine(&fresh_snapshot, &failure);
        let fresh = fixes::Reread {
            plan: plan_for_cause(&fresh_snapshot, &fresh_findings, &failure)
                .into_iter()
                .map(|(_, fix)| fix)
                .collect(),
            // Calls that answered during the diagnosis and failed now.
            failed: fresh_snapshot
                .failures()
                .into_iter()
                .filter(|now| {
                    !unread
                        .iter()
                        .any(|before| before.operation == now.operation && before.resource == now.resource)
                })
                .cloned()
                .collect(),
        };
        report.actions = fixes::apply(doctor, &planned, &fresh).await;
        if let Some(redeploy) = redeploy(&report.mode, &task, &planned)
            .filter(|_| report.actions.iter().any(|a| a.status == ActionStatus::Applied))
        {
            // A redeploy has no precondition to read again: it is its own fresh plan.
            let fresh = fixes::Reread {
                plan: vec![redeploy.clone()],
                failed: Vec::new(),
            };
            report
                .actions
                .extend(fixes::apply(doctor, std::slice::from_ref(&redeploy), &fresh).await);
        }
    }
    if starts_runbook {
        report.runbook = Some(runbook::start(doctor, &task, &report.mode.runbook_roles).await);
    }
    report
}

/// The report without acting, saying why: for a storm of stops from the same cause.
pub fn hold(assessment: Assessment, why: &str) -> Report {
    let (applies, starts_runbook) = (assessment.applies(), assessment.starts_runbook());
    let Assessment {
        mut report,
        fixes: planned,
        ..
    } = assessment;
    if applies {
        report.actions = planned
            .into_iter()
            .map(|fix| Action {
                fix: fix.id,
                status: ActionStatus::Skipped,
                detail: format!("Not applied: {why}"),
                calls: fix.calls,
            })
            .collect();
    }
    if starts_runbook {
        report.runbook = Some(RunbookOutcome {
            status: RunbookStatus::Skipped,
            execution_id: None,
            detail: format!("Not started: {why}"),
        });
    }
    report
}

/// What the task's stop reasons say, before any AWS call.
fn failure_of(task: &TaskFacts) -> Failure {
    let container_reasons: Vec<&str> = task.containers.iter().filter_map(|c| c.reason.as_deref()).collect();
    classify(StopReasons {
        stop_code: task.stop_code.as_deref(),
        stopped_reason: task.stopped_reason.as_deref(),
        container_reasons: &container_reasons,
    })
}

/// The account whose facts a payload needs read, with the task naming the session; `None` when
/// its report is decided without any AWS call (another event, a task that did not fail to start).
pub fn member_task(payload: &Payload) -> Option<MemberTask> {
    let member = |partition: &str, account: &str, task_id: &str| MemberTask {
        partition: partition.to_string(),
        account: account.to_string(),
        task_id: task_id.to_string(),
    };
    match payload {
        Payload::OtherEvent { .. } => None,
        Payload::TaskEvent(task) if !task.is_stopped() || !failure_of(task).is_applicable() => None,
        Payload::TaskEvent(task) => {
            let arn: TaskArn = task.arn.parse().ok()?;
            Some(member(&arn.partition, &task.account, &arn.task_id))
        }
        Payload::Manual(request) => Some(member(
            &request.task.partition,
            &request.task.account,
            &request.task.task_id,
        )),
    }
}

/// The report when the task's account could not be entered: what the stop reason says, and the
/// failed sts:AssumeRole as the one thing not checked. Nothing is read, fixed or started.
pub fn account_unreadable(payload: Payload, account: &str, failure: &CallFailure, configured: &Modes) -> Report {
    let (summary, stop, modes) = match payload {
        Payload::TaskEvent(task) => (
            TaskSummary::from_task(&task, None),
            failure_of(&task),
            configured.clone(),
        ),
        Payload::Manual(request) => (
            summary_of_arn(&request.task),
            Failure::unknown(),
            configured.narrowed(request.fix, request.runbook),
        ),
        Payload::OtherEvent { .. } => (TaskSummary::default(), Failure::unknown(), configured.clone()),
    };
    let finding = could_not_check(failure, format!("account {account}: its role could not be assumed, so nothing in it was read"))
        .remedy(format!(
            "Deploy the member stack (infra/member.json, by StackSet) to account {account}, so that {} exists and trusts the \
             doctor's role (with the configured external ID), then diagnose the task again.",
            failure.resource
        ));
    let reason = format!(
        "Account {account} could not be read: {} failed with {}.",
        failure.operation, failure.error_code
    );
    Report::new(
        Verdict::Inconclusive,
        reason,
        summary,
        FailureSummary::from(&stop),
        modes,
    )
    .examined(vec![finding], Vec::new(), None)
}

/// Assesses a task whose record is in hand. Decides applicability before any AWS call.
async fn assess_task<D: Doctor>(doctor: &D, task: TaskFacts, modes: Modes, deadline: Deadline) -> Assessment {
    let failure = failure_of(&task);
    if !task.is_stopped() {
        let status = task.last_status.clone().unwrap_or_else(|| "of unknown status".into());
        let reason = format!("The task is {status}, not STOPPED.");
        return not_applicable(TaskSummary::from_task(&task, None), failure, reason, modes);
    }
    if !failure.is_applicable() {
        let reason = "The task did not stop for an image-pull or resource-initialization failure.".to_string();
        return not_applicable(TaskSummary::from_task(&task, None), failure, reason, modes);
    }

    // Boxed: the gathering future is deep, and the binaries that await it need not carry its layout.
    let snapshot = Box::pin(gather(doctor, task.clone(), deadline)).await;
    let (report, fixes) = judge(&snapshot, &failure, modes);
    let unread = snapshot.failures().into_iter().cloned().collect();
    Assessment {
        report,
        task: Some(task),
        failure,
        fixes,
        unread,
        deadline,
        confirmed: false,
    }
}

/// The report over a snapshot, and the fixes its modes allow: checks, verdict and plan, no AWS call.
pub fn judge(snapshot: &Snapshot, failure: &Failure, modes: Modes) -> (Report, Vec<PlannedFix>) {
    let (
        mut findings,
        passes,
        VerdictOutcome {
            verdict,
            root_cause,
            reason,
        },
    ) = examine(snapshot, failure);
    let planned = plan_for_cause(snapshot, &findings, failure);
    for (index, fix) in &planned {
        findings[*index].fix = Some(Fix {
            id: fix.id.clone(),
            risk: fix.risk,
            description: fix.description.clone(),
        });
    }
    let allowed: Vec<PlannedFix> = planned
        .into_iter()
        .map(|(_, fix)| fix)
        .filter(|fix| modes.allow_fix.contains(&fix.risk))
        .collect();
    let actions = match modes.fix {
        FixMode::DryRun => allowed
            .iter()
            .chain(redeploy(&modes, &snapshot.task, &allowed).as_ref())
            .map(|fix| Action {
                fix: fix.id.clone(),
                status: ActionStatus::Planned,
                detail: fix.description.clone(),
                calls: fix.calls.clone(),
            })
            .collect(),
        FixMode::Off | FixMode::Apply => Vec::new(),
    };
    let network = snapshot.network.as_ref().and_then(Fact::known);
    let task = TaskSummary::from_task(&snapshot.task, network);
    let mut report =
        Report::new(verdict, reason, task, FailureSummary::from(failure), modes).examined(findings, passes, root_cause);
    report.actions = actions;
    (report, allowed)
}

/// The fixes for the findings that explain the failure, each with its finding's index.
fn plan_for_cause(snapshot: &Snapshot, findings: &[Finding], failure: &Failure) -> Vec<(usize, PlannedFix)> {
    let explaining = checks::explaining(failure, findings);
    fixes::plan(snapshot, findings)
        .into_iter()
        .filter(|(index, _)| explaining.contains(index))
        .collect()
}

/// A new deployment of the task's service after its fixes, when the modes ask for it. It counts as
/// the riskiest class of the fixes it follows.
fn redeploy(modes: &Modes, task: &TaskFacts, fixes: &[PlannedFix]) -> Option<PlannedFix> {
    let service = task.service_name().filter(|_| modes.redeploy && !fixes.is_empty())?;
    Some(PlannedFix {
        id: format!("redeploy:{}/{service}", task.cluster),
        code: fixes[0].code,
        risk: fixes.iter().map(|fix| fix.risk).max()?,
        description: format!("Force a new deployment of service {service}, so that new tasks start with the fixes."),
        region: task.region.clone(),
        calls: vec![fixes::Call::ForceNewDeployment {
            cluster: task.cluster.clone(),
            service: service.to_string(),
        }],
    })
}

/// The checks and the verdict over one snapshot.
fn examine(snapshot: &Snapshot, failure: &Failure) -> (Vec<Finding>, Vec<Pass>, VerdictOutcome) {
    let Outcome { mut findings, passes } = checks::run(snapshot, failure);
    let verdict = checks::decide(failure, &mut findings);
    (findings, passes, verdict)
}

fn task_not_found(arn: &TaskArn, modes: Modes) -> Assessment {
    let finding = Finding::new(
        Code::TaskNotFound,
        Severity::Info,
        arn.as_str(),
        format!(
            "ECS no longer knows task {} in cluster {}: stopped tasks are kept for about an hour.",
            arn.task_id,
            arn.cluster.as_deref().unwrap_or("default")
        ),
    )
    .evidence(
        json!({ "call": "ecs:DescribeTasks", "region": arn.region, "cluster": arn.cluster, "answer": "no such task" }),
    )
    .remedy(
        "Diagnose from the task's ECS Task State Change event (--event), which carries the stop reason, or run the \
         doctor from the EventBridge rule so it sees every stop while the task can still be described. Check the \
         ARN's region and cluster (--region, --cluster) too.",
    );
    let reason = "The task can no longer be described, so its stop reason is unknown.".to_string();
    unexplained(summary_of_arn(arn), finding, reason, modes)
}

fn summary_of_arn(arn: &TaskArn) -> TaskSummary {
    TaskSummary {
        arn: Some(arn.to_string()),
        cluster: arn.cluster.clone(),
        account: Some(arn.account.clone()),
        region: Some(arn.region.clone()),
        ..Default::default()
    }
}

/// A report with no task to act on.
fn without_task(report: Report) -> Assessment {
    Assessment {
        report,
        task: None,
        failure: Failure::unknown(),
        fixes: Vec::new(),
        unread: Vec::new(),
        deadline: Deadline::after(std::time::Duration::ZERO),
        confirmed: false,
    }
}

fn unexplained(task: TaskSummary, finding: Finding, reason: String, modes: Modes) -> Assessment {
    let failure = FailureSummary::from(&Failure::unknown());
    without_task(
        Report::new(Verdict::Inconclusive, reason, task, failure, modes).examined(vec![finding], Vec::new(), None),
    )
}

fn not_applicable(task: TaskSummary, failure: Failure, reason: String, modes: Modes) -> Assessment {
    without_task(Report::new(
        Verdict::NotApplicable,
        reason,
        task,
        FailureSummary::from(&failure),
        modes,
    ))
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::adapters::memory::Memory;
    use crate::facts::{
        CallFailure, ContainerDefinition, ContainerState, EniAttachment, ImageAnswer, NetworkConfig, NetworkSource,
        PolicyAnswer, TaskDefinitionFacts,
    };
    use crate::intake::ManualRequest;
    use crate::model::ImageSelector;

    const IMAGE: &str = "111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.4.2";

    fn later() -> Deadline {
        Deadline::after(std::time::Duration::from_secs(30))
    }

    /// What the in-memory AWS holds for these tests.
    #[derive(Default)]
    struct World {
        task: Option<TaskFacts>,
        deny_repository: bool,
        tags: Vec<&'static str>,
        /// A second container running the same image.
        sidecar: bool,
    }

    fn denied(operation: &str, resource: &str) -> CallFailure {
        CallFailure {
            operation: operation.into(),
            resource: resource.into(),
            error_code: "AccessDeniedException".into(),
            message: format!("User is not authorized to perform: {operation}"),
        }
    }

    /// The in-memory adapter answering from fixtures; blank where a test needs nothing.
    fn aws(world: World) -> Memory {
        let World {
            task,
            deny_repository,
            tags,
            sidecar,
        } = world;
        let mut aws = Memory::default();
        let answers = &mut aws.answers;
        answers.describe_task(move |_| Fact::Known(task.clone()));
        answers.describe_task_definition(move |_, arn| {
            Fact::Known(TaskDefinitionFacts {
                arn: arn.into(),
                family: "shop-web".into(),
                revision: 7,
                execution_role_arn: Some(crate::facts::fixtures::ROLE.into()),
                containers: [("web", true), ("sidecar", sidecar)]
                    .into_iter()
                    .filter(|(_, present)| *present)
                    .map(|(name, _)| ContainerDefinition {
                        name: name.into(),
                        image: IMAGE.into(),
                        essential: true,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
        });
        answers.describe_service(|region, cluster, service| {
            Fact::Known(Some(crate::facts::ServiceFacts {
                arn: format!("arn:aws:ecs:{region}:111122223333:service/{cluster}/{service}"),
                task_definition_arn: "arn:aws:ecs:us-east-1:111122223333:task-definition/shop-web:7".into(),
                launch_type: Some("FARGATE".into()),
                platform_version: Some("1.4.0".into()),
                network: NetworkConfig {
                    subnets: vec!["subnet-from-service".into()],
                    service_subnets: vec!["subnet-from-service".into()],
                    security_groups: vec!["sg-task".into()],
                    assign_public_ip: Some(false),
                    source: NetworkSource::Service,
                },
            }))
        });
        answers.list_clusters(|_| Fact::Known(vec!["prod".into()]));
        answers.list_services(|_, _| Fact::Known(vec!["web".into()]));
        answers.describe_subnet(|_, id| {
            Fact::Known(Some(crate::facts::Subnet {
                id: id.into(),
                vpc_id: "vpc-1".into(),
                cidr: "10.0.1.0/24".into(),
                availability_zone: None,
                ..Default::default()
            }))
        });
        answers.describe_vpc(|_, _, _| crate::facts::fixtures::private_vpc());
        answers.role(|arn| {
            crate::facts::fixtures::execution_role(vec![])
                .role
                .map(|r| r.map(|r| crate::facts::RoleFacts { arn: arn.into(), ..r }))
        });
        answers.simulate(|_, actions, resource| {
            let allowed = |action: &str| crate::facts::SimulatedDecision {
                action: action.into(),
                resource: resource.into(),
                decision: "allowed".into(),
                ..Default::default()
            };
            Fact::Known(actions.iter().map(|a| allowed(a)).collect())
        });
        answers.role_policies(|_| Fact::Known(vec![crate::facts::fixtures::execution_role_policy()]));
        answers.start(|_, _| Ok("execution-1".into()));
        answers.log_group_exists(|_, _| Fact::Known(true));
        answers.repository_policy(move |_, registry, name| match deny_repository {
            true => Fact::Failed(denied("ecr:GetRepositoryPolicy", &format!("{registry}/{name}"))),
            false => Fact::Known(PolicyAnswer::NoPolicy),
        });
        let held = tags.clone();
        answers.image(move |_, _, _, selector| {
            if deny_repository {
                return Fact::Failed(denied("ecr:BatchGetImage", "shop/web"));
            }
            let found = matches!(selector, ImageSelector::Tag(tag) if held.contains(&tag.as_str()));
            Fact::Known(match found {
                true => ImageAnswer::Found {
                    digest: None,
                    platforms: None,
                },
                false => ImageAnswer::ImageMissing,
            })
        });
        answers
            .recent_tags(move |_, _, _, limit| Fact::Known(tags.iter().take(limit).map(|t| t.to_string()).collect()));
        answers.tag_mutable(|_, _, _| Fact::Known(Some(false)));
        answers.validate_pull_through_rule(|_, _, _| {
            Fact::Known(crate::facts::RuleValidation {
                valid: true,
                failure: None,
            })
        });
        aws
    }

    fn stopped_task(reason: &str) -> TaskFacts {
        TaskFacts {
            arn: "arn:aws:ecs:us-east-1:111122223333:task/prod/0123456789abcdef0123456789abcdef".into(),
            region: "us-east-1".into(),
            account: "111122223333".into(),
            cluster: "prod".into(),
            task_definition_arn: "arn:aws:ecs:us-east-1:111122223333:task-definition/shop-web:7".into(),
            last_status: Some("STOPPED".into()),
            stop_code: Some("TaskFailedToStart".into()),
            stopped_reason: Some("Task failed to start".into()),
            group: Some("service:web".into()),
            containers: vec![ContainerState {
                name: "web".into(),
                image: Some(IMAGE.into()),
                reason: Some(reason.into()),
                ..Default::default()
            }],
            eni: Some(EniAttachment {
                eni_id: Some("eni-1".into()),
                subnet_id: Some("subnet-task".into()),
                private_ip: Some("10.0.1.23".into()),
            }),
            ..Default::default()
        }
    }

    const MISSING_TAG: &str = "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.4.2: not found";

    #[tokio::test]
    async fn a_stop_that_does_not_apply_makes_no_aws_call() {
        let aws = aws(World::default());
        let mut healthy = stopped_task("Essential container in task exited");
        healthy.stop_code = Some("EssentialContainerExited".into());
        healthy.stopped_reason = Some("Essential container in task exited".into());
        let report = diagnose(
            &aws,
            Payload::TaskEvent(Box::new(healthy)),
            &Modes::lambda_default(),
            later(),
        )
        .await;
        assert_eq!(report.verdict, Verdict::NotApplicable);

        let mut running = stopped_task(MISSING_TAG);
        running.last_status = Some("RUNNING".into());
        let report = diagnose(
            &aws,
            Payload::TaskEvent(Box::new(running)),
            &Modes::lambda_default(),
            later(),
        )
        .await;
        assert_eq!(report.verdict, Verdict::NotApplicable);
        assert_eq!(report.verdict_reason, "The task is RUNNING, not STOPPED.");

        let other = Payload::OtherEvent {
            source: "aws.ec2".into(),
            detail_type: "EC2 Instance State-change Notification".into(),
        };
        assert_eq!(
            diagnose(&aws, other, &Modes::lambda_default(), later()).await.verdict,
            Verdict::NotApplicable
        );
        assert_eq!(aws.calls(), Vec::<String>::new());
    }

    #[tokio::test]
    async fn the_event_path_reads_each_fact_once_and_never_describes_the_task() {
        let aws = aws(World {
            tags: vec!["1.4.1"],
            ..Default::default()
        });
        let report = diagnose(
            &aws,
            Payload::TaskEvent(Box::new(stopped_task(MISSING_TAG))),
            &Modes::lambda_default(),
            later(),
        )
        .await;
        assert_eq!(report.root_cause, Some(Code::EcrImageNotFound));
        let mut calls = aws.calls();
        calls.sort();
        assert_eq!(
            calls,
            [
                // A read of several calls is recorded by its method.
                "describe_vpc",
                "ec2:DescribeManagedPrefixLists",
                "ec2:DescribeSubnets",
                "ecr:BatchGetImage",
                "ecr:DescribeImages",
                "ecr:GetRepositoryPolicy",
                "ecs:DescribeServices",
                "ecs:DescribeTaskDefinition",
                "iam:GetRole",
                // One simulation per resource: the repository, and "*" for the token.
                "iam:SimulatePrincipalPolicy",
                "iam:SimulatePrincipalPolicy",
            ]
        );
        // The task's own subnet wins over the service's candidates; the groups come from the service.
        assert_eq!(report.task.subnets, vec!["subnet-task"]);
        assert_eq!(report.task.security_groups, vec!["sg-task"]);
    }

    #[tokio::test]
    async fn containers_running_the_same_image_share_its_lookups() {
        let aws = aws(World {
            sidecar: true,
            tags: vec!["1.4.1"],
            ..Default::default()
        });
        let report = diagnose(
            &aws,
            Payload::TaskEvent(Box::new(stopped_task(MISSING_TAG))),
            &Modes::command_line_default(),
            later(),
        )
        .await;
        assert_eq!(report.root_cause, Some(Code::EcrImageNotFound));
        let calls = aws.calls();
        assert_eq!(
            calls.iter().filter(|c| *c == "ecr:BatchGetImage").count(),
            1,
            "{calls:?}"
        );
        assert_eq!(
            report
                .findings
                .iter()
                .filter(|f| f.code == Code::EcrImageNotFound)
                .count(),
            1
        );
    }

    #[tokio::test]
    async fn a_denied_describe_becomes_check_failed_and_the_diagnosis_goes_on() {
        let aws = aws(World {
            deny_repository: true,
            ..Default::default()
        });
        let report = diagnose(
            &aws,
            Payload::TaskEvent(Box::new(stopped_task(MISSING_TAG))),
            &Modes::lambda_default(),
            later(),
        )
        .await;
        assert_eq!(report.verdict, Verdict::Inconclusive, "{report:#?}");
        for call in ["ecr:GetRepositoryPolicy", "ecr:BatchGetImage"] {
            let gap = report
                .findings
                .iter()
                .find(|f| f.code == Code::CheckFailed && f.evidence["call"] == call)
                .expect(call);
            assert_eq!(gap.severity, Severity::Info);
            assert_eq!(gap.evidence["errorCode"], "AccessDeniedException");
            assert!(gap.remedy.contains(&format!("Allow {call}")), "{}", gap.remedy);
        }
        assert!(
            report.passed.iter().any(|p| p.check == "task-definition"),
            "the other checks still ran"
        );
    }

    #[tokio::test]
    async fn a_manual_request_narrows_the_configured_modes() {
        let aws = aws(World {
            task: Some(stopped_task(MISSING_TAG)),
            ..Default::default()
        });
        let configured = Modes {
            fix: crate::settings::FixMode::DryRun,
            ..Modes::lambda_default()
        };
        let request = ManualRequest {
            task: "arn:aws:ecs:us-east-1:111122223333:task/prod/0123456789abcdef0123456789abcdef"
                .parse()
                .unwrap(),
            fix: Some(crate::settings::FixMode::Apply),
            runbook: Some(crate::settings::RunbookMode::Never),
        };
        let report = diagnose(&aws, Payload::Manual(request), &configured, later()).await;
        assert_eq!(
            report.mode.fix,
            crate::settings::FixMode::DryRun,
            "asked apply, allowed dry-run"
        );
        assert_eq!(report.mode.runbook, crate::settings::RunbookMode::Never);
        assert_eq!(aws.calls()[0], "ecs:DescribeTasks");
    }
}
