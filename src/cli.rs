//! The `ecs-pull-doctor` command line of CONTRACT.md.

use std::io::{IsTerminal, Read, Write};

use clap::{Parser, Subcommand};

use crate::adapters::aws::AwsClients;

use crate::checks::Risk;
use crate::engine;
use crate::facts::Deadline;
use crate::intake::{self, ManualRequest, Payload};
use crate::model::TaskArn;
use crate::model::arn::is_region;
use crate::preflight::{self, Subject};
use crate::report::{PreflightReport, Report, Style, notify, render_github, render_preflight, render_text};
use crate::settings::{FixMode, Modes, RunbookMode, parse_risks};

#[derive(Debug, Parser)]
#[command(
    name = "ecs-pull-doctor",
    version,
    about = "Finds why an ECS task could not pull its image, with evidence"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose a stopped task, by its ARN or from its EventBridge event.
    Diagnose(DiagnoseArgs),
    /// Pre-flight: would a new task of this service (or task definition) start? Exit 3 if not.
    Check(CheckArgs),
}

/// Another account's role to read (and fix) through, as organization mode does.
#[derive(Debug, Clone, clap::Args)]
pub struct RoleArgs {
    /// Assume this role first: arn:aws:iam::ACCOUNT:role/NAME.
    #[arg(long, value_name = "ROLE_ARN", value_parser = parse_role_arn)]
    pub role_arn: Option<String>,
    /// The external ID the role's trust policy asks for.
    #[arg(long, value_name = "ID", requires = "role_arn")]
    pub external_id: Option<String>,
}

fn parse_role_arn(value: &str) -> Result<String, String> {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].strip_prefix("role/").is_some_and(|name| !name.is_empty());
    if valid {
        Ok(value.to_string())
    } else {
        Err(format!("'{value}' is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)"))
    }
}

/// The AWS clients to read with: the standard configuration chain's, or the role of `args` assumed
/// with its credentials, under a session name that says what it is for.
pub async fn connect(args: &RoleArgs, purpose: &str) -> Result<AwsClients, CliError> {
    let role = args.role_arn.as_deref().map(|arn| (arn, args.external_id.as_deref()));
    let session = crate::facts::members::session_name(purpose);
    AwsClients::connect(role, &session).await.map_err(CliError::Assume)
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The service whose next task to check.
    #[arg(
        long,
        value_name = "CLUSTER/SERVICE",
        required_unless_present = "task_definition",
        conflicts_with = "task_definition"
    )]
    pub service: Option<String>,
    /// A task definition to check with the network configuration given.
    #[arg(long, value_name = "FAMILY[:REVISION]|ARN", requires_all = ["subnets", "security_groups"])]
    pub task_definition: Option<String>,
    #[arg(long, value_name = "ID[,ID...]", value_delimiter = ',', requires = "task_definition")]
    pub subnets: Vec<String>,
    #[arg(long, value_name = "ID[,ID...]", value_delimiter = ',', requires = "task_definition")]
    pub security_groups: Vec<String>,
    #[arg(long, requires = "task_definition")]
    pub assign_public_ip: bool,
    /// The cluster a task definition would run in (default: default).
    #[arg(long, value_name = "NAME", conflicts_with = "service")]
    pub cluster: Option<String>,
    /// The region (default: the AWS configuration's).
    #[arg(long, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,
    /// text on a terminal, json otherwise; github: workflow annotations, then the text.
    #[arg(long, value_parser = ["text", "json", "github"])]
    pub format: Option<String>,
    /// The whole check ends within this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    #[command(flatten)]
    pub role: RoleArgs,
}

/// What `check`'s arguments ask for, before any AWS call; `region` is the configuration's, used
/// when --region is not given.
pub fn check_subject(args: &CheckArgs, configured_region: Option<&str>) -> Result<Subject, CliError> {
    let region = match (&args.region, configured_region) {
        (Some(region), _) => region.clone(),
        (None, Some(region)) if is_region(region) => region.to_string(),
        _ => return Err(CliError::Usage("no region: give --region, or set AWS_REGION".into())),
    };
    let flagged = |bad: preflight::BadSubject| CliError::Usage(format!("{}: {}", bad.field.flag(), bad.problem));
    if let Some(service) = &args.service {
        return Subject::service(&region, service).map_err(flagged);
    }
    let task_definition = args
        .task_definition
        .as_deref()
        .ok_or_else(|| CliError::Usage("give --service CLUSTER/SERVICE or --task-definition".into()))?;
    let cluster = args.cluster.as_deref().unwrap_or("default");
    Subject::task_definition(
        &region,
        cluster,
        task_definition,
        &args.subnets,
        &args.security_groups,
        args.assign_public_ip,
    )
    .map_err(flagged)
}

/// Checks `subject` and writes the report to `out`: JSON, the text checklist, or GitHub annotations.
pub async fn run_check<R: crate::facts::Readers>(
    reader: &R,
    subject: &Subject,
    deadline: Deadline,
    format: Option<&str>,
    out: &mut impl Write,
    terminal: bool,
) -> Result<PreflightReport, CliError> {
    let report = preflight::check(reader, subject, deadline).await?;
    let text = match format.unwrap_or(if terminal { "text" } else { "json" }) {
        "json" => serde_json::to_string_pretty(&report).map_err(|e| CliError::Output(e.to_string()))? + "\n",
        "github" => render_github(&report),
        _ => {
            let colour = terminal && std::env::var_os("NO_COLOR").is_none();
            render_preflight(&report, if colour { Style::Color } else { Style::Plain })
        }
    };
    out.write_all(text.as_bytes())
        .map_err(|e| CliError::Output(e.to_string()))?;
    Ok(report)
}

#[derive(Debug, clap::Args)]
pub struct DiagnoseArgs {
    /// The task ARN: arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID.
    #[arg(
        long,
        value_name = "TASK_ARN",
        required_unless_present = "event",
        conflicts_with = "event"
    )]
    pub task: Option<String>,
    /// An EventBridge event or a manual {"taskArn": ...} payload; '-' reads standard input.
    #[arg(long, value_name = "FILE")]
    pub event: Option<String>,
    /// The cluster, for old-format task ARNs that do not name it.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Overrides the task ARN's region.
    #[arg(long, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,
    /// text on a terminal, json otherwise; chat and email: the notices the function would send.
    #[arg(long, value_parser = ["text", "json", "chat", "email"])]
    pub format: Option<String>,
    #[arg(long, default_value = "off", value_parser = |v: &str| v.parse::<FixMode>().map_err(|e| e.to_string()))]
    pub fix: FixMode,
    /// Which fix risk classes apply may use: safe, cost, exposure; none (or empty) for none.
    #[arg(long, value_name = "RISK[,RISK...]", default_value = "safe", value_parser = |v: &str| parse_risks(v).map(AllowedRisks).map_err(|e| e.to_string()))]
    pub allow_fix: AllowedRisks,
    #[arg(long, default_value = "never", value_parser = |v: &str| v.parse::<RunbookMode>().map_err(|e| e.to_string()))]
    pub runbook: RunbookMode,
    /// After an applied fix to a service's task, force a new deployment of the service.
    #[arg(long)]
    pub redeploy: bool,
    /// The whole diagnosis ends within this many seconds: what AWS has not answered by then is
    /// reported as not checked, and nothing is written after it.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    #[command(flatten)]
    pub role: RoleArgs,
}

/// The fix classes `--allow-fix` names, as one value (clap would take a bare list for several flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedRisks(pub Vec<Risk>);

fn parse_region(value: &str) -> Result<String, String> {
    if is_region(value) {
        Ok(value.to_string())
    } else {
        Err(format!("'{value}' is not an AWS region"))
    }
}

/// A failure before any report: bad arguments or unreadable input (exit 2), or no report at all (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Input(#[from] intake::IntakeError),
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("could not write the report: {0}")]
    Output(String),
    #[error(transparent)]
    Subject(#[from] preflight::PreflightError),
    #[error("cannot assume {}: {} failed with {}: {}", .0.resource, .0.operation, .0.error_code, .0.message)]
    Assume(crate::facts::CallFailure),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Output(_)
            | CliError::Assume(_)
            | CliError::Subject(preflight::PreflightError::Unreadable { .. }) => 1,
            _ => 2,
        }
    }
}

/// What the arguments ask for, before any AWS call.
pub fn request(args: &DiagnoseArgs) -> Result<(Payload, Modes), CliError> {
    let modes = Modes {
        fix: args.fix,
        allow_fix: args.allow_fix.0.clone(),
        runbook: args.runbook,
        redeploy: args.redeploy,
        runbook_roles: crate::fixes::RunbookRoles::from_env(|name| std::env::var(name).ok()),
    };
    if args.event.is_some() && (args.cluster.is_some() || args.region.is_some()) {
        return Err(CliError::Usage(
            "--cluster and --region go with --task; an event names its own".into(),
        ));
    }
    let payload = match (&args.task, &args.event) {
        (Some(task), _) => {
            let mut arn: TaskArn = task.parse().map_err(intake::IntakeError::from)?;
            if let Some(cluster) = &args.cluster {
                arn = arn.with_cluster(cluster);
            }
            if let Some(region) = &args.region {
                arn = arn.with_region(region);
            }
            Payload::Manual(ManualRequest {
                task: arn,
                fix: None,
                runbook: None,
            })
        }
        (None, Some(path)) => intake::parse_text(&read_input(path)?)?,
        (None, None) => return Err(CliError::Usage("give --task <TASK_ARN> or --event <FILE>".into())),
    };
    Ok((payload, modes))
}

fn read_input(path: &str) -> Result<String, CliError> {
    let unreadable = |e: std::io::Error| CliError::Unreadable {
        path: path.to_string(),
        reason: e.to_string(),
    };
    if path == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(unreadable)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).map_err(unreadable)
    }
}

/// Diagnoses what [`request`] read and writes the report to `out`, as JSON or as the text checklist.
pub async fn run<R: crate::engine::Doctor>(
    reader: &R,
    (payload, modes): (Payload, Modes),
    deadline: Deadline,
    format: Option<&str>,
    out: &mut impl Write,
    terminal: bool,
) -> Result<Report, CliError> {
    let report = engine::diagnose(reader, payload, &modes, deadline).await;
    let text = match format.unwrap_or(if terminal { "text" } else { "json" }) {
        "json" => serde_json::to_string_pretty(&report).map_err(|e| CliError::Output(e.to_string()))? + "\n",
        "chat" => {
            serde_json::to_string_pretty(&notify::chat_message(&report)).map_err(|e| CliError::Output(e.to_string()))?
                + "\n"
        }
        "email" => {
            let mail = notify::email(&report);
            format!("Subject: {}\n\n{}", mail.subject, mail.body)
        }
        _ => {
            let colour = terminal && std::env::var_os("NO_COLOR").is_none();
            render_text(&report, if colour { Style::Color } else { Style::Plain })
        }
    };
    out.write_all(text.as_bytes())
        .map_err(|e| CliError::Output(e.to_string()))?;
    Ok(report)
}

/// Parses the command line; help and version print and exit 0, errors become one line and exit 2.
pub fn parse_args() -> Result<Cli, CliError> {
    Cli::try_parse().map_err(|error| {
        use clap::error::ErrorKind;
        if matches!(
            error.kind(),
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        ) {
            let _ = error.print();
            std::process::exit(0);
        }
        // clap's first paragraph, on one line; its usage block and tips are left to --help.
        let rendered = error.render().to_string();
        let first: Vec<&str> = rendered
            .lines()
            .map(str::trim)
            .take_while(|line| !line.is_empty())
            .collect();
        let first = first.join(" ");
        let first = first.trim_start_matches("error: ");
        let command = std::env::args()
            .nth(1)
            .filter(|c| c == "check")
            .unwrap_or_else(|| "diagnose".into());
        CliError::Usage(format!("{first} (see ecs-pull-doctor {command} --help)"))
    })
}

pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}
