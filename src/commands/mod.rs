//! One module per verb; each is a thin layer over the library modules.

pub mod completions;
pub mod status;
