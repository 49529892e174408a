//! Organization mode's adapter: sts:AssumeRole into each member account, one session per account
//! kept until shortly before its credentials expire.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

use super::{AwsClients, call_failure};
use crate::facts::Deadline;
use crate::facts::members::{MemberFuture, MemberRole, MemberTask, Members, session_name, still_good};
use crate::facts::{CallFailure, Fact};
use crate::model::Operation;

/// Configuration whose calls go out with `role_arn`'s credentials, and when those expire.
pub async fn assume_role(
    base: &SdkConfig,
    role_arn: &str,
    session: &str,
    external_id: Option<&str>,
) -> Result<(SdkConfig, Option<SystemTime>), CallFailure> {
    let answer = aws_sdk_sts::Client::new(base)
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(session)
        .set_external_id(external_id.map(str::to_string))
        .send()
        .await
        .map_err(|error| call_failure(Operation::AssumeRole.iam(), role_arn, &error))?;
    let Some(given) = answer.credentials() else {
        let message = "the answer carried no credentials".to_string();
        return Err(CallFailure {
            operation: Operation::AssumeRole.iam().into(),
            resource: role_arn.into(),
            error_code: "ResponseError".into(),
            message,
        });
    };
    let expires = SystemTime::try_from(*given.expiration()).ok();
    let credentials = Credentials::new(
        given.access_key_id(),
        given.secret_access_key(),
        Some(given.session_token().to_string()),
        expires,
        "ecs-pull-doctor-member",
    );
    Ok((
        base.to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build(),
        expires,
    ))
}

/// Readers for the organization's member accounts, each through [`MemberRole`] in that account.
pub struct Organization {
    base: SdkConfig,
    role: MemberRole,
    sessions: Mutex<HashMap<String, Session>>,
}

struct Session {
    reader: AwsClients,
    expires: Option<SystemTime>,
}

impl Organization {
    /// `base` is the function's own configuration: its credentials assume the member roles.
    pub fn new(base: SdkConfig, role: MemberRole) -> Self {
        Organization {
            base,
            role,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, account: &str) -> Option<AwsClients> {
        let sessions = self.sessions.lock().ok()?;
        sessions
            .get(account)
            .filter(|s| still_good(s.expires, SystemTime::now()))
            .map(|s| s.reader.clone())
    }

    async fn open(&self, task: &MemberTask, deadline: Deadline) -> Result<AwsClients, CallFailure> {
        if let Some(reader) = self.cached(&task.account) {
            return Ok(reader);
        }
        let role_arn = self.role.arn(&task.partition, &task.account);
        // The lock is never held across the call: one member's slow or failing STS answer does not
        // hold up another's. Two first events of one account may both assume; the later one is kept.
        let assumed = async {
            match assume_role(
                &self.base,
                &role_arn,
                &session_name(&task.task_id),
                self.role.external_id.as_deref(),
            )
            .await
            {
                Ok(assumed) => Fact::Known(assumed),
                Err(failure) => Fact::Failed(failure),
            }
        };
        let (config, expires) = match deadline.bound(Operation::AssumeRole.iam(), &role_arn, assumed).await {
            Fact::Known(assumed) => assumed,
            Fact::Failed(failure) => return Err(failure),
        };
        let reader = AwsClients::new(config);
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.insert(
                task.account.clone(),
                Session {
                    reader: reader.clone(),
                    expires,
                },
            );
        }
        Ok(reader)
    }
}

impl Members<AwsClients> for Organization {
    fn reader<'a>(&'a self, task: &'a MemberTask, deadline: Deadline) -> MemberFuture<'a, AwsClients> {
        Box::pin(self.open(task, deadline))
    }
}
