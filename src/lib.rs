//! docker-safeops: a Docker CLI plugin that makes the dangerous day-2 operations on
//! Docker hosts safe. The binary (`src/main.rs`) only parses and dispatches; everything
//! else lives in these modules.

pub mod backup;
pub mod cancel;
pub mod cli;
pub mod commands;
pub mod compose;
pub mod engine;
pub mod error;
pub mod guard;
pub mod runmode;
pub mod target;
pub mod ui;

// Old paths, kept only until the imports are updated in the next commit.
pub use backup::{journal, quiesce};
pub use cli::{logging, plugin};
pub use engine::{endpoint, inventory, volume_access};
pub use guard::{audit, protect};
pub use runmode::{images, recreate, restart_check, specs};
pub use ui::{confirm, progress, table};
