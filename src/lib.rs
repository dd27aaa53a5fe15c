//! docker-safeops: a Docker CLI plugin that makes the dangerous day-2 operations on
//! Docker hosts safe. The binary (`src/main.rs`) only parses and dispatches; everything
//! else lives in these modules.

pub mod audit;
pub mod backup;
pub mod cancel;
pub mod cli;
pub mod commands;
pub mod compose;
pub mod confirm;
pub mod endpoint;
pub mod engine;
pub mod error;
pub mod guard;
pub mod images;
pub mod inventory;
pub mod journal;
pub mod logging;
pub mod plugin;
pub mod progress;
pub mod protect;
pub mod quiesce;
pub mod recreate;
pub mod restart_check;
pub mod specs;
pub mod table;
pub mod target;
pub mod volume_access;
