//! AWS's own names for what the task reaches, in one place.

use super::arn::partition_of;

/// The objects of the bucket from which ECR serves a region's image layers.
pub fn layer_bucket_objects(region: &str) -> String {
    format!(
        "arn:{}:s3:::prod-{region}-starport-layer-bucket/*",
        partition_of(region)
    )
}

/// A VPC endpoint service's name: `com.amazonaws.REGION.SERVICE` (`ecr.api`, `s3`, ...).
pub fn endpoint_service(region: &str, service: &str) -> String {
    format!("com.amazonaws.{region}.{service}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_by_region_and_partition() {
        assert_eq!(
            layer_bucket_objects("eu-west-1"),
            "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*"
        );
        assert_eq!(
            layer_bucket_objects("cn-north-1"),
            "arn:aws-cn:s3:::prod-cn-north-1-starport-layer-bucket/*"
        );
        assert_eq!(
            endpoint_service("us-east-1", "ecr.api"),
            "com.amazonaws.us-east-1.ecr.api"
        );
    }
}
