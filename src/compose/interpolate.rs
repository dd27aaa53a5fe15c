//! Compose's variable interpolation (`$VAR`, `${VAR:-default}`, ...), shared by the
//! loader and the env-file reader.

use std::collections::BTreeMap;

use serde_json::Value;

/// Interpolates `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`,
/// `${VAR?err}`, `${VAR:+alt}`, `${VAR+alt}` and `$$` in every string value.
pub fn interpolate(
    value: &mut Value,
    vars: &BTreeMap<String, String>,
) -> std::result::Result<(), String> {
    match value {
        Value::String(s) => *s = interpolate_str(s, vars)?,
        Value::Array(items) => {
            for item in items {
                interpolate(item, vars)?;
            }
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                interpolate(item, vars)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// How deep `${A:-${B:-...}}` defaults may nest. Real files nest two or three levels;
/// the bound keeps a hostile file from exhausting the stack.
const MAX_NESTING: usize = 32;

/// Interpolates one string (see [`interpolate`]).
pub fn interpolate_str(
    input: &str,
    vars: &BTreeMap<String, String>,
) -> std::result::Result<String, String> {
    interpolate_nested(input, vars, 0)
}

fn interpolate_nested(
    input: &str,
    vars: &BTreeMap<String, String>,
    nesting: usize,
) -> std::result::Result<String, String> {
    if nesting > MAX_NESTING {
        return Err(format!(
            "interpolation nested deeper than {MAX_NESTING} levels"
        ));
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
        } else if let Some(after) = rest.strip_prefix('{') {
            let end = matching_brace(after)
                .ok_or_else(|| format!("invalid interpolation format for \"{input}\""))?;
            out.push_str(&expand(&after[..end], vars, nesting)?);
            rest = &after[end + 1..];
        } else {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if len == 0 {
                out.push('$');
            } else {
                out.push_str(vars.get(&rest[..len]).map(String::as_str).unwrap_or(""));
            }
            rest = &rest[len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn matching_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn expand(
    expr: &str,
    vars: &BTreeMap<String, String>,
    nesting: usize,
) -> std::result::Result<String, String> {
    let name_len = expr
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(expr.len());
    let (name, op) = expr.split_at(name_len);
    let value = vars.get(name);
    let set_nonempty = value.is_some_and(|v| !v.is_empty());
    let arg = |prefix: usize| interpolate_nested(&op[prefix..], vars, nesting + 1);
    Ok(match op {
        "" => value.cloned().unwrap_or_default(),
        _ if op.starts_with(":-") => {
            if set_nonempty {
                value.cloned().unwrap_or_default()
            } else {
                arg(2)?
            }
        }
        _ if op.starts_with('-') => match value {
            Some(v) => v.clone(),
            None => arg(1)?,
        },
        _ if op.starts_with(":?") || op.starts_with('?') => {
            let strict = op.starts_with(":?");
            let ok = if strict {
                set_nonempty
            } else {
                value.is_some()
            };
            if !ok {
                let msg = arg(if strict { 2 } else { 1 })?;
                return Err(format!(
                    "required variable {name} is missing a value: {msg}"
                ));
            }
            value.cloned().unwrap_or_default()
        }
        _ if op.starts_with(":+") => {
            if set_nonempty {
                arg(2)?
            } else {
                String::new()
            }
        }
        _ if op.starts_with('+') => {
            if value.is_some() {
                arg(1)?
            } else {
                String::new()
            }
        }
        _ => return Err(format!("invalid interpolation format for \"${{{expr}}}\"")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        [("A", "1"), ("EMPTY", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn interpolation_follows_compose() {
        let v = vars();
        let cases = [
            ("$A ${A}", "1 1"),
            ("${B:-x}", "x"),
            ("${EMPTY:-x}", "x"),
            ("${EMPTY-x}", ""),
            ("${B:-${A}}", "1"),
            ("${A:+yes}", "yes"),
            ("$$A", "$A"),
            ("cost $", "cost $"),
        ];
        for (input, want) in cases {
            assert_eq!(interpolate_str(input, &v).unwrap(), want, "{input}");
        }
        let err = interpolate_str("${B:?set B}", &v).unwrap_err();
        assert!(err.contains("required variable B"), "{err}");
        assert!(interpolate_str("${A", &v).is_err());
    }

    #[test]
    fn deeply_nested_defaults_are_refused_not_a_stack_overflow() {
        let depth = 20_000;
        let bomb = format!("{}x{}", "${A:-".repeat(depth), "}".repeat(depth));
        let started = std::time::Instant::now();
        let err = interpolate_str(&bomb, &BTreeMap::new()).unwrap_err();
        assert!(err.contains("nested deeper"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let fine = format!(
            "{}x{}",
            "${A:-".repeat(MAX_NESTING),
            "}".repeat(MAX_NESTING)
        );
        assert_eq!(interpolate_str(&fine, &BTreeMap::new()).unwrap(), "x");
    }
}
