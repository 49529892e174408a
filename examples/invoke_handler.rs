//! Feeds a JSON payload file to the Lambda handler, as the Lambda runtime would, and prints the
//! report: the local twin of `aws lambda invoke`. Configuration comes from the same environment.
//!
//!     cargo run --example invoke_handler -- events/manual-invoke.json

use ecs_pull_doctor::adapters::aws::AwsClients;
use ecs_pull_doctor::wiring::aws_handler;
use lambda_runtime::{Context, Diagnostic, LambdaEvent};

#[tokio::main]
async fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: invoke_handler <payload.json>");
        std::process::exit(2);
    };
    let payload = std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| {
            eprintln!("invoke_handler: cannot read {path}: {e}");
            std::process::exit(2);
        });
    let handler = aws_handler(AwsClients::from_env().await, |name| std::env::var(name).ok()).unwrap_or_else(|e| {
        eprintln!("invoke_handler: {e}");
        std::process::exit(2);
    });
    match handler.handle(LambdaEvent::new(payload, Context::default())).await {
        Ok(report) => println!("{}", serde_json::to_string_pretty(&report).expect("reports serialise")),
        Err(error) => {
            let diagnostic = Diagnostic::from(error);
            eprintln!("{}: {}", diagnostic.error_type, diagnostic.error_message);
            std::process::exit(1);
        }
    }
}
