//! Builds the demo's broken Fargate services in the local emulator, in private subnets with VPC
//! endpoints: `shop`, whose task definition names an image tag that was never pushed, and
//! `payments`, whose log group does not exist, and `files`, whose EFS volume has no mount target in the
//! task's zone, and `orders`, healthy when deployed but whose image tag has since been deleted.
//! Writes the EventBridge event that the shop task's stop would have sent to target/demo/event.json
//! and prints the three failed tasks' ARNs and the orders service (CLUSTER/SERVICE), one a line.

#[path = "../tests/support/mod.rs"]
mod support;

use aws_config::BehaviorVersion;

use support::REGION;
use support::scenario::{Builder, DefinitionSpec, EfsSpec, NetworkSpec, event_for};

const EFS_UNRESOLVED: &str = "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve \"fs-0123456789abcdef0.efs.us-east-1.amazonaws.com\" - check that your file system ID is correct, and ensure that the VPC has an EFS mount target for this file system ID.";

#[tokio::main]
async fn main() {
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let builder = Builder::new(&config).await;
    let shop = builder.service_with_missing_tag("shop").await;
    let payments = builder.service_with_missing_log_group("payments").await;
    // A third service mounts an EFS file system whose only mount target is in another zone.
    let repository = builder.repository("files/app", &["2.0.0"]).await;
    let definition = DefinitionSpec {
        efs: Some(EfsSpec::ElsewhereOnly),
        ..DefinitionSpec::default()
    };
    let files = builder
        .fargate_task_with(
            "files",
            &NetworkSpec::default(),
            &definition,
            &format!("{repository}:2.0.0"),
            Some("files"),
            EFS_UNRESOLVED,
        )
        .await;
    // A fourth runs fine, but the tag it deploys has since been deleted (as a lifecycle rule would
    // expire it): its next deployment would fail, which `check` says before that happens.
    let orders_repository = builder.repository("orders/api", &["3.1.0"]).await;
    let orders = builder
        .fargate_task(
            "orders",
            &NetworkSpec::default(),
            &format!("{orders_repository}:3.1.0"),
            Some("api"),
            "Scaling activity initiated by deployment",
        )
        .await;
    let ecr = aws_sdk_ecr::Client::new(&config);
    let expired = aws_sdk_ecr::types::ImageIdentifier::builder()
        .image_tag("3.1.0")
        .build();
    ecr.batch_delete_image()
        .repository_name("orders/api")
        .image_ids(expired)
        .send()
        .await
        .expect("the tag expires");
    let event = event_for("image-tag-not-found", &shop);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/demo");
    std::fs::create_dir_all(dir).expect("target/demo");
    std::fs::write(
        format!("{dir}/event.json"),
        serde_json::to_string_pretty(&event).expect("json"),
    )
    .expect("event.json");
    eprintln!(
        "demo: service web in cluster {} runs {} in private subnet {} (endpoints ecr.api, ecr.dkr, logs, s3); the repository holds 1.4.0 and 1.4.1",
        shop.cluster, shop.image, shop.network.subnet_id
    );
    eprintln!(
        "demo: service api in cluster {} logs to /ecs/payments, which does not exist",
        payments.cluster
    );
    println!("{}", shop.task_arn);
    eprintln!(
        "demo: service files in cluster {} mounts an EFS file system whose only mount target is in {REGION}b; the task runs in {REGION}a",
        files.cluster
    );
    println!("{}", payments.task_arn);
    println!("{}", files.task_arn);
    eprintln!(
        "demo: service api in cluster {} deployed orders/api:3.1.0, a tag since deleted from its repository",
        orders.cluster
    );
    println!("{}/{}", orders.cluster, orders.service.as_deref().unwrap_or("api"));
}
