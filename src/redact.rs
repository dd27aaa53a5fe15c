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
    "SALT",
    "AUTHORIZATION",
];

/// Whole words (between `_`, `-`, `.`) that make a key secret.
const SECRET_PARTS: &[&str] = &["DSN", "APIKEY"];

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
    // `AUTH` anywhere (`basicauth.users`, `HTTP_AUTH`), but not in `AUTHOR`.
    let auth = upper.match_indices("AUTH").any(|(at, _)| {
        let rest = &upper[at..];
        !rest.starts_with("AUTHOR") || rest.starts_with("AUTHORIZ")
    });
    auth || SECRET_WORDS.iter().any(|word| upper.contains(word))
        || parts.iter().any(|part| SECRET_PARTS.contains(part))
        || (parts.len() > 1 && parts.iter().any(|part| SECRET_SUFFIXES.contains(part)))
}

/// `scheme://user:password@` in URLs and DSNs.
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    // The password may hold `/` (AWS secret keys do), but `HOST:PORT/path@x` is no
    // password: digits then `/`.
    Regex::new(
        r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@]*):([^\s@/]+|[^\s@/]*[^\s@/0-9][^\s@/]*/[^\s@]*)@",
    )
    .expect("valid pattern")
});

/// `KEY=value`, `KEY: value`, `"key": "value"`, `--key=value`.
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(["']?)([A-Za-z0-9_.-]+)(["']?)(\s*[=:]\s*)(["']?)([^\s"',;&]+)"#)
        .expect("valid pattern")
});

/// `--password VALUE`, `--api-token VALUE`: a secret-named flag and the word after it.
static FLAG_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(\s|^)(--?[A-Za-z0-9_.-]+)(\s+)([^\s"'-][^\s"']*)"#).expect("valid pattern")
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

/// True when the text holds a secret: a password in a URL, or a value remembered as
/// secret (`DATABASE_URL=postgres://app:PW@db/app` holds one, whatever its key).
pub fn holds_secret(text: &str) -> bool {
    URL_PASSWORD.is_match(text)
        || KNOWN
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|secret| text.contains(secret.as_str()))
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
        if ends_secret(&caps[2]) && &caps[6] != MASK {
            format!(
                "{}{}{}{}{}{MASK}",
                &caps[1], &caps[2], &caps[3], &caps[4], &caps[5]
            )
        } else {
            caps[0].to_string()
        }
    });
    if let Cow::Owned(replaced) = masked {
        out = Cow::Owned(replaced);
    }
    let flagged = FLAG_VALUE.replace_all(&out, |caps: &Captures| {
        if ends_secret(&caps[2]) {
            format!("{}{}{}{MASK}", &caps[1], &caps[2], &caps[3])
        } else {
            caps[0].to_string()
        }
    });
    match flagged {
        Cow::Owned(replaced) => Cow::Owned(replaced),
        Cow::Borrowed(_) => out,
    }
}

/// In free text, a key whose value is masked: one that ends in a secret word
/// (`DB_PASSWORD`, `api_key`, `--token`), not one that merely starts with one
/// (`KeyError: ...`, `TOKEN_URL=https://...`).
fn ends_secret(key: &str) -> bool {
    let upper = key.trim_matches(['-', '"', '\'']).to_ascii_uppercase();
    SECRET_WORDS
        .iter()
        .chain(SECRET_PARTS)
        .chain(SECRET_SUFFIXES)
        .chain(&["AUTH"])
        .any(|word| upper.ends_with(word))
        && upper != "PWD"
}

/// True for `KEY=value` with an identifier for a key: an environment entry.
fn is_env_entry(text: &str) -> bool {
    text.split_once('=').is_some_and(|(key, _)| {
        !key.is_empty()
            && !key.starts_with(|c: char| c.is_ascii_digit())
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    })
}

/// A `KEY=value` environment entry with the value masked when the key is secret, and
/// any other text with its secrets masked.
pub fn env_entry(entry: &str) -> String {
    match entry.split_once('=') {
        Some((key, _)) if is_env_entry(entry) && is_secret_key(key) => format!("{key}={MASK}"),
        _ => text(entry).into_owned(),
    }
}

/// A JSON document (an inspect document, a compose model) with secrets masked: values
/// under secret keys, `Env` entries, the argument after a secret flag in a list
/// (`["--password", "x"]`), and every string through [`text`].
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
        Value::Array(items) => {
            let mut mask_next = false;
            for item in items.iter_mut() {
                // `--requirepass`: a flag's name ends in a secret word, as in free text.
                let flag = item.as_str().is_some_and(|s| {
                    s.starts_with('-') && !s.contains('=') && (is_secret_key(s) || ends_secret(s))
                });
                if mask_next && item.is_string() {
                    *item = Value::String(MASK.to_string());
                } else {
                    json(item);
                }
                mask_next = flag;
            }
        }
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
            "traefik.http.middlewares.mw.basicauth.users",
            "HTTP_AUTHORIZATION",
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
            text("s3:https://AKIA:wJal/K7MD/bPx@minio/bkt failed"),
            "s3:https://AKIA:***@minio/bkt failed"
        );
        assert_eq!(
            text("no repository at s3:http://127.0.0.1:9000/bucket/a@b"),
            "no repository at s3:http://127.0.0.1:9000/bucket/a@b"
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
            text("sh -c mysql --password hunter22 -h db"),
            "sh -c mysql --password *** -h db"
        );
        assert_eq!(
            text("KeyError: user_id retry=3 elapsed_ms=120"),
            "KeyError: user_id retry=3 elapsed_ms=120"
        );
    }

    #[test]
    fn values_holding_secrets() {
        assert!(holds_secret("postgres://app:pw@db/app"));
        assert!(!holds_secret("https://example.com/x"));
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
                       "Labels": {"secret.key": "v", "app": "web"},
                       "Cmd": ["sh", "-c", "run postgres://app:UrlPw7@db/app; export API_KEY=1",
                               "--password", "ArgPw5"]},
            "Args": ["redis-server", "--requirepass", "RedisPw9"],
            "DriverOpts": {"type": "cifs", "o": "addr=nas,username=u,password=CifsPw3"},
            "password": 1234,
            "PrivatePort": 8080
        });
        json(&mut doc);
        assert_eq!(
            doc,
            serde_json::json!({
                "Config": {"Env": ["TOKEN=***", "URL=https://u:***@h/x", "A=b"],
                           "Labels": {"secret.key": "***", "app": "web"},
                           "Cmd": ["sh", "-c", "run postgres://app:***@db/app; export API_KEY=***",
                                   "--password", "***"]},
                "Args": ["redis-server", "--requirepass", "***"],
                "DriverOpts": {"type": "cifs", "o": "addr=nas,username=u,password=***"},
                "password": "***",
                "PrivatePort": 8080
            })
        );
    }
}
