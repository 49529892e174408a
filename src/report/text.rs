//! The checklist a person reads at a glance: the verdict and root cause first, each red line followed
//! by what to do about it, then what was checked and found healthy.

use crate::redact::escape_control;
use std::fmt::Write;

use serde_json::Value;

use super::{ActionStatus, PreflightReport, Report};
use crate::checks::{Finding, Severity, Verdict};
use crate::settings::FixMode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// ANSI colours, for a terminal.
    Color,
    /// No escape codes, for pipes, files and logs.
    Plain,
}

const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

struct Painter(Style);

impl Painter {
    fn paint(&self, color: &str, text: &str) -> String {
        match self.0 {
            Style::Color => format!("{color}{text}{RESET}"),
            Style::Plain => text.to_string(),
        }
    }
}

pub fn render_text(report: &Report, style: Style) -> String {
    let report = &shown(report);
    let p = Painter(style);
    let mut out = String::new();
    let task = &report.task;
    let short_id = task
        .arn
        .as_deref()
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or("(unknown task)");
    let mut context: Vec<String> = Vec::new();
    if let Some(cluster) = &task.cluster {
        context.push(format!("cluster {cluster}"));
    }
    if let Some(service) = &task.service {
        context.push(format!("service {service}"));
    }
    if let Some(launch) = &task.launch_type {
        context.push(format!(
            "{launch}{}",
            task.platform_version
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default()
        ));
    }
    let _ = writeln!(
        out,
        "{} task {short_id}{}",
        p.paint(BOLD, "ecs-pull-doctor:"),
        if context.is_empty() {
            String::new()
        } else {
            format!(" ({})", context.join(", "))
        }
    );
    if !report.failure.message.is_empty() {
        let _ = writeln!(out, "stopped: {}", report.failure.message);
    }
    let _ = writeln!(
        out,
        "failure: {:?} · category {}",
        report.failure.kind,
        super::serde_name(report.failure.category)
    );
    if report.duplicate {
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                DIM,
                "(a repeated delivery of an event already diagnosed; nothing was done again)"
            )
        );
    }
    let _ = writeln!(out);

    let verdict = match (report.verdict, report.root_cause) {
        (Verdict::Diagnosed, Some(code)) => p.paint(RED, &format!("DIAGNOSED  root cause: {}", code.as_str())),
        (Verdict::Diagnosed, None) => p.paint(RED, "DIAGNOSED"),
        (Verdict::Inconclusive, _) => p.paint(YELLOW, "INCONCLUSIVE"),
        (Verdict::NotApplicable, _) => p.paint(GREEN, "NOT APPLICABLE"),
        // A diagnosis never has these; the pre-flight's own rendering shows them.
        (Verdict::Ready, _) => p.paint(GREEN, "READY"),
        (Verdict::WillFail, _) => p.paint(RED, "WILL FAIL"),
    };
    let _ = writeln!(out, "{}", p.paint(BOLD, &verdict));
    // A diagnosed verdict's reason repeats the root cause's own line, which follows.
    if report.verdict != Verdict::Diagnosed {
        let _ = writeln!(out, "{}", report.verdict_reason);
    }
    let _ = writeln!(out);

    for finding in &report.findings {
        write_finding(&mut out, &p, finding);
    }
    for pass in &report.passed {
        let _ = writeln!(out, "  {}  {}", p.paint(GREEN, " OK "), pass.summary);
    }

    if report.verdict != Verdict::NotApplicable {
        let _ = writeln!(out);
        if report.actions.is_empty() {
            let why = match report.mode.fix {
                FixMode::Off => "fix mode is off",
                FixMode::DryRun | FixMode::Apply => "no finding has a fix the doctor may make",
            };
            let _ = writeln!(out, "actions: none ({why})");
        }
        for action in &report.actions {
            let status = match action.status {
                ActionStatus::Planned => p.paint(YELLOW, "planned"),
                ActionStatus::Applied => p.paint(GREEN, "applied"),
                ActionStatus::Skipped => p.paint(DIM, "skipped"),
                ActionStatus::Failed => p.paint(RED, "failed"),
            };
            let _ = writeln!(out, "action {} {status}: {}", action.fix, action.detail);
            for call in &action.calls {
                let parameters = serde_json::to_value(call)
                    .map(|mut c| c["parameters"].take())
                    .unwrap_or(Value::Null);
                let _ = writeln!(
                    out,
                    "        {} {}",
                    call.operation(),
                    p.paint(DIM, &parameters.to_string())
                );
            }
        }
        if let Some(runbook) = &report.runbook {
            let status = runbook.status.label();
            let id = runbook
                .execution_id
                .as_deref()
                .map(|id| format!(" ({id})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "runbook AWSSupport-TroubleshootECSTaskFailedToStart: {status}{id}: {}",
                runbook.detail
            );
        }
    }
    out
}

fn write_finding(out: &mut String, p: &Painter, finding: &Finding) {
    let mark = match finding.severity {
        Severity::Error => p.paint(RED, "FAIL"),
        Severity::Warning => p.paint(YELLOW, "WARN"),
        Severity::Info => p.paint(YELLOW, "INFO"),
    };
    let _ = writeln!(
        out,
        "  {mark}  {}  {}",
        p.paint(BOLD, finding.code.as_str()),
        finding.summary
    );
    if !finding.remedy.is_empty() {
        let _ = writeln!(out, "        fix: {}", finding.remedy);
    }
    if let Some(fix) = &finding.fix {
        let risk = super::serde_name(fix.risk);
        let _ = writeln!(out, "        automatic fix {} ({risk}): {}", fix.id, fix.description);
    }
    let evidence = one_line(&finding.evidence);
    if !evidence.is_empty() {
        let _ = writeln!(out, "        {}", p.paint(DIM, &format!("evidence: {evidence}")));
    }
}

/// `key=value` pairs of an evidence object, nested values as compact JSON.
fn one_line(evidence: &Value) -> String {
    match evidence {
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| match value {
                Value::String(s) => format!("{key}={s}"),
                other => format!("{key}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The report's free text with control characters escaped: a stop reason or a resource name must not
/// drive the terminal that shows it. (The evidence is shown as JSON, which escapes them itself.)
pub(super) fn shown(report: &Report) -> Report {
    let mut report = report.clone();
    let escape = |text: &mut String| *text = escape_control(text);
    escape(&mut report.failure.message);
    escape(&mut report.verdict_reason);
    for text in [
        &mut report.task.arn,
        &mut report.task.cluster,
        &mut report.task.service,
        &mut report.task.launch_type,
        &mut report.task.platform_version,
    ]
    .into_iter()
    .flatten()
    {
        escape(text);
    }
    for finding in &mut report.findings {
        escape(&mut finding.summary);
        escape(&mut finding.remedy);
        escape(&mut finding.resource);
        if let Some(fix) = &mut finding.fix {
            escape(&mut fix.description);
        }
    }
    for pass in &mut report.passed {
        escape(&mut pass.summary);
    }
    for action in &mut report.actions {
        escape(&mut action.detail);
    }
    if let Some(runbook) = &mut report.runbook {
        escape(&mut runbook.detail);
    }
    report
}

/// The pre-flight's checklist: what was checked, READY or WILL FAIL, then each finding with its fix.
pub fn render_preflight(report: &PreflightReport, style: Style) -> String {
    let p = Painter(style);
    let mut out = String::new();
    let subject = &report.subject;
    let what = match (&subject.service, &subject.task_definition_arn) {
        (Some(service), _) => format!("service {}/{service}", subject.cluster.as_deref().unwrap_or("default")),
        (None, Some(definition)) => format!("task definition {definition}"),
        (None, None) => "(unknown subject)".to_string(),
    };
    let _ = writeln!(
        out,
        "{} pre-flight check of {}",
        p.paint(BOLD, "ecs-pull-doctor:"),
        escape_control(&what)
    );
    if let (Some(_), Some(definition)) = (&subject.service, &subject.task_definition_arn) {
        let _ = writeln!(out, "task definition: {}", escape_control(definition));
    }
    let _ = writeln!(
        out,
        "subnets: {} · security groups: {} · public IP: {}",
        escape_control(&subject.subnets.join(", ")),
        escape_control(&subject.security_groups.join(", ")),
        match subject.assign_public_ip {
            Some(true) => "yes",
            Some(false) => "no",
            None => "unknown",
        }
    );
    let _ = writeln!(out);
    let verdict = match (report.verdict, report.root_cause) {
        (Verdict::WillFail, Some(code)) => p.paint(RED, &format!("WILL FAIL  root cause: {}", code.as_str())),
        (Verdict::WillFail, None) => p.paint(RED, "WILL FAIL"),
        _ => p.paint(GREEN, "READY"),
    };
    let _ = writeln!(out, "{}", p.paint(BOLD, &verdict));
    let _ = writeln!(out, "{}", escape_control(&report.verdict_reason));
    let _ = writeln!(out);
    for finding in &report.findings {
        let mut finding = finding.clone();
        finding.summary = escape_control(&finding.summary);
        finding.remedy = escape_control(&finding.remedy);
        write_finding(&mut out, &p, &finding);
    }
    for pass in &report.passed {
        let _ = writeln!(out, "  {}  {}", p.paint(GREEN, " OK "), escape_control(&pass.summary));
    }
    out
}

/// GitHub Actions workflow commands: one annotation per finding (an error, a warning, or a notice
/// for a check that could not run, so a gate that passed is seen to have passed with gaps; the
/// summary as its message, the fix after it), then the checklist, plain.
pub fn render_github(report: &PreflightReport) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let command = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let title = workflow_property(&escape_control(&format!(
            "{} {}",
            finding.code.as_str(),
            finding.resource
        )));
        let (summary, remedy) = (escape_control(&finding.summary), escape_control(&finding.remedy));
        let message = if remedy.is_empty() {
            summary
        } else {
            format!("{summary}\nFix: {remedy}")
        };
        let _ = writeln!(out, "::{command} title={title}::{}", workflow_data(&message));
    }
    out.push_str(&render_preflight(report, Style::Plain));
    out
}

/// A workflow command's message: `%`, CR and LF escaped, as the runner reads them back.
fn workflow_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`, which end it.
fn workflow_property(text: &str) -> String {
    workflow_data(text).replace(':', "%3A").replace(',', "%2C")
}
