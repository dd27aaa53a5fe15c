#!/usr/bin/env bash
# Start a SECOND dockerd for tests, inside its own network namespace.
#
#   * netns  : /run/netns/$NS (created with `ip netns add`), entered with
#              `nsenter --net=/run/netns/$NS` (NOT `ip netns exec`, which
#              remounts /sys in a private mount ns and hides the cgroup fs).
#   * veth   : $VETH_HOST ($HOST_IP/30, host side) <-> $VETH_NS ($NS_IP/30, in netns)
#   * dockerd: own --config-file/--data-root/--exec-root/--pidfile, same storage
#              driver as the main engine, listening on unix://$SOCK and
#              tcp://$NS_IP:2376 (TLS, client certs required), own managed
#              containerd (under $EXEC_ROOT/containerd), own cgroup parent.
#   * context: docker context $CONTEXT -> tcp://$NS_IP:2376 with the client certs.
#
# Idempotent: every step checks for existing state; if the daemon is already
# running (pidfile + live process + _ping answers) it is left alone.
# Undo with teardown.sh (same variables).
set -euo pipefail

NS=${DOCKERD2_NS:-dockerd2}
VETH_HOST=${DOCKERD2_VETH_HOST:-d2-host}
VETH_NS=${DOCKERD2_VETH_NS:-d2-ns}
HOST_IP=${DOCKERD2_HOST_IP:-10.231.0.1}
NS_IP=${DOCKERD2_NS_IP:-10.231.0.2}
PREFIX=${DOCKERD2_PREFIX:-30}
TLS_PORT=${DOCKERD2_TLS_PORT:-2376}
RUN_DIR=${DOCKERD2_RUN_DIR:-/run/dockerd2}            # socket, pidfile, exec-root
STATE_DIR=${DOCKERD2_STATE_DIR:-/var/lib/dockerd2}     # data-root, certs, config, log
CONTEXT=${DOCKERD2_CONTEXT:-safeops-b}
MTU=${DOCKERD2_MTU:-}                                  # default: main engine's eth MTU logic below
BIP=${DOCKERD2_BIP-10.231.8.1/24}                     # docker0 *inside* the netns
POOL_BASE=${DOCKERD2_POOL_BASE-10.232.0.0/16}         # user-defined networks inside the netns
START_TIMEOUT=${DOCKERD2_START_TIMEOUT:-60}

SOCK=$RUN_DIR/docker.sock
PIDFILE=$RUN_DIR/dockerd.pid
EXEC_ROOT=$RUN_DIR/exec
DATA_ROOT=$STATE_DIR/data
CERT_DIR=$STATE_DIR/certs
CONFIG=$STATE_DIR/daemon.json
LOG=$STATE_DIR/dockerd.log
NETNS_PATH=/run/netns/$NS

log() { printf '[dockerd2-setup] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
for b in ip nsenter openssl dockerd docker; do
  command -v "$b" >/dev/null || die "missing binary: $b"
done

d2() { docker -H "unix://$SOCK" "$@"; }

alive() {   # process exists, is not a zombie, and is a dockerd
  local pid=$1 st
  [ -r "/proc/$pid/stat" ] || return 1
  st=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ] || return 1
  grep -qx dockerd "/proc/$pid/comm" 2>/dev/null
}
daemon_running() {
  [ -s "$PIDFILE" ] && alive "$(cat "$PIDFILE")"
}
wait_api() {   # wait until the unix socket answers, or the timeout expires
  local deadline=$(( $(date +%s) + START_TIMEOUT ))
  until d2 version --format '{{.Server.Version}}' >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    daemon_running || return 1
    sleep 0.2
  done
}

# ---------------------------------------------------------------- 1. netns + veth
# the /30 must not already be routed on the host via some other device
clash=$(ip -4 route show to match "$NS_IP" | grep -v "dev $VETH_HOST" | grep -v '^default' || true)
[ -z "$clash" ] || die "$NS_IP is already routed on the host ($clash); choose another DOCKERD2_HOST_IP/NS_IP"
# /run is not a tmpfs on every machine (here it lives on /dev/vda): after a reboot
# /run/netns/$NS can be a stale plain file, which nsenter cannot enter.
if [ -e "$NETNS_PATH" ] && ! grep -q " $NETNS_PATH nsfs " /proc/self/mounts; then
  log "removing stale $NETNS_PATH (not an nsfs mount)"
  ip netns del "$NS" 2>/dev/null || rm -f "$NETNS_PATH"
fi
if [ ! -e "$NETNS_PATH" ]; then
  log "creating netns $NS"
  ip netns add "$NS"
fi
# lo up inside the netns
nsenter --net="$NETNS_PATH" ip link set lo up

if ! ip link show "$VETH_HOST" >/dev/null 2>&1; then
  # the ns end may still exist inside the netns from a half-finished run
  nsenter --net="$NETNS_PATH" ip link del "$VETH_NS" 2>/dev/null || true
  log "creating veth $VETH_HOST <-> $VETH_NS"
  ip link add "$VETH_HOST" type veth peer name "$VETH_NS"
  ip link set "$VETH_NS" netns "$NS"
fi
if [ -z "$MTU" ]; then
  # same MTU as the host's uplink (here eth0 has 1400 and the main engine uses mtu 1400)
  MTU=$(ip -o link show "$(ip route show default | awk '{print $5; exit}')" 2>/dev/null | \
        sed -n 's/.* mtu \([0-9]*\).*/\1/p')
  MTU=${MTU:-1500}
fi
ip link set "$VETH_HOST" mtu "$MTU" up
ip addr replace "$HOST_IP/$PREFIX" dev "$VETH_HOST"
nsenter --net="$NETNS_PATH" ip link set "$VETH_NS" mtu "$MTU" up
nsenter --net="$NETNS_PATH" ip addr replace "$NS_IP/$PREFIX" dev "$VETH_NS"
nsenter --net="$NETNS_PATH" ip route replace default via "$HOST_IP" dev "$VETH_NS"

# ---------------------------------------------------------------- 2. TLS material
mkdir -p "$CERT_DIR"; chmod 700 "$CERT_DIR"
gen_certs() {
  local d=$CERT_DIR t
  t=$(mktemp -d)
  log "generating CA, server cert (IP SAN $NS_IP) and client cert in $d"
  openssl genrsa -out "$d/ca-key.pem" 4096 2>/dev/null
  openssl req -new -x509 -days 3650 -sha256 -key "$d/ca-key.pem" \
    -subj "/CN=dockerd2 test CA" -out "$d/ca.pem"
  # server
  openssl genrsa -out "$d/server-key.pem" 4096 2>/dev/null
  openssl req -new -sha256 -key "$d/server-key.pem" -subj "/CN=$NS_IP" -out "$t/server.csr"
  printf 'subjectAltName=IP:%s,IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' \
    "$NS_IP" > "$t/server.ext"
  openssl x509 -req -days 3650 -sha256 -in "$t/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" \
    -CAcreateserial -out "$d/server-cert.pem" -extfile "$t/server.ext" 2>/dev/null
  # client
  openssl genrsa -out "$d/key.pem" 4096 2>/dev/null
  openssl req -new -sha256 -key "$d/key.pem" -subj "/CN=dockerd2-client" -out "$t/client.csr"
  printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' > "$t/client.ext"
  openssl x509 -req -days 3650 -sha256 -in "$t/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" \
    -CAcreateserial -out "$d/cert.pem" -extfile "$t/client.ext" 2>/dev/null
  chmod 600 "$d"/*key.pem; chmod 644 "$d/ca.pem" "$d/server-cert.pem" "$d/cert.pem"
  rm -rf "$t"
}
certs_ok() {
  local d=$CERT_DIR f
  for f in ca.pem ca-key.pem server-cert.pem server-key.pem cert.pem key.pem; do
    [ -s "$d/$f" ] || return 1
  done
  openssl verify -CAfile "$d/ca.pem" "$d/server-cert.pem" "$d/cert.pem" >/dev/null 2>&1 || return 1
  # server cert must carry the namespace IP as SAN
  openssl x509 -in "$d/server-cert.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$NS_IP" || return 1
  openssl x509 -in "$d/server-cert.pem" -noout -checkend 86400 >/dev/null || return 1
}
certs_ok || gen_certs

# ---------------------------------------------------------------- 3. daemon config
mkdir -p "$RUN_DIR" "$EXEC_ROOT" "$DATA_ROOT"
STORAGE_DRIVER=${DOCKERD2_STORAGE_DRIVER:-$(docker -H unix:///var/run/docker.sock info -f '{{.Driver}}')}
CGROUP_DRIVER=$(docker -H unix:///var/run/docker.sock info -f '{{.CgroupDriver}}' 2>/dev/null || echo cgroupfs)
[ -n "$STORAGE_DRIVER" ] || die "could not determine main engine storage driver"

new_cfg=$(mktemp)
cat > "$new_cfg" <<EOF
{
  "data-root": "$DATA_ROOT",
  "exec-root": "$EXEC_ROOT",
  "pidfile": "$PIDFILE",
  "hosts": ["unix://$SOCK", "tcp://$NS_IP:$TLS_PORT"],
  "tls": true,
  "tlsverify": true,
  "tlscacert": "$CERT_DIR/ca.pem",
  "tlscert": "$CERT_DIR/server-cert.pem",
  "tlskey": "$CERT_DIR/server-key.pem",
  "storage-driver": "$STORAGE_DRIVER",
  "exec-opts": ["native.cgroupdriver=$CGROUP_DRIVER"],
  "cgroup-parent": "/dockerd2",
$( [ -n "$BIP" ] && printf '  "bip": "%s",\n' "$BIP" )
$( [ -n "$POOL_BASE" ] && printf '  "default-address-pools": [{"base": "%s", "size": 24}],\n' "$POOL_BASE" )
  "mtu": $MTU,
  "log-driver": "json-file",
  "log-opts": {"max-size": "10m", "max-file": "3"}
}
EOF
cfg_changed=0
if ! cmp -s "$new_cfg" "$CONFIG"; then
  install -m 644 "$new_cfg" "$CONFIG"; cfg_changed=1
fi
rm -f "$new_cfg"

# ---------------------------------------------------------------- 4. start dockerd
if daemon_running; then
  if [ "$cfg_changed" = 1 ]; then
    log "WARNING: config changed but dockerd2 (pid $(cat "$PIDFILE")) is already running;" \
        "run teardown.sh then setup.sh to apply it"
  fi
  log "dockerd2 already running (pid $(cat "$PIDFILE"))"
else
  # stale leftovers from a crashed instance
  rm -f "$PIDFILE" "$SOCK"
  log "starting dockerd2 (storage-driver=$STORAGE_DRIVER) in netns $NS; log: $LOG"
  t0=$(date +%s.%N)
  # setsid + nohup: detach from this shell; only the network namespace changes,
  # mount/pid/cgroup namespaces stay the host's, so /sys/fs/cgroup is visible.
  setsid nohup nsenter --net="$NETNS_PATH" -- \
    dockerd --config-file "$CONFIG" >>"$LOG" 2>&1 < /dev/null &
  # the pidfile is written by dockerd itself a few ms after exec
  for _ in $(seq 50); do daemon_running && break; sleep 0.1; done
  if ! wait_api; then
    tail -n 30 "$LOG" >&2 || true
    die "dockerd2 did not answer on $SOCK within ${START_TIMEOUT}s (see $LOG)"
  fi
  t1=$(date +%s.%N)
  log "dockerd2 up (pid $(cat "$PIDFILE")) after $(awk "BEGIN{printf \"%.1f\", $t1-$t0}")s"
fi
# also covers "already running but still starting" (e.g. a concurrent setup.sh)
wait_api || die "dockerd2 pid $(cat "$PIDFILE" 2>/dev/null) alive but $SOCK not answering; run teardown.sh and retry"

# ---------------------------------------------------------------- 5. docker context
if docker context inspect "$CONTEXT" >/dev/null 2>&1; then
  docker context update "$CONTEXT" \
    --docker "host=tcp://$NS_IP:$TLS_PORT,ca=$CERT_DIR/ca.pem,cert=$CERT_DIR/cert.pem,key=$CERT_DIR/key.pem" >/dev/null 2>&1 || die "docker context $CONTEXT failed"
else
  docker context create "$CONTEXT" --description "second dockerd in netns $NS" \
    --docker "host=tcp://$NS_IP:$TLS_PORT,ca=$CERT_DIR/ca.pem,cert=$CERT_DIR/cert.pem,key=$CERT_DIR/key.pem" >/dev/null 2>&1 || die "docker context $CONTEXT failed"
fi

cat <<EOF
dockerd2 ready:
  unix : docker -H unix://$SOCK info
  tls  : docker --context $CONTEXT info
         docker -H tcp://$NS_IP:$TLS_PORT --tlsverify --tlscacert $CERT_DIR/ca.pem --tlscert $CERT_DIR/cert.pem --tlskey $CERT_DIR/key.pem info
  log  : $LOG    pid: $(cat "$PIDFILE")
EOF
