//! Confirmation of destructive operations: on a terminal the operator types the name
//! of what will be destroyed; without one, `--confirm NAME` must match exactly. There
//! is deliberately no environment variable or setting that skips this.

use std::io::IsTerminal;

use dialoguer::console::Term;

use crate::cancel::Cancel;
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
    // dialoguer reads keys in raw mode: Ctrl-C ends the prompt (exit 130) instead of
    // being queued behind a line the operator has not finished.
    let answer: String = dialoguer::Input::new()
        .with_prompt(format!("Type {expected:?} to confirm"))
        .allow_empty(true)
        .report(false)
        .interact_text_on(&Term::stderr())
        .map_err(|dialoguer::Error::IO(err)| {
            if err.kind() == std::io::ErrorKind::Interrupted {
                Error::interrupted()
            } else {
                Error::failure(format!("cannot read the confirmation: {err}"))
            }
        })?;
    if answer == expected {
        Ok(Confirmation::Typed)
    } else {
        Err(Error::refused(format!(
            "confirmation {answer:?} does not match {expected:?}; nothing was changed"
        )))
    }
}

/// Docker's own question before a prune (`question`, then `[y/N]`): yes only when the
/// answer is. A line of stdin, as Docker reads it (`yes | ...`), in the terminal's own
/// line mode: Ctrl-C there is a SIGINT, which ends the wait (exit 130) through
/// `cancel`, as any other cancellation does, leaving the terminal as it was.
pub async fn yes_or_no(question: &str, cancel: &Cancel) -> Result<bool> {
    super::stderr(format_args!("{question} [y/N] "));
    let asked = tokio::task::spawn_blocking(|| {
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|err| Error::failure(format!("cannot read the answer: {err}")))?;
        Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
    });
    cancel
        .unless_cancelled("waiting for an answer", async {
            asked
                .await
                .map_err(|err| Error::failure(format!("the question failed: {err}")))?
        })
        .await
}
