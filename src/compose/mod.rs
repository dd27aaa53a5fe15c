//! Compose: locating a project's files, finding a compose CLI, and loading the resolved
//! model (from compose itself when installed, else with the built-in loader).

pub mod cli;
pub mod interpolate;
pub mod model;
pub mod parse;
pub mod project;

pub use cli::{ComposeCli, Stdout};
pub use model::ComposeModel;
pub use project::{Generation, ProjectFiles};
