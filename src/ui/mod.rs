//! Terminal primitives every layer may use: aligned tables and human sizes, progress
//! that shows only on a terminal, and typed confirmations. Imports nothing of ours but
//! errors.

pub mod confirm;
pub mod progress;
pub mod style;
pub mod table;

use std::io::Write;

/// Writes `text` to stderr. A stderr nobody reads any more (`2>&1 | head`, a log
/// reader that died) is no reason to stop: `eprint!` panics on it, and a panic in the
/// middle of an operation would leave what it stopped down until the next command.
pub fn stderr(text: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(text);
}

/// One line to stderr through [`stderr`], as `eprintln!` takes it.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::ui::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}
