//! `log [--verify]`: the audit log, and the check of its hash chain.

use crate::cli::args::{Format, LogArgs};
use crate::error::{Error, Result};
use crate::guard::audit;

/// Runs `log`.
pub fn run(args: &LogArgs) -> Result<()> {
    let path = audit::default_path();
    let entries = audit::read(&path)?;
    if args.verify {
        return match audit::verify_chain(&entries) {
            None => super::print(&format!(
                "{}: {} entries, chain intact\n",
                path.display(),
                entries.len()
            )),
            Some((line, why)) => Err(Error::integrity(format!(
                "{}: line {line}: {why}",
                path.display()
            ))
            .hint("the log was edited after it was written; entries before this line are intact")),
        };
    }
    let skip = args.tail.map_or(0, |n| entries.len().saturating_sub(n));
    let shown: Vec<audit::Entry> = entries
        .into_iter()
        .skip(skip)
        .filter_map(|(_, e)| e.ok())
        .collect();
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&shown).expect("entries serialize") + "\n",
        Format::Table => shown
            .iter()
            .map(|e| {
                let verb = e.event["verb"].as_str().unwrap_or("?");
                let what = e.event["project"]
                    .as_str()
                    .or(e.event["target"].as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| e.event["volumes"].to_string());
                let outcome = e.event["outcome"].as_str().unwrap_or("ok");
                format!(
                    "{:>4}  {}  {}  {verb} {what}: {outcome}\n",
                    e.seq, e.time, e.actor
                )
            })
            .collect(),
    };
    super::print(&text)
}
