//! Docker's naming rule, checked before a name that came from the engine (a label) or
//! from a backup's manifest becomes part of a path or a line on the terminal: such
//! names are untrusted input.

/// Longest name accepted: far above what Docker creates, small enough for a file name.
const MAX_LEN: usize = 200;

/// True for a name Docker itself would create for a container, volume, network or
/// compose project: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`. Such a name has no path separator,
/// no `..` component and no control character.
pub fn is_valid(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && name.len() <= MAX_LEN
}

/// A name made valid by [`is_valid`]'s rule, for a key or a file name derived from an
/// untrusted one: other characters become `_`, and an `x` goes first when the name
/// does not start with a letter or digit (`..` becomes `x__`, never a path component
/// of its own).
pub fn sanitized(name: &str) -> String {
    let clean: String = name
        .chars()
        .take(MAX_LEN - 1)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        clean
    } else {
        format!("x{clean}")
    }
}

/// `Ok(name)` when [`is_valid`], else an error naming what it was (escaped for the
/// terminal) and where it came from.
pub fn checked<'n>(name: &'n str, what: &str) -> crate::error::Result<&'n str> {
    if is_valid(name) {
        return Ok(name);
    }
    Err(crate::error::Error::usage(format!(
        "{what} {} is not a valid Docker name; refusing to use it",
        name.escape_debug()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitized_names_are_valid() {
        for name in ["web-1", "x/../../escape", "..", "", "-dash", "ünï"] {
            assert!(is_valid(&sanitized(name)), "{name} -> {}", sanitized(name));
        }
        assert_eq!(sanitized("web-1"), "web-1");
        assert_eq!(sanitized(".."), "x..");
    }

    #[test]
    fn docker_names_pass_and_path_tricks_do_not() {
        for good in ["db", "shop_data", "a.b-c", "0abc", "myproj-db-1"] {
            assert!(is_valid(good), "{good}");
        }
        for bad in [
            "",
            "..",
            ".hidden",
            "x/../../y",
            "a/b",
            "a\nb",
            "\u{1b}[31mred",
            "-x",
            "a b",
        ] {
            assert!(!is_valid(bad), "{bad:?}");
        }
        assert!(!is_valid(&"a".repeat(MAX_LEN + 1)));
    }
}
