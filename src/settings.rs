//! Run modes: what the doctor may do beyond diagnosing. Configuration sets the ceiling; an invocation
//! may only narrow it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::model::RunbookRoles;

/// How far a fix may reach: the classes the configuration allows (DOCTOR_ALLOW_FIX).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Safe,
    Cost,
    Exposure,
}

impl RunbookRoles {
    /// DOCTOR_RUNBOOK_ASSUME_ROLE and DOCTOR_RUNBOOK_LAMBDA_ROLE.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let read = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        RunbookRoles {
            automation_assume_role: read("DOCTOR_RUNBOOK_ASSUME_ROLE"),
            lambda_role: read("DOCTOR_RUNBOOK_LAMBDA_ROLE"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixMode {
    Off,
    DryRun,
    Apply,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunbookMode {
    Never,
    Inconclusive,
    Always,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} '{value}' is not one of: {allowed}")]
pub struct ModeError {
    pub what: &'static str,
    pub value: String,
    pub allowed: &'static str,
}

fn parse_choice<T: Copy>(
    what: &'static str,
    allowed: &'static str,
    choices: &[(&str, T)],
    value: &str,
) -> Result<T, ModeError> {
    let wanted = value.trim().to_ascii_lowercase();
    choices
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, mode)| *mode)
        .ok_or_else(|| ModeError {
            what,
            value: value.to_string(),
            allowed,
        })
}

impl FromStr for FixMode {
    type Err = ModeError;
    fn from_str(value: &str) -> Result<Self, ModeError> {
        let choices = [
            ("off", FixMode::Off),
            ("dry-run", FixMode::DryRun),
            ("apply", FixMode::Apply),
        ];
        parse_choice("fix mode", "off, dry-run, apply", &choices, value)
    }
}

impl FromStr for RunbookMode {
    type Err = ModeError;
    fn from_str(value: &str) -> Result<Self, ModeError> {
        let choices = [
            ("never", RunbookMode::Never),
            ("inconclusive", RunbookMode::Inconclusive),
            ("always", RunbookMode::Always),
        ];
        parse_choice("runbook mode", "never, inconclusive, always", &choices, value)
    }
}

/// One fix risk class: `safe`, `cost` or `exposure`.
pub fn parse_risk(value: &str) -> Result<Risk, ModeError> {
    let choices = [("safe", Risk::Safe), ("cost", Risk::Cost), ("exposure", Risk::Exposure)];
    parse_choice("fix risk class", "safe, cost, exposure", &choices, value)
}

/// A comma-separated list of fix risk classes: `safe`, `safe,cost`.
/// Empty, or `none`, allows no fix at all.
pub fn parse_risks(value: &str) -> Result<Vec<Risk>, ModeError> {
    let mut risks = Vec::new();
    if value.trim().eq_ignore_ascii_case("none") {
        return Ok(risks);
    }
    for item in value.split(',').map(str::trim).filter(|item| !item.is_empty()) {
        let risk = parse_risk(item)?;
        if !risks.contains(&risk) {
            risks.push(risk);
        }
    }
    Ok(risks)
}

/// What this run may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Modes {
    pub fix: FixMode,
    pub allow_fix: Vec<Risk>,
    pub runbook: RunbookMode,
    /// After an applied fix to a service's task, force a new deployment of the service.
    pub redeploy: bool,
    /// The roles the runbook is started with (configuration, not reported).
    #[serde(skip)]
    pub runbook_roles: RunbookRoles,
}

impl Modes {
    pub fn command_line_default() -> Self {
        Modes {
            fix: FixMode::Off,
            allow_fix: vec![Risk::Safe],
            runbook: RunbookMode::Never,
            redeploy: false,
            runbook_roles: RunbookRoles::default(),
        }
    }

    pub fn lambda_default() -> Self {
        Modes {
            fix: FixMode::Off,
            allow_fix: vec![Risk::Safe],
            runbook: RunbookMode::Inconclusive,
            redeploy: false,
            runbook_roles: RunbookRoles::default(),
        }
    }

    /// Reads DOCTOR_FIX, DOCTOR_ALLOW_FIX, DOCTOR_RUNBOOK and the runbook's roles over the Lambda defaults.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let mut modes = Modes::lambda_default();
        modes.runbook_roles = RunbookRoles::from_env(&lookup);
        let read = |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty()).map(|v| (name, v));
        let wrap = |name: &'static str| move |source: ModeError| SettingError { variable: name, source };
        if let Some((name, value)) = read("DOCTOR_FIX") {
            modes.fix = value.parse().map_err(wrap(name))?;
        }
        // Set but empty means no fix class, not the default: an operator who clears it wants none.
        if let Some(value) = lookup("DOCTOR_ALLOW_FIX") {
            modes.allow_fix = parse_risks(&value).map_err(wrap("DOCTOR_ALLOW_FIX"))?;
        }
        if let Some((name, value)) = read("DOCTOR_RUNBOOK") {
            modes.runbook = value.parse().map_err(wrap(name))?;
        }
        if let Some((name, value)) = read("DOCTOR_REDEPLOY") {
            let choices = [("true", true), ("false", false)];
            modes.redeploy = parse_choice("redeploy", "true, false", &choices, &value).map_err(wrap(name))?;
        }
        Ok(modes)
    }

    /// What an invocation asked for, never more than the configuration allows.
    pub fn narrowed(&self, fix: Option<FixMode>, runbook: Option<RunbookMode>) -> Modes {
        Modes {
            fix: fix.map_or(self.fix, |asked| asked.min(self.fix)),
            allow_fix: self.allow_fix.clone(),
            runbook: runbook.map_or(self.runbook, |asked| asked.min(self.runbook)),
            redeploy: self.redeploy,
            runbook_roles: self.runbook_roles.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {variable}: {source}")]
pub struct SettingError {
    pub variable: &'static str,
    pub source: ModeError,
}

impl fmt::Display for FixMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FixMode::Off => "off",
            FixMode::DryRun => "dry-run",
            FixMode::Apply => "apply",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invocation_narrows_but_never_widens() {
        let configured = Modes {
            fix: FixMode::DryRun,
            runbook: RunbookMode::Inconclusive,
            ..Modes::command_line_default()
        };
        let asked = configured.narrowed(Some(FixMode::Apply), Some(RunbookMode::Always));
        assert_eq!(asked.fix, FixMode::DryRun);
        assert_eq!(asked.runbook, RunbookMode::Inconclusive);
        let asked = configured.narrowed(Some(FixMode::Off), Some(RunbookMode::Never));
        assert_eq!(asked.fix, FixMode::Off);
        assert_eq!(asked.runbook, RunbookMode::Never);
        assert_eq!(configured.narrowed(None, None), configured);
    }

    #[test]
    fn environment_overrides_lambda_defaults() {
        let env = |name: &str| match name {
            "DOCTOR_FIX" => Some("apply".to_string()),
            "DOCTOR_ALLOW_FIX" => Some("safe, cost,safe".to_string()),
            _ => None,
        };
        let modes = Modes::from_env(env).unwrap();
        assert_eq!(modes.fix, FixMode::Apply);
        assert_eq!(modes.allow_fix, vec![Risk::Safe, Risk::Cost]);
        assert_eq!(modes.runbook, RunbookMode::Inconclusive);
        assert_eq!(Modes::from_env(|_| None).unwrap(), Modes::lambda_default());
    }

    #[test]
    fn bad_values_say_what_is_wrong_in_one_line() {
        let error = Modes::from_env(|name| (name == "DOCTOR_RUNBOOK").then(|| "sometimes".to_string())).unwrap_err();
        assert_eq!(
            error.to_string(),
            "environment variable DOCTOR_RUNBOOK: runbook mode 'sometimes' is not one of: never, inconclusive, always"
        );
        assert!(
            parse_risks("safe,everything")
                .unwrap_err()
                .to_string()
                .contains("'everything'")
        );
        assert!("yes".parse::<FixMode>().is_err());
    }
}
