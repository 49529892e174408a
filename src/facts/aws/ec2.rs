use aws_sdk_ec2::Client;
use aws_sdk_ec2::error::ProvideErrorMetadata;

use super::{AwsReader, call_failure};
use crate::facts::{Ec2Reader, Fact, NetworkConfig, NetworkSource};

impl AwsReader {
    fn ec2(&self, region: &str) -> Client {
        Client::new(&self.in_region(region))
    }
}

impl Ec2Reader for AwsReader {
    async fn describe_eni_network(&self, region: &str, eni_id: &str) -> Fact<Option<NetworkConfig>> {
        match self.ec2(region).describe_network_interfaces().network_interface_ids(eni_id).send().await {
            Ok(output) => Fact::Known(output.network_interfaces().first().map(|eni| NetworkConfig {
                subnets: eni.subnet_id().map(str::to_string).into_iter().collect(),
                security_groups: eni.groups().iter().filter_map(|g| g.group_id()).map(str::to_string).collect(),
                assign_public_ip: Some(eni.association().and_then(|a| a.public_ip()).is_some()),
                source: NetworkSource::Eni,
            })),
            Err(error) if error.code() == Some("InvalidNetworkInterfaceID.NotFound") => Fact::Known(None),
            Err(error) => Fact::Failed(call_failure("ec2:DescribeNetworkInterfaces", eni_id, &error)),
        }
    }
}
