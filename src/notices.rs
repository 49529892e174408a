//! Where the notices go: an SNS topic (a chat channel's, or an email list's), in the format its
//! subscribers read. The handler sends one per report worth telling; the SNS adapter is in
//! `adapters::aws::sns`.

use std::future::Future;
use std::pin::Pin;

use crate::facts::CallFailure;
use crate::report::Report;
use crate::report::notify::{NoticeFormat, chat_message, email};
use crate::settings::{ModeError, SettingError};

/// The topic and the format its subscribers take (configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub topic_arn: String,
    pub format: NoticeFormat,
}

/// One SNS message: a subject only for email (chat takes none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub subject: Option<String>,
    pub message: String,
}

impl Destination {
    /// DOCTOR_NOTIFY_TOPIC_ARN (notices on when set) and DOCTOR_NOTIFY_FORMAT (chat, the default, or email).
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Destination>, SettingError> {
        let Some(topic_arn) = lookup("DOCTOR_NOTIFY_TOPIC_ARN")
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
        else {
            return Ok(None);
        };
        if !topic_arn.starts_with("arn:")
            || topic_arn.split(':').nth(2) != Some("sns")
            || topic_arn.split(':').count() != 6
        {
            let source = ModeError {
                what: "notification topic",
                value: topic_arn,
                allowed: "an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)",
            };
            return Err(SettingError {
                variable: "DOCTOR_NOTIFY_TOPIC_ARN",
                source,
            });
        }
        let format = match lookup("DOCTOR_NOTIFY_FORMAT").filter(|v| !v.trim().is_empty()) {
            None => NoticeFormat::Chat,
            Some(value) => value.parse().map_err(|source| SettingError {
                variable: "DOCTOR_NOTIFY_FORMAT",
                source,
            })?,
        };
        Ok(Some(Destination { topic_arn, format }))
    }

    /// The region the topic is in, for its client.
    pub fn region(&self) -> &str {
        self.topic_arn.split(':').nth(3).unwrap_or_default()
    }

    pub fn outgoing(&self, report: &Report) -> Outgoing {
        match self.format {
            NoticeFormat::Chat => Outgoing {
                subject: None,
                message: serde_json::to_string(&chat_message(report)).unwrap_or_default(),
            },
            NoticeFormat::Email => {
                let mail = email(report);
                Outgoing {
                    subject: Some(mail.subject),
                    message: mail.body,
                }
            }
        }
    }
}

pub type PublishFuture<'a> = Pin<Box<dyn Future<Output = Result<(), CallFailure>> + Send + 'a>>;

/// Sends a message to a topic.
pub trait Publisher: Send + Sync {
    fn publish<'a>(&'a self, topic_arn: &'a str, outgoing: &'a Outgoing) -> PublishFuture<'a>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_destination_comes_from_the_environment() {
        let env = |format: Option<&'static str>| {
            move |name: &str| match name {
                "DOCTOR_NOTIFY_TOPIC_ARN" => Some("arn:aws:sns:eu-west-1:111122223333:doctor".to_string()),
                "DOCTOR_NOTIFY_FORMAT" => format.map(str::to_string),
                _ => None,
            }
        };
        let chat = Destination::from_env(env(None)).unwrap().unwrap();
        assert_eq!(chat.format, NoticeFormat::Chat);
        assert_eq!(chat.region(), "eu-west-1");
        assert_eq!(
            Destination::from_env(env(Some("EMAIL"))).unwrap().unwrap().format,
            NoticeFormat::Email
        );
        let error = Destination::from_env(env(Some("pager"))).unwrap_err().to_string();
        assert_eq!(
            error,
            "environment variable DOCTOR_NOTIFY_FORMAT: notification format 'pager' is not one of: chat, email"
        );
        assert_eq!(Destination::from_env(|_| None).unwrap(), None);
        let bad =
            Destination::from_env(|n| (n == "DOCTOR_NOTIFY_TOPIC_ARN").then(|| "doctor".to_string())).unwrap_err();
        assert!(
            bad.to_string()
                .starts_with("environment variable DOCTOR_NOTIFY_TOPIC_ARN"),
            "{bad}"
        );
    }
}
