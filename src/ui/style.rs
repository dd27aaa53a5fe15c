//! Styling of reports on stdout: colours only on a terminal (and never with
//! `NO_COLOR` or `TERM=dumb`), Unicode symbols only on a UTF-8 terminal.

use std::io::IsTerminal;

/// How stdout may be decorated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// ANSI colours and bold.
    pub color: bool,
    /// Symbols beyond ASCII (✓, ✗).
    pub unicode: bool,
}

impl Style {
    /// What stdout supports, from the terminal and the environment.
    pub fn stdout() -> Style {
        let terminal = std::io::stdout().is_terminal();
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let dumb = env("TERM").is_none_or(|t| t == "dumb");
        // The locale that decides the character set: LC_ALL, else LC_CTYPE, else LANG.
        let locale = env("LC_ALL")
            .or_else(|| env("LC_CTYPE"))
            .or_else(|| env("LANG"));
        let utf8 = locale.is_some_and(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("utf-8") || l.contains("utf8")
        });
        Style {
            color: terminal && !dumb && env("NO_COLOR").is_none(),
            unicode: terminal && utf8,
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Bold.
    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Green: passed.
    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    /// Yellow: a warning.
    pub fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    /// Red: a failure.
    pub fn red(self, text: &str) -> String {
        self.paint("31", text)
    }

    /// Dim: skipped, details.
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}
