//! Aligned plain-text tables and human-readable sizes for reports.

use std::borrow::Cow;

/// `text` with control characters (newlines, escape sequences) escaped, so that a
/// name from a label or a backup cannot forge lines or colours on the terminal.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// [`render`] indented by two spaces under a heading line, or `  no NONE` when there
/// are no rows.
pub fn render_or_none(none: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    match rows.is_empty() {
        true => format!("  no {none}\n"),
        false => render("  ", headers, rows),
    }
}

/// Renders rows under headers, columns separated by two spaces, each line indented.
/// Cells are made [`printable`].
pub fn render(indent: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<Cow<str>>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| printable(cell)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::from(indent);
        let last = cells.len().saturating_sub(1);
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            out.push_str(cell);
            if i < last {
                out.push_str(&" ".repeat(width - cell.chars().count() + 2));
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(headers.to_vec());
    for row in &rows {
        out.push_str(&line(row.iter().map(|cell| cell.as_ref()).collect()));
    }
    out
}

/// `1536` -> `1.5 KiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns() {
        let rows = vec![
            vec!["a".to_string(), "long value".to_string()],
            vec!["bbb".into(), "x".into()],
        ];
        assert_eq!(
            render("", &["K", "V"], &rows),
            "K    V\na    long value\nbbb  x\n"
        );
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(12), "12 B");
        let hostile = vec![vec!["x\n\u{1b}[31mforged".to_string()]];
        assert_eq!(render("", &["N"], &hostile), "N\nx\\n\\u{1b}[31mforged\n");
    }
}
