pub mod args;
pub mod logging;
pub mod plugin;
pub use args::*;
