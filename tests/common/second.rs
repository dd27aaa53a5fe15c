//! The second engine of the release tests (`scripts/second-engine/setup.sh`, started by
//! `scripts/setup-test-env.sh`): its own dockerd in a network namespace, reached by the
//! test harness on its unix socket and by safeops through the TLS context `safeops-b`.

use std::process::Command;

/// The second engine's unix socket.
pub const SOCKET: &str = "unix:///run/dockerd2/docker.sock";
/// The docker context for it (TCP with TLS).
pub const CONTEXT: &str = "safeops-b";

/// Fails the test (never skips) when the second engine is not there.
pub fn require() {
    super::require_engine();
    let out = Command::new("docker")
        .args([
            "-H",
            SOCKET,
            "version",
            "--format",
            "{{.Server.APIVersion}}",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the release tests need the second engine: run scripts/test.sh (or \
         scripts/second-engine/setup.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let context = Command::new("docker")
        .args(["context", "inspect", CONTEXT])
        .output()
        .unwrap();
    assert!(
        context.status.success(),
        "the docker context {CONTEXT} is missing"
    );
}

/// Runs `docker` against the second engine, asserting success; returns stdout.
pub fn docker_b(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(["-H", SOCKET])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker -H {SOCKET} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Copies an image from the main engine to the second one the manual way.
pub fn copy_image_to_b(image: &str) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("docker save {image} | docker -H {SOCKET} load -q"))
        .status()
        .unwrap();
    assert!(
        status.success(),
        "copying {image} to the second engine failed"
    );
}

/// Makes an image on the main engine: `base` plus one layer written by `script`, with
/// `changes` (`docker commit --change`).
pub fn commit_image(base: &str, image: &str, script: &str, changes: &[&str]) {
    let builder = super::unique("relbuild");
    super::docker(&["run", "--name", &builder, base, "sh", "-c", script]);
    let mut args = vec!["commit".to_string()];
    for change in changes {
        args.push("--change".into());
        args.push(change.to_string());
    }
    args.push(builder.clone());
    args.push(image.to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    super::docker(&args);
    super::docker(&["rm", "-f", &builder]);
}

/// Removes what a test made on both engines, also when it panics.
#[derive(Default)]
pub struct CleanupBoth {
    /// Containers, on both engines.
    pub containers: Vec<String>,
    /// Images, on both engines.
    pub images: Vec<String>,
    /// Volumes, on both engines.
    pub volumes: Vec<String>,
    /// Compose projects on the second engine.
    pub projects: Vec<String>,
}

impl Drop for CleanupBoth {
    fn drop(&mut self) {
        let sh = |script: String| {
            let _ = Command::new("sh").arg("-c").arg(script).output();
        };
        for engine in ["", &format!("-H {SOCKET}")] {
            for project in &self.projects {
                sh(format!(
                    "docker {engine} ps -aq --filter label=com.docker.compose.project={project} | xargs -r docker {engine} rm -f; \
                     docker {engine} network ls -q --filter label=com.docker.compose.project={project} | xargs -r docker {engine} network rm"
                ));
            }
            for c in &self.containers {
                sh(format!("docker {engine} rm -f {c}"));
            }
            for v in &self.volumes {
                sh(format!("docker {engine} volume rm -f {v}"));
            }
            for i in &self.images {
                sh(format!("docker {engine} rmi -f {i}"));
            }
        }
    }
}
