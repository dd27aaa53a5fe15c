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
        .map_err(read_error)?;
    if answer == expected {
        Ok(Confirmation::Typed)
    } else {
        Err(Error::refused(format!(
            "confirmation {answer:?} does not match {expected:?}; nothing was changed"
        )))
    }
}

/// Docker's own question before a prune (`question`, then `[y/N]`): yes only when the
/// answer is. On a terminal the answer is read in raw mode, so Ctrl-C ends the prompt
/// (exit 130); otherwise it is a line of stdin, as Docker reads it (`yes | ...`), given
/// up on when `cancel` fires.
pub async fn yes_or_no(question: &str, cancel: &Cancel) -> Result<bool> {
    let on_terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let question = question.to_string();
    let asked = tokio::task::spawn_blocking(move || {
        if on_terminal {
            return dialoguer::Confirm::new()
                .with_prompt(question)
                .default(false)
                .wait_for_newline(true)
                .interact_on(&Term::stderr())
                .map_err(read_error);
        }
        super::stderr(format_args!("{question} [y/N] "));
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|err| read_error(dialoguer::Error::IO(err)))?;
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

/// A prompt's read error: Ctrl-C read in raw mode is an interruption (exit 130).
fn read_error(dialoguer::Error::IO(err): dialoguer::Error) -> Error {
    if err.kind() == std::io::ErrorKind::Interrupted {
        Error::interrupted()
    } else {
        Error::failure(format!("cannot read the answer: {err}"))
    }
}
