//! Terminal primitives every layer may use: aligned tables and human sizes, progress
//! that shows only on a terminal, and typed confirmations. Imports nothing of ours but
//! errors.

pub mod confirm;
pub mod progress;
pub mod style;
pub mod table;
