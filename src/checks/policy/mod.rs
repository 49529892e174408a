//! One IAM policy evaluator for every policy the doctor reads: VPC endpoint policies, S3 gateway
//! endpoint policies, repository policies, trust policies and identity policies.
//!
//! It follows IAM's evaluation logic: an explicit Deny wins, then an Allow, else the request is
//! implicitly denied. Where a condition depends on a key whose value the doctor cannot know, the
//! answer is `Undecided`, never a guess.

use std::collections::BTreeMap;

use serde_json::Value;

/// Who makes the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An IAM role or user (its ARN); an assumed-role session matches the role it came from.
    Aws { arn: String, account: String },
    /// An AWS service, e.g. `ecs-tasks.amazonaws.com`.
    Service(String),
}

impl Principal {
    /// An AWS principal no policy names, such as the signer of a presigned URL: only a grant to
    /// every principal (`*`, `{"AWS": "*"}`) covers it.
    pub fn unnamed() -> Principal {
        Principal::Aws {
            arn: String::new(),
            account: String::new(),
        }
    }

    /// A role or user ARN; `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION` counts as the role.
    pub fn aws(arn: &str) -> Principal {
        let account = arn.split(':').nth(4).unwrap_or_default().to_string();
        let arn = match arn.split_once(":sts::") {
            Some((partition, rest)) => match rest.split_once(":assumed-role/") {
                Some((account, role)) => {
                    let name = role.split('/').next().unwrap_or(role);
                    format!("{partition}:iam::{account}:role/{name}")
                }
                None => arn.to_string(),
            },
            None => arn.to_string(),
        };
        Principal::Aws { arn, account }
    }
}

/// The request context: condition keys and their values. Keys are case-insensitive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    values: BTreeMap<String, Vec<String>>,
    /// When true, a key that was not given is known to be absent; otherwise its value is unknown.
    complete: bool,
}

impl Context {
    /// A context where only the given keys are known; conditions on other keys are undecided.
    pub fn partial() -> Self {
        Context::default()
    }

    /// A context that holds every key the request has.
    pub fn complete() -> Self {
        Context {
            values: BTreeMap::new(),
            complete: true,
        }
    }

    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.values
            .entry(key.to_ascii_lowercase())
            .or_default()
            .push(value.to_string());
        self
    }

    fn lookup(&self, key: &str) -> Lookup<'_> {
        match self.values.get(&key.to_ascii_lowercase()) {
            Some(values) => Lookup::Present(values),
            None if self.complete => Lookup::Absent,
            None => Lookup::Unknown,
        }
    }
}

enum Lookup<'a> {
    Present(&'a [String]),
    Absent,
    Unknown,
}

/// One request to evaluate.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub principal: Option<&'a Principal>,
    pub action: &'a str,
    pub resource: &'a str,
    pub context: &'a Context,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq)]
enum Match {
    /// `Action`, `Resource`, `Principal`: matches what is listed.
    Listed(Vec<String>),
    /// `NotAction`, `NotResource`, `NotPrincipal`: matches everything else.
    AllBut(Vec<String>),
    /// The element is absent (identity policies have no Principal).
    Absent,
}

#[derive(Debug, Clone, PartialEq)]
struct Statement {
    effect: Effect,
    principal: Match,
    action: Match,
    resource: Match,
    conditions: Vec<Condition>,
    raw: Value,
}

#[derive(Debug, Clone, PartialEq)]
struct Condition {
    operator: String,
    key: String,
    values: Vec<String>,
}

/// A statement the evaluator could not read. What it would decide is unknown, so it makes any
/// answer it might touch undecided; it never drops out silently, and a Deny elsewhere still wins.
#[derive(Debug, Clone, PartialEq)]
struct Malformed {
    /// `None` when the Effect itself is unreadable: it may allow or deny.
    effect: Option<Effect>,
    /// The actions it names, when those could be read: a request for another action is not its concern.
    action: Option<Match>,
    why: String,
    raw: Value,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    statements: Vec<Statement>,
    malformed: Vec<Malformed>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the policy document is not valid: {0}")]
pub struct PolicyError(pub String);

/// The answer for one request, with the statements that decided it.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Allowed {
        statement: Value,
    },
    /// An explicit Deny matched: nothing can override it.
    ExplicitlyDenied {
        statement: Value,
    },
    /// No statement allows the request.
    ImplicitlyDenied,
    /// The answer depends on condition keys whose values are unknown.
    Undecided {
        statements: Vec<Value>,
        keys: Vec<String>,
    },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }

    pub fn is_denied(&self) -> bool {
        matches!(self, Decision::ExplicitlyDenied { .. } | Decision::ImplicitlyDenied)
    }
}

/// Whether a statement applies to a request.
#[derive(Debug, Clone, PartialEq)]
enum Applies {
    Yes,
    No,
    /// Depends on these unknown condition keys.
    Maybe(Vec<String>),
}

impl Policy {
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let value: Value = serde_json::from_str(text).map_err(|e| PolicyError(e.to_string()))?;
        Policy::from_value(&value)
    }

    /// A document that is not a policy at all is an error; a statement that cannot be read is kept
    /// as malformed, so that the answers it might change stay undecided.
    pub fn from_value(value: &Value) -> Result<Policy, PolicyError> {
        let raw: Vec<&Value> = match value.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect(),
            Some(single @ Value::Object(_)) => vec![single],
            _ => return Err(PolicyError("it has no Statement".into())),
        };
        let mut policy = Policy {
            statements: Vec::new(),
            malformed: Vec::new(),
        };
        for statement in raw {
            match parse_statement(statement) {
                Ok(parsed) => policy.statements.push(parsed),
                Err(PolicyError(why)) => policy.malformed.push(Malformed {
                    effect: match statement.get("Effect").and_then(Value::as_str) {
                        Some("Allow") => Some(Effect::Allow),
                        Some("Deny") => Some(Effect::Deny),
                        _ => None,
                    },
                    action: element(statement, "Action", "NotAction", strings)
                        .ok()
                        .filter(|a| *a != Match::Absent),
                    why,
                    raw: statement.clone(),
                }),
            }
        }
        Ok(policy)
    }

    /// Whether any statement could not be read.
    pub fn has_malformed(&self) -> bool {
        !self.malformed.is_empty()
    }

    pub fn evaluate(&self, request: &Request<'_>) -> Decision {
        Policy::evaluate_all(std::slice::from_ref(self), request)
    }

    /// Evaluates several policies together (a role's inline and attached policies): a Deny in any
    /// wins, an Allow in any allows.
    pub fn evaluate_all(policies: &[Policy], request: &Request<'_>) -> Decision {
        let mut maybe_deny = Vec::new();
        let mut maybe_allow = Vec::new();
        let mut allowed = None;
        let mut keys = Vec::new();
        for statement in policies.iter().flat_map(|p| &p.statements) {
            match (statement.effect, statement.applies(request)) {
                (_, Applies::No) => {}
                (Effect::Deny, Applies::Yes) => {
                    return Decision::ExplicitlyDenied {
                        statement: statement.raw.clone(),
                    };
                }
                (Effect::Deny, Applies::Maybe(unknown)) => {
                    maybe_deny.push(statement.raw.clone());
                    keys.extend(unknown);
                }
                (Effect::Allow, Applies::Yes) => {
                    allowed.get_or_insert_with(|| statement.raw.clone());
                }
                (Effect::Allow, Applies::Maybe(unknown)) => {
                    maybe_allow.push(statement.raw.clone());
                    keys.extend(unknown);
                }
            }
        }
        let action = request.action.to_ascii_lowercase();
        for malformed in policies.iter().flat_map(|p| &p.malformed) {
            if malformed
                .action
                .as_ref()
                .is_some_and(|a| !matches(a, |pattern| wildcard(&pattern.to_ascii_lowercase(), &action)))
            {
                continue;
            }
            if malformed.effect != Some(Effect::Allow) {
                maybe_deny.push(malformed.raw.clone());
            }
            if malformed.effect != Some(Effect::Deny) {
                maybe_allow.push(malformed.raw.clone());
            }
            keys.push(format!("(a statement that could not be read: {})", malformed.why));
        }
        keys.sort();
        keys.dedup();
        match allowed {
            Some(statement) if maybe_deny.is_empty() => Decision::Allowed { statement },
            Some(statement) => Decision::Undecided {
                statements: [vec![statement], maybe_deny].concat(),
                keys,
            },
            None if !maybe_allow.is_empty() => Decision::Undecided {
                statements: [maybe_allow, maybe_deny].concat(),
                keys,
            },
            None => Decision::ImplicitlyDenied,
        }
    }
}

impl Statement {
    fn applies(&self, request: &Request<'_>) -> Applies {
        let principal_matches = match (&self.principal, request.principal) {
            (Match::Absent, _) => true,
            (Match::Listed(list), Some(principal)) => list.iter().any(|p| principal_matches(p, principal)),
            (Match::AllBut(list), Some(principal)) => !list.iter().any(|p| principal_matches(p, principal)),
            // A resource policy with no principal to compare cannot grant anything.
            (_, None) => false,
        };
        let action_matches = matches(&self.action, |pattern| {
            wildcard(&pattern.to_ascii_lowercase(), &request.action.to_ascii_lowercase())
        });
        let resource_matches = match &self.resource {
            // Resource policies may omit Resource: they are about their own resource.
            Match::Absent => true,
            other => matches(other, |pattern| wildcard(pattern, request.resource)),
        };
        if !(principal_matches && action_matches && resource_matches) {
            return Applies::No;
        }
        let mut unknown = Vec::new();
        for condition in &self.conditions {
            match condition.holds(request.context) {
                Some(true) => {}
                Some(false) => return Applies::No,
                None => unknown.push(condition.key.clone()),
            }
        }
        if unknown.is_empty() {
            Applies::Yes
        } else {
            Applies::Maybe(unknown)
        }
    }
}

fn matches(element: &Match, test: impl Fn(&str) -> bool) -> bool {
    match element {
        Match::Listed(list) => list.iter().any(|p| test(p)),
        Match::AllBut(list) => !list.iter().any(|p| test(p)),
        Match::Absent => false,
    }
}

/// `TYPE:VALUE` principals from the policy, e.g. `AWS:arn:...`, `Service:ecs-tasks.amazonaws.com`, `*`.
fn principal_matches(pattern: &str, principal: &Principal) -> bool {
    if pattern == "*" {
        return true;
    }
    let (kind, value) = pattern.split_once(':').unwrap_or(("", pattern));
    match (kind, principal) {
        ("AWS", _) if value == "*" => matches!(principal, Principal::Aws { .. }),
        ("AWS", Principal::Aws { arn, account }) => {
            // An account ID or its root ARN grants to the whole account.
            let root = value
                .strip_prefix("arn:")
                .and_then(|rest| rest.split_once(":iam::"))
                .and_then(|(_, r)| r.strip_suffix(":root"));
            value == account || root == Some(account.as_str()) || wildcard(value, arn)
        }
        ("Service", Principal::Service(service)) => value.eq_ignore_ascii_case(service),
        _ => false,
    }
}

/// IAM wildcards: `*` any run of characters, `?` any one character.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        // A star in the pattern is always a wildcard, even against a literal star in the text.
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl Condition {
    /// `Some(true)`/`Some(false)` when decided, `None` when the key's value is unknown or the
    /// operator is one the evaluator does not decide.
    fn holds(&self, context: &Context) -> Option<bool> {
        let mut operator = self.operator.as_str();
        let (mut any_value, mut all_values) = (false, false);
        if let Some(rest) = operator.strip_prefix("ForAnyValue:") {
            (operator, any_value) = (rest, true);
        } else if let Some(rest) = operator.strip_prefix("ForAllValues:") {
            (operator, all_values) = (rest, true);
        }
        let (operator, if_exists) = match operator.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (operator, false),
        };
        let negated = operator.contains("Not") && operator != "Null";
        let present = match context.lookup(&self.key) {
            Lookup::Unknown => return None,
            Lookup::Absent => {
                return Some(match operator {
                    "Null" => self.values.iter().any(|v| v.eq_ignore_ascii_case("true")),
                    _ if if_exists || all_values => true,
                    _ if any_value => false,
                    _ => negated,
                });
            }
            Lookup::Present(values) => values,
        };
        if operator == "Null" {
            return Some(self.values.iter().any(|v| v.eq_ignore_ascii_case("false")));
        }
        let test_one = |actual: &str| -> Option<bool> {
            let hit = self
                .values
                .iter()
                .map(|expected| compare(operator, expected, actual))
                .collect::<Option<Vec<bool>>>()?;
            let any = hit.iter().any(|h| *h);
            // Negated operators hold when the value matches none of the listed ones.
            Some(if negated { !any } else { any })
        };
        let results = present.iter().map(|v| test_one(v)).collect::<Option<Vec<bool>>>()?;
        Some(if all_values {
            results.iter().all(|r| *r)
        } else {
            results.iter().any(|r| *r)
        })
    }
}

/// Whether `actual` matches `expected` under `operator`, ignoring negation (the caller applies it).
fn compare(operator: &str, expected: &str, actual: &str) -> Option<bool> {
    Some(match operator {
        "StringEquals" | "StringNotEquals" | "ArnEquals" | "ArnNotEquals" => expected == actual,
        "StringEqualsIgnoreCase" | "StringNotEqualsIgnoreCase" => expected.eq_ignore_ascii_case(actual),
        "StringLike" | "StringNotLike" | "ArnLike" | "ArnNotLike" => wildcard(expected, actual),
        "Bool" => expected.eq_ignore_ascii_case(actual),
        "NumericEquals" | "NumericNotEquals" => expected.parse::<f64>().ok()? == actual.parse::<f64>().ok()?,
        "NumericLessThan" => actual.parse::<f64>().ok()? < expected.parse::<f64>().ok()?,
        "NumericLessThanEquals" => actual.parse::<f64>().ok()? <= expected.parse::<f64>().ok()?,
        "NumericGreaterThan" => actual.parse::<f64>().ok()? > expected.parse::<f64>().ok()?,
        "NumericGreaterThanEquals" => actual.parse::<f64>().ok()? >= expected.parse::<f64>().ok()?,
        "IpAddress" | "NotIpAddress" => ipv4_in_cidr(actual, expected)?,
        // Dates and binary values: not decided here.
        _ => return None,
    })
}

fn ipv4_in_cidr(address: &str, cidr: &str) -> Option<bool> {
    let (network, bits) = cidr.split_once('/').unwrap_or((cidr, "32"));
    let (network, address): (std::net::Ipv4Addr, std::net::Ipv4Addr) = (network.parse().ok()?, address.parse().ok()?);
    let bits: u32 = bits.parse().ok().filter(|b| *b <= 32)?;
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    Some(u32::from(network) & mask == u32::from(address) & mask)
}

fn strings(value: &Value) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(list) => list
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| PolicyError(format!("{v} is not a string")))
            })
            .collect(),
        Value::Bool(b) => Ok(vec![b.to_string()]),
        Value::Number(n) => Ok(vec![n.to_string()]),
        other => Err(PolicyError(format!("{other} is not a string or a list of strings"))),
    }
}

fn element(
    statement: &Value,
    name: &str,
    not_name: &str,
    read: impl Fn(&Value) -> Result<Vec<String>, PolicyError>,
) -> Result<Match, PolicyError> {
    match (statement.get(name), statement.get(not_name)) {
        (Some(_), Some(_)) => Err(PolicyError(format!("a statement has both {name} and {not_name}"))),
        (Some(value), None) => Ok(Match::Listed(read(value)?)),
        (None, Some(value)) => Ok(Match::AllBut(read(value)?)),
        (None, None) => Ok(Match::Absent),
    }
}

/// `"*"`, `{"AWS": ...}`, `{"Service": ...}`, `{"Federated": ...}` -> `TYPE:VALUE` strings.
fn principals(value: &Value) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) if s == "*" => Ok(vec!["*".into()]),
        Value::Object(map) => {
            let mut out = Vec::new();
            for (kind, values) in map {
                out.extend(strings(values)?.into_iter().map(|v| {
                    if v == "*" && kind == "AWS" {
                        "AWS:*".to_string()
                    } else {
                        format!("{kind}:{v}")
                    }
                }));
            }
            Ok(out)
        }
        other => Err(PolicyError(format!("principal {other} is not \"*\" or an object"))),
    }
}

fn parse_statement(value: &Value) -> Result<Statement, PolicyError> {
    let effect = match value.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        other => return Err(PolicyError(format!("Effect {other:?} is not Allow or Deny"))),
    };
    let action = element(value, "Action", "NotAction", strings)?;
    if action == Match::Absent {
        return Err(PolicyError("a statement has no Action or NotAction".into()));
    }
    let mut conditions = Vec::new();
    if let Some(block) = value.get("Condition") {
        let block = block
            .as_object()
            .ok_or_else(|| PolicyError("Condition is not an object".into()))?;
        for (operator, keys) in block {
            let keys = keys
                .as_object()
                .ok_or_else(|| PolicyError(format!("condition {operator} is not an object")))?;
            for (key, values) in keys {
                conditions.push(Condition {
                    operator: operator.clone(),
                    key: key.clone(),
                    values: strings(values)?,
                });
            }
        }
    }
    Ok(Statement {
        effect,
        principal: element(value, "Principal", "NotPrincipal", principals)?,
        action,
        resource: element(value, "Resource", "NotResource", strings)?,
        conditions,
        raw: value.clone(),
    })
}

#[cfg(test)]
mod tests;
