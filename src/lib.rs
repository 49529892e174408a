//! ecs-pull-doctor: why an ECS task could not pull its image, with evidence.
//!
//! The stages, in the order a diagnosis runs them:
//! intake (what was asked) -> classify (what the stop reason says) -> facts (what AWS says)
//! -> checks (pure rules over the facts) -> report (what a person and a machine read).

pub mod checks;
pub mod classify;
pub mod cli;
pub mod deadline;
pub mod engine;
pub mod facts;
pub mod fixes;
pub mod handler;
pub mod intake;
pub mod members;
pub mod model;
pub mod notices;
pub mod preflight;
pub mod redact;
pub mod report;
pub mod settings;
pub mod wiring;

#[cfg(test)]
mod fuzz;
