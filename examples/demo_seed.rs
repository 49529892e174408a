//! Builds the demo's broken Fargate service in the local emulator: a private subnet with VPC
//! endpoints, and a task definition whose image tag was never pushed. Writes the EventBridge event
//! that the task's stop would have sent to target/demo/event.json and prints the task's ARN.

#[path = "../tests/support/mod.rs"]
mod support;

use aws_config::BehaviorVersion;

use support::scenario::{Builder, event_for};

#[tokio::main]
async fn main() {
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let builder = Builder::new(&config).await;
    let task = builder.service_with_missing_tag("shop").await;
    let event = event_for("image-tag-not-found", &task);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/demo");
    std::fs::create_dir_all(dir).expect("target/demo");
    std::fs::write(format!("{dir}/event.json"), serde_json::to_string_pretty(&event).expect("json")).expect("event.json");
    eprintln!(
        "demo: service web in cluster {} runs {} in private subnet {} (endpoints ecr.api, ecr.dkr, logs, s3); the repository holds 1.4.0 and 1.4.1",
        task.cluster, task.image, task.network.subnet_id
    );
    println!("{}", task.task_arn);
}
