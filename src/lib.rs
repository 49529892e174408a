//! ecs-pull-doctor: why an ECS task could not pull its image, with evidence.
//!
//! The stages, in the order a diagnosis runs them:
//! intake (what was asked) -> classify (what the stop reason says) -> facts (what AWS says)
//! -> checks (pure rules over the facts) -> report (what a person and a machine read).

pub mod classify;
pub mod model;
pub mod checks;
pub mod facts;
pub mod fixes;
pub mod redact;
pub mod report;
pub mod settings;
pub mod deadline;
pub mod engine;
pub mod preflight;
pub mod intake;
pub mod cli;
pub mod handler;
pub mod members;
pub mod notices;
pub mod wiring;

#[cfg(test)]
mod fuzz;
