//! The guard layer: what a destructive verb would do (the plan), which volumes are
//! protected and why, and the hash-chained audit log of every guarded operation. It
//! decides and records; the verbs in `commands/` confirm and act.

pub mod audit;
pub mod plan;
pub mod protect;
