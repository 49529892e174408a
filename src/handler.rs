//! The Lambda function's handler: an EventBridge event, a manual request or a pre-flight request in,
//! the report out.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde_json::Value;

use crate::engine::{self, Doctor};
use crate::facts::CallFailure;
use crate::facts::Deadline;
use crate::facts::members::{MemberTask, Members, account_of_function};
use crate::fixes::storm::{DEFAULT_WINDOW, RecentActions};
use crate::intake::{self, IntakeError, Payload, RecentDeliveries};
use crate::notices::{Destination, Publisher};
use crate::report::Report;
use crate::report::notify::worth_sending;
use crate::report::record::Record;
use crate::settings::{ModeError, Modes, SettingError};

/// How many (task, version) deliveries a warm function remembers.
const REMEMBERED_DELIVERIES: usize = 512;

/// Kept back from the invocation's deadline to write the report and return it.
pub const REPORT_MARGIN: Duration = Duration::from_secs(3);

/// How much of the margin kept for the report a notice may use after the diagnosis's deadline.
const NOTICE_MARGIN: Duration = Duration::from_secs(2);

/// The budget when the runtime gives no deadline (a local invoke with a default context).
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(30);

/// The diagnosis's deadline: the invocation's, less the margin for the report. A function that
/// times out returns nothing, and Lambda retries it, repeating its writes; one that reports in time
/// does neither.
pub fn deadline_of(context: &Context) -> Deadline {
    if context.deadline == 0 {
        return Deadline::after(DEFAULT_BUDGET);
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let left = Duration::from_millis(context.deadline.saturating_sub(now));
    Deadline::after(left.saturating_sub(REPORT_MARGIN))
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    InvalidInput(#[from] IntakeError),
    /// The pre-flight's subject does not exist or could not be read.
    #[error(transparent)]
    Preflight(crate::preflight::PreflightError),
    /// A check or sweep named another account, and this deployment reads its own only.
    #[error("account {0} is not this function's, and it has no member role (DOCTOR_MEMBER_ROLE_NAME) to read it with")]
    NotAMember(String),
    #[error("cannot read account through {}: {} failed with {}: {}", .0.resource, .0.operation, .0.error_code, .0.message)]
    AccountUnreadable(crate::facts::CallFailure),
}

/// What the function returns: a diagnosis's report or a pre-flight's.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(untagged)]
pub enum Answer {
    Diagnosis(Box<Report>),
    Preflight(Box<crate::report::PreflightReport>),
    Sweep(Box<crate::preflight::SweepReport>),
}

impl From<HandlerError> for Diagnostic {
    fn from(error: HandlerError) -> Diagnostic {
        let error_type = match &error {
            HandlerError::InvalidInput(_) | HandlerError::NotAMember(_) => "InvalidInput",
            HandlerError::AccountUnreadable(_) => "Unreadable",
            HandlerError::Preflight(crate::preflight::PreflightError::NotFound(_)) => "NotFound",
            HandlerError::Preflight(crate::preflight::PreflightError::Unreadable { .. }) => "Unreadable",
        };
        // The message may quote the payload: what looks like a credential is not echoed.
        Diagnostic {
            error_type: error_type.to_string(),
            error_message: crate::redact::redact(&error.to_string()),
        }
    }
}

pub struct Handler<R> {
    reader: R,
    /// Organization mode: readers for the member accounts the events come from.
    members: Option<Box<dyn Members<R>>>,
    /// Where each report worth telling is sent, and how.
    notices: Option<(Destination, Box<dyn Publisher>)>,
    modes: Modes,
    recent: Mutex<RecentDeliveries<Report>>,
    acted: Mutex<RecentActions>,
}

impl<R: Doctor> Handler<R> {
    pub fn new(reader: R, modes: Modes, storm_window: Duration) -> Self {
        Handler {
            reader,
            members: None,
            notices: None,
            modes,
            recent: Mutex::new(RecentDeliveries::new(REMEMBERED_DELIVERIES)),
            acted: Mutex::new(RecentActions::new(storm_window)),
        }
    }

    /// Organization mode: a task of another account than the function's is read (and fixed) through
    /// the reader `members` gives for it.
    pub fn with_members(mut self, members: impl Members<R> + 'static) -> Self {
        self.members = Some(Box::new(members));
        self
    }

    /// Each report worth telling (a start failure, once) goes to `destination` through `publisher`.
    pub fn with_notices(mut self, destination: Destination, publisher: impl Publisher + 'static) -> Self {
        self.notices = Some((destination, Box::new(publisher)));
        self
    }

    /// Reads the configuration from the function's environment: DOCTOR_FIX, DOCTOR_ALLOW_FIX,
    /// DOCTOR_RUNBOOK, DOCTOR_RUNBOOK_ASSUME_ROLE, DOCTOR_RUNBOOK_LAMBDA_ROLE, DOCTOR_STORM_WINDOW_SECONDS.
    pub fn from_env(reader: R) -> Result<Self, SettingError> {
        Handler::from_lookup(reader, |name: &str| std::env::var(name).ok())
    }

    /// [`Handler::from_env`] with the variables from `lookup`.
    pub fn from_lookup(reader: R, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let window = match lookup("DOCTOR_STORM_WINDOW_SECONDS").filter(|v| !v.trim().is_empty()) {
            None => DEFAULT_WINDOW,
            Some(value) => Duration::from_secs(value.trim().parse().map_err(|_| SettingError {
                variable: "DOCTOR_STORM_WINDOW_SECONDS",
                source: ModeError {
                    what: "storm window",
                    value,
                    allowed: "a whole number of seconds",
                },
            })?),
        };
        Ok(Handler::new(reader, Modes::from_env(&lookup)?, window))
    }

    /// Any payload of CONTRACT.md: a pre-flight or sweep request is checked (never acted on),
    /// anything else diagnosed by [`Handler::handle`]. `region` is the function's own, for a check that names none.
    pub async fn answer(&self, event: LambdaEvent<Value>, region: &str) -> Result<Answer, HandlerError> {
        // A check or sweep of a member account reads through its role, as a diagnosis does.
        let member = match intake::requested_account(&event.payload)? {
            Some(account) => {
                let partition = event
                    .context
                    .invoked_function_arn
                    .split(':')
                    .nth(1)
                    .filter(|p| !p.is_empty())
                    .unwrap_or("aws");
                let task = MemberTask {
                    partition: partition.to_string(),
                    account,
                    task_id: "check".to_string(),
                };
                match self.member(&task, &event.context, deadline_of(&event.context)).await {
                    Some(entered) => Some(entered.map_err(HandlerError::AccountUnreadable)?),
                    None if self.members.is_none()
                        && account_of_function(&event.context.invoked_function_arn) != Some(task.account.as_str()) =>
                    {
                        return Err(HandlerError::NotAMember(task.account));
                    }
                    None => None,
                }
            }
            None => None,
        };
        let reader = member.as_ref().unwrap_or(&self.reader);
        if let Some(request) = intake::parse_sweep(&event.payload, region) {
            let (region, clusters) = request?;
            let report = Box::pin(crate::preflight::sweep(
                reader,
                &region,
                &clusters,
                deadline_of(&event.context),
            ))
            .await;
            tracing::info!(
                services = report.sweep.services,
                will_fail = report.sweep.will_fail,
                reads = report.sweep.distinct_reads,
                "swept"
            );
            return Ok(Answer::Sweep(Box::new(report)));
        }
        match intake::parse_check(&event.payload, region) {
            Some(subject) => {
                let deadline = deadline_of(&event.context);
                // Each kind of request boxed: nested inline, their futures' types grow past the
                // compiler's query depth in the Lambda binary.
                match Box::pin(crate::preflight::check(reader, &subject?, deadline)).await {
                    Ok(report) => {
                        tracing::info!(verdict = ?report.verdict, root_cause = report.root_cause.map(|c| c.as_str()).unwrap_or_default(), "checked");
                        Ok(Answer::Preflight(Box::new(report)))
                    }
                    Err(error) => Err(HandlerError::Preflight(error)),
                }
            }
            None => Ok(Answer::Diagnosis(Box::new(Box::pin(self.handle(event)).await?))),
        }
    }

    /// The reader of `task`'s account through its member role, or the failed call that would have
    /// given it; `None` when this deployment has no member role or the account is the function's own.
    async fn member(&self, task: &MemberTask, context: &Context, deadline: Deadline) -> Option<Result<R, CallFailure>> {
        let members = self.members.as_ref()?;
        if account_of_function(&context.invoked_function_arn) == Some(task.account.as_str()) {
            return None;
        }
        Some(members.reader(task, deadline).await)
    }

    /// Diagnoses the event, then records the report (one log line) and sends its notice.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Report, HandlerError> {
        // The notice may use the diagnosis's time left and part of the margin kept for the report.
        let notice_by = deadline_of(&event.context).extended(NOTICE_MARGIN);
        let report = Box::pin(self.diagnose(event)).await?;
        // A line of its own on standard output: Logs Insights reads its fields as they are.
        println!("{}", Record::of(&report).line());
        if let Some((destination, publisher)) = self.notices.as_ref().filter(|_| worth_sending(&report)) {
            let outgoing = destination.outgoing(&report);
            match notice_by
                .within(publisher.publish(&destination.topic_arn, &outgoing))
                .await
            {
                Some(Ok(())) => tracing::info!(topic = %destination.topic_arn, "notice sent"),
                Some(Err(failure)) => {
                    tracing::warn!(topic = %destination.topic_arn, error = %failure.error_code, message = %failure.message, "notice not sent")
                }
                None => tracing::warn!(topic = %destination.topic_arn, "notice not sent: no answer in time"),
            }
        }
        Ok(report)
    }

    async fn diagnose(&self, event: LambdaEvent<Value>) -> Result<Report, HandlerError> {
        let deadline = deadline_of(&event.context);
        let payload = intake::parse_value(event.payload)?;
        let delivery = match &payload {
            Payload::TaskEvent(task) => task.version.map(|version| (task.arn.clone(), version)),
            _ => None,
        };
        if let Some((arn, version)) = &delivery {
            let seen = self
                .recent
                .lock()
                .map(|recent| recent.seen(arn, *version))
                .unwrap_or(None);
            if let Some(mut report) = seen {
                tracing::info!(task = %arn, version, "repeated delivery; answering from memory");
                report.duplicate = true;
                return Ok(report);
            }
        }
        let entered = match engine::member_task(&payload) {
            Some(task) => self
                .member(&task, &event.context, deadline)
                .await
                .map(|entered| (task, entered)),
            None => None,
        };
        let member = match entered {
            Some((_, Ok(reader))) => Some(reader),
            Some((task, Err(failure))) => {
                tracing::warn!(account = %task.account, call = %failure.operation, error = %failure.error_code, "member account not entered");
                return Ok(engine::account_unreadable(
                    payload,
                    &task.account,
                    &failure,
                    &self.modes,
                ));
            }
            None => None,
        };
        let reader = member.as_ref().unwrap_or(&self.reader);
        let assessment = engine::assess(reader, payload, &self.modes, deadline).await;
        // Act once per cause and service within the storm window; report the repeats.
        let held = assessment.acting_key().and_then(|key| {
            let mut acted = self.acted.lock().ok()?;
            let now = Instant::now();
            match acted.acted_within_window(&key, now) {
                Some(ago) => Some(format!(
                    "the same cause was acted on for this service {}s ago (storm window)",
                    ago.as_secs()
                )),
                None => {
                    acted.remember(key, now);
                    None
                }
            }
        });
        let report = match held {
            Some(why) => engine::hold(assessment, &why),
            None => engine::act(reader, assessment).await,
        };
        tracing::info!(
            task = report.task.arn.as_deref().unwrap_or_default(),
            verdict = ?report.verdict,
            root_cause = report.root_cause.map(|c| c.as_str()).unwrap_or_default(),
            findings = report.findings.len(),
            "diagnosed"
        );
        if let (Some((arn, version)), Ok(mut recent)) = (delivery, self.recent.lock()) {
            recent.remember(&arn, version, report.clone());
        }
        Ok(report)
    }
}

/// Structured JSON logs for CloudWatch, filtered by RUST_LOG (default info).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .with_target(false)
        .init();
}
