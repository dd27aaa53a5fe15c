//! The command-line layer: argument definitions, the Docker CLI plugin protocol
//! (metadata, completion, the plugin socket) and log setup. Only `main.rs` and the verbs
//! in `commands/` use it; the layers below take plain option structs.

pub mod args;
pub mod logging;
pub mod plugin;
