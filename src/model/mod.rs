//! Domain primitives shared by every stage: task ARNs and image references.

pub mod arn;
pub mod image;
pub mod names;

pub use arn::TaskArn;
pub use image::{ImageRef, ImageSelector, Registry};
