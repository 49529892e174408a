//! The classifier corpus: every message of the failure catalogue (shared/domain.md), verbatim, plus the
//! EC2 launch type's and older platforms' variants. Each row states what the message must yield.

use super::*;

#[derive(Default)]
pub(crate) struct Case {
    pub(crate) message: &'static str,
    kind: Option<FailureKind>,
    category: Option<Category>,
    nature: Option<Nature>,
    destination: Option<Destination>,
    account: Option<&'static str>,
    region: Option<&'static str>,
    repository: Option<&'static str>,
    reference: Option<&'static str>,
    failed_api: Option<&'static str>,
    role_arn: Option<&'static str>,
    denial_basis: Option<DenialBasis>,
    secret_arn: Option<&'static str>,
    parameter: Option<&'static str>,
    platform: Option<&'static str>,
    address: Option<&'static str>,
}

use Category as C;
use Destination as D;
use FailureKind as K;
use Nature as N;

pub(crate) fn corpus() -> Vec<Case> {
    vec![
        // 1. No route out of the subnet (Fargate 1.3 / EC2 Docker form).
        Case {
            message: "CannotPullContainerError: API error (500): Get https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/: net/http: request canceled while waiting for connection",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::EcrRegistry),
            account: Some("111122223333"),
            region: Some("us-east-1"),
            ..Default::default()
        },
        // 2. Docker Hub with no internet path.
        Case {
            message: "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/tryretool/backend:2.110.5: failed to do request: Head \"https://registry-1.docker.io/v2/tryretool/backend/manifests/2.110.5\": dial tcp 34.205.13.154:443: i/o timeout",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::PublicRegistry),
            repository: Some("tryretool/backend"),
            reference: Some("2.110.5"),
            ..Default::default()
        },
        // 3. Registry auth over the task ENI, platform 1.4.0.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post \"https://api.ecr.us-east-2.amazonaws.com/\": dial tcp 10.0.1.5:443: i/o timeout. Please check your task network configuration.",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::EcrApi),
            region: Some("us-east-2"),
            failed_api: Some("ecr:GetAuthorizationToken"),
            ..Default::default()
        },
        // 4. The newer form with the plain-language hint in front.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth from Amazon ECR: There is a connection issue between the task and Amazon ECR. Check your task network configuration. operation error ECR: GetAuthorizationToken, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 10.0.2.9:443: i/o timeout",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::EcrApi),
            region: Some("us-east-1"),
            failed_api: Some("ecr:GetAuthorizationToken"),
            ..Default::default()
        },
        // 5. Killed pull: the same network cause.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: pull command failed: : signal: killed",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            ..Default::default()
        },
        // 6. Layers from S3 time out.
        Case {
            message: "CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: failed open: failed to do request: Get \"https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2-111122223333-c3d4/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab?X-Amz-Security-Token=REDACTED\": dial tcp 52.216.0.1:443: i/o timeout",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::EcrLayerBucket),
            region: Some("us-east-1"),
            ..Default::default()
        },
        // 6b. The EC2 agent redacts the layer URL.
        Case {
            message: "CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: failed open: failed to do request: Get REDACTED ECR URL related to 111111111111.dkr.ecr.us-east-1.amazonaws.com/myapp: dial tcp 52.216.0.1:443: i/o timeout",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::EcrRegistry),
            account: Some("111111111111"),
            repository: Some("myapp"),
            ..Default::default()
        },
        // 7. S3 endpoint policy blocks the layer bucket.
        Case {
            message: "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed open: unexpected status code https://prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com/a1b2/c3d4: 403 Forbidden <?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::AccessDenied),
            destination: Some(D::EcrLayerBucket),
            region: Some("eu-west-1"),
            ..Default::default()
        },
        // 8. Tag missing.
        Case {
            message: "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 961341555117.dkr.ecr.ap-southeast-1.amazonaws.com/rag-nginx:latest: not found",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Image),
            nature: Some(N::NotFound),
            destination: Some(D::EcrRegistry),
            account: Some("961341555117"),
            region: Some("ap-southeast-1"),
            repository: Some("rag-nginx"),
            reference: Some("latest"),
            ..Default::default()
        },
        // 9. Repository missing.
        Case {
            message: "CannotPullContainerError: API error (404): repository 111122223333.dkr.ecr.us-east-1.amazonaws.com/team/app not found",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Registry),
            nature: Some(N::NotFound),
            destination: Some(D::EcrRegistry),
            account: Some("111122223333"),
            repository: Some("team/app"),
            ..Default::default()
        },
        // 10. Digest or tag deleted by a lifecycle policy.
        Case {
            message: "CannotPullImageManifestError: Error response from daemon: manifest unknown: manifest unknown",
            kind: Some(K::CannotPullImageManifestError),
            category: Some(C::Image),
            nature: Some(N::NotFound),
            ..Default::default()
        },
        // 11. Cross-account: no resource-based policy.
        Case {
            message: "CannotPullContainerError: Error response from daemon: pull access denied for 111111111111.dkr.ecr.us-west-2.amazonaws.com/myapp, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::222222222222:assumed-role/ecsTaskExecutionRole/abc is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-west-2:111111111111:repository/myapp because no resource-based policy allows the ecr:BatchGetImage action",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Registry),
            nature: Some(N::AccessDenied),
            destination: Some(D::EcrRegistry),
            account: Some("111111111111"),
            region: Some("us-west-2"),
            repository: Some("myapp"),
            failed_api: Some("ecr:BatchGetImage"),
            role_arn: Some("arn:aws:iam::222222222222:role/ecsTaskExecutionRole"),
            denial_basis: Some(DenialBasis::NoResourcePolicy),
            ..Default::default()
        },
        // 11b. Same account: the role lacks the action.
        Case {
            message: "CannotPullContainerError: Error response from daemon: pull access denied for 111111111111.dkr.ecr.us-west-2.amazonaws.com/myapp, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::111111111111:assumed-role/ecsTaskExecutionRole/abc is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-west-2:111111111111:repository/myapp because no identity-based policy allows the ecr:BatchGetImage action",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Permissions),
            nature: Some(N::AccessDenied),
            failed_api: Some("ecr:BatchGetImage"),
            denial_basis: Some(DenialBasis::NoIdentityPolicy),
            ..Default::default()
        },
        // 11c. Explicit deny in the repository policy.
        Case {
            message: "CannotPullContainerError: Error response from daemon: pull access denied for 111111111111.dkr.ecr.us-west-2.amazonaws.com/myapp, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::111111111111:assumed-role/ecsTaskExecutionRole/abc is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-west-2:111111111111:repository/myapp with an explicit deny in a resource-based policy",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Permissions),
            nature: Some(N::AccessDenied),
            denial_basis: Some(DenialBasis::ExplicitDeny),
            repository: Some("myapp"),
            ..Default::default()
        },
        // 12. Bare 403 from the registry.
        Case {
            message: "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref 123456789123.dkr.ecr.us-east-1.amazonaws.com/a2-ecr-app-repo:latest: pulling from host 123456789123.dkr.ecr.us-east-1.amazonaws.com failed with status code [manifests latest]: 403 Forbidden",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Registry),
            nature: Some(N::AccessDenied),
            destination: Some(D::EcrRegistry),
            repository: Some("a2-ecr-app-repo"),
            reference: Some("latest"),
            ..Default::default()
        },
        // 13. Unexpected status code while copying.
        Case {
            message: "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReaderSeeker: failed open: unexpected status code",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Permissions),
            nature: Some(N::AccessDenied),
            ..Default::default()
        },
        // 14. No basic auth credentials.
        Case {
            message: "CannotPullContainerError: Error response from daemon: Get https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/team/app/manifests/1.0: no basic auth credentials",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Permissions),
            nature: Some(N::CredentialsMissing),
            destination: Some(D::EcrRegistry),
            account: Some("111122223333"),
            ..Default::default()
        },
        // 15. Docker Hub rate limit.
        Case {
            message: "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/library/nginx:1.25: pulling from host registry-1.docker.io failed with status code [manifests 1.25]: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Registry),
            nature: Some(N::RateLimited),
            destination: Some(D::PublicRegistry),
            repository: Some("library/nginx"),
            reference: Some("1.25"),
            ..Default::default()
        },
        // 15b. The EC2 Docker form of the rate limit.
        Case {
            message: "CannotPullContainerError: Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Registry),
            nature: Some(N::RateLimited),
            ..Default::default()
        },
        // 16. Platform mismatch on Fargate.
        Case {
            message: "CannotPullContainerError: pull image manifest has been retried 5 time(s): image Manifest does not contain descriptor matching platform 'linux/arm64'",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Image),
            nature: Some(N::PlatformMismatch),
            platform: Some("linux/arm64"),
            ..Default::default()
        },
        // 16b. Platform mismatch on EC2.
        Case {
            message: "CannotPullContainerError: Error response from daemon: no matching manifest for linux/amd64 in the manifest list entries",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Image),
            nature: Some(N::PlatformMismatch),
            platform: Some("linux/amd64"),
            ..Default::default()
        },
        // 16c. A Windows container instance.
        Case {
            message: "CannotPullContainerError: Error response from daemon: no matching manifest for windows/amd64 10.0.17763 in the manifest list entries",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Image),
            nature: Some(N::PlatformMismatch),
            platform: Some("windows/amd64"),
            ..Default::default()
        },
        // 17. Disk full.
        Case {
            message: "CannotPullContainerError: ref pull has been retried 1 time(s): failed to extract layer sha256:9f1c2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8: write /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/71/fs/usr/lib/libLLVM.so: no space left on device: unknown",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Storage),
            nature: Some(N::NoSpace),
            ..Default::default()
        },
        // 18. No execution role on the ECR path.
        Case {
            message: "CannotPullECRContainerError: engine ecr credentials: not found",
            kind: Some(K::CannotPullECRContainerError),
            category: Some(C::Permissions),
            nature: Some(N::CredentialsMissing),
            destination: Some(D::EcrRegistry),
            ..Default::default()
        },
        // 18b. Private registry credentials.
        Case {
            message: "CannotPullContainerAuthError: engine docker private registry credentials: not found",
            kind: Some(K::CannotPullContainerAuthError),
            category: Some(C::Permissions),
            nature: Some(N::CredentialsMissing),
            destination: Some(D::PublicRegistry),
            ..Default::default()
        },
        // 19. The role lacks ecr:GetAuthorizationToken.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 1 time(s): operation error ECR: GetAuthorizationToken, https response error StatusCode: 400, RequestID: 0e5b6c7d-1a2b-4c3d-8e9f-0a1b2c3d4e5f, api error AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/appExecutionRole/1f2e is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Permissions),
            nature: Some(N::AccessDenied),
            destination: Some(D::EcrApi),
            failed_api: Some("ecr:GetAuthorizationToken"),
            role_arn: Some("arn:aws:iam::111122223333:role/appExecutionRole"),
            denial_basis: Some(DenialBasis::NoIdentityPolicy),
            ..Default::default()
        },
        // 19b. EC2: the container instance role lacks it (older agent, no operation error wrapper).
        Case {
            message: "CannotPullECRContainerError: AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/ecsInstanceRole/i-0abc123def4567890 is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action\n\tstatus code: 400, request id: 8c2b1a3f-0000-4d5e-9f8e-1a2b3c4d5e6f",
            kind: Some(K::CannotPullECRContainerError),
            category: Some(C::Permissions),
            nature: Some(N::AccessDenied),
            failed_api: Some("ecr:GetAuthorizationToken"),
            role_arn: Some("arn:aws:iam::111122223333:role/ecsInstanceRole"),
            ..Default::default()
        },
        // 20. ECS cannot assume the role.
        Case {
            message: "ECS was unable to assume the role 'arn:aws:iam::111122223333:role/app' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.",
            kind: Some(K::UnableToAssumeRole),
            category: Some(C::Permissions),
            nature: Some(N::AssumeRoleFailed),
            role_arn: Some("arn:aws:iam::111122223333:role/app"),
            ..Default::default()
        },
        // 21. No path to Secrets Manager.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf from secrets manager: RequestCanceled: request context canceled caused by: context deadline exceeded. Please check your task network configuration.",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::SecretsManager),
            failed_api: Some("secretsmanager:GetSecretValue"),
            secret_arn: Some("arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"),
            region: Some("us-east-1"),
            ..Default::default()
        },
        // 22. The role lacks secretsmanager:GetSecretValue.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf from secrets manager: AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/5a6b is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf because no identity-based policy allows the secretsmanager:GetSecretValue action",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Permissions),
            nature: Some(N::AccessDenied),
            destination: Some(D::SecretsManager),
            failed_api: Some("secretsmanager:GetSecretValue"),
            secret_arn: Some("arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"),
            role_arn: Some("arn:aws:iam::111122223333:role/ecsTaskExecutionRole"),
            ..Default::default()
        },
        // 22b. A customer-managed key the role cannot use.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:eu-central-1:111122223333:secret:api-key-9XyZ12 from secrets manager: AccessDeniedException: Access to KMS is not allowed",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Permissions),
            nature: Some(N::AccessDenied),
            destination: Some(D::SecretsManager),
            region: Some("eu-central-1"),
            secret_arn: Some("arn:aws:secretsmanager:eu-central-1:111122223333:secret:api-key-9XyZ12"),
            ..Default::default()
        },
        // 23. Secret missing.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Secrets),
            nature: Some(N::NotFound),
            destination: Some(D::SecretsManager),
            secret_arn: Some("arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"),
            ..Default::default()
        },
        // 24. No path to SSM.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): RequestCanceled: request context canceled caused by: context deadline exceeded. Please check your task network configuration.",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::SsmParameterStore),
            failed_api: Some("ssm:GetParameters"),
            ..Default::default()
        },
        // 25. The role lacks ssm:GetParameters.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/x is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:111122223333:parameter/app/key because no identity-based policy allows the ssm:GetParameters action",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Permissions),
            nature: Some(N::AccessDenied),
            destination: Some(D::SsmParameterStore),
            failed_api: Some("ssm:GetParameters"),
            parameter: Some("arn:aws:ssm:us-east-1:111122223333:parameter/app/key"),
            denial_basis: Some(DenialBasis::NoIdentityPolicy),
            ..Default::default()
        },
        // 26. Parameter missing.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: invalid ssm parameters: /app/gemini-api-key",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Secrets),
            nature: Some(N::NotFound),
            destination: Some(D::SsmParameterStore),
            parameter: Some("/app/gemini-api-key"),
            ..Default::default()
        },
        // 27. The interface endpoint's policy.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/x is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:111122223333:parameter/app/key because no VPC endpoint policy allows the ssm:GetParameters action",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Network),
            nature: Some(N::AccessDenied),
            destination: Some(D::SsmParameterStore),
            denial_basis: Some(DenialBasis::NoEndpointPolicy),
            ..Default::default()
        },
        // 28. Log group missing.
        Case {
            message: "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Logs),
            nature: Some(N::NotFound),
            destination: Some(D::CloudWatchLogs),
            failed_api: Some("logs:CreateLogStream"),
            ..Default::default()
        },
        // 28b. EC2: the same cause stops the container's start.
        Case {
            message: "CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.",
            kind: Some(K::CannotStartContainerError),
            category: Some(C::Logs),
            nature: Some(N::NotFound),
            destination: Some(D::CloudWatchLogs),
            ..Default::default()
        },
        // 29. No path to CloudWatch Logs.
        Case {
            message: "ResourceInitializationError: failed to validate logger args: : signal: killed",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::CloudWatchLogs),
            ..Default::default()
        },
        // EC2 with Docker: a missing tag.
        Case {
            message: "CannotPullContainerError: Error response from daemon: manifest for 111122223333.dkr.ecr.us-east-1.amazonaws.com/app:v9 not found: manifest unknown: Requested image not found",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Image),
            nature: Some(N::NotFound),
            account: Some("111122223333"),
            repository: Some("app"),
            reference: Some("v9"),
            ..Default::default()
        },
        // EC2 with Docker: a timeout to the registry (quoted URL, newer Docker).
        Case {
            message: "CannotPullContainerError: Error response from daemon: Get \"https://111122223333.dkr.ecr.eu-west-1.amazonaws.com/v2/\": dial tcp 52.95.1.1:443: i/o timeout",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::EcrRegistry),
            region: Some("eu-west-1"),
            ..Default::default()
        },
        // EC2: the registry name does not resolve (VPC DNS off).
        Case {
            message: "CannotPullContainerError: Error response from daemon: Get \"https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/\": dial tcp: lookup 111122223333.dkr.ecr.us-east-1.amazonaws.com on 10.0.0.2:53: no such host",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::DnsFailure),
            destination: Some(D::EcrRegistry),
            ..Default::default()
        },
        // Older Fargate platform (1.3.0): Docker's timeout wording.
        Case {
            message: "CannotPullContainerError: Error response from daemon: Get https://registry-1.docker.io/v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::PublicRegistry),
            ..Default::default()
        },
        // EC2: a Docker Hub image that does not exist.
        Case {
            message: "CannotPullContainerError: Error response from daemon: pull access denied for nginxx, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Registry),
            nature: Some(N::AccessDenied),
            destination: Some(D::PublicRegistry),
            repository: Some("library/nginxx"),
            ..Default::default()
        },
        // Another registry refusing credentials.
        Case {
            message: "CannotPullContainerError: Error response from daemon: Head \"https://ghcr.io/v2/acme/api/manifests/1.0\": unauthorized",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Registry),
            nature: Some(N::AccessDenied),
            destination: Some(D::PublicRegistry),
            ..Default::default()
        },
        // The 2024 hint in front of a missing tag.
        Case {
            message: "CannotPullContainerError: The task can't pull the image. Check whether the image exists. Error: pull image manifest has been retried 7 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:2024-11-01: not found",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Image),
            nature: Some(N::NotFound),
            repository: Some("web"),
            reference: Some("2024-11-01"),
            ..Default::default()
        },
        // A digest that a lifecycle policy expired.
        Case {
            message: "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/web@sha256:4f0b2c1d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c: not found",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Image),
            nature: Some(N::NotFound),
            repository: Some("web"),
            reference: Some("sha256:4f0b2c1d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c"),
            ..Default::default()
        },
        // A tag ECS resolved to a digest at deployment (a retired task's replacement pulls tag@digest,
        // and the digest is gone): re:Post and blog reports since 2023. The digest is what is missing.
        Case {
            message: "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref 111122223333.dkr.ecr.eu-west-1.amazonaws.com/example-service:v42@sha256:4f0b2c1d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c: not found",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Image),
            nature: Some(N::NotFound),
            repository: Some("example-service"),
            reference: Some("sha256:4f0b2c1d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c"),
            region: Some("eu-west-1"),
            ..Default::default()
        },
        // ECS developer guide, "CannotPullContainer task errors" (2024 wording, curly quotes): the
        // connection hint alone, with the image and repository quoted.
        Case {
            message: "CannotPullContainerError: The task cannot pull ‘111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.2.0’ from the Amazon ECR repository ‘111122223333.dkr.ecr.us-east-1.amazonaws.com/web’. There is a connection issue between the task and Amazon ECR. Check your task network configuration.",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::EcrRegistry),
            account: Some("111122223333"),
            region: Some("us-east-1"),
            repository: Some("web"),
            reference: Some("1.2.0"),
            ..Default::default()
        },
        // ECS developer guide, "Troubleshoot ResourceInitializationError errors": Parameter Store unreachable.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve secrets from ssm: The task cannot pull secrets from AWS Systems Manager. There is a connection issue between the task and AWS Systems Manager Parameter Store. Check your task network configuration.",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::SsmParameterStore),
            ..Default::default()
        },
        // The same page: Secrets Manager unreachable.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull secrets from AWS Secrets Manager. There is a connection issue between the task and AWS Secrets Manager. Check your task network configuration.",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::SecretsManager),
            ..Default::default()
        },
        // The same page: a secret that does not exist in the Region (straight and curly apostrophes).
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: The task can't retrieve the secret with ARN 'arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf' from Secrets Manager. Check whether the secret exists in the specified Region.",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Secrets),
            nature: Some(N::NotFound),
            destination: Some(D::SecretsManager),
            secret_arn: Some("arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"),
            ..Default::default()
        },
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: The task can’t retrieve the secret with ARN ‘arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf’ from Secrets Manager. Check whether the secret exists in the specified Region.",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Secrets),
            nature: Some(N::NotFound),
            destination: Some(D::SecretsManager),
            secret_arn: Some("arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"),
            ..Default::default()
        },
        // "CannotPullContainer task errors": the containerd pull crashing, which the guide ties to the
        // S3 gateway endpoint's route or the security group: a network failure whose destination the
        // message does not name, left for the facts to decide.
        Case {
            message: "CannotPullContainerError: pull command failed: panic: runtime error: invalid memory address or nil pointer dereference",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            ..Default::default()
        },
        // The agent's hints (ecs-agent/api/errors) with a tail cut short: the hint decides.
        Case {
            message: "CannotPullContainerError: The task can’t pull the image. Check your network configuration. Error: failed to do request: Head",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            ..Default::default()
        },
        Case {
            message: "CannotPullContainerError: The task can’t pull the image. Check that the role has the permissions to pull images from the registry. Error: pull",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Permissions),
            nature: Some(N::AccessDenied),
            ..Default::default()
        },
        // --- The EC2 launch type: a task resource's terminal reason is the stop reason as it is, with
        // no error name (agent/engine/task_manager.go sets it from the resource).
        // agent/asm/asm.go resourceInitializationErrMsg, behind asmsecret's "secret %s: %s".
        Case {
            message: "secret arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf: ResourceNotFoundException: The task can't retrieve the secret with ARN 'arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf' from AWS Secrets Manager. Check whether the secret exists in the specified Region",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Secrets),
            nature: Some(N::NotFound),
            destination: Some(D::SecretsManager),
            secret_arn: Some("arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"),
            region: Some("us-east-1"),
            ..Default::default()
        },
        // agent/taskresource/ssmsecret/ssmsecret.go ("fetching secret data from SSM Parameter Store in
        // %s: %v") around agent/ssm/ssm.go ("invalid parameters: %s").
        Case {
            message: "fetching secret data from SSM Parameter Store in us-east-1: invalid parameters: /app/key",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Secrets),
            nature: Some(N::NotFound),
            destination: Some(D::SsmParameterStore),
            parameter: Some("/app/key"),
            ..Default::default()
        },
        // The same resource, denied (the SDK v2 error the agent wraps).
        Case {
            message: "fetching secret data from SSM Parameter Store in us-east-1: operation error SSM: GetParameters, https response error StatusCode: 400, RequestID: 1, api error AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/app-execution/abc is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:111122223333:parameter/app/key because no identity-based policy allows the ssm:GetParameters action",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Permissions),
            nature: Some(N::AccessDenied),
            destination: Some(D::SsmParameterStore),
            failed_api: Some("ssm:GetParameters"),
            parameter: Some("arn:aws:ssm:us-east-1:111122223333:parameter/app/key"),
            role_arn: Some("arn:aws:iam::111122223333:role/app-execution"),
            denial_basis: Some(DenialBasis::NoIdentityPolicy),
            ..Default::default()
        },
        // agent/taskresource/asmsecret/asmsecret.go, ssmsecret.go, asmauth/asmauth.go: no execution role.
        Case {
            message: "ASM secret resource: unable to find execution role credentials",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Permissions),
            nature: Some(N::CredentialsMissing),
            ..Default::default()
        },
        Case {
            message: "ssm secret resource: unable to find execution role credentials",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Permissions),
            nature: Some(N::CredentialsMissing),
            ..Default::default()
        },
        Case {
            message: "asm resource: unable to find execution role credentials",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Permissions),
            nature: Some(N::CredentialsMissing),
            ..Default::default()
        },
        // agent/taskresource/asmsecret/asmsecret.go: a valueFrom that is no secret ARN.
        Case {
            message: "trying to retrieve secret with value arn:aws:secretsmanager:us-east-1:111122223333:secret resulted in error: an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again.",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Secrets),
            nature: Some(N::NotFound),
            destination: Some(D::SecretsManager),
            ..Default::default()
        },
        // agent/asm/asm.go: a JSON key in valueFrom that the secret does not hold (Fargate wording).
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): retrieved secret from Secrets Manager did not contain json key password",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Secrets),
            nature: Some(N::NotFound),
            destination: Some(D::SecretsManager),
            ..Default::default()
        },
        // agent/dockerclient/dockerapi/docker_client.go: DockerTimeoutError{timeout, "pulled"}.
        Case {
            message: "DockerTimeoutError: Could not transition to pulled; timed out after waiting 2h0m0s",
            kind: Some(K::DockerTimeoutError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            ..Default::default()
        },
        // --- The agent's hints (agent/api/errormessages/error_messages.go) in front of whole tails.
        Case {
            message: "CannotPullContainerError: The task can’t pull the image. Check that the role has the permissions to pull images from the registry. Error response from daemon: pull access denied for 111122223333.dkr.ecr.us-east-1.amazonaws.com/web, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::111122223333:assumed-role/app-execution/abc is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:111122223333:repository/web because no identity-based policy allows the ecr:BatchGetImage action",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Permissions),
            nature: Some(N::AccessDenied),
            destination: Some(D::EcrRegistry),
            failed_api: Some("ecr:BatchGetImage"),
            repository: Some("web"),
            denial_basis: Some(DenialBasis::NoIdentityPolicy),
            ..Default::default()
        },
        Case {
            message: "CannotPullContainerError: The task can’t pull the image. Check whether the image exists. Error response from daemon: pull access denied for 111122223333.dkr.ecr.us-east-1.amazonaws.com/web, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Registry),
            nature: Some(N::AccessDenied),
            destination: Some(D::EcrRegistry),
            repository: Some("web"),
            account: Some("111122223333"),
            ..Default::default()
        },
        Case {
            message: "CannotPullContainerError: The task can’t pull the image. Check your network configuration. Error response from daemon: Get \"https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/\": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::EcrRegistry),
            region: Some("us-east-1"),
            ..Default::default()
        },
        // --- containerd (Fargate 1.4+) network variants; the dialed address is kept.
        Case {
            message: "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.0: failed to do request: Head \"https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/1.0\": dial tcp 10.0.2.15:443: connect: connection refused",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::EcrRegistry),
            repository: Some("web"),
            reference: Some("1.0"),
            address: Some("10.0.2.15"),
            ..Default::default()
        },
        Case {
            message: "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.0: failed to do request: Head \"https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/1.0\": read tcp 10.0.1.5:41234->10.0.2.15:443: read: connection reset by peer",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::EcrRegistry),
            address: Some("10.0.2.15"),
            ..Default::default()
        },
        Case {
            message: "CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: failed open: failed to do request: Get \"https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/abc\": net/http: TLS handshake timeout",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::EcrLayerBucket),
            region: Some("us-east-1"),
            ..Default::default()
        },
        Case {
            message: "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref public.ecr.aws/nginx/nginx:latest: failed to do request: Head \"https://public.ecr.aws/v2/nginx/nginx/manifests/latest\": dial tcp 99.83.145.10:443: i/o timeout",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::PublicRegistry),
            repository: Some("nginx/nginx"),
            reference: Some("latest"),
            address: Some("99.83.145.10"),
            ..Default::default()
        },
        // containerd's 403 on the manifest (ECR repository policy or cross-account grant).
        Case {
            message: "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.0: unexpected status from HEAD request to https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/1.0: 403 Forbidden",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Registry),
            nature: Some(N::AccessDenied),
            destination: Some(D::EcrRegistry),
            repository: Some("web"),
            reference: Some("1.0"),
            ..Default::default()
        },
        Case {
            message: "CannotPullContainerError: failed to resolve reference \"111122223333.dkr.ecr.us-east-1.amazonaws.com/web:latest\": 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:latest: not found",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Image),
            nature: Some(N::NotFound),
            destination: Some(D::EcrRegistry),
            repository: Some("web"),
            reference: Some("latest"),
            ..Default::default()
        },
        // "Troubleshoot ResourceInitializationError errors": the SDK v1 form with the agent's network hint.
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 52.46.1.1:443: i/o timeout. Please check your task network configuration.",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::EcrApi),
            failed_api: Some("ecr:GetAuthorizationToken"),
            address: Some("52.46.1.1"),
            ..Default::default()
        },
        Case {
            message: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 3 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf from secrets manager: RequestCanceled: request context canceled caused by: context deadline exceeded",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::SecretsManager),
            secret_arn: Some("arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"),
            ..Default::default()
        },
        // The logs hint of 2024 on the log group check (guide, "failed to validate logger args").
        Case {
            message: "ResourceInitializationError: failed to validate logger args: The task cannot find the Amazon CloudWatch log group defined in the task definition. There is a connection issue between the task and Amazon CloudWatch. Check your network configuration. : signal: killed",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Network),
            nature: Some(N::Timeout),
            destination: Some(D::CloudWatchLogs),
            ..Default::default()
        },
        // A message that names no cause keeps category unknown: the facts decide.
        Case {
            message: "CannotPullContainerError: Error response from daemon: Get \"https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/\": EOF",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Unknown),
            nature: None,
            destination: Some(D::EcrRegistry),
            ..Default::default()
        },
        // EFS: the mount name did not resolve (no mount target reachable, or no such file system).
        // Source: shared/domain.md (the ECS guide's EFS troubleshooting).
        Case {
            message: "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve \"fs-0123456789abcdef0.efs.us-east-1.amazonaws.com\" - check that your file system ID is correct, and ensure that the VPC has an EFS mount target for this file system ID.",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Volumes),
            nature: Some(N::DnsFailure),
            destination: Some(D::Efs),
            region: Some("us-east-1"),
            ..Default::default()
        },
        // EFS: a security group or network ACL dropping NFS. Source: shared/domain.md.
        Case {
            message: "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: b'mount.nfs4: Connection reset by peer' : unsuccessful EFS utils command execution; code: 32",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Volumes),
            nature: Some(N::Timeout),
            destination: Some(D::Efs),
            ..Default::default()
        },
        // EFS with TLS: the mount helper's own timeout. Source: shared/domain.md.
        Case {
            message: "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Mount attempt 1/3 failed due to timeout after 15 sec",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Volumes),
            nature: Some(N::Timeout),
            destination: Some(D::Efs),
            ..Default::default()
        },
        // EFS: the file system policy or IAM authorization refused the mount.
        // Source: aws-samples/aws-cdk-examples issue 920.
        Case {
            message: "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: b'mount.nfs4: access denied by server while mounting fs-065b374f6a1a6b4c8.efs.us-east-1.amazonaws.com:/' : unsuccessful EFS utils command execution; code: 32",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Volumes),
            nature: Some(N::AccessDenied),
            destination: Some(D::Efs),
            region: Some("us-east-1"),
            ..Default::default()
        },
        // EFS: the root directory is not on the file system (no access point creates it).
        // Source: acp-io/terraform-grafana issue 4.
        Case {
            message: "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: b'mount.nfs4: mounting fs-0a1b2c3d4e5f60718.efs.eu-west-1.amazonaws.com:/grafana failed, reason given by server: No such file or directory' : unsuccessful EFS utils command execution; code: 32",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::Volumes),
            nature: Some(N::NotFound),
            destination: Some(D::Efs),
            region: Some("eu-west-1"),
            ..Default::default()
        },
        // Environment files the execution role may not read. Source: shared/domain.md.
        Case {
            message: "ResourceInitializationError: failed to download env files: file download command: non empty error stream: service call has been retried 5 time(s): AccessDenied: Access Denied status code: 403",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::EnvFiles),
            nature: Some(N::AccessDenied),
            destination: Some(D::EnvFileBucket),
            ..Default::default()
        },
        // The same download of an object that is not there: S3's NoSuchKey in the SDK v1 error form the
        // agent prints (as in the form above).
        Case {
            message: "ResourceInitializationError: failed to download env files: file download command: non empty error stream: NoSuchKey: The specified key does not exist. status code: 404",
            kind: Some(K::ResourceInitializationError),
            category: Some(C::EnvFiles),
            nature: Some(N::NotFound),
            destination: Some(D::EnvFileBucket),
            ..Default::default()
        },
        // A pull-through cache whose upstream credential ECR cannot use: the registry's "denied"
        // carries ECR's words. Source: aws/containers-roadmap issue 2354 (the daemon's form, on EC2).
        Case {
            message: "CannotPullContainerError: Error response from daemon: pull access denied for 111122223333.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx, repository does not exist or may require 'docker login': denied: The authentication to the upstream registry failed.",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Registry),
            nature: Some(N::AccessDenied),
            destination: Some(D::EcrRegistry),
            account: Some("111122223333"),
            repository: Some("docker-hub/library/nginx"),
            ..Default::default()
        },
        // The first pull of a pull-through cache repository by a role that may not create it: IAM's
        // denial names the action. Shape: the identity-policy denial of form 11b, for ecr:CreateRepository.
        Case {
            message: "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx:1.27: unexpected status from HEAD request to https://111122223333.dkr.ecr.us-east-1.amazonaws.com/v2/docker-hub/library/nginx/manifests/1.27: 403 Forbidden: denied: User: arn:aws:sts::111122223333:assumed-role/app-execution/0a1b is not authorized to perform: ecr:CreateRepository on resource: arn:aws:ecr:us-east-1:111122223333:repository/docker-hub/library/nginx because no identity-based policy allows the ecr:CreateRepository action",
            kind: Some(K::CannotPullContainerError),
            category: Some(C::Permissions),
            nature: Some(N::AccessDenied),
            failed_api: Some("ecr:CreateRepository"),
            denial_basis: Some(DenialBasis::NoIdentityPolicy),
            ..Default::default()
        },
    ]
}

fn check(case: &Case) {
    let failure = classify_message(case.message);
    let f = &failure.facts;
    let context = format!("\nmessage: {}\nfacts: {:#?}", case.message, f);
    assert_eq!(Some(failure.kind), case.kind, "kind{context}");
    assert_eq!(Some(failure.category), case.category, "category{context}");
    assert_eq!(f.nature, case.nature, "nature{context}");
    assert_eq!(failure.message, case.message, "the message is kept whole");
    let expect = |name: &str, actual: Option<&str>, wanted: Option<&str>| {
        if wanted.is_some() {
            assert_eq!(actual, wanted, "{name}{context}");
        }
    };
    if case.destination.is_some() {
        assert_eq!(f.destination, case.destination, "destination{context}");
    }
    if case.denial_basis.is_some() {
        assert_eq!(f.denial_basis, case.denial_basis, "denial basis{context}");
    }
    expect("account", f.account.as_deref(), case.account);
    expect("region", f.region.as_deref(), case.region);
    expect("repository", f.repository.as_deref(), case.repository);
    expect("reference", f.reference.as_deref(), case.reference);
    expect("failed api", f.failed_api.as_deref(), case.failed_api);
    expect("role", f.role_arn.as_deref(), case.role_arn);
    expect("secret", f.secret_arns.first().map(String::as_str), case.secret_arn);
    expect("parameter", f.parameters.first().map(String::as_str), case.parameter);
    expect("platform", f.platform.as_deref(), case.platform);
    expect("address", f.address.as_deref(), case.address);
}

#[test]
fn corpus_has_at_least_thirty_real_messages() {
    assert!(corpus().len() >= 30, "{} messages", corpus().len());
}

/// `make test` runs this one with its output shown, so the corpus's size is in every test log. Each
/// form counts once: a message listed twice would inflate it.
#[test]
fn corpus_count() {
    let corpus = corpus();
    let mut seen = std::collections::HashSet::new();
    for case in &corpus {
        assert!(seen.insert(case.message), "listed twice: {}", case.message);
        assert!(
            case.kind.is_some() && case.category.is_some(),
            "every form states its kind and category: {}",
            case.message
        );
    }
    let kinds: std::collections::BTreeSet<String> = corpus.iter().map(|c| format!("{:?}", c.kind)).collect();
    println!(
        "classifier corpus: {} messages, {} error kinds, every one classified with its facts",
        corpus.len(),
        kinds.len()
    );
}

#[test]
fn every_corpus_message_is_classified_with_its_facts() {
    for case in corpus() {
        check(&case);
    }
}

#[test]
fn fargate_reads_the_container_reason_behind_task_failed_to_start() {
    let container = "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:v2: not found";
    let failure = classify(StopReasons {
        stop_code: Some("TaskFailedToStart"),
        stopped_reason: Some("Task failed to start"),
        container_reasons: &[container],
    });
    assert_eq!(failure.kind, FailureKind::CannotPullContainerError);
    assert_eq!(failure.category, Category::Image);
    assert_eq!(failure.message, container);
}

#[test]
fn task_failed_to_start_without_a_known_message_still_applies() {
    let failure = classify(StopReasons {
        stop_code: Some("TaskFailedToStart"),
        stopped_reason: Some("Task failed to start"),
        container_reasons: &[],
    });
    assert_eq!(failure.kind, FailureKind::TaskFailedToStart);
    assert_eq!(failure.category, Category::Unknown);
    assert!(failure.is_applicable());
}

#[test]
fn other_stops_do_not_apply() {
    for (stop_code, reason) in [
        (Some("EssentialContainerExited"), "Essential container in task exited"),
        (Some("UserInitiated"), "Task stopped by user"),
        (
            Some("ServiceSchedulerInitiated"),
            "Scaling activity initiated by (deployment ecs-svc/123)",
        ),
        (
            Some("TaskFailedToStart"),
            "CannotStartContainerError: Error response from daemon: failed to create shim task: exec: \"/app\": permission denied",
        ),
        (Some("SpotInterruption"), "Your Spot Task was interrupted."),
        (None, "OutOfMemoryError: Container killed due to memory usage"),
    ] {
        let failure = classify(StopReasons {
            stop_code,
            stopped_reason: Some(reason),
            container_reasons: &[],
        });
        assert_eq!(failure.kind, FailureKind::Other, "{reason}");
        assert!(!failure.is_applicable(), "{reason}");
    }
}

#[test]
fn unknown_and_hostile_messages_never_panic() {
    let long = "x".repeat(100_000);
    for message in [
        "",
        "   ",
        "CannotPullContainerError",
        "CannotPullContainerError: something entirely new happened",
        "ResourceInitializationError: ::::: https:// arn:aws:sts:: @@@",
        "CannotPullContainerError: failed to resolve ref : not found",
        "CannotPullContainerError: repository  not found",
        "ünïcödé CannotPullContainerError: 😱 https://ÿ.example/",
        long.as_str(),
    ] {
        let failure = classify_message(message);
        if failure.kind == FailureKind::CannotPullContainerError && failure.facts.nature.is_none() {
            assert_eq!(failure.category, Category::Unknown, "{message}");
        }
    }
    let failure = classify_message("CannotPullContainerError: something entirely new happened");
    assert_eq!(failure.category, Category::Unknown);
    assert!(failure.is_applicable());
}
