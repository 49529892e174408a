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
