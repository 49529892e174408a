//! The command line: parse, diagnose, print. Exit 0 with a report, 2 for bad input, 1 for no report.

use std::time::Duration;

use ecs_pull_doctor::cli::{self, Command};
use ecs_pull_doctor::deadline::Deadline;
use ecs_pull_doctor::redact;
use ecs_pull_doctor::facts::aws::AwsReader;

#[tokio::main]
async fn main() {
    let outcome = async {
        let Command::Diagnose(args) = cli::parse_args()?.command;
        // The budget counts from the start, configuration loading included.
        let deadline = Deadline::after(Duration::from_secs(args.timeout));
        // Bad input is rejected before any AWS configuration is loaded.
        let request = cli::request(&args)?;
        let reader = AwsReader::from_env().await;
        cli::run(&reader, request, deadline, args.format.as_deref(), &mut std::io::stdout().lock(), cli::stdout_is_terminal()).await
    }
    .await;
    if let Err(error) = outcome {
        let message = redact::escape_control(&redact::redact(&error.to_string()));
        eprintln!("ecs-pull-doctor: {message}");
        std::process::exit(error.exit_code());
    }
}
