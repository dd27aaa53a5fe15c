//! Confirmation of destructive operations: on a terminal the operator types the name
//! of what will be destroyed; without one, `--confirm NAME` must match exactly. There
//! is deliberately no environment variable or setting that skips this.

use std::io::IsTerminal;

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
pub async fn confirm(
    expected: &str,
    given: Option<&str>,
    flag_hint: &str,
    cancel: &Cancel,
) -> Result<Confirmation> {
    if let Some(given) = given {
        if given == expected {
            return Ok(Confirmation::Flag);
        }
        return Err(Error::refused(format!(
            "--confirm {given:?} does not match {expected:?}; nothing was changed"
        ))
        .hint(format!("{flag_hint} --confirm {expected}")));
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Error::refused(format!(
            "refusing without confirmation: there is no terminal to type {expected:?} on; nothing was changed"
        ))
        .hint(format!("{flag_hint} --confirm {expected}")));
    }
    let answer = answer_to(&format!("Type {expected:?} to confirm: "), cancel).await?;
    if answer == expected {
        Ok(Confirmation::Typed)
    } else {
        Err(Error::refused(format!(
            "confirmation {answer:?} does not match {expected:?}; nothing was changed"
        )))
    }
}

/// Docker's own question before a prune (`question`, then `[y/N]`): yes only when the
/// answer is.
pub async fn yes_or_no(question: &str, cancel: &Cancel) -> Result<bool> {
    let answer = answer_to(&format!("{question} [y/N] "), cancel).await?;
    Ok(matches!(answer.as_str(), "y" | "Y" | "yes" | "Yes"))
}

/// A line of stdin after `prompt`, trimmed, as Docker reads answers (`yes | ...`). The
/// terminal stays in its own line mode: Ctrl-C there is a SIGINT, which ends the wait
/// (exit 130) through `cancel`, as SIGTERM and the Docker CLI going away do, and the
/// terminal is left as it was. The read itself cannot be interrupted: it is abandoned.
async fn answer_to(prompt: &str, cancel: &Cancel) -> Result<String> {
    super::stderr(format_args!("{prompt}"));
    let asked = tokio::task::spawn_blocking(|| {
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|err| Error::failure(format!("cannot read the answer: {err}")))?;
        Ok(answer.trim().to_string())
    });
    cancel
        .unless_cancelled("waiting for an answer", async {
            asked
                .await
                .map_err(|err| Error::failure(format!("the question failed: {err}")))?
        })
        .await
}
