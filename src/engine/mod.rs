//! The engine layer: which engine to talk to ([`endpoint`]), the connection, what is on
//! it ([`inventory`]) and how volume contents are read and written ([`volume_access`]).
//! Everything above talks to Docker through here.
//!
//! The connection goes through bollard: built from a resolved [`Endpoint`], checked
//! with a bounded ping so that an unreachable engine is reported within seconds (exit 5),
//! and checked for a supported API version.

pub mod endpoint;
pub mod inventory;
pub mod logs;
pub mod names;
pub mod volume_access;

use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};

use crate::engine::endpoint::Endpoint;
use crate::error::{Error, Result, engine_message};

/// The oldest Engine API this tool is tested against (Docker 20.10).
pub const MIN_API_VERSION: (u32, u32) = (1, 41);

/// The API version bollard's types describe. Requests are pinned to the lower of this
/// and the engine's version.
pub const CLIENT_API_VERSION: (u32, u32) = (
    API_DEFAULT_VERSION.major_version as u32,
    API_DEFAULT_VERSION.minor_version as u32,
);

/// Request timeout for ordinary engine calls, in seconds. Long streams (exports,
/// archives) are bounded by progress, not by this.
const REQUEST_TIMEOUT_SECS: u64 = 300;

/// A connected engine and what it told us about itself.
#[derive(Clone)]
pub struct Engine {
    /// The bollard client.
    pub docker: Docker,
    /// Where it lives, and which setting chose it.
    pub endpoint: Endpoint,
    /// The engine's version, e.g. `20.10.24`.
    pub version: String,
    /// The engine's API version, e.g. `1.41`.
    pub api_version: String,
}

impl Engine {
    /// The engine's API version as numbers.
    pub fn api(&self) -> (u32, u32) {
        parse_api_version(&self.api_version).unwrap_or(MIN_API_VERSION)
    }

    /// The engine labels the anonymous volumes it creates (API 1.42, Docker 23; see
    /// [`inventory::is_anonymous`]).
    pub fn labels_anonymous_volumes(&self) -> bool {
        self.api() >= (1, 42)
    }
}

/// bollard 0.21.1 drops the `/v1.xx` prefix from every request path (bollard issue
/// #736), so the engine would answer in whatever API version it likes best. Put the
/// prefix back, with the version both sides speak, so that requests and answers have
/// the shape we expect on old and new engines alike.
fn pin_api_version(docker: Docker, (major, minor): (u32, u32)) -> Docker {
    docker.with_request_modifier(move |mut request| {
        let uri = request.uri().clone();
        let path = uri.path();
        if !path.starts_with("/v1.") && !path.starts_with("/_ping") {
            let path_and_query = match uri.query() {
                Some(query) => format!("/v{major}.{minor}{path}?{query}"),
                None => format!("/v{major}.{minor}{path}"),
            };
            let mut parts = uri.into_parts();
            if let Ok(pq) = path_and_query.parse() {
                parts.path_and_query = Some(pq);
                if let Ok(pinned) = http::Uri::from_parts(parts) {
                    *request.uri_mut() = pinned;
                }
            }
        }
        request
    })
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("endpoint", &self.endpoint)
            .field("version", &self.version)
            .field("api_version", &self.api_version)
            .finish()
    }
}

/// How long to wait for the first answer before calling the engine unreachable.
fn ping_timeout(endpoint: &Endpoint) -> Duration {
    if endpoint.host.starts_with("ssh://") {
        Duration::from_secs(15)
    } else {
        Duration::from_secs(4)
    }
}

fn unreachable(endpoint: &Endpoint, why: &str) -> Error {
    let hint = if endpoint.host.starts_with("unix://") {
        "is the Docker daemon running (`systemctl status docker`)? Choose another engine with \
         --context, -H or DOCKER_HOST"
    } else {
        "check that the engine is up and reachable from here, or choose another engine with \
         --context, -H or DOCKER_HOST"
    };
    Error::preflight(format!(
        "cannot reach the Docker engine at {} (context \"{}\", from {}): {why}",
        endpoint.host, endpoint.context, endpoint.source
    ))
    .hint(hint)
}

fn client(endpoint: &Endpoint) -> Result<Docker> {
    let host = endpoint.host.as_str();
    let result = if let Some(path) = host.strip_prefix("unix://") {
        Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
    } else if host.starts_with("ssh://") {
        Docker::connect_with_ssh(host, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION, None)
    } else if let Some(tls) = &endpoint.tls {
        if !tls.verify {
            return Err(Error::usage(format!(
                "the endpoint {host} asks for TLS without server verification, which \
                 docker-safeops does not do"
            ))
            .hint("use --tlsverify with the engine's CA certificate"));
        }
        Docker::connect_with_ssl(
            host,
            &tls.key,
            &tls.cert,
            &tls.ca,
            REQUEST_TIMEOUT_SECS,
            API_DEFAULT_VERSION,
        )
    } else {
        Docker::connect_with_http(host, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
    };
    result.map_err(|err| unreachable(endpoint, &engine_message(&err)))
}

/// Parses `1.41` into `(1, 41)`.
pub fn parse_api_version(version: &str) -> Option<(u32, u32)> {
    let (major, minor) = version.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Connects to the engine and checks it answers, within a few seconds.
pub async fn connect(endpoint: &Endpoint) -> Result<Engine> {
    let docker = client(endpoint)?;
    let answer = tokio::time::timeout(ping_timeout(endpoint), docker.version()).await;
    let version = match answer {
        Err(_) => {
            return Err(unreachable(
                endpoint,
                &format!("no answer within {}s", ping_timeout(endpoint).as_secs()),
            ));
        }
        Ok(Err(err)) => return Err(unreachable(endpoint, &engine_message(&err))),
        Ok(Ok(version)) => version,
    };
    let api_version = version.api_version.unwrap_or_default();
    match parse_api_version(&api_version) {
        Some(found) if found >= MIN_API_VERSION => {}
        _ => {
            return Err(Error::preflight(format!(
                "the Docker engine at {} speaks API {api_version:?}; docker-safeops needs {}.{} \
                 or newer (Docker 20.10+)",
                endpoint.host, MIN_API_VERSION.0, MIN_API_VERSION.1
            ))
            .hint("upgrade the engine, or run docker-safeops against a newer one"));
        }
    }
    let pinned = parse_api_version(&api_version)
        .map_or(CLIENT_API_VERSION, |server| server.min(CLIENT_API_VERSION));
    let engine = Engine {
        docker: pin_api_version(docker, pinned),
        endpoint: endpoint.clone(),
        version: version.version.unwrap_or_default(),
        api_version,
    };
    tracing::debug!(?engine, "connected");
    Ok(engine)
}

impl Engine {
    /// `GET path` (after the API version prefix) as untyped JSON, for the few answers
    /// whose old shape bollard's types no longer describe (`/system/df` before API
    /// 1.52). It goes over bollard's own transport, so unix, TCP, TLS and SSH endpoints
    /// all work: a `ping` whose request is pointed at `path` returns the raw body.
    pub async fn get_raw_json(&self, path: &str) -> Result<serde_json::Value> {
        let (major, minor) = self.api();
        let target = format!("/v{major}.{minor}{path}");
        let docker = self
            .docker
            .clone()
            .with_request_modifier(move |mut request| {
                let mut parts = request.uri().clone().into_parts();
                parts.path_and_query = target.parse().ok();
                if let Ok(uri) = http::Uri::from_parts(parts) {
                    *request.uri_mut() = uri;
                }
                request
            });
        let body = docker.ping().await?;
        serde_json::from_str(&body).map_err(|err| {
            Error::failure(format!(
                "malformed JSON from the engine for GET {path}: {err}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_compare_numerically() {
        assert_eq!(parse_api_version("1.41"), Some((1, 41)));
        assert!(parse_api_version("1.100").unwrap() > parse_api_version("1.41").unwrap());
        assert_eq!(parse_api_version("garbage"), None);
    }
}
