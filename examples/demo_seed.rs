//! Builds the demo's broken Fargate services in the local emulator, in private subnets with VPC
//! endpoints: `shop`, whose task definition names an image tag that was never pushed, and
//! `payments`, whose log group does not exist. Writes the EventBridge event that the shop task's stop
//! would have sent to target/demo/event.json and prints both tasks' ARNs, one a line.

#[path = "../tests/support/mod.rs"]
mod support;

use aws_config::BehaviorVersion;

use support::scenario::{Builder, event_for};

#[tokio::main]
async fn main() {
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let builder = Builder::new(&config).await;
    let shop = builder.service_with_missing_tag("shop").await;
    let payments = builder.service_with_missing_log_group("payments").await;
    let event = event_for("image-tag-not-found", &shop);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/demo");
    std::fs::create_dir_all(dir).expect("target/demo");
    std::fs::write(format!("{dir}/event.json"), serde_json::to_string_pretty(&event).expect("json")).expect("event.json");
    eprintln!(
        "demo: service web in cluster {} runs {} in private subnet {} (endpoints ecr.api, ecr.dkr, logs, s3); the repository holds 1.4.0 and 1.4.1",
        shop.cluster, shop.image, shop.network.subnet_id
    );
    eprintln!("demo: service api in cluster {} logs to /ecs/payments, which does not exist", payments.cluster);
    println!("{}", shop.task_arn);
    println!("{}", payments.task_arn);
}
