//! Domain primitives shared by every stage: task ARNs, image references, the AWS operations the
//! doctor calls and the writes it may make, as data.

pub mod arn;
mod calls;
pub mod image;
pub mod names;
mod operation;

pub use arn::TaskArn;
pub use calls::{Call, RunbookRequest, RunbookRoles};
pub use image::{ImageRef, ImageSelector, Registry};
pub use operation::{Access, Operation};
