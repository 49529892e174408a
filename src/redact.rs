//! Redaction of credentials and signed URLs. A layer download that fails puts its presigned S3 URL,
//! with X-Amz-Credential, X-Amz-Security-Token and X-Amz-Signature in it, into the stop reason.
//! The doctor removes them where it first reads a stop reason, so no report, log line or
//! destination ever holds them; what identifies the failure (hosts, paths, error text) is kept.

use std::sync::LazyLock;

use regex::Regex;

/// What replaces a secret.
pub const REDACTED: &str = "REDACTED";

static URL_QUERY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(https?://[^\s"'<>?]*)\?[^\s"'<>]*"#).expect("a valid pattern"));
static SIGNING_PARAMETER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(X-Amz-Credential|X-Amz-Security-Token|X-Amz-Signature|X-Amz-SignedHeaders|Signature|AWSAccessKeyId|Credential|Security-Token)=[^&\s"'<>,]*"#)
        .expect("a valid pattern")
});
static ACCESS_KEY_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b").expect("a valid pattern"));
/// Session tokens and signatures are long runs of base64; digests (64 hex characters) are shorter.
static LONG_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/_%-]{100,}={0,2}").expect("a valid pattern"));

/// `text` without URL query strings, signing parameters, access key IDs or token-like runs.
pub fn redact(text: &str) -> String {
    let text = URL_QUERY.replace_all(text, format!("$1?{REDACTED}"));
    let text = SIGNING_PARAMETER.replace_all(&text, format!("$1={REDACTED}"));
    let text = ACCESS_KEY_ID.replace_all(&text, REDACTED);
    LONG_TOKEN.replace_all(&text, REDACTED).into_owned()
}

/// `text` with control characters (terminal escapes among them) shown as `\u{..}`, newlines and
/// tabs kept: a stop reason must not drive the terminal that shows it.
pub fn escape_control(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNED: &str = "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed open: failed to do request: Get \"https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2/c3d4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLEEXAMPLE12%2F20261202%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261202T101010Z&X-Amz-Expires=3600&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaCXVzLWVhc3QtMSJHMEUCIQD&X-Amz-SignedHeaders=host&X-Amz-Signature=0123456789abcdef0123456789abcdef\": dial tcp 52.216.0.1:443: i/o timeout";

    #[test]
    fn a_presigned_url_keeps_its_host_and_path_and_loses_its_query() {
        let clean = redact(SIGNED);
        for secret in [
            "ASIAEXAMPLEEXAMPLE12",
            "IQoJb3JpZ2luX2Vj",
            "0123456789abcdef0123456789abcdef",
            "X-Amz-Credential=",
        ] {
            assert!(!clean.contains(secret), "{secret} in {clean}");
        }
        assert!(
            clean
                .contains("https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/a1b2/c3d4?REDACTED"),
            "{clean}"
        );
        assert!(clean.ends_with("dial tcp 52.216.0.1:443: i/o timeout"), "{clean}");
    }

    #[test]
    fn loose_credentials_are_removed_and_ordinary_text_is_kept() {
        let loose = "token X-Amz-Security-Token=FwoGZXIvYXdzEJr and key AKIAIOSFODNN7EXAMPLE, Credential=AKIAIOSFODNN7EXAMPLE/20261202/us-east-1/ecr/aws4_request";
        let clean = redact(loose);
        assert!(
            !clean.contains("FwoGZXIvYXdzEJr") && !clean.contains("AKIAIOSFODNN7EXAMPLE"),
            "{clean}"
        );
        let ordinary = "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/web@sha256:0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a09080706050403020100f: not found";
        assert_eq!(redact(ordinary), ordinary);
        assert_eq!(redact(&"x".repeat(150)), REDACTED);
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(
            escape_control("red \u{1b}[31mtext\u{7}\nnext"),
            "red \\u{1b}[31mtext\\u{7}\nnext"
        );
    }
}
