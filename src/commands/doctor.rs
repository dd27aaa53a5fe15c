//! `doctor [TARGET]`: runs the checks of the `doctor` layer and prints them like
//! flutter doctor (one line per check, indented findings with their remedy, a closing
//! count), or as `--format json`; exit 1 when a check failed (`--strict`: or warned).

use crate::backup::store;
use crate::cli::args::{DoctorArgs, Format};
use crate::doctor::{self, CheckId, CheckResult, Report, Status};
use crate::error::{Error, ExitCode, Result};
use crate::guard::protect::Policy;
use crate::redact;
use crate::target::Discovery;
use crate::ui::style::Style;
use crate::ui::table::{printable, render};

/// Runs `doctor` against a reachable engine.
pub async fn run(discovery: &Discovery<'_>, args: &DoctorArgs) -> Result<()> {
    if let Some(path) = &args.report {
        doctor::bundle::check_destination(path)?;
    }
    let env = |n: &str| std::env::var(n).ok();
    let policy = Policy::load(&Policy::default_path(&env))?;
    let backup_root = store::configured_root(args.location.to.as_deref(), &env)?;
    let targets = discovery.targets(args.target.as_deref()).await?;
    let everything = discovery.means_everything(args.target.as_deref())?;
    let backups = doctor::reads_backups(&args.checks).then(|| {
        doctor::backups::Where::resolve(backup_root, args.repository.password_file.as_deref())
    });
    let facts = doctor::facts::gather(
        discovery.engine.clone(),
        (targets, everything),
        policy,
        backups,
    )
    .await?;
    let report = doctor::run(&facts, &args.checks).await;
    finish(Some(&facts), &report, args).await
}

/// Runs `doctor` when the engine cannot be reached: the engine check fails with the
/// reason, the others are skipped.
pub async fn unreachable(error: &Error, args: &DoctorArgs) -> Result<()> {
    let report = doctor::unreachable(error, &args.checks);
    finish(None, &report, args).await
}

async fn finish(facts: Option<&doctor::Facts>, report: &Report, args: &DoctorArgs) -> Result<()> {
    let text = match args.format {
        Format::Json => {
            let mut value = serde_json::to_value(report).expect("report serializes");
            redact::json(&mut value);
            format!(
                "{}\n",
                serde_json::to_string_pretty(&value).expect("JSON serializes")
            )
        }
        Format::Table => render_report(report, Style::stdout()),
    };
    super::print(&text)?;
    if let Some(path) = &args.report {
        doctor::bundle::write(facts, report, path).await?;
        crate::say!(
            "diagnosis bundle written to {} (secrets redacted)",
            path.display()
        );
    }
    let failed = report.counts.fail > 0 || (args.strict && report.counts.warn > 0);
    if failed {
        return Err(Error::reported(ExitCode::Failure));
    }
    Ok(())
}

/// `doctor --list-checks`.
pub fn list_checks(args: &DoctorArgs) -> Result<()> {
    let text = match args.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = CheckId::ALL
                .iter()
                .map(|id| {
                    serde_json::json!({"id": id, "title": id.title(), "description": id.description()})
                })
                .collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&list).expect("JSON serializes")
            )
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = CheckId::ALL
                .iter()
                .map(|id| vec![id.as_str().to_string(), id.description().to_string()])
                .collect();
            render("", &["ID", "CHECKS"], &rows)
        }
    };
    super::print(&text)
}

/// The symbol of a status: `[✓]`-style on a UTF-8 terminal, ASCII elsewhere.
fn mark(status: Status, style: Style) -> String {
    let (unicode, ascii) = match status {
        Status::Pass => ("✓", "+"),
        Status::Warn => ("!", "!"),
        Status::Fail => ("✗", "x"),
        Status::Skip => ("-", "-"),
    };
    let symbol = if style.unicode { unicode } else { ascii };
    paint(status, style, symbol)
}

fn paint(status: Status, style: Style, text: &str) -> String {
    match status {
        Status::Pass => style.green(text),
        Status::Warn => style.yellow(text),
        Status::Fail => style.red(text),
        Status::Skip => style.dim(text),
    }
}

/// The report for people. Every line goes through the redactor and the printable
/// filter: findings quote logs and labels, which containers control.
fn render_report(report: &Report, style: Style) -> String {
    let clean = |s: &str| printable(&redact::text(s)).into_owned();
    let mut out = String::new();
    for check in &report.checks {
        out.push_str(&format!(
            "[{}] {}: {}\n",
            mark(check.status, style),
            style.bold(check.id.title()),
            clean(&check.summary)
        ));
        out.push_str(&findings(check, style, &clean));
    }
    let c = report.counts;
    let total = report.checks.len();
    let closing = if total == c.skip {
        format!("Nothing was checked: {total} checks skipped (see why above).")
    } else if c.fail == 0 && c.warn == 0 {
        format!(
            "No issues found in {} checks{}.",
            total - c.skip,
            if c.skip > 0 {
                format!(" ({} skipped)", c.skip)
            } else {
                String::new()
            }
        )
    } else {
        format!(
            "Doctor found issues: {} failed, {} warned, {} passed, {} skipped.",
            c.fail, c.warn, c.pass, c.skip
        )
    };
    let status = if c.fail > 0 {
        Status::Fail
    } else if c.warn > 0 {
        Status::Warn
    } else {
        Status::Pass
    };
    out.push('\n');
    out.push_str(&paint(status, style, &closing));
    out.push('\n');
    out
}

fn findings(check: &CheckResult, style: Style, clean: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let fix = if style.unicode { "→" } else { "fix:" };
    for finding in &check.findings {
        out.push_str(&format!(
            "    {} {}: {}\n",
            mark(finding.severity, style),
            clean(&finding.subject),
            clean(&finding.message)
        ));
        if let Some(remedy) = &finding.remedy {
            out.push_str(&format!("      {fix} {}\n", clean(remedy)));
        }
        for line in &finding.details {
            out.push_str(&format!("      {}\n", style.dim(&clean(line))));
        }
    }
    out
}
