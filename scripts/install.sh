#!/usr/bin/env bash
# Builds docker-safeops and installs it as a Docker CLI plugin for this user.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
plugin_dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
mkdir -p "$plugin_dir"
install -m 0755 target/release/docker-safeops "$plugin_dir/docker-safeops"
echo "installed $plugin_dir/docker-safeops" >&2
