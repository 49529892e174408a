//! Adapters: everything that talks to AWS through the SDK (`aws`), and the in-memory stand-in the
//! tests use in its place (`memory`). They translate answers into facts and writes into calls, and
//! decide nothing. Nothing outside this tree imports an SDK crate (tests/layers.rs checks it).

pub mod aws;
pub mod memory;
