//! The facts every check leans on: when they could not be read, say so once.

use super::{Outcome, could_not_check};
use crate::facts::{Fact, Snapshot};

pub fn check(snapshot: &Snapshot) -> Outcome {
    let mut outcome = Outcome::default();
    match &snapshot.task_definition {
        Fact::Failed(failure) => outcome.finding(could_not_check(
            failure,
            "the task definition: the images were taken from the task's own record, and the execution role, secrets and log settings were not checked".to_string(),
        )),
        Fact::Known(definition) => outcome.pass("task-definition", &definition.arn, "task definition read"),
    }
    if let Some(Fact::Failed(failure)) = &snapshot.network {
        outcome.finding(could_not_check(
            failure,
            "the task's security groups and public IP setting".to_string(),
        ));
    }
    outcome
}
