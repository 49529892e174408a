//! The Lambda function: wire the AWS reader, the environment's modes and, in an organization
//! deployment, the member accounts' role, and the notices' topic to the handler.

use ecs_pull_doctor::facts::aws::{AwsReader, Organization};
use ecs_pull_doctor::handler::{Handler, init_tracing};
use ecs_pull_doctor::members::MemberRole;
use ecs_pull_doctor::notices::{Destination, SnsPublisher};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let reader = AwsReader::from_env().await;
    // A pre-flight request that names no region checks in the function's own.
    let region = reader.sdk_config().region().map(|r| r.to_string()).unwrap_or_default();
    let members = MemberRole::from_env(|name| std::env::var(name).ok())?.map(|role| Organization::new(reader.sdk_config().clone(), role));
    let notices = Destination::from_env(|name| std::env::var(name).ok())?;
    let own = reader.sdk_config().clone();
    let mut handler = Handler::from_env(reader)?;
    if let Some(members) = members {
        handler = handler.with_members(members);
    }
    if let Some(destination) = notices {
        let publisher = SnsPublisher::new(&own, &destination);
        handler = handler.with_notices(destination, publisher);
    }
    let (handler, region) = (&handler, region.as_str());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move { handler.answer(event, region).await })).await
}
