//! Where backups go, in restic's repository syntax: a plain directory (today's format),
//! or a restic-format repository on the local disk (`repo:/path`), on S3
//! (`s3:https://HOST/BUCKET/PREFIX`, `s3:http://` for a local test server) or over SFTP
//! (`sftp:USER@HOST:/PATH`, `sftp://USER@HOST:PORT//PATH`).

use std::fmt;
use std::path::PathBuf;

/// A backup location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory of plain backups.
    Plain(PathBuf),
    /// A restic-format repository.
    Repository(Repository),
}

/// Where a restic-format repository lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repository {
    /// On this host's file system.
    Local(PathBuf),
    /// In an S3 bucket.
    S3 {
        /// `https://HOST[:PORT]` or `http://...`.
        endpoint: String,
        /// The bucket.
        bucket: String,
        /// The key prefix inside the bucket (may be empty).
        prefix: String,
    },
    /// On an SFTP server.
    Sftp {
        /// The user, when given.
        user: Option<String>,
        /// The host.
        host: String,
        /// The port, when not 22.
        port: Option<u16>,
        /// The directory on the server.
        path: String,
    },
}

/// Why a location does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLocation(pub String);

impl fmt::Display for BadLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Location {
    /// Parses a location as given to `--to`, `SAFEOPS_BACKUP_DIR` or `[backup] to`.
    pub fn parse(text: &str) -> Result<Location, BadLocation> {
        if let Some(path) = text.strip_prefix("repo:") {
            if path.is_empty() {
                return Err(BadLocation(
                    "repo: needs a path: repo:/srv/backups/repo".into(),
                ));
            }
            return Ok(Location::Repository(Repository::Local(PathBuf::from(path))));
        }
        if let Some(rest) = text.strip_prefix("s3:") {
            return parse_s3(rest).map(Location::Repository);
        }
        if let Some(rest) = text.strip_prefix("sftp:") {
            return parse_sftp(rest).map(Location::Repository);
        }
        // restic's other backends: a typo of the tool, not a directory to create here.
        const OTHER_BACKENDS: &[&str] = &["rclone:", "b2:", "azure:", "gs:", "swift:", "rest:"];
        if let Some(backend) = OTHER_BACKENDS.iter().find(|b| text.starts_with(**b)) {
            return Err(BadLocation(format!(
                "{text}: restic's {} backend is not supported (use a directory, repo:/PATH, \
                 s3:https://HOST/BUCKET/PREFIX or sftp:USER@HOST:/PATH)",
                backend.trim_end_matches(':')
            )));
        }
        if let Some((scheme, _)) = text.split_once("://")
            && !scheme.contains('/')
        {
            return Err(BadLocation(format!(
                "{text}: unknown location type {scheme}:// (use a directory, repo:/PATH, \
                 s3:https://HOST/BUCKET/PREFIX or sftp:USER@HOST:/PATH)"
            )));
        }
        Ok(Location::Plain(PathBuf::from(text)))
    }
}

/// Credentials written into a location would be printed and logged with it: refused,
/// with where they go instead (and without repeating them).
fn refuse_credentials(rest: &str, scheme: &str) -> Result<(), BadLocation> {
    let url = rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("//");
    let authority = rest
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_start_matches("//");
    if !holds_credentials(authority, scheme == "s3" || url) {
        return Ok(());
    }
    Err(BadLocation(match scheme {
        "s3" => "s3:...: credentials do not go in the location (it is printed and logged): set \
                 AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws/credentials"
            .into(),
        _ => "sftp:...: a password does not go in the location (it is printed and logged): use \
              an SSH key (SAFEOPS_SFTP_KEY or the SSH agent)"
            .into(),
    }))
}

/// Whether `authority` (a location after its scheme) starts `USER:SECRET@`, whatever
/// SECRET holds (a `/` included: half of AWS secret keys have one). Told apart from
/// `HOST:PORT/...` (`url`: a port is digits) and from `HOST:PATH` (sftp's scp form:
/// credentials are followed by `@HOST:`), each of which may hold an `@` further on.
fn holds_credentials(authority: &str, url: bool) -> bool {
    // An IPv6 address's colons are not the user's.
    let unbracketed = match authority.strip_prefix('[') {
        Some(inner) => inner.split_once(']').map_or("", |(_, after)| after),
        None => authority,
    };
    let (Some(colon), Some(at)) = (unbracketed.find(':'), unbracketed.find('@')) else {
        return false;
    };
    let user = &unbracketed[..colon];
    if at < colon || user.contains('/') {
        return false;
    }
    let after_colon = &unbracketed[colon + 1..];
    if url {
        let port = after_colon.split('/').next().unwrap_or("");
        port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit())
    } else {
        let (before_at, after_at) = after_colon.split_once('@').unwrap_or((after_colon, ""));
        !before_at.starts_with('/') || after_at.contains(':')
    }
}

fn parse_s3(rest: &str) -> Result<Repository, BadLocation> {
    refuse_credentials(rest, "s3")?;
    let bad = || {
        BadLocation(format!(
            "s3:{rest}: expected s3:https://HOST/BUCKET[/PREFIX] (or s3:http:// for a server \
             without TLS)"
        ))
    };
    // restic also takes `s3:HOST/BUCKET`, meaning https.
    let (scheme, rest) = match rest.split_once("://") {
        Some((scheme @ ("http" | "https"), rest)) => (scheme, rest),
        Some(_) => return Err(bad()),
        None => ("https", rest),
    };
    let mut parts = rest.splitn(3, '/');
    let host = parts.next().filter(|h| !h.is_empty()).ok_or_else(bad)?;
    let bucket = parts.next().filter(|b| !b.is_empty()).ok_or_else(bad)?;
    let prefix = parts.next().unwrap_or("").trim_matches('/').to_string();
    Ok(Repository::S3 {
        endpoint: format!("{scheme}://{host}"),
        bucket: bucket.to_string(),
        prefix,
    })
}

fn parse_sftp(rest: &str) -> Result<Repository, BadLocation> {
    refuse_credentials(rest, "sftp")?;
    let bad = || {
        BadLocation(format!(
            "sftp:{rest}: expected sftp:USER@HOST:/PATH or sftp://USER@HOST[:PORT]//PATH"
        ))
    };
    let split_user = |authority: &str| match authority.rsplit_once('@') {
        Some((user, host)) => (Some(user.to_string()), host.to_string()),
        None => (None, authority.to_string()),
    };
    let (user, host, port, path) = if let Some(url) = rest.strip_prefix("//") {
        let (authority, path) = url.split_once('/').ok_or_else(bad)?;
        let (user, host) = split_user(authority);
        // `[::1]:2222`, `[::1]`, `host:2222`, `host`.
        let (host, port) = match host.strip_prefix('[') {
            Some(bracketed) => {
                let (address, after) = bracketed.split_once(']').ok_or_else(bad)?;
                match after.strip_prefix(':') {
                    Some(port) => (address.to_string(), Some(port)),
                    None if after.is_empty() => (address.to_string(), None),
                    None => return Err(bad()),
                }
            }
            None => match host.rsplit_once(':') {
                Some((host, port)) => (host.to_string(), Some(port)),
                None => (host, None),
            },
        };
        let port = port.map(str::parse).transpose().map_err(|_| bad())?;
        // As restic reads it: `sftp://HOST/repo` is `repo` in the user's home,
        // `sftp://HOST//srv/repo` is `/srv/repo`.
        (user, host, port, path.to_string())
    } else {
        let (authority, path) = rest.split_once(':').ok_or_else(bad)?;
        let (user, host) = split_user(authority);
        (user, host, None, path.to_string())
    };
    if host.is_empty() || path.is_empty() {
        return Err(bad());
    }
    if !path.starts_with('/') {
        // Versions before this one read the URL form's path from the root.
        // The URL up to its path's `/`, one more `/`, the path.
        let before_path = &rest[..rest.len() - path.len()];
        let earlier = match rest.starts_with("//") {
            true => format!(
                "; a repository an earlier safeops wrote there is at sftp:{before_path}/{path}"
            ),
            false => String::new(),
        };
        return Err(BadLocation(format!(
            "sftp:{rest}: the path {path} is relative to the SSH user's home directory (so \
             restic reads it), which safeops cannot tell: give it from the root, as in \
             sftp:USER@HOST:/home/USER/{path} or sftp://USER@HOST[:PORT]//home/USER/{path}\
             {earlier}"
        )));
    }
    Ok(Repository::Sftp {
        user,
        host,
        port,
        path,
    })
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Repository::Local(path) => write!(f, "repo:{}", path.display()),
            Repository::S3 {
                endpoint,
                bucket,
                prefix,
            } => {
                write!(f, "s3:{endpoint}/{bucket}")?;
                if !prefix.is_empty() {
                    write!(f, "/{prefix}")?;
                }
                Ok(())
            }
            Repository::Sftp {
                user,
                host,
                port,
                path,
            } => {
                let user = user.as_deref().map(|u| format!("{u}@")).unwrap_or_default();
                // restic's syntax: the URL form (a port, an IPv6 address) has the path
                // after the host's `/`, from the root.
                match (port, host.contains(':')) {
                    (None, false) => write!(f, "sftp:{user}{host}:{path}"),
                    (Some(port), true) => write!(f, "sftp://{user}[{host}]:{port}/{path}"),
                    (Some(port), false) => write!(f, "sftp://{user}{host}:{port}/{path}"),
                    (None, true) => write!(f, "sftp://{user}[{host}]/{path}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_location_are_refused_and_not_repeated() {
        for text in [
            "s3:https://AKIAEXAMPLE:sekrit@minio.local/bucket",
            "s3:AKIAEXAMPLE:sekrit@minio.local/bucket/prefix",
            "sftp:backup:sekrit@host:/srv/repo",
            "sftp://backup:sekrit@host:2222/srv/repo",
        ] {
            let Err(BadLocation(message)) = Location::parse(text) else {
                panic!("{text} was accepted");
            };
            assert!(!message.contains("sekrit"), "{message}");
        }
        // Half of AWS secret keys hold a `/`, which once made the rest read as a path.
        for text in [
            "s3:https://AKIAEXAMPLE:wJal/K7MDENG/bPxRsekrit@minio.local/bucket",
            "s3:AKIAEXAMPLE:/sekrit@minio.local/bucket",
            "sftp:backup:pa/sekrit@host:/srv/repo",
            "sftp:backup:/sekrit@host:/srv/repo",
            "sftp://backup:pa/sekrit@host:2222/srv/repo",
        ] {
            assert!(Location::parse(text).is_err(), "{text} was accepted");
        }
        for text in [
            "sftp:backup@host:/srv/a@b",
            "sftp:host:/srv/a@b",
            "sftp://backup@host:2222//srv/a@b",
            "sftp://host:2222//srv/a@b",
            "s3:http://127.0.0.1:9000/bucket/a@b",
            "s3:https://minio.local/bucket/a@b:c",
            "s3:http://[::1]:9000/b/x@y",
        ] {
            assert!(Location::parse(text).is_ok(), "{text} was refused");
        }
    }

    fn repo(text: &str) -> Repository {
        match Location::parse(text).unwrap() {
            Location::Repository(r) => r,
            other => panic!("{text} parsed as {other:?}"),
        }
    }

    #[test]
    fn restic_syntax_is_understood() {
        assert_eq!(repo("repo:/srv/r"), Repository::Local("/srv/r".into()));
        assert_eq!(
            repo("s3:https://s3.example.com/bucket/some/prefix/"),
            Repository::S3 {
                endpoint: "https://s3.example.com".into(),
                bucket: "bucket".into(),
                prefix: "some/prefix".into()
            }
        );
        assert_eq!(
            repo("s3:http://127.0.0.1:9000/b"),
            Repository::S3 {
                endpoint: "http://127.0.0.1:9000".into(),
                bucket: "b".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            repo("sftp:backup@nas:/srv/repo"),
            Repository::Sftp {
                user: Some("backup".into()),
                host: "nas".into(),
                port: None,
                path: "/srv/repo".into()
            }
        );
        assert_eq!(
            repo("sftp://backup@nas:2222//srv/repo"),
            Repository::Sftp {
                user: Some("backup".into()),
                host: "nas".into(),
                port: Some(2222),
                path: "/srv/repo".into()
            }
        );
        for text in [
            "repo:/srv/r",
            "s3:https://h/b/p",
            "sftp:u@h:/p",
            "sftp://u@h:2222//p",
            "sftp://u@[::1]:2222//p",
            "sftp://[fe80::1]//srv/r",
        ] {
            assert_eq!(repo(text).to_string(), text);
        }
        // restic reads a path after a URL's host as relative to the user's home, as it
        // does one without a leading `/` in the scp form: refused, with the way to
        // write it from the root.
        for relative in [
            "sftp://u@h:2222/p",
            "sftp:u@h:backups",
            "sftp:u@h:~/backups",
        ] {
            let Err(BadLocation(message)) = Location::parse(relative) else {
                panic!("{relative} was accepted");
            };
            assert!(message.contains("home directory"), "{message}");
        }
        // Where an earlier safeops, which read it from the root, wrote.
        let Err(BadLocation(message)) = Location::parse("sftp://u@h:2222/u") else {
            unreachable!()
        };
        assert!(message.ends_with("is at sftp://u@h:2222//u"), "{message}");
    }

    #[test]
    fn plain_directories_stay_plain_and_nonsense_is_refused() {
        assert_eq!(
            Location::parse("/var/backups").unwrap(),
            Location::Plain("/var/backups".into())
        );
        assert_eq!(
            Location::parse("./rel/dir").unwrap(),
            Location::Plain("./rel/dir".into())
        );
        for bad in [
            "repo:",
            "s3:https://host",
            "s3:ftp://h/b",
            "sftp:host",
            "ftp://x/y",
            "rclone:offsite:backups",
            "b2:bucket:path",
        ] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
    }
}
