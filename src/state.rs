//! safeops' own files on this host: where they live (the XDG base directories) and how
//! times are written in them. Cross-cutting: every layer that keeps state uses it.

use std::path::PathBuf;
use std::time::SystemTime;

/// `$<var>/docker-safeops`, else `$HOME/<fallback>/docker-safeops`, as the XDG base
/// directory specification says (an empty variable counts as unset).
pub fn xdg_dir(env: &dyn Fn(&str) -> Option<String>, var: &str, fallback: &str) -> PathBuf {
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    set(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(set("HOME").unwrap_or_else(|| "/".into())).join(fallback))
        .join("docker-safeops")
}

/// `$XDG_STATE_HOME/docker-safeops` (`~/.local/state/docker-safeops`): the journal,
/// the audit log and the saved specs.
pub fn state_dir() -> PathBuf {
    xdg_dir(
        &|name| std::env::var(name).ok(),
        "XDG_STATE_HOME",
        ".local/state",
    )
}

/// RFC 3339 (UTC, milliseconds) for `time`: sorts in time order.
pub fn timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

/// [`timestamp`] of now.
pub fn now() -> String {
    timestamp(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_dir_prefers_the_variable_and_ignores_it_when_empty() {
        let env = |set: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                set.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let both = env(&[("XDG_STATE_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(
            xdg_dir(&both, "XDG_STATE_HOME", ".local/state"),
            PathBuf::from("/x/docker-safeops")
        );
        let empty = env(&[("XDG_STATE_HOME", ""), ("HOME", "/h")]);
        assert_eq!(
            xdg_dir(&empty, "XDG_STATE_HOME", ".local/state"),
            PathBuf::from("/h/.local/state/docker-safeops")
        );
    }
}
