//! The command line: parse, diagnose or check, print. Exit 0 with a report (3 when a check says a
//! new task would fail), 2 for bad input, 1 for no report.

use std::time::Duration;

use ecs_pull_doctor::checks::Verdict;
use ecs_pull_doctor::cli::{self, Command};
use ecs_pull_doctor::facts::Deadline;
use ecs_pull_doctor::redact;

#[tokio::main]
async fn main() {
    let outcome: Result<i32, cli::CliError> = async {
        match cli::parse_args()?.command {
            Command::Diagnose(args) => {
                // The budget counts from the start, configuration loading included.
                let deadline = Deadline::after(Duration::from_secs(args.timeout));
                // Bad input is rejected before any AWS configuration is loaded.
                let request = cli::request(&args)?;
                // The session names the task, as organization mode's do.
                let task_id = ecs_pull_doctor::engine::member_task(&request.0)
                    .map(|task| task.task_id)
                    .unwrap_or_default();
                let reader = cli::connect(&args.role, &task_id).await?;
                cli::run(
                    &reader,
                    request,
                    deadline,
                    args.format.as_deref(),
                    &mut std::io::stdout().lock(),
                    cli::stdout_is_terminal(),
                )
                .await?;
                Ok(0)
            }
            Command::Check(args) => {
                let deadline = Deadline::after(Duration::from_secs(args.timeout));
                // Arguments that cannot be right are rejected before any configuration is loaded.
                cli::check_subject(&args, args.region.as_deref().or(Some("us-east-1")))?;
                let reader = cli::connect(&args.role, "check").await?;
                let subject = cli::check_subject(&args, reader.region())?;
                let report = cli::run_check(
                    &reader,
                    &subject,
                    deadline,
                    args.format.as_deref(),
                    &mut std::io::stdout().lock(),
                    cli::stdout_is_terminal(),
                )
                .await?;
                // A CI gate: 3 when a new task would not start.
                Ok(if report.verdict == Verdict::WillFail { 3 } else { 0 })
            }
        }
    }
    .await;
    match outcome {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            let message = redact::escape_control(&redact::redact(&error.to_string()));
            eprintln!("ecs-pull-doctor: {message}");
            std::process::exit(error.exit_code());
        }
    }
}
