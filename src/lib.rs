//! ecs-pull-doctor: why an ECS task could not pull its image, with evidence.
//!
//! The modules below are layers, listed bottom up: each may use those before it and none after it
//! (tests/layers.rs reads this list and every `use crate::` line to keep it so). A diagnosis runs
//! them in this order: intake (what was asked) -> classify (what the stop reason says) -> facts
//! (what AWS says, through the ports) -> checks (pure rules over the facts) -> fixes (planned from
//! the findings, applied only after verification) -> report (what a person and a machine read).
//! See ARCHITECTURE.md for the map and its invariants.

// layers: model redact classify settings facts checks fixes report notices adapters intake engine preflight handler cli wiring
pub mod model;
pub mod redact;
pub mod classify;
pub mod settings;
pub mod facts;
pub mod checks;
pub mod fixes;
pub mod report;
pub mod notices;
pub mod adapters;
pub mod intake;
pub mod engine;
pub mod preflight;
pub mod handler;
pub mod cli;
pub mod wiring;

#[cfg(test)]
mod fuzz;
