//! The Lambda function: the handler its environment describes, run by the Lambda runtime.

use ecs_pull_doctor::adapters::aws::AwsClients;
use ecs_pull_doctor::handler::init_tracing;
use ecs_pull_doctor::wiring::aws_handler;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let reader = AwsClients::from_env().await;
    // A pre-flight request that names no region checks in the function's own.
    let region = reader.region().unwrap_or_default().to_string();
    let handler = aws_handler(reader, |name| std::env::var(name).ok())?;
    let (handler, region) = (&handler, region.as_str());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler.answer(event, region).await
    }))
    .await
}
