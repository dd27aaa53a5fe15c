//! Redaction of secrets (R-DOC-4) in everything the tool prints or writes for people:
//! values of secret-looking keys (`DB_PASSWORD=...`, `"api_key": "..."`), passwords
//! inside URLs and DSNs, and every secret value seen in a container's environment
//! wherever else it turns up (a log line that echoes it, an error message).
//!
//! Redaction is by pattern and by known value: a pattern alone misses a password that a
//! program prints without its key, a value list alone misses secrets of containers not
//! inspected yet. Both run on every text that passes through [`text`].

use std::borrow::Cow;
use std::sync::{LazyLock, RwLock};

use regex::{Captures, Regex};
use serde_json::Value;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Secret values shorter than this are not masked by value: a two-letter password
/// would mask every occurrence of those two letters in every log line. Their key
/// patterns still mask them where they appear as `KEY=value`.
const MIN_VALUE_LEN: usize = 4;

/// Parts of a key's name that make its value a secret.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "KEY",
    "CREDENTIAL",
    "PRIVATE",
    "SALT",
];

/// Whole words (between `_`, `-`, `.`) that make a key secret, which as substrings
/// would hit harmless names (`AUTHOR`).
const SECRET_PARTS: &[&str] = &["AUTH", "DSN", "APIKEY"];

/// Words that make a key secret only as a part of a longer key (`DB_PASS`,
/// `MYSQL_PWD`): alone they are something else (`PWD` the working directory, `pass`
/// a count of passed checks).
const SECRET_SUFFIXES: &[&str] = &["PASS", "PWD", "PW"];

/// True when a key's value should never be shown: `DB_PASSWORD`, `api_key`,
/// `AWS_SECRET_ACCESS_KEY`, `MYSQL_PASS`, `SENTRY_DSN`, `--token`.
pub fn is_secret_key(key: &str) -> bool {
    let upper = key.trim_start_matches('-').to_ascii_uppercase();
    if upper == "OLDPWD" {
        return false;
    }
    let parts: Vec<&str> = upper.split(['_', '-', '.']).collect();
    SECRET_WORDS.iter().any(|word| upper.contains(word))
        || parts.iter().any(|part| SECRET_PARTS.contains(part))
        || (parts.len() > 1 && parts.iter().any(|part| SECRET_SUFFIXES.contains(part)))
}

/// `scheme://user:password@` in URLs and DSNs.
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@]*):([^\s@/]+)@").expect("valid pattern")
});

/// `KEY=value`, `KEY: value`, `"key": "value"`, `--key=value`.
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(["']?)([A-Za-z0-9_.-]+)(["']?)(\s*[=:]\s*)(["']?)([^\s"',;&]+)"#)
        .expect("valid pattern")
});

/// Secret values seen so far in this process, longest first (so that a secret that
/// contains another is masked whole).
static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers a secret value: from now on [`text`] masks it wherever it appears.
pub fn remember(value: &str) {
    let value = value.trim();
    if value.len() < MIN_VALUE_LEN || value == MASK {
        return;
    }
    let mut known = KNOWN.write().unwrap_or_else(|e| e.into_inner());
    if !known.iter().any(|k| k == value) {
        known.push(value.to_string());
        known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }
}

/// Remembers the secrets of a container environment (`KEY=value` entries): values of
/// secret keys and passwords inside URL values.
pub fn remember_env<'a>(entries: impl IntoIterator<Item = &'a str>) {
    for entry in entries {
        let Some((key, value)) = entry.split_once('=') else {
            continue;
        };
        if is_secret_key(key) {
            remember(value);
        }
        for caps in URL_PASSWORD.captures_iter(value) {
            remember(&caps[2]);
        }
    }
}

/// The text with every secret it holds masked.
pub fn text(input: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(input);
    {
        let known = KNOWN.read().unwrap_or_else(|e| e.into_inner());
        for secret in known.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), MASK));
            }
        }
    }
    if let Cow::Owned(replaced) = URL_PASSWORD.replace_all(&out, format!("${{1}}:{MASK}@")) {
        out = Cow::Owned(replaced);
    }
    let masked = KEY_VALUE.replace_all(&out, |caps: &Captures| {
        if is_secret_key(&caps[2]) && &caps[6] != MASK {
            format!(
                "{}{}{}{}{}{MASK}",
                &caps[1], &caps[2], &caps[3], &caps[4], &caps[5]
            )
        } else {
            caps[0].to_string()
        }
    });
    match masked {
        Cow::Owned(replaced) => Cow::Owned(replaced),
        Cow::Borrowed(_) => out,
    }
}

/// A `KEY=value` environment entry with the value masked when the key is secret (and
/// any URL password masked otherwise).
pub fn env_entry(entry: &str) -> String {
    match entry.split_once('=') {
        Some((key, _)) if is_secret_key(key) => format!("{key}={MASK}"),
        _ => text(entry).into_owned(),
    }
}

/// A command line with secrets masked: `--password VALUE` (the value is the next
/// argument) as well as `--password=VALUE` and URL passwords.
pub fn args(argv: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut mask_next = false;
    for arg in argv {
        if mask_next {
            out.push(MASK.to_string());
            mask_next = false;
            continue;
        }
        mask_next = arg.starts_with('-') && !arg.contains('=') && is_secret_key(arg);
        out.push(text(arg).into_owned());
    }
    out
}

/// A JSON document (an inspect document, a compose model) with secrets masked: values
/// under secret keys, `Env` entries, and every string through [`text`].
pub fn json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if is_secret_key(key) && (item.is_string() || item.is_number()) {
                    *item = Value::String(MASK.to_string());
                } else {
                    json(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(json),
        Value::String(s) => {
            let entry = env_entry(s);
            if entry != *s {
                *s = entry;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys() {
        for key in [
            "DB_PASSWORD",
            "POSTGRES_PASSWORD_FILE",
            "api_key",
            "AWS_SECRET_ACCESS_KEY",
            "GITHUB_TOKEN",
            "MYSQL_PASS",
            "SENTRY_DSN",
            "--password",
            "smtp.pw",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "PATH",
            "PWD",
            "HOME",
            "PASSENGER_COUNT",
            "LANG",
            "APP_URL",
            "pass",
            "AUTHOR",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn patterns_mask_values_and_url_passwords() {
        assert_eq!(
            text("connecting to postgres://app:s3cr3t@db:5432/app"),
            "connecting to postgres://app:***@db:5432/app"
        );
        assert_eq!(
            text("DB_PASSWORD=hunter22 MODE=prod"),
            "DB_PASSWORD=*** MODE=prod"
        );
        assert_eq!(
            text(r#"{"api_key": "abc123", "name": "x"}"#),
            r#"{"api_key": "***", "name": "x"}"#
        );
        assert_eq!(text("nothing secret here: ok"), "nothing secret here: ok");
        assert_eq!(
            args(&["--password".into(), "pw1234".into(), "-v".into()]),
            ["--password", "***", "-v"]
        );
    }

    #[test]
    fn remembered_values_are_masked_anywhere() {
        remember_env(["MY_TEST_ONLY_SECRET=zq9-very-unique-value", "PLAIN=visible"]);
        assert_eq!(
            text("log: the value is zq9-very-unique-value."),
            "log: the value is ***."
        );
        assert_eq!(text("visible stays"), "visible stays");
    }

    #[test]
    fn json_documents() {
        let mut doc = serde_json::json!({
            "Config": {"Env": ["TOKEN=abc", "URL=https://u:p4ss@h/x", "A=b"],
                       "Labels": {"secret.key": "v", "app": "web"}},
            "password": 1234
        });
        json(&mut doc);
        assert_eq!(
            doc,
            serde_json::json!({
                "Config": {"Env": ["TOKEN=***", "URL=https://u:***@h/x", "A=b"],
                           "Labels": {"secret.key": "***", "app": "web"}},
                "password": "***"
            })
        );
    }
}
