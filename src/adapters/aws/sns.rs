//! The notices' publisher: sns:Publish with the function's own credentials.

use crate::model::Operation;
use crate::notices::{Destination, Outgoing, PublishFuture, Publisher};

/// sns:Publish with the function's own credentials (the topic is the central account's).
pub struct SnsPublisher {
    client: aws_sdk_sns::Client,
}

impl SnsPublisher {
    pub fn new(config: &aws_config::SdkConfig, destination: &Destination) -> Self {
        let config = aws_sdk_sns::config::Builder::from(config)
            .region(aws_config::Region::new(destination.region().to_string()))
            .build();
        SnsPublisher {
            client: aws_sdk_sns::Client::from_conf(config),
        }
    }
}

impl Publisher for SnsPublisher {
    fn publish<'a>(&'a self, topic_arn: &'a str, outgoing: &'a Outgoing) -> PublishFuture<'a> {
        Box::pin(async move {
            self.client
                .publish()
                .topic_arn(topic_arn)
                .set_subject(outgoing.subject.clone())
                .message(&outgoing.message)
                .send()
                .await
                .map(|_| ())
                .map_err(|error| super::call_failure(Operation::Publish.iam(), topic_arn, &error))
        })
    }
}
