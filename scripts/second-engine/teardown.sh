#!/usr/bin/env bash
# Tear down what setup.sh created: stop dockerd2 (and its managed containerd),
# unmount leftovers, remove docker context, veth pair and netns.
# Keeps $STATE_DIR (images, certs) unless called with --purge.
# Idempotent: safe to run when nothing (or only part) is set up.
set -uo pipefail

NS=${DOCKERD2_NS:-dockerd2}
VETH_HOST=${DOCKERD2_VETH_HOST:-d2-host}
RUN_DIR=${DOCKERD2_RUN_DIR:-/run/dockerd2}
STATE_DIR=${DOCKERD2_STATE_DIR:-/var/lib/dockerd2}
CONTEXT=${DOCKERD2_CONTEXT:-safeops-b}
STOP_TIMEOUT=${DOCKERD2_STOP_TIMEOUT:-40}
CGROUP_PARENT=dockerd2          # must match "cgroup-parent" in setup.sh

SOCK=$RUN_DIR/docker.sock
PIDFILE=$RUN_DIR/dockerd.pid
EXEC_ROOT=$RUN_DIR/exec
DATA_ROOT=$STATE_DIR/data
NETNS_PATH=/run/netns/$NS
PURGE=0; [ "${1:-}" = "--purge" ] && PURGE=1

log() { printf '[dockerd2-teardown] %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }

alive() {   # exists and is not a zombie (PID 1 on some VMs/containers is slow to reap)
  local st
  [ -r "/proc/$1/stat" ] || return 1
  st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# pids of processes whose cmdline references our exec-root/data-root
# (managed containerd, shims, fuse-overlayfs of dockerd2) -- never the main engine's.
our_pids() {
  local p cl
  for p in /proc/[0-9]*; do
    cl=$( { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null ) || continue
    alive "${p#/proc/}" || continue
    case "$(cat "$p/comm" 2>/dev/null)" in
      containerd|containerd-shim*|fuse-overlayfs|runc|docker-proxy|dockerd) ;;
      *) continue;;
    esac
    case "$cl" in
      *"$EXEC_ROOT"*|*"$DATA_ROOT"*) echo "${p#/proc/}";;
    esac
  done
}

# ---------------------------------------------------------------- 1. stop dockerd
if [ -s "$PIDFILE" ]; then
  pid=$(cat "$PIDFILE")
  if alive "$pid" && grep -qx dockerd "/proc/$pid/comm" 2>/dev/null; then
    # stop containers first so dockerd's shutdown is quick and clean
    ids=$(docker -H "unix://$SOCK" ps -q 2>/dev/null || true)
    [ -n "$ids" ] && docker -H "unix://$SOCK" stop -t 5 $ids >/dev/null 2>&1
    log "stopping dockerd2 pid $pid"
    kill -TERM "$pid"
    for _ in $(seq $((STOP_TIMEOUT * 5))); do alive "$pid" || break; sleep 0.2; done
    if alive "$pid"; then log "dockerd2 did not stop in ${STOP_TIMEOUT}s, SIGKILL"; kill -KILL "$pid"; sleep 1; fi
  fi
fi
rm -f "$PIDFILE"

# Leftovers (only after an unclean dockerd2 death): managed containerd, shims,
# fuse-overlayfs, docker-proxy -- all of them live in OUR netns, or reference our
# exec-root/data-root -- and container processes, which live in our cgroup parent.
leftovers() {
  {
    our_pids
    [ -e "$NETNS_PATH" ] && ip netns pids "$NS" 2>/dev/null
    cat /sys/fs/cgroup/*/"$CGROUP_PARENT"/*/cgroup.procs /sys/fs/cgroup/"$CGROUP_PARENT"/*/cgroup.procs 2>/dev/null
  } | sort -un | while read -r p; do alive "$p" && echo "$p"; done
}
left=$(leftovers)
if [ -n "$left" ]; then
  log "terminating leftover dockerd2 processes: $(echo $left)"
  kill -TERM $left 2>/dev/null; sleep 2
  left=$(leftovers); [ -n "$left" ] && kill -KILL $left 2>/dev/null && sleep 1
fi
# empty cgroup dirs of the cgroup parent (deepest first)
find /sys/fs/cgroup -depth -type d -path "*/$CGROUP_PARENT*" 2>/dev/null | while read -r d; do
  case "$d" in */"$CGROUP_PARENT"|*/"$CGROUP_PARENT"/*) rmdir "$d" 2>/dev/null;; esac
done

# ---------------------------------------------------------------- 2. leftover mounts
# deepest first; only under our own roots
for root in "$EXEC_ROOT" "$DATA_ROOT"; do
  awk -v r="$root" '$5 == r || index($5, r"/") == 1 {print $5}' /proc/self/mountinfo | sort -r | \
  while read -r m; do
    log "unmounting $m"
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || fusermount -uz "$m" 2>/dev/null || true
  done
done

# ---------------------------------------------------------------- 3. context
if docker context inspect "$CONTEXT" >/dev/null 2>&1; then
  # never leave the CLI pointing at a context that is about to vanish
  [ "$(docker context show 2>/dev/null)" = "$CONTEXT" ] && docker context use default >/dev/null
  docker context rm -f "$CONTEXT" >/dev/null && log "removed docker context $CONTEXT"
fi

# ---------------------------------------------------------------- 4. network
if ip link show "$VETH_HOST" >/dev/null 2>&1; then
  ip link del "$VETH_HOST" && log "removed veth $VETH_HOST"     # removes the peer too
fi
if [ -e "$NETNS_PATH" ]; then
  pids=$(ip netns pids "$NS" 2>/dev/null)
  [ -n "$pids" ] && log "WARNING: processes still in netns $NS: $pids"
  ip netns del "$NS" && log "removed netns $NS"
fi

# ---------------------------------------------------------------- 5. files
rm -rf "$RUN_DIR"
if [ "$PURGE" = 1 ]; then
  log "purging $STATE_DIR"
  rm -rf "$STATE_DIR"
fi
log "done"
