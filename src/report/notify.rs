//! Reports people read where they already are: a chat message (AWS Chatbot / Amazon Q Developer in
//! chat applications, custom notification on SNS) and a plain-text email, both drawn from one
//! [`Notice`] of the report, so they never disagree.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

use super::{ActionStatus, Report, serde_name};
use crate::checks::{Code, Finding, Severity, Verdict};
use crate::settings::ModeError;

/// The destination's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeFormat {
    /// The custom notification JSON a chat channel's SNS topic takes.
    Chat,
    /// A subject and a plain-text body, for an email subscription.
    Email,
}

impl FromStr for NoticeFormat {
    type Err = ModeError;
    fn from_str(value: &str) -> Result<Self, ModeError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "chat" => Ok(NoticeFormat::Chat),
            "email" => Ok(NoticeFormat::Email),
            _ => Err(ModeError {
                what: "notification format",
                value: value.to_string(),
                allowed: "chat, email",
            }),
        }
    }
}

/// Whether a report is worth telling anyone: a task that failed to start, once.
pub fn worth_sending(report: &Report) -> bool {
    report.verdict != Verdict::NotApplicable && !report.duplicate
}

/// What the doctor concluded about one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Diagnosed,
    /// Diagnosed, and at least one fix was applied.
    Fixed,
    Inconclusive,
    NotApplicable,
}

/// Everything both formats say, in the order a person needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub outcome: Outcome,
    pub root_cause: Option<Code>,
    /// "ECR_IMAGE_NOT_FOUND: service web (cluster prod) could not start a task".
    pub headline: String,
    /// The root cause in one sentence, or why there is none.
    pub cause: String,
    /// The evidence that proves it: the root finding's, key by key.
    pub evidence: Vec<(String, String)>,
    /// The fix, or what was done: each a sentence.
    pub steps: Vec<String>,
    /// Whose task: account, region, cluster, service, task.
    pub context: Vec<(&'static str, String)>,
    pub stop_reason: String,
    /// Every resource a reader may want to open: the task, the root finding's resource.
    pub resources: Vec<String>,
}

/// Evidence values are cut here: a message carries proof, not whole policies.
const EVIDENCE_VALUE_CHARS: usize = 300;

impl Notice {
    pub fn of(report: &Report) -> Notice {
        let report = &super::text::shown(report);
        let root = report
            .root_cause
            .and_then(|code| report.findings.iter().find(|f| f.code == code));
        let outcome = match report.verdict {
            Verdict::Diagnosed if report.actions.iter().any(|a| a.status == ActionStatus::Applied) => Outcome::Fixed,
            Verdict::Diagnosed | Verdict::WillFail => Outcome::Diagnosed,
            Verdict::Inconclusive => Outcome::Inconclusive,
            Verdict::NotApplicable | Verdict::Ready => Outcome::NotApplicable,
        };
        let task = &report.task;
        let subject = match (&task.service, &task.cluster) {
            (Some(service), Some(cluster)) => format!("service {service} (cluster {cluster})"),
            (None, Some(cluster)) => format!("a task in cluster {cluster}"),
            _ => "an ECS task".to_string(),
        };
        let headline = match (outcome, report.root_cause) {
            (Outcome::Fixed, Some(code)) => format!("Fixed {}: {subject} could not start a task", code.as_str()),
            (_, Some(code)) => format!("{}: {subject} could not start a task", code.as_str()),
            (Outcome::NotApplicable, None) => format!("Not a start failure: {subject}"),
            _ => format!("Unexplained: {subject} could not start a task"),
        };
        let cause = root.map_or_else(|| report.verdict_reason.clone(), |f| f.summary.clone());
        let evidence = root.map(|f| evidence_pairs(&f.evidence)).unwrap_or_default();
        let mut context: Vec<(&'static str, String)> = Vec::new();
        for (label, value) in [
            ("Account", &task.account),
            ("Region", &task.region),
            ("Cluster", &task.cluster),
            ("Service", &task.service),
            ("Task", &task.arn),
        ] {
            if let Some(value) = value {
                context.push((label, value.clone()));
            }
        }
        let mut resources: Vec<String> = task.arn.iter().cloned().collect();
        resources.extend(
            root.map(|f| f.resource.clone())
                .filter(|r| !r.is_empty() && !resources.contains(r)),
        );
        Notice {
            outcome,
            root_cause: report.root_cause,
            headline,
            cause,
            evidence,
            steps: steps(report, root, outcome),
            context,
            stop_reason: report.failure.message.clone(),
            resources,
        }
    }
}

fn evidence_pairs(evidence: &Value) -> Vec<(String, String)> {
    let cut = |text: String| match text.char_indices().nth(EVIDENCE_VALUE_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    };
    match evidence {
        Value::Object(map) => map
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(key, value)| {
                (
                    key.clone(),
                    cut(value.as_str().map_or_else(|| value.to_string(), str::to_string)),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// What to do, or what was done: applied actions first, then the fix a person makes, then what was
/// not checked and the runbook.
fn steps(report: &Report, root: Option<&Finding>, outcome: Outcome) -> Vec<String> {
    let mut steps = Vec::new();
    for action in &report.actions {
        let step = match action.status {
            ActionStatus::Applied => format!("Applied {}: {}", action.fix, action.detail),
            ActionStatus::Planned => format!("Planned (dry-run) {}: {}", action.fix, action.detail),
            ActionStatus::Skipped => format!("Skipped {}: {}", action.fix, action.detail),
            ActionStatus::Failed => format!("Failed {}: {}", action.fix, action.detail),
        };
        steps.push(step);
    }
    if outcome != Outcome::Fixed {
        if let Some(root) = root.filter(|f| !f.remedy.is_empty()) {
            steps.push(root.remedy.clone());
        }
        if let Some(fix) = root.and_then(|f| f.fix.as_ref()).filter(|_| report.actions.is_empty()) {
            let risk = serde_name(fix.risk);
            steps.push(format!(
                "The doctor can make this fix itself ({} fix {}): {}",
                risk, fix.id, fix.description
            ));
        }
    }
    if outcome == Outcome::Inconclusive {
        for finding in report.findings.iter().filter(|f| f.code == Code::CheckFailed) {
            steps.push(format!("Not checked: {} {}", finding.summary, finding.remedy));
        }
        for finding in report
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info && f.code != Code::CheckFailed)
            .take(3)
        {
            steps.push(format!(
                "{}: {} {}",
                finding.code.as_str(),
                finding.summary,
                finding.remedy
            ));
        }
    }
    if let Some(runbook) = &report.runbook {
        let status = runbook.status.label();
        let id = runbook
            .execution_id
            .as_deref()
            .map(|id| format!(" ({id})"))
            .unwrap_or_default();
        steps.push(format!(
            "Runbook AWSSupport-TroubleshootECSTaskFailedToStart {status}{id}: {}",
            runbook.detail
        ));
    }
    steps
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The custom notification of the documented schema (version 1.0, source custom).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatMessage {
    pub version: &'static str,
    pub source: &'static str,
    pub content: ChatContent,
    pub metadata: ChatMetadata,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatContent {
    pub text_type: &'static str,
    pub title: String,
    pub description: String,
    pub next_steps: Vec<String>,
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMetadata {
    /// One thread per service (or family) and account: a storm of stops reads as one conversation.
    pub thread_id: String,
    pub summary: String,
    pub event_type: String,
    pub related_resources: Vec<String>,
    pub additional_context: BTreeMap<String, String>,
}

/// Markdown of a chat client must not be driven by a stop reason or a resource name: backticks
/// (which would close a code span) and angle brackets (Slack's links and mentions) are replaced.
fn literal(text: &str) -> String {
    text.replace('`', "'").replace('<', "‹").replace('>', "›")
}

pub fn chat_message(report: &Report) -> ChatMessage {
    let report = &super::text::shown(report);
    let notice = Notice::of(report);
    let emoji = match notice.outcome {
        Outcome::Fixed => ":white_check_mark:",
        Outcome::Diagnosed => ":rotating_light:",
        Outcome::Inconclusive => ":grey_question:",
        Outcome::NotApplicable => ":information_source:",
    };
    let mut description = format!("*Root cause:* {}\n", literal(&notice.cause));
    if !notice.evidence.is_empty() {
        description.push_str("*Evidence:*\n");
        for (key, value) in &notice.evidence {
            let _ = writeln!(description, "• {key}: `{}`", literal(value));
        }
    }
    let context: Vec<String> = notice
        .context
        .iter()
        .filter(|(label, _)| *label != "Task")
        .map(|(label, value)| format!("*{label}:* `{}`", literal(value)))
        .collect();
    let _ = writeln!(description, "{}", context.join(" · "));
    if let Some(arn) = &report.task.arn {
        let _ = writeln!(description, "*Task:* `{}`", literal(arn));
    }
    if !notice.stop_reason.is_empty() {
        let _ = write!(description, "*Stopped:* `{}`", literal(&notice.stop_reason));
    }
    let verdict = serde_name(report.verdict);
    let mut keywords = vec![verdict.to_string()];
    keywords.extend(notice.root_cause.map(|c| c.as_str().to_string()));
    keywords.push(serde_name(report.failure.category));
    let mut additional_context = BTreeMap::new();
    additional_context.insert("verdict".to_string(), verdict.to_string());
    additional_context.insert(
        "rootCause".to_string(),
        notice.root_cause.map_or("none", Code::as_str).to_string(),
    );
    for (label, value) in &notice.context {
        additional_context.insert(label.to_ascii_lowercase(), value.clone());
    }
    let task = &report.task;
    let group = task
        .service
        .as_deref()
        .map_or_else(|| "task".to_string(), |s| format!("service/{s}"));
    ChatMessage {
        version: "1.0",
        source: "custom",
        content: ChatContent {
            text_type: "client-markdown",
            title: format!("{emoji} {}", literal(&notice.headline)),
            description,
            next_steps: notice.steps.iter().map(|s| literal(s)).collect(),
            keywords,
        },
        metadata: ChatMetadata {
            thread_id: format!(
                "ecs-pull-doctor/{}/{}/{}",
                task.account.as_deref().unwrap_or("unknown"),
                task.cluster.as_deref().unwrap_or("unknown"),
                group
            ),
            summary: notice.headline.clone(),
            event_type: format!("ecs-pull-doctor/{verdict}"),
            related_resources: notice.resources.clone(),
            additional_context,
        },
    }
}

/// An email: SNS's subject (one line, under 100 characters) and a plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub body: String,
}

/// SNS refuses a subject of 100 characters or more, or with a line break.
const SUBJECT_CHARS: usize = 99;

pub fn email(report: &Report) -> Email {
    // Control characters escaped in everything the mail quotes (escaping is idempotent).
    let report = &super::text::shown(report);
    let notice = Notice::of(report);
    // What, then where: a cut subject still says what happened and in which account.
    let task = &report.task;
    let what = match (notice.outcome, notice.root_cause) {
        (Outcome::Fixed, Some(code)) => format!("Fixed {}", code.as_str()),
        (_, Some(code)) => code.as_str().to_string(),
        (Outcome::NotApplicable, None) => "Not a start failure".to_string(),
        _ => "Unexplained start failure".to_string(),
    };
    let whose = [
        task.account.as_deref(),
        task.cluster.as_deref(),
        task.service.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("/");
    let subject = format!("ecs-pull-doctor: {what} [{whose}]");
    let subject: String = if subject.chars().count() > SUBJECT_CHARS {
        subject
            .chars()
            .take(SUBJECT_CHARS - 1)
            .chain(std::iter::once('…'))
            .collect()
    } else {
        subject
    };
    let subject = subject.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut body = String::new();
    let _ = writeln!(body, "{}\n", notice.headline);
    let _ = writeln!(body, "Verdict:     {}", serde_name(report.verdict));
    let label = if notice.root_cause.is_some() {
        "Root cause:"
    } else {
        "Why:"
    };
    let _ = writeln!(body, "{label:<12} {}", notice.cause);
    for (label, value) in &notice.context {
        let _ = writeln!(body, "{:<12} {value}", format!("{label}:"));
    }
    if !notice.evidence.is_empty() {
        let _ = writeln!(body, "\nEvidence");
        for (key, value) in &notice.evidence {
            let _ = writeln!(body, "  {key}: {value}");
        }
    }
    if !notice.steps.is_empty() {
        let heading = if notice.outcome == Outcome::Fixed {
            "What was done"
        } else {
            "What to do"
        };
        let _ = writeln!(body, "\n{heading}");
        for (number, step) in notice.steps.iter().enumerate() {
            let _ = writeln!(body, "  {}. {step}", number + 1);
        }
    }
    if !notice.stop_reason.is_empty() {
        let _ = writeln!(body, "\nStop reason\n  {}", notice.stop_reason);
    }
    // Those the steps have not named already.
    let others: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| Some(f.code) != report.root_cause)
        .filter(|f| {
            notice.outcome != Outcome::Inconclusive || (f.code != Code::CheckFailed && f.severity == Severity::Info)
        })
        .collect();
    if !others.is_empty() {
        let _ = writeln!(body, "\nOther findings");
        for finding in others {
            let severity = serde_name(finding.severity).to_ascii_uppercase();
            let _ = writeln!(body, "  {severity} {}: {}", finding.code.as_str(), finding.summary);
        }
    }
    let _ = writeln!(
        body,
        "\nThe full report is in the function's log (one line per report) and its JSON result."
    );
    Email { subject, body }
}
