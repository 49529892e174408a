//! Integration tests: the engine, the Lambda handler and the CLI against the local AWS emulator
//! (`make test` starts it). Each test works in an account of its own.

#[path = "../support/mod.rs"]
mod support;

mod cli;
mod common;
mod env_files;
mod faults;
mod fixes;
mod identity;
mod network;
mod organization;
mod preflight;
mod pull_through;
mod registry;
mod runbook;
mod safety;
mod task_context;
mod volumes;

/// Each test file works in accounts of its own: two files in one account share its resources in the
/// one emulator, and a test of one can see (or delete) what the other made. The accounts are the
/// 12-digit literals each file names.
#[test]
fn no_two_test_files_share_an_account() {
    use std::collections::BTreeMap;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration");
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let mut shared = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let accounts: std::collections::BTreeSet<&str> = text
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        for account in accounts {
            if let Some(other) = owner.insert(account.to_string(), file.clone()) {
                shared.push(format!("{account}: {other} and {file}"));
            }
        }
    }
    assert!(
        shared.is_empty(),
        "accounts used by two test files:\n{}",
        shared.join("\n")
    );
}
