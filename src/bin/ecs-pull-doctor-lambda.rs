//! The Lambda function: wire the AWS reader and the environment's modes to the handler.

use ecs_pull_doctor::facts::aws::AwsReader;
use ecs_pull_doctor::handler::{Handler, init_tracing};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let handler = Handler::from_env(AwsReader::from_env().await)?;
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move { handler.handle(event).await })).await
}
