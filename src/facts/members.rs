//! Organization mode: one deployment reads (and, where allowed, fixes) every member account through
//! a role it assumes there. This module holds what is decided without AWS: which role, under which
//! session name, whether a cached session is still good; the AWS side is `adapters::aws::Organization`.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use crate::facts::CallFailure;
use crate::facts::Deadline;
use crate::settings::{ModeError, SettingError};

/// How long before its credentials expire a cached session is replaced, so that no diagnosis starts
/// on credentials that lapse half-way.
pub const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

/// The role the doctor assumes in each member account (configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRole {
    pub name: String,
    /// Required by the member role's trust policy (sts:ExternalId), when set.
    pub external_id: Option<String>,
}

impl MemberRole {
    /// DOCTOR_MEMBER_ROLE_NAME (organization mode when set) and DOCTOR_EXTERNAL_ID.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<MemberRole>, SettingError> {
        let Some(name) = lookup("DOCTOR_MEMBER_ROLE_NAME")
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
        else {
            return Ok(None);
        };
        if !is_role_name(&name) {
            return Err(SettingError {
                variable: "DOCTOR_MEMBER_ROLE_NAME",
                source: ModeError {
                    what: "role name",
                    value: name,
                    allowed: "a role name (letters, digits and +=,.@_-; no path)",
                },
            });
        }
        let external_id = lookup("DOCTOR_EXTERNAL_ID")
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        Ok(Some(MemberRole { name, external_id }))
    }

    /// The role's ARN in `account`.
    pub fn arn(&self, partition: &str, account: &str) -> String {
        format!("arn:{partition}:iam::{account}:role/{}", self.name)
    }
}

fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// The session name CloudTrail shows on every call made with the assumed role: it names the task
/// (its ID, which is unique in the account), in the characters and length STS allows.
pub fn session_name(task_id: &str) -> String {
    let id: String = task_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c))
        .collect();
    let name = if id.is_empty() {
        "ecs-pull-doctor".to_string()
    } else {
        format!("ecs-pull-doctor-{id}")
    };
    name.chars().take(64).collect()
}

/// Whether credentials that expire at `expires` may still start a diagnosis at `now`.
pub fn still_good(expires: Option<SystemTime>, now: SystemTime) -> bool {
    expires.is_none_or(|expires| expires.duration_since(now).is_ok_and(|left| left > RENEW_BEFORE))
}

/// The account whose task a payload is about, and the task's ID for the session name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberTask {
    pub partition: String,
    pub account: String,
    pub task_id: String,
}

/// A reader (and writer) for a member account, or the failed call that would have given one.
pub type MemberFuture<'a, R> = Pin<Box<dyn Future<Output = Result<R, CallFailure>> + Send + 'a>>;

/// Where readers for other accounts come from: the organization's assumed roles, or a test's.
pub trait Members<R>: Send + Sync {
    fn reader<'a>(&'a self, task: &'a MemberTask, deadline: Deadline) -> MemberFuture<'a, R>;
}

/// The account of the function that runs: its own tasks are read with its own role.
pub fn account_of_function(invoked_function_arn: &str) -> Option<&str> {
    invoked_function_arn
        .split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_name_names_the_task_within_stss_limits() {
        assert_eq!(
            session_name("0123456789abcdef0123456789abcdef"),
            "ecs-pull-doctor-0123456789abcdef0123456789abcdef"
        );
        assert_eq!(session_name("a b/c"), "ecs-pull-doctor-abc");
        assert_eq!(session_name(""), "ecs-pull-doctor");
        assert_eq!(session_name(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn a_session_is_renewed_five_minutes_before_it_expires() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(still_good(Some(now + Duration::from_secs(3600)), now));
        assert!(still_good(Some(now + RENEW_BEFORE + Duration::from_secs(1)), now));
        assert!(!still_good(Some(now + RENEW_BEFORE), now));
        assert!(!still_good(Some(now - Duration::from_secs(1)), now));
        assert!(still_good(None, now), "credentials without an expiry do not expire");
    }

    #[test]
    fn the_role_comes_from_the_environment_and_bad_names_are_refused() {
        let env = |name: &str| match name {
            "DOCTOR_MEMBER_ROLE_NAME" => Some(" ecs-pull-doctor-member ".to_string()),
            "DOCTOR_EXTERNAL_ID" => Some("".to_string()),
            _ => None,
        };
        let role = MemberRole::from_env(env).unwrap().unwrap();
        assert_eq!(
            role,
            MemberRole {
                name: "ecs-pull-doctor-member".into(),
                external_id: None
            }
        );
        assert_eq!(
            role.arn("aws", "111122223333"),
            "arn:aws:iam::111122223333:role/ecs-pull-doctor-member"
        );
        assert_eq!(MemberRole::from_env(|_| None).unwrap(), None);
        let error =
            MemberRole::from_env(|n| (n == "DOCTOR_MEMBER_ROLE_NAME").then(|| "path/role".to_string())).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("environment variable DOCTOR_MEMBER_ROLE_NAME: role name 'path/role' is not one of"),
            "{error}"
        );
    }

    #[test]
    fn the_functions_own_account_is_read_from_its_arn() {
        assert_eq!(
            account_of_function("arn:aws:lambda:us-east-1:123456789012:function:doctor"),
            Some("123456789012")
        );
        assert_eq!(account_of_function(""), None);
    }
}
