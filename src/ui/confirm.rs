//! Confirmation of destructive operations: on a terminal the operator types the name
//! of what will be destroyed; without one, `--confirm NAME` must match exactly. There
//! is deliberately no environment variable or setting that skips this.

use std::io::{BufRead, IsTerminal, Write};

use crate::error::{Error, Result};

/// How the operator confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confirmation {
    /// Typed on a terminal.
    Typed,
    /// Given with `--confirm`.
    Flag,
}

/// Asks for `expected` (after the caller printed what would be lost). `given` is
/// `--confirm`'s value; `flag_hint` is how to pass it (e.g. the full command).
pub fn confirm(expected: &str, given: Option<&str>, flag_hint: &str) -> Result<Confirmation> {
    if let Some(given) = given {
        if given == expected {
            return Ok(Confirmation::Flag);
        }
        return Err(Error::refused(format!(
            "--confirm {given:?} does not match {expected:?}; nothing was changed"
        ))
        .hint(format!("{flag_hint} --confirm {expected}")));
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Error::refused(format!(
            "refusing without confirmation: there is no terminal to type {expected:?} on; nothing was changed"
        ))
        .hint(format!("{flag_hint} --confirm {expected}")));
    }
    eprint!("Type {expected:?} to confirm: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    let answer = answer.trim_end_matches(['\n', '\r']);
    if answer == expected {
        Ok(Confirmation::Typed)
    } else {
        Err(Error::refused(format!(
            "confirmation {answer:?} does not match {expected:?}; nothing was changed"
        )))
    }
}
