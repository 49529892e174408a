//! Facts: what the AWS APIs say about the stopped task, gathered once into a plain snapshot.
//!
//! Every fact is either known or a record of the call that failed, so that a check can say what it
//! could not check instead of passing silently.

mod deadline;
mod gather;
mod identity;
pub mod members;
pub mod memo;
mod network;
pub mod ports;
pub mod requirements;
mod snapshot;
mod volumes;

#[cfg(test)]
pub mod fixtures;

pub(crate) use deadline::past_deadline;
pub use deadline::{DEADLINE, Deadline, cut_off};
pub use gather::{gather, gather_with_network, image_risks};
pub use identity::*;
pub use network::*;
pub use ports::{
    Doctor, Ec2Reader, EcrReader, EcsReader, EfsReader, FixWriter, IamReader, ImageAnswer, PolicyAnswer, Readers,
    RunbookStarter, S3Reader, SecretReader,
};
pub use snapshot::*;
pub use volumes::*;

use serde::Serialize;

/// A fact from AWS, or the call that could not get it.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact<T> {
    Known(T),
    Failed(CallFailure),
}

impl<T> Fact<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Fact::Known(value) => Some(value),
            Fact::Failed(_) => None,
        }
    }

    /// The failed call, when the fact could not be read.
    pub fn failure(&self) -> Option<&CallFailure> {
        match self {
            Fact::Known(_) => None,
            Fact::Failed(failure) => Some(failure),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fact<U> {
        match self {
            Fact::Known(value) => Fact::Known(f(value)),
            Fact::Failed(failure) => Fact::Failed(failure),
        }
    }
}

/// A describe call that failed: AccessDenied, throttling, a network error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallFailure {
    /// `service:Action`, as IAM names it, so a person can grant exactly that.
    pub operation: String,
    pub resource: String,
    /// The AWS error code (AccessDeniedException, ThrottlingException), or the kind of transport failure.
    pub error_code: String,
    pub message: String,
}

impl CallFailure {
    pub fn is_access_denied(&self) -> bool {
        let code = self.error_code.to_ascii_lowercase();
        code.contains("accessdenied") || code.contains("unauthorized") || code.contains("notauthorized")
    }
}
