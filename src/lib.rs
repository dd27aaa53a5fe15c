//! docker-safeops: a Docker CLI plugin that makes the dangerous day-2 operations on
//! Docker hosts safe. The binary (`src/main.rs`) only parses and dispatches; everything
//! else lives in these modules.

pub mod backup;
pub mod cancel;
pub mod cli;
pub mod commands;
pub mod compose;
pub mod doctor;
pub mod drill;
pub mod engine;
pub mod error;
pub mod export;
pub mod guard;
pub mod redact;
pub mod release;
pub mod runmode;
pub mod schedule;
pub mod state;
pub mod storage;
pub mod target;
pub mod ui;
