//! Turning findings into text for people and for machines.
//!
//! Every format renders the same sorted `&[&Diagnostic]` against the same
//! [`SourceMap`](crate::source::SourceMap), so the formats cannot disagree about
//! what was found or where (ruff's one-model-many-emitters design). Each format is
//! one module with one `render` function returning a `String`: renderers never
//! write to stdout themselves, which keeps them pure and snapshot-testable, and
//! leaves exit codes and I/O errors to the CLI.
//!
//! - [`human`]: miette's graphical report, with a view that spreads a finding over
//!   several files (miette draws all labels of one diagnostic against one source).
//! - [`json`]: our own versioned document; miette's JSON handler is not our contract.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;
