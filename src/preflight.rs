//! The pre-flight (`check`): no task has failed yet. The facts a new task of a service (or of a task
//! definition in given subnets) would meet are gathered as for a diagnosis, with every need of the
//! task definition required, and the checks run once per subnet the task may land in. A finding that
//! holds in only some of them says which. It never acts.

use serde::Serialize;
use serde_json::json;

use crate::checks::{self, Code, Finding, Pass, Severity, Verdict};
use crate::classify::Failure;
use crate::engine::Bounded;
use crate::facts::Deadline;
use crate::facts::{
    EcsReader, EniAttachment, Fact, ImageRiskFacts, NetworkConfig, NetworkSource, Readers, ServiceFacts, Snapshot,
    TaskFacts, gather_with_network, image_risks,
};
pub use crate::intake::{BadSubject, Clusters, Field, Subject};
use crate::report::{PreflightReport, SCHEMA, SubjectSummary};

/// Why no pre-flight could be made: the subject does not exist, or could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreflightError {
    #[error("{0}")]
    NotFound(String),
    #[error("could not read {what}: {operation} failed with {error_code}")]
    Unreadable {
        what: String,
        operation: String,
        error_code: String,
    },
}

/// Checks `subject`, every call ending by `deadline`.
pub async fn check<R: Readers>(
    reader: &R,
    subject: &Subject,
    deadline: Deadline,
) -> Result<PreflightReport, PreflightError> {
    let reader = &Bounded::new(reader, deadline);
    let (task, network, summary) = resolve(reader, subject).await?;
    let snapshot = Box::pin(gather_with_network(
        reader,
        task,
        Some(Fact::Known(network.clone())),
        deadline,
    ))
    .await;
    // What only a pre-flight asks: whether the deployed tags can move or expire (a round of its own).
    let risks = image_risks(reader, &snapshot.task, snapshot.task_definition.known()).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    Ok(judge(&snapshot, &network.subnets, &risks, now, summary))
}

/// The pre-flight's report from facts already read: the checks in each subnet, merged, the risks
/// of the deployed images (`now` in seconds since the epoch), and the verdict. No AWS call.
pub fn judge(
    snapshot: &Snapshot,
    subnets: &[String],
    risks: &[ImageRiskFacts],
    now: i64,
    subject: SubjectSummary,
) -> PreflightReport {
    let (mut findings, mut passed) = per_subnet(snapshot, subnets);
    let warned = checks::risks::check(risks, now);
    findings.extend(warned.findings);
    passed.extend(warned.passes);
    report(subject, findings, passed)
}

/// The task a new deployment would start, as far as it is known before it exists: its subnet is the
/// first of the candidates (each is checked in turn).
async fn resolve<R: Readers>(
    reader: &R,
    subject: &Subject,
) -> Result<(TaskFacts, NetworkConfig, SubjectSummary), PreflightError> {
    match subject {
        Subject::Service {
            region,
            cluster,
            service,
        } => {
            let found: ServiceFacts = match reader.describe_service(region, cluster, service).await {
                Fact::Known(Some(found)) => found,
                Fact::Known(None) => {
                    return Err(PreflightError::NotFound(format!(
                        "service {service} does not exist in cluster {cluster} ({region})"
                    )));
                }
                Fact::Failed(failure) => {
                    return Err(PreflightError::Unreadable {
                        what: format!("service {cluster}/{service}"),
                        operation: failure.operation,
                        error_code: failure.error_code,
                    });
                }
            };
            let account = found.arn.split(':').nth(4).unwrap_or_default().to_string();
            let task = new_task(
                region,
                &account,
                cluster,
                &found.task_definition_arn,
                Some(service),
                found.launch_type.clone(),
                found.platform_version.clone(),
                &found.network,
            );
            let summary = summary_of(&task, &found.network);
            Ok((task, found.network, summary))
        }
        Subject::TaskDefinition {
            region,
            cluster,
            task_definition,
            subnets,
            security_groups,
            assign_public_ip,
        } => {
            // A family or family:revision names no account: ECS's answer does.
            let definition = match reader.describe_task_definition(region, task_definition).await {
                Fact::Known(definition) => definition,
                Fact::Failed(failure) if failure.error_code == "ClientException" => {
                    return Err(PreflightError::NotFound(format!(
                        "task definition {task_definition} does not exist in {region}"
                    )));
                }
                Fact::Failed(failure) => {
                    return Err(PreflightError::Unreadable {
                        what: format!("task definition {task_definition}"),
                        operation: failure.operation,
                        error_code: failure.error_code,
                    });
                }
            };
            let account = definition.arn.split(':').nth(4).unwrap_or_default().to_string();
            let network = NetworkConfig {
                subnets: subnets.clone(),
                service_subnets: subnets.clone(),
                security_groups: security_groups.clone(),
                assign_public_ip: Some(*assign_public_ip),
                source: NetworkSource::Service,
            };
            let task = new_task(
                region,
                &account,
                cluster,
                &definition.arn,
                None,
                Some("FARGATE".into()),
                None,
                &network,
            );
            let summary = summary_of(&task, &network);
            Ok((task, network, summary))
        }
    }
}

/// What the report says was checked: the task to be and where it would run.
fn summary_of(task: &TaskFacts, network: &NetworkConfig) -> SubjectSummary {
    SubjectSummary {
        service: task.service_name().map(str::to_string),
        cluster: Some(task.cluster.clone()),
        task_definition_arn: Some(task.task_definition_arn.clone()),
        subnets: network.subnets.clone(),
        security_groups: network.security_groups.clone(),
        assign_public_ip: network.assign_public_ip,
    }
}

#[allow(clippy::too_many_arguments)]
fn new_task(
    region: &str,
    account: &str,
    cluster: &str,
    task_definition_arn: &str,
    service: Option<&str>,
    launch_type: Option<String>,
    platform_version: Option<String>,
    network: &NetworkConfig,
) -> TaskFacts {
    TaskFacts {
        // No task exists: findings about "the task" name the service, or the task definition.
        arn: service.map_or_else(|| task_definition_arn.to_string(), |s| format!("{cluster}/{s}")),
        region: region.to_string(),
        account: account.to_string(),
        cluster: cluster.to_string(),
        task_definition_arn: task_definition_arn.to_string(),
        launch_type,
        platform_version,
        group: service.map(|s| format!("service:{s}")),
        eni: Some(EniAttachment {
            eni_id: None,
            subnet_id: network.subnets.first().cloned(),
            private_ip: None,
        }),
        ..TaskFacts::default()
    }
}

/// The checks in each candidate subnet, merged: what holds in every subnet once, what holds in some
/// with the subnets it holds in.
fn per_subnet(snapshot: &Snapshot, subnets: &[String]) -> (Vec<Finding>, Vec<Pass>) {
    let nothing_failed = Failure::unknown();
    let candidates: Vec<Option<&String>> = if subnets.is_empty() {
        vec![None]
    } else {
        subnets.iter().map(Some).collect()
    };
    let mut findings: Vec<(Finding, Vec<String>)> = Vec::new();
    let mut passed: Vec<(Pass, Vec<String>)> = Vec::new();
    for subnet in &candidates {
        let mut placed = snapshot.clone();
        if let (Some(subnet), Some(eni)) = (subnet, placed.task.eni.as_mut()) {
            eni.subnet_id = Some((*subnet).clone());
        }
        let outcome = checks::run(&placed, &nothing_failed);
        for finding in outcome.findings {
            match findings
                .iter_mut()
                .find(|(f, _)| f.code == finding.code && f.resource == finding.resource && f.summary == finding.summary)
            {
                Some((_, seen)) => seen.extend(subnet.cloned()),
                None => findings.push((finding, subnet.iter().map(|s| (*s).clone()).collect())),
            }
        }
        for pass in outcome.passes {
            match passed.iter_mut().find(|(p, _)| *p == pass) {
                Some((_, seen)) => seen.extend(subnet.cloned()),
                None => passed.push((pass, subnet.iter().map(|s| (*s).clone()).collect())),
            }
        }
    }
    let everywhere = candidates.len();
    let findings = findings
        .into_iter()
        .map(|(mut finding, seen)| {
            if seen.len() < everywhere {
                finding.summary = format!(
                    "{} (in subnet{} {} only)",
                    finding.summary,
                    if seen.len() > 1 { "s" } else { "" },
                    seen.join(", ")
                );
                finding.evidence["subnets"] = json!(seen);
            }
            finding
        })
        .collect();
    let passed = passed
        .into_iter()
        .map(|(mut pass, seen)| {
            if seen.len() < everywhere {
                pass.summary = format!("{} (in {} only)", pass.summary, seen.join(", "));
            }
            pass
        })
        .collect();
    (findings, passed)
}

fn report(subject: SubjectSummary, mut findings: Vec<Finding>, passed: Vec<Pass>) -> PreflightReport {
    // Errors first, in the checks' own order (the path before existence before permissions).
    findings.sort_by_key(|f| f.severity);
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let unchecked = findings.iter().filter(|f| f.code == Code::CheckFailed).count();
    let root_cause = findings
        .first()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.code);
    let (verdict, mut reason) = match root_cause {
        Some(_) => (
            Verdict::WillFail,
            format!(
                "A new task would not start: {}. {errors} error(s) in all.",
                findings[0].summary.trim_end_matches('.')
            ),
        ),
        None => (Verdict::Ready, "Nothing found would stop a new task.".to_string()),
    };
    if unchecked > 0 {
        reason.push_str(&format!(
            " {unchecked} check(s) could not run: what they would have said is unknown."
        ));
    }
    PreflightReport {
        schema: SCHEMA,
        verdict,
        verdict_reason: reason,
        subject,
        failure: None,
        root_cause,
        findings,
        passed,
        actions: Vec::new(),
        runbook: None,
    }
}

/// How many services a sweep checks at once.
pub const SWEEP_CONCURRENCY: usize = 8;

/// One service's line in a sweep's report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweptService {
    pub cluster: String,
    pub service: String,
    /// `ready` or `will-fail`; `null` when the service could not be checked.
    pub verdict: Option<Verdict>,
    pub root_cause: Option<Code>,
    /// The root cause's sentence, or why the service could not be checked.
    pub summary: String,
    pub errors: usize,
    pub warnings: usize,
    /// Checks that could not run (CHECK_FAILED).
    pub unchecked: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepSummary {
    pub region: String,
    pub clusters: Vec<String>,
    pub services: usize,
    pub will_fail: usize,
    pub not_checked: usize,
    /// Distinct AWS reads the whole sweep made: facts shared between services are read once.
    pub distinct_reads: usize,
}

/// A sweep's report: the services whose next task would fail, worst first, then those that could
/// not be checked, then the ready ones. CHECK_FAILED findings name what could not be listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub schema: &'static str,
    /// `will-fail` when a service would; `ready` only when every listing and service was read;
    /// `inconclusive` otherwise.
    pub verdict: Verdict,
    pub verdict_reason: String,
    pub sweep: SweepSummary,
    pub services: Vec<SweptService>,
    pub findings: Vec<Finding>,
}

/// Checks every service of `clusters`, [`SWEEP_CONCURRENCY`] at a time, sharing every read between
/// them (a VPC, a role or a repository several services use is read once). Never acts.
pub async fn sweep<R: Readers>(reader: &R, region: &str, clusters: &Clusters, deadline: Deadline) -> SweepReport {
    Box::pin(sweep_inline(reader, region, clusters, deadline)).await
}

async fn sweep_inline<R: Readers>(reader: &R, region: &str, clusters: &Clusters, deadline: Deadline) -> SweepReport {
    use futures::stream::{self, StreamExt};
    let memo = crate::facts::memo::Memo::new(Bounded::new(reader, deadline));
    let mut findings = Vec::new();
    let names = match clusters {
        Clusters::Named(names) => names.clone(),
        Clusters::All => match memo.list_clusters(region).await {
            Fact::Known(names) => names,
            Fact::Failed(failure) => {
                findings.push(checks::could_not_check(
                    &failure,
                    format!("which clusters {region} has"),
                ));
                Vec::new()
            }
        },
    };
    let listed = futures::future::join_all(names.iter().map(|cluster| memo.list_services(region, cluster))).await;
    let mut subjects = Vec::new();
    for (cluster, services) in names.iter().zip(listed) {
        match services {
            Fact::Known(services) => subjects.extend(services.into_iter().map(|service| Subject::Service {
                region: region.into(),
                cluster: cluster.clone(),
                service,
            })),
            Fact::Failed(failure) => findings.push(checks::could_not_check(
                &failure,
                format!("which services cluster {cluster} has"),
            )),
        }
    }
    let memo = &memo;
    let mut services: Vec<SweptService> = stream::iter(subjects)
        .map(|subject| async move {
            let checked = Box::pin(check(memo, &subject, deadline)).await;
            swept(&subject, checked)
        })
        .buffer_unordered(SWEEP_CONCURRENCY)
        .collect()
        .await;
    // Worst first: would fail (most errors first), could not be checked, ready.
    services.sort_by_key(|s| {
        let rank = match s.verdict {
            Some(Verdict::WillFail) => 0,
            None => 1,
            _ => 2,
        };
        (rank, std::cmp::Reverse(s.errors), s.cluster.clone(), s.service.clone())
    });
    let will_fail = services.iter().filter(|s| s.verdict == Some(Verdict::WillFail)).count();
    let not_checked = services.iter().filter(|s| s.verdict.is_none()).count();
    // Ready only when everything was listed and checked: a listing or a service not read is unknown.
    let verdict = match (will_fail, not_checked + findings.len()) {
        (1.., _) => Verdict::WillFail,
        (0, 0) => Verdict::Ready,
        (0, _) => Verdict::Inconclusive,
    };
    let mut reason = format!(
        "{will_fail} of {} service(s) would not start a new task.",
        services.len()
    );
    if not_checked > 0 || !findings.is_empty() {
        reason.push_str(&format!(
            " {not_checked} service(s) and {} listing(s) could not be checked.",
            findings.len()
        ));
    }
    SweepReport {
        schema: SCHEMA,
        verdict,
        verdict_reason: reason,
        sweep: SweepSummary {
            region: region.into(),
            clusters: names,
            services: services.len(),
            will_fail,
            not_checked,
            distinct_reads: memo.distinct_reads(),
        },
        services,
        findings,
    }
}

fn swept(subject: &Subject, checked: Result<PreflightReport, PreflightError>) -> SweptService {
    let (cluster, service) = match subject {
        Subject::Service { cluster, service, .. } => (cluster.clone(), service.clone()),
        Subject::TaskDefinition {
            cluster,
            task_definition,
            ..
        } => (cluster.clone(), task_definition.clone()),
    };
    let count = |report: &PreflightReport, severity: Severity| {
        report.findings.iter().filter(|f| f.severity == severity).count()
    };
    match checked {
        Ok(report) => SweptService {
            cluster,
            service,
            verdict: Some(report.verdict),
            root_cause: report.root_cause,
            summary: report
                .findings
                .first()
                .filter(|_| report.root_cause.is_some())
                .map_or_else(|| report.verdict_reason.clone(), |f| f.summary.clone()),
            errors: count(&report, Severity::Error),
            warnings: count(&report, Severity::Warning),
            unchecked: report.findings.iter().filter(|f| f.code == Code::CheckFailed).count(),
        },
        Err(error) => SweptService {
            cluster,
            service,
            verdict: None,
            root_cause: None,
            summary: error.to_string(),
            errors: 0,
            warnings: 0,
            unchecked: 1,
        },
    }
}
