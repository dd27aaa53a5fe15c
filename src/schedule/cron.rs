//! Cron expressions (`MIN HOUR DOM MONTH DOW`, numbers, `*`, `*/N`, `A-B`, `A-B/N`,
//! lists): parsed, turned into systemd `OnCalendar=` values, and asked for their next
//! run. `--every DURATION` becomes such an expression.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A parsed cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    /// As written.
    pub text: String,
    fields: [Vec<u32>; 5],
    /// Day of month and day of week both restricted: either matches (cron's rule).
    dom_or_dow: bool,
}

const RANGES: [(u32, u32); 5] = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];
const NAMES: [&str; 5] = ["minute", "hour", "day of month", "month", "day of week"];

fn field(text: &str, index: usize) -> Result<Vec<u32>, String> {
    let (low, high) = RANGES[index];
    let mut values = Vec::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (
                range,
                step.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("{part}: bad step in the {}", NAMES[index]))?,
            ),
            None => (part, 1),
        };
        let (from, to) = match range {
            "*" => (low, high),
            _ => {
                let (a, b) = range.split_once('-').unwrap_or((range, range));
                let parse = |v: &str| {
                    v.parse::<u32>()
                        .ok()
                        .filter(|v| (low..=high).contains(v))
                        .ok_or_else(|| {
                            format!("{part}: {v} is not a {} ({low}-{high})", NAMES[index])
                        })
                };
                let (a, b) = (parse(a)?, parse(b)?);
                // `5/15` means from 5 on, like `5-59/15`.
                if part.contains('/') && !range.contains('-') {
                    (a, high)
                } else {
                    (a, b)
                }
            }
        };
        if from > to {
            return Err(format!("{part}: an empty range in the {}", NAMES[index]));
        }
        values.extend((from..=to).step_by(step as usize));
    }
    if index == 4 {
        // Sunday is 0 and 7.
        values = values.into_iter().map(|d| d % 7).collect();
    }
    values.sort_unstable();
    values.dedup();
    Ok(values)
}

impl Cron {
    /// Parses `MIN HOUR DOM MONTH DOW`.
    pub fn parse(text: &str) -> Result<Cron, String> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(format!(
                "{text:?}: a cron expression has five fields: minute hour day-of-month month day-of-week"
            ));
        }
        let mut fields: [Vec<u32>; 5] = Default::default();
        for (i, part) in parts.iter().enumerate() {
            fields[i] = field(part, i)?;
        }
        // `5/15` (from 5 on) is Vixie cron's `5` and a syntax error to cronie: spelled
        // as a range, every cron reads it alike.
        let spelled: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                part.split(',')
                    .map(|p| match p.split_once('/') {
                        Some((from, step)) if from != "*" && !from.contains('-') => {
                            format!("{from}-{}/{step}", RANGES[i].1)
                        }
                        _ => p.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        Ok(Cron {
            text: spelled.join(" "),
            fields,
            // Vixie cron: a field that starts with `*` does not restrict.
            dom_or_dow: !parts[2].starts_with('*') && !parts[4].starts_with('*'),
        })
    }

    /// The expression that runs every `every`: whole minutes dividing an hour, whole
    /// hours dividing a day, or one day.
    pub fn every(every: Duration) -> Result<Cron, String> {
        let minutes = every.as_secs() / 60;
        let text = match minutes {
            _ if !every.as_secs().is_multiple_of(60) || minutes == 0 => None,
            1 => Some("* * * * *".to_string()),
            m if m < 60 && 60 % m == 0 => Some(format!("*/{m} * * * *")),
            60 => Some("0 * * * *".to_string()),
            m if m % 60 == 0 && m < 1440 && 24 % (m / 60) == 0 => {
                Some(format!("0 */{} * * *", m / 60))
            }
            1440 => Some("0 0 * * *".to_string()),
            _ => None,
        };
        let text = text.ok_or_else(|| {
            format!(
                "every {}: use whole minutes that divide an hour, hours that divide a day, \
                 or 1d; --cron for anything else",
                humantime::format_duration(every)
            )
        })?;
        Cron::parse(&text)
    }

    /// The same schedule as systemd `OnCalendar=` values (`DOW *-MONTH-DOM
    /// HOUR:MINUTE:00`); two when both day fields restrict, since cron fires on either
    /// and one systemd value needs both.
    pub fn on_calendar(&self) -> Vec<String> {
        let parts: Vec<&str> = self.text.split_whitespace().collect();
        // `*/N` counts from the field's first value: 0 for minutes and hours, 1 for
        // days and months.
        let convert = |index: usize| -> String {
            parts[index]
                .split(',')
                .map(|p| {
                    let (range, step) = p.split_once('/').map_or((p, None), |(r, s)| (r, Some(s)));
                    let range = match range {
                        "*" if step.is_some() => RANGES[index].0.to_string(),
                        r => r.replace('-', ".."),
                    };
                    match step {
                        Some(step) => format!("{range}/{step}"),
                        None => range,
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        let time = format!("{}:{}:00", convert(1), convert(0));
        let dow = || {
            let days: Vec<&str> = self.fields[4].iter().map(|d| DAYS[*d as usize]).collect();
            days.join(",")
        };
        let month = convert(3);
        if self.dom_or_dow {
            vec![
                format!("*-{month}-{} {time}", convert(2)),
                format!("{} *-{month}-* {time}", dow()),
            ]
        } else if parts[4] == "*" {
            vec![format!("*-{month}-{} {time}", convert(2))]
        } else {
            vec![format!("{} *-{month}-{} {time}", dow(), convert(2))]
        }
    }

    /// Whether the schedule fires at the wall-clock minute `local`.
    fn matches(&self, local: jiff::civil::DateTime) -> bool {
        let has = |i: usize, v: i8| self.fields[i].contains(&(v as u32));
        let weekday = local.weekday().to_sunday_zero_offset();
        let day_ok = if self.dom_or_dow {
            has(2, local.day()) || has(4, weekday)
        } else {
            has(2, local.day()) && has(4, weekday)
        };
        has(0, local.minute()) && has(1, local.hour()) && has(3, local.month()) && day_ok
    }

    /// The next time after `now` the schedule fires, within four years. Cron and
    /// systemd read a schedule in the host's time zone, `zone`: so does this.
    pub fn next_after(&self, now: SystemTime, zone: &jiff::tz::TimeZone) -> Option<SystemTime> {
        let start = now.duration_since(UNIX_EPOCH).ok()?.as_secs() / 60 * 60 + 60;
        (0..4 * 366 * 1440u64)
            .map(|m| start + m * 60)
            .find(|t| {
                jiff::Timestamp::from_second(*t as i64)
                    .is_ok_and(|instant| self.matches(zone.to_datetime(instant)))
            })
            .map(|t| UNIX_EPOCH + Duration::from_secs(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> SystemTime {
        humantime::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn every_and_next() {
        assert_eq!(
            Cron::every(Duration::from_secs(60)).unwrap().text,
            "* * * * *"
        );
        assert_eq!(
            Cron::every(Duration::from_secs(300)).unwrap().text,
            "*/5 * * * *"
        );
        assert_eq!(
            Cron::every(Duration::from_secs(6 * 3600)).unwrap().text,
            "0 */6 * * *"
        );
        assert!(Cron::every(Duration::from_secs(7 * 60)).is_err());
        let utc = jiff::tz::TimeZone::UTC;
        let five = Cron::every(Duration::from_secs(300)).unwrap();
        assert_eq!(
            five.next_after(at("2026-11-22T06:12:30Z"), &utc),
            Some(at("2026-11-22T06:15:00Z"))
        );
        let monday = Cron::parse("30 2 * * 1").unwrap();
        assert_eq!(
            monday.next_after(at("2026-11-22T06:12:30Z"), &utc),
            Some(at("2026-11-23T02:30:00Z"))
        );
        assert_eq!(
            Cron::parse("0 0 29 2 *")
                .unwrap()
                .next_after(at("2026-11-22T06:12:30Z"), &utc),
            Some(at("2028-02-29T00:00:00Z"))
        );
        assert_eq!(
            Cron::parse("0 0 30 2 *")
                .unwrap()
                .next_after(at("2026-11-22T06:12:30Z"), &utc),
            None
        );
    }

    #[test]
    fn the_next_run_is_on_the_hosts_clock() {
        // Central European time, with its summer time (no time zone database needed).
        let berlin = jiff::tz::TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        let nightly = Cron::parse("30 2 * * *").unwrap();
        assert_eq!(
            nightly.next_after(at("2026-12-07T00:00:00Z"), &berlin),
            Some(at("2026-12-07T01:30:00Z"))
        );
        assert_eq!(
            nightly.next_after(at("2026-07-01T00:00:00Z"), &berlin),
            Some(at("2026-07-01T00:30:00Z"))
        );
        // 02:30 does not exist on the night the clocks go forward.
        assert_eq!(
            nightly.next_after(at("2026-03-28T12:00:00Z"), &berlin),
            Some(at("2026-03-30T00:30:00Z"))
        );
        // Sunday 23:30 in Berlin is still Sunday there, Sunday 22:30 UTC.
        let sunday = Cron::parse("30 23 * * 0").unwrap();
        assert_eq!(
            sunday.next_after(at("2026-12-07T00:00:00Z"), &berlin),
            Some(at("2026-12-13T22:30:00Z"))
        );
    }

    #[test]
    fn systemd_calendar() {
        let calendar = |expr: &str| Cron::parse(expr).unwrap().on_calendar();
        assert_eq!(calendar("*/5 * * * *"), ["*-*-* *:0/5:00"]);
        assert_eq!(
            calendar("30 2 * * 1-5"),
            ["Mon,Tue,Wed,Thu,Fri *-*-* 2:30:00"]
        );
        assert_eq!(calendar("0 0 1 1 *"), ["*-1-1 0:0:00"]);
        assert_eq!(calendar("0 0 */2 */3 *"), ["*-1/3-1/2 0:0:00"]);
        assert_eq!(calendar("0 0 1 * 1"), ["*-*-1 0:0:00", "Mon *-*-* 0:0:00"]);
        assert!(Cron::parse("61 * * * *").is_err());
        assert!(Cron::parse("* * *").is_err());
    }

    #[test]
    fn a_step_from_a_number_is_written_as_a_range_every_cron_reads() {
        let cron = Cron::parse("5/15 1,3/10 * * 5/1").unwrap();
        assert_eq!(cron.text, "5-59/15 1,3-23/10 * * 5-7/1");
        assert_eq!(cron, Cron::parse(&cron.text).unwrap());
        assert_eq!(cron.fields[0], [5, 20, 35, 50]);
        assert_eq!(
            cron.on_calendar(),
            ["Sun,Fri,Sat *-*-* 1,3..23/10:5..59/15:00"]
        );
    }
}
