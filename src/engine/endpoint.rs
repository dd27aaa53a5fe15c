//! Which engine to talk to, resolved exactly as the Docker CLI does: `--context` or
//! `-H`, then `DOCKER_HOST`, then `DOCKER_CONTEXT`, then `currentContext` in
//! `$DOCKER_CONFIG/config.json`, then the default socket. Contexts come from the CLI's
//! context store, TLS material included.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The socket the Docker CLI uses when nothing else is configured.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The engine the Docker CLI reaches with TLS on (`--tls`, `--tlsverify`,
/// `DOCKER_TLS_VERIFY`, `DOCKER_TLS`) and no host given.
const DEFAULT_TLS_HOST: &str = "tcp://localhost:2376";

/// The Docker CLI's connection options as given on the command line (`--config`,
/// `--context`, `-H`, `--tls*`). The CLI layer fills it; this layer knows no argument parser.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `--config`: location of the client's config files.
    pub config: Option<PathBuf>,
    /// `--context`.
    pub context: Option<String>,
    /// `-H`/`--host`, as often as given.
    pub host: Vec<String>,
    /// `--tls`.
    pub tls: bool,
    /// `--tlsverify`.
    pub tlsverify: bool,
    /// `--tlscacert`.
    pub tlscacert: Option<PathBuf>,
    /// `--tlscert`.
    pub tlscert: Option<PathBuf>,
    /// `--tlskey`.
    pub tlskey: Option<PathBuf>,
}

/// A resolved engine endpoint and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The context name (`default` when no context store entry is used).
    pub context: String,
    /// The engine address: `unix://`, `tcp://` or `ssh://`.
    pub host: String,
    /// TLS material, when the endpoint uses TLS.
    pub tls: Option<Tls>,
    /// Which setting chose this endpoint, for error messages.
    pub source: Source,
}

/// TLS files for a `tcp://` endpoint, named as the Docker CLI names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// `ca.pem`: the CA the server certificate must chain to.
    pub ca: PathBuf,
    /// `cert.pem`: the client certificate.
    pub cert: PathBuf,
    /// `key.pem`: the client key.
    pub key: PathBuf,
    /// False when the endpoint asks to skip server verification.
    pub verify: bool,
}

/// The setting an endpoint was resolved from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `-H/--host`.
    HostFlag,
    /// `-c/--context NAME`.
    ContextFlag,
    /// The `DOCKER_HOST` environment variable.
    DockerHostEnv,
    /// The `DOCKER_CONTEXT` environment variable.
    DockerContextEnv,
    /// `currentContext` in the CLI config file at this path.
    ConfigFile(PathBuf),
    /// Nothing configured: the default socket.
    Default,
    /// `--from` of `release`: the engine an image comes from.
    FromFlag,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::HostFlag => write!(f, "-H/--host"),
            Source::ContextFlag => write!(f, "--context"),
            Source::DockerHostEnv => write!(f, "DOCKER_HOST"),
            Source::DockerContextEnv => write!(f, "DOCKER_CONTEXT"),
            Source::ConfigFile(path) => write!(f, "currentContext in {}", path.display()),
            Source::Default => write!(f, "the default socket"),
            Source::FromFlag => write!(f, "--from"),
        }
    }
}

impl Endpoint {
    /// Environment variables that make a child Docker or compose CLI talk to this same
    /// endpoint, whatever its own configuration says.
    pub fn child_env(&self) -> Vec<(&'static str, Option<String>)> {
        let mut env = vec![
            ("DOCKER_HOST", Some(self.host.clone())),
            ("DOCKER_CONTEXT", None),
            ("DOCKER_TLS_VERIFY", None),
            ("DOCKER_CERT_PATH", None),
        ];
        if let Some(tls) = &self.tls {
            env[2].1 = tls.verify.then(|| "1".to_string());
            env[3].1 = Some(
                tls.cert_path(&crate::state::state_dir())
                    .display()
                    .to_string(),
            );
        }
        env
    }
}

/// The names the Docker CLI and compose read in `DOCKER_CERT_PATH`.
const CERT_NAMES: [&str; 3] = ["ca.pem", "cert.pem", "key.pem"];

impl Tls {
    /// A `DOCKER_CERT_PATH` for a child CLI, which reads only [`CERT_NAMES`]: the
    /// directory of the files when they are named so, else a directory of links under
    /// those names in `state_dir` (`-H ... --tlscacert /etc/pki/ca.crt`).
    fn cert_path(&self, state_dir: &Path) -> PathBuf {
        // The child runs in another directory than the one the paths were typed in.
        let absolute = |file: &PathBuf| std::path::absolute(file).unwrap_or_else(|_| file.clone());
        let files = [&self.ca, &self.cert, &self.key].map(absolute);
        let dir = files[0].parent().unwrap_or(Path::new("/")).to_path_buf();
        let conventional = files
            .iter()
            .zip(CERT_NAMES)
            .all(|(file, name)| file.parent() == Some(&dir) && file.ends_with(name));
        if conventional {
            return dir;
        }
        let mut digest = Sha256::new();
        for file in &files {
            digest.update(file.as_os_str().as_encoded_bytes());
            digest.update([0]);
        }
        let links = state_dir
            .join("tls")
            .join(hex::encode(&digest.finalize()[..8]));
        match link_certs(&links, &files) {
            Ok(()) => links,
            Err(err) => {
                tracing::warn!(
                    "cannot link the TLS files under their usual names in {}: {err}; the \
                     compose CLI looks for them in {}",
                    links.display(),
                    dir.display()
                );
                dir
            }
        }
    }
}

/// Links `files` (CA, certificate, key) as [`CERT_NAMES`] in `dir`, each replaced
/// atomically (another process may do the same at once).
fn link_certs(dir: &Path, files: &[PathBuf; 3]) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    for (file, name) in files.iter().zip(CERT_NAMES) {
        let staged = dir.join(format!(".{name}.{}", std::process::id()));
        let _ = std::fs::remove_file(&staged);
        std::os::unix::fs::symlink(file, &staged)?;
        std::fs::rename(&staged, dir.join(name))?;
    }
    Ok(())
}

/// The Docker CLI configuration directory: `--config`, `DOCKER_CONFIG`, `~/.docker`.
pub fn config_dir(flags: &ConnectOptions, env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(dir) = &flags.config {
        return dir.clone();
    }
    if let Some(dir) = env("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    home(env).join(".docker")
}

fn home(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    env("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

#[derive(Deserialize, Default)]
struct CliConfig {
    #[serde(rename = "currentContext", default)]
    current_context: Option<String>,
}

#[derive(Deserialize)]
struct ContextMeta {
    #[serde(rename = "Name", default)]
    name: Option<String>,
    #[serde(rename = "Endpoints", default)]
    endpoints: std::collections::HashMap<String, ContextEndpoint>,
}

#[derive(Deserialize)]
struct ContextEndpoint {
    #[serde(rename = "Host", default)]
    host: Option<String>,
    #[serde(rename = "SkipTLSVerify", default)]
    skip_tls_verify: bool,
}

/// Resolves the endpoint from the flags and the environment (`env` looks variables up,
/// so tests can pass their own).
pub fn resolve(flags: &ConnectOptions, env: &dyn Fn(&str) -> Option<String>) -> Result<Endpoint> {
    let env_set = |name: &str| env(name).filter(|v| !v.is_empty());
    if flags.context.is_some() && !flags.host.is_empty() {
        return Err(Error::usage(
            "conflicting options: cannot specify both --host and --context",
        ));
    }
    if flags.host.len() > 1 {
        return Err(Error::usage("specify only one -H"));
    }
    let config_dir = config_dir(flags, env);
    let (context, source) = if let Some(name) = &flags.context {
        (name.clone(), Source::ContextFlag)
    } else if !flags.host.is_empty() {
        ("default".to_string(), Source::HostFlag)
    } else if env_set("DOCKER_HOST").is_some() {
        ("default".to_string(), Source::DockerHostEnv)
    } else if let Some(name) = env_set("DOCKER_CONTEXT") {
        (name, Source::DockerContextEnv)
    } else {
        let path = config_dir.join("config.json");
        match read_cli_config(&path)?
            .current_context
            .filter(|c| !c.is_empty())
        {
            Some(name) => (name, Source::ConfigFile(path)),
            None => ("default".to_string(), Source::Default),
        }
    };
    if context == "default" {
        return default_endpoint(flags, env, source);
    }
    context_endpoint(&config_dir, &context, source)
}

fn read_cli_config(path: &Path) -> Result<CliConfig> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|err| {
            Error::usage(format!(
                "cannot read the Docker CLI config {}: {err}",
                path.display()
            ))
            .hint("fix or remove the file, or point --config/DOCKER_CONFIG elsewhere")
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(CliConfig::default()),
        Err(err) => Err(Error::usage(format!(
            "cannot read the Docker CLI config {}: {err}",
            path.display()
        ))),
    }
}

/// The `default` context: `-H`, `DOCKER_HOST`, or the default socket, with TLS from
/// `--tls*` flags and `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`.
fn default_endpoint(
    flags: &ConnectOptions,
    env: &dyn Fn(&str) -> Option<String>,
    source: Source,
) -> Result<Endpoint> {
    let env_set = |name: &str| env(name).filter(|v| !v.is_empty());
    let verify = flags.tlsverify || env_set("DOCKER_TLS_VERIFY").is_some();
    let use_tls = flags.tls || verify || env_set("DOCKER_TLS").is_some();
    // With TLS and no host, the Docker CLI talks to the TLS port on localhost (a
    // tunnel to a remote engine, often), never to the local socket.
    let (host, source) = match (flags.host.first(), env_set("DOCKER_HOST")) {
        (Some(host), _) => (host.clone(), Source::HostFlag),
        (None, Some(host)) => (host, Source::DockerHostEnv),
        (None, None) if use_tls => (DEFAULT_TLS_HOST.to_string(), source),
        (None, None) => (DEFAULT_HOST.to_string(), source),
    };
    let host = normalize_host(&host, &source)?;
    let tls = if use_tls {
        let cert_dir = env_set("DOCKER_CERT_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| config_dir(flags, env));
        Some(Tls {
            ca: flags
                .tlscacert
                .clone()
                .unwrap_or_else(|| cert_dir.join("ca.pem")),
            cert: flags
                .tlscert
                .clone()
                .unwrap_or_else(|| cert_dir.join("cert.pem")),
            key: flags
                .tlskey
                .clone()
                .unwrap_or_else(|| cert_dir.join("key.pem")),
            verify,
        })
    } else {
        None
    };
    Ok(Endpoint {
        context: "default".to_string(),
        host,
        tls,
        source,
    })
}

/// Whether engine addresses `a` and `b` (as backups record them) reach the same engine
/// as far as this host can tell: see [`engine_identity`].
pub fn same_engine(a: &str, b: &str) -> bool {
    a == b || engine_identity(a) == engine_identity(b)
}

/// The engine `address` reaches, as one text whatever the spelling of a unix socket
/// (`/var/run` is a link to `/run`): what locks and journals are kept per. Other
/// addresses are their own text.
pub fn engine_identity(address: &str) -> String {
    address
        .strip_prefix("unix://")
        .and_then(|path| std::fs::canonicalize(path).ok())
        .map_or_else(
            || address.to_string(),
            |socket| format!("unix://{}", socket.display()),
        )
}

/// The directory name the context store uses for a context: the hex SHA-256 of its name.
pub fn context_dir_name(name: &str) -> String {
    hex::encode(Sha256::digest(name.as_bytes()))
}

fn context_endpoint(config_dir: &Path, name: &str, source: Source) -> Result<Endpoint> {
    let id = context_dir_name(name);
    let meta_path = config_dir.join("contexts/meta").join(&id).join("meta.json");
    let bytes = std::fs::read(&meta_path).map_err(|err| {
        Error::usage(format!(
            "context \"{name}\" (from {source}) does not exist: cannot read {}: {err}",
            meta_path.display()
        ))
        .hint("list the contexts with `docker context ls`")
    })?;
    let meta: ContextMeta = serde_json::from_slice(&bytes).map_err(|err| {
        Error::usage(format!(
            "context \"{name}\": malformed {}: {err}",
            meta_path.display()
        ))
    })?;
    let docker = meta.endpoints.get("docker").ok_or_else(|| {
        Error::usage(format!(
            "context \"{name}\" has no docker endpoint ({})",
            meta_path.display()
        ))
    })?;
    let host = docker
        .host
        .clone()
        .unwrap_or_else(|| DEFAULT_HOST.to_string());
    let host = normalize_host(&host, &source)?;
    let tls_dir = config_dir.join("contexts/tls").join(&id).join("docker");
    let tls = tls_dir.join("ca.pem").exists() || tls_dir.join("cert.pem").exists();
    Ok(Endpoint {
        context: name.to_string(),
        host,
        tls: tls.then(|| Tls {
            ca: tls_dir.join("ca.pem"),
            cert: tls_dir.join("cert.pem"),
            key: tls_dir.join("key.pem"),
            verify: !docker.skip_tls_verify,
        }),
        source,
    })
}

/// Resolves a second engine named on the command line (`release --from`): a context
/// name, or an address (`unix://`, `tcp://`, `ssh://`). A `tcp://` address that a
/// context points at uses that context's TLS material; another one uses the TLS
/// settings of the environment (`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`), as `-H` does.
pub fn resolve_named(
    value: &str,
    flags: &ConnectOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Endpoint> {
    let config_dir = config_dir(flags, env);
    if !value.contains("://") {
        if value == "default" {
            // The local socket: what makes this shell's docker reach another engine
            // (its host, and TLS, which without a host means localhost:2376) is not it.
            let local = ["DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_TLS"];
            let no_host = |name: &str| env(name).filter(|_| !local.contains(&name));
            return default_endpoint(&ConnectOptions::default(), &no_host, Source::FromFlag);
        }
        return context_endpoint(&config_dir, value, Source::FromFlag);
    }
    let host = normalize_host(value, &Source::FromFlag)?;
    let contexts = std::fs::read_dir(config_dir.join("contexts/meta"))
        .into_iter()
        .flatten()
        .flatten();
    for dir in contexts {
        let Ok(bytes) = std::fs::read(dir.path().join("meta.json")) else {
            continue;
        };
        let Ok(meta) = serde_json::from_slice::<ContextMeta>(&bytes) else {
            continue;
        };
        let points_here = meta
            .endpoints
            .get("docker")
            .and_then(|d| d.host.as_deref())
            .and_then(|h| normalize_host(h, &Source::FromFlag).ok())
            .is_some_and(|h| h == host);
        if points_here && let Some(name) = meta.name {
            return context_endpoint(&config_dir, &name, Source::FromFlag);
        }
    }
    let as_host = ConnectOptions {
        host: vec![host],
        config: flags.config.clone(),
        ..ConnectOptions::default()
    };
    let mut endpoint = default_endpoint(&as_host, env, Source::FromFlag)?;
    endpoint.source = Source::FromFlag;
    Ok(endpoint)
}

/// Checks the scheme and fills in defaults the Docker CLI fills in (`tcp://` port).
fn normalize_host(host: &str, source: &Source) -> Result<String> {
    let host = host.trim();
    let bad = || {
        Error::usage(format!("invalid Docker host \"{host}\" (from {source})"))
            .hint("use unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT]")
    };
    if let Some(path) = host.strip_prefix("unix://") {
        // As the Docker CLI reads them: `unix://` alone is the default socket, and an
        // address without a scheme is TCP.
        return Ok(match path.is_empty() {
            true => DEFAULT_HOST.to_string(),
            false => host.to_string(),
        });
    }
    if !host.contains("://") && !host.is_empty() {
        return normalize_host(&format!("tcp://{host}"), source);
    }
    if let Some(rest) = host.strip_prefix("tcp://") {
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(bad());
        }
        let has_port = authority
            .rsplit_once(':')
            .is_some_and(|(_, port)| port.parse::<u16>().is_ok());
        return Ok(if has_port {
            format!("tcp://{authority}")
        } else {
            format!("tcp://{authority}:2375")
        });
    }
    if host.starts_with("ssh://") && host.len() > "ssh://".len() {
        return Ok(host.to_string());
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_socket_under_two_paths_is_one_engine() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("run")).unwrap();
        std::fs::write(dir.path().join("run/docker.sock"), "").unwrap();
        std::os::unix::fs::symlink(dir.path().join("run"), dir.path().join("var-run")).unwrap();
        let at = |p: &str| format!("unix://{}", dir.path().join(p).display());
        assert!(same_engine(
            &at("run/docker.sock"),
            &at("var-run/docker.sock")
        ));
        assert!(!same_engine(&at("run/docker.sock"), &at("run/other.sock")));
        assert!(same_engine("ssh://h", "ssh://h"));
        assert!(!same_engine("tcp://a:2375", "tcp://b:2375"));
    }
    use std::collections::HashMap;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn write_context(config: &Path, name: &str, host: &str, tls: bool) {
        let dir = config.join("contexts/meta").join(context_dir_name(name));
        std::fs::create_dir_all(&dir).unwrap();
        let meta = serde_json::json!({
            "Name": name, "Metadata": {},
            "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}}
        });
        std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
        if tls {
            let tls_dir = config
                .join("contexts/tls")
                .join(context_dir_name(name))
                .join("docker");
            std::fs::create_dir_all(&tls_dir).unwrap();
            for f in ["ca.pem", "cert.pem", "key.pem"] {
                std::fs::write(tls_dir.join(f), "x").unwrap();
            }
        }
    }

    #[test]
    fn a_second_engine_is_a_context_or_an_address_with_its_contexts_tls() {
        let config = tempfile::tempdir().unwrap();
        let cfg = config.path().to_str().unwrap();
        write_context(config.path(), "staging", "tcp://10.0.0.9:2376", true);
        let env = env_of(&[
            ("DOCKER_CONFIG", cfg),
            ("DOCKER_HOST", "unix:///target.sock"),
        ]);
        let none = ConnectOptions::default();
        let by_name = resolve_named("staging", &none, &env).unwrap();
        assert_eq!(by_name.host, "tcp://10.0.0.9:2376");
        assert!(by_name.tls.is_some());
        let by_address = resolve_named("tcp://10.0.0.9:2376", &none, &env).unwrap();
        assert_eq!(
            (by_address.context.as_str(), by_address.tls.is_some()),
            ("staging", true)
        );
        let plain = resolve_named("tcp://10.0.0.7", &none, &env).unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.tls),
            ("tcp://10.0.0.7:2375", None)
        );
        // `default` is the default socket, not the target's DOCKER_HOST.
        let default = resolve_named("default", &none, &env).unwrap();
        assert_eq!(default.host, DEFAULT_HOST);
        // Also when this shell's docker reaches a remote engine over TLS.
        let remote = env_of(&[
            ("DOCKER_HOST", "tcp://target:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
        ]);
        let default = resolve_named("default", &none, &remote).unwrap();
        assert_eq!((default.host.as_str(), default.tls), (DEFAULT_HOST, None));
        assert!(resolve_named("nope", &none, &env).is_err());
        assert!(resolve_named("ftp://x", &none, &env).is_err());
    }

    #[test]
    fn precedence_follows_the_docker_cli() {
        let config = tempfile::tempdir().unwrap();
        let cfg = config.path().to_str().unwrap();
        write_context(config.path(), "ctx-env", "tcp://10.0.0.1:2376", true);
        write_context(config.path(), "ctx-file", "unix:///file.sock", false);
        std::fs::write(
            config.path().join("config.json"),
            r#"{"currentContext":"ctx-file"}"#,
        )
        .unwrap();
        let none = ConnectOptions::default();

        let e = resolve(&none, &env_of(&[("DOCKER_CONFIG", cfg)])).unwrap();
        assert_eq!(e.host, "unix:///file.sock");
        assert!(matches!(e.source, Source::ConfigFile(_)));

        let env = env_of(&[("DOCKER_CONFIG", cfg), ("DOCKER_CONTEXT", "ctx-env")]);
        let e = resolve(&none, &env).unwrap();
        assert_eq!(
            (e.host.as_str(), e.source),
            ("tcp://10.0.0.1:2376", Source::DockerContextEnv)
        );
        let tls = e.tls.unwrap();
        assert!(tls.verify && tls.ca.ends_with("docker/ca.pem"));

        let env = env_of(&[
            ("DOCKER_CONFIG", cfg),
            ("DOCKER_CONTEXT", "ctx-env"),
            ("DOCKER_HOST", "unix:///env.sock"),
        ]);
        let e = resolve(&none, &env).unwrap();
        assert_eq!(
            (e.host.as_str(), e.source),
            ("unix:///env.sock", Source::DockerHostEnv)
        );

        let flags = ConnectOptions {
            host: vec!["tcp://127.0.0.1".into()],
            ..Default::default()
        };
        let e = resolve(&flags, &env).unwrap();
        assert_eq!(
            (e.host.as_str(), e.source),
            ("tcp://127.0.0.1:2375", Source::HostFlag)
        );

        let flags = ConnectOptions {
            context: Some("ctx-file".into()),
            ..Default::default()
        };
        let e = resolve(&flags, &env).unwrap();
        assert_eq!(
            (e.host.as_str(), e.source),
            ("unix:///file.sock", Source::ContextFlag)
        );

        let e = resolve(&none, &env_of(&[("HOME", "/nonexistent")])).unwrap();
        assert_eq!((e.host.as_str(), e.source), (DEFAULT_HOST, Source::Default));
    }

    #[test]
    fn conflicts_and_bad_values_are_usage_errors() {
        let both = ConnectOptions {
            host: vec!["unix:///a".into()],
            context: Some("x".into()),
            ..Default::default()
        };
        let err = resolve(&both, &env_of(&[])).unwrap_err();
        assert_eq!(err.code, crate::error::ExitCode::Usage);
        assert!(err.message.contains("cannot specify both"));

        let missing = ConnectOptions {
            context: Some("nope".into()),
            config: Some("/nonexistent".into()),
            ..Default::default()
        };
        let err = resolve(&missing, &env_of(&[])).unwrap_err();
        assert!(err.message.contains("context \"nope\""), "{}", err.message);

        let err = resolve(
            &ConnectOptions::default(),
            &env_of(&[("DOCKER_HOST", "http://x")]),
        )
        .unwrap_err();
        assert!(err.message.contains("from DOCKER_HOST"), "{}", err.message);
    }

    #[test]
    fn default_context_tls_from_environment() {
        let env = env_of(&[
            ("DOCKER_HOST", "tcp://127.0.0.1:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
        ]);
        let e = resolve(&ConnectOptions::default(), &env).unwrap();
        assert_eq!(
            e.tls,
            Some(Tls {
                ca: "/certs/ca.pem".into(),
                cert: "/certs/cert.pem".into(),
                key: "/certs/key.pem".into(),
                verify: true
            })
        );
        assert_eq!(
            e.child_env()[3],
            ("DOCKER_CERT_PATH", Some("/certs".to_string()))
        );
    }

    /// As the Docker CLI: TLS without a host is the TLS port on localhost (an ssh
    /// tunnel to a remote engine, typically), never the local socket; an address
    /// without a scheme is TCP, and `unix://` alone the default socket.
    #[test]
    fn hosts_left_out_or_written_short_reach_what_the_docker_cli_reaches() {
        let host = |vars: &[(&str, &str)], flags: ConnectOptions| {
            let e = resolve(&flags, &env_of(vars)).unwrap();
            (e.host, e.tls.is_some())
        };
        let tcp_tls = ("tcp://localhost:2376".to_string(), true);
        assert_eq!(
            host(&[("DOCKER_TLS_VERIFY", "1")], Default::default()),
            tcp_tls
        );
        assert_eq!(host(&[("DOCKER_TLS", "1")], Default::default()), tcp_tls);
        let flag = ConnectOptions {
            tlsverify: true,
            ..Default::default()
        };
        assert_eq!(host(&[], flag), tcp_tls);
        assert_eq!(
            host(&[("DOCKER_TLS_VERIFY", "")], Default::default()),
            (DEFAULT_HOST.to_string(), false)
        );
        assert_eq!(
            host(&[("DOCKER_HOST", "10.0.0.5:2375")], Default::default()),
            ("tcp://10.0.0.5:2375".to_string(), false)
        );
        assert_eq!(
            host(&[("DOCKER_HOST", "unix://")], Default::default()),
            (DEFAULT_HOST.to_string(), false)
        );
    }

    #[test]
    fn tls_files_named_otherwise_reach_a_child_cli_under_the_usual_names() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let pki = dir.path().join("pki");
        std::fs::create_dir(&pki).unwrap();
        for (name, content) in [
            ("ca.crt", "CA"),
            ("client.crt", "CERT"),
            ("client.key", "KEY"),
        ] {
            std::fs::write(pki.join(name), content).unwrap();
        }
        let tls = Tls {
            ca: pki.join("ca.crt"),
            cert: pki.join("client.crt"),
            key: pki.join("client.key"),
            verify: true,
        };
        let linked = tls.cert_path(&state);
        assert!(linked.starts_with(&state), "{}", linked.display());
        for (name, content) in [("ca.pem", "CA"), ("cert.pem", "CERT"), ("key.pem", "KEY")] {
            assert_eq!(std::fs::read_to_string(linked.join(name)).unwrap(), content);
        }
        // Again (the next command): the same directory, the links replaced.
        assert_eq!(tls.cert_path(&state), linked);
        let usual = Tls {
            ca: "/certs/ca.pem".into(),
            cert: "/certs/cert.pem".into(),
            key: "/certs/key.pem".into(),
            verify: true,
        };
        assert_eq!(usual.cert_path(&state), PathBuf::from("/certs"));
        // Bare names are the current directory's files.
        let bare = Tls {
            ca: "ca.pem".into(),
            cert: "cert.pem".into(),
            key: "key.pem".into(),
            verify: true,
        };
        assert_eq!(bare.cert_path(&state), std::env::current_dir().unwrap());
    }
}
