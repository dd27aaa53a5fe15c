#!/usr/bin/env bash
# Benchmark (not a test): backups into a restic-format repository (issue 14) on one
# generated volume (N MB in files of 100 KiB, random content), side by side in one run:
#   - the first backup into a local repository vs a plain backup of the same volume;
#   - a second backup of the unchanged volume (direct read: nothing is read again),
#     and beside it what it cannot go below: opening the repository (the password's
#     key derivation) and the engine's stop and start of the container;
#   - a backup after 1% of the data changed: seconds and bytes added;
#   - a restore of the snapshot into a new volume by safeops (checked first, every file
#     read back) and by restic itself, vs `zstd -dc | tar xf` of the plain archive (the
#     manual recipe, nothing checked); each the faster of two runs in alternating order.
# `down` is how long the container was stopped (the backup's `downtime_seconds`).
# Goals (issue 14): unchanged re-backup under 0.5 s wall and 10x faster than the first;
# bytes added after a 1% change under 2% of the volume; first backup at most 1.5x the
# plain format's time. Release build; needs root (direct volume access).
#
#   scripts/bench-repository.sh [--size-mb N]
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=500
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mb) size_mb=$2; shift 2 ;;
    *) echo "usage: $0 [--size-mb N]" >&2; exit 2 ;;
  esac
done

bash scripts/setup-test-env.sh
cargo build --release --quiet
exec python3 - "$size_mb" <<'PY'
import json, os, shutil, subprocess, sys, tempfile, time

size_mb = int(sys.argv[1])
BIN = os.path.abspath("target/release/docker-safeops")
IMAGE = "safeops-test/busybox:latest"
VOL, CONTAINER = "safeops-bench-repo-data", "safeops-bench-repo-app"
work = tempfile.mkdtemp(prefix="safeops-bench-repo-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
password = os.path.join(work, "password")
open(password, "w").write("bench\n")
env = dict(os.environ, SAFEOPS_REPOSITORY_PASSWORD_FILE=password, XDG_STATE_HOME=os.path.join(work, "state"),
           XDG_CACHE_HOME=os.path.join(work, "cache"), RESTIC_PASSWORD="bench")
repo = "repo:" + os.path.join(work, "repo")

def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True, env=env, **kw).stdout.strip()

def timed(cmd):
    t = time.monotonic(); out = sh(cmd); return time.monotonic() - t, out

def cleanup():
    subprocess.run(f"docker rm -f {CONTAINER}; docker volume rm -f {VOL} {VOL}-restored", shell=True,
                   capture_output=True)

def repo_backup(access="auto"):
    t, out = timed(f"SAFEOPS_VOLUME_ACCESS={access} {BIN} backup {CONTAINER} --to {repo} --format json -t 0")
    out = json.loads(out)
    down[len(down)] = out["downtime_seconds"]
    return t, out["snapshot"]

try:
    cleanup()
    files = size_mb * 10
    sh(f"docker run -d --name {CONTAINER} -v {VOL}:/data {IMAGE} sleep 36000")
    sh(f"docker exec {CONTAINER} sh -c 'i=0; while [ $i -lt {files} ]; do "
       f"head -c 102400 /dev/urandom > /data/f$i; i=$((i+1)); done'")
    sh(f"{BIN} backups init {repo}")
    plain_dir = os.path.join(work, "plain")
    down = {}
    plain, plain_out = timed(f"{BIN} backup {CONTAINER} --to {plain_dir} -t 0 --format json")
    plain_down = json.loads(plain_out)["downtime_seconds"]
    first, snap1 = repo_backup()
    second, snap2 = repo_backup()
    changed = files // 100
    sh(f"docker exec {CONTAINER} sh -c 'i=0; while [ $i -lt {changed} ]; do "
       f"head -c 102400 /dev/urandom > /data/f$i; i=$((i+1)); done'")
    third, snap3 = repo_backup()
    # What an unchanged backup cannot go below, each measured on its own: the engine
    # stopping and starting the container (`--no-quiesce` skips it), and opening the
    # repository (`backups --to`: the key derivation, listing the snapshots).
    not_stopped, _ = timed(f"{BIN} backup {CONTAINER} --to {repo} --no-quiesce --format json")
    engine_cycle, _ = timed(f"docker stop -t 0 {CONTAINER} && docker start {CONTAINER}")
    opening, _ = timed(f"{BIN} backups --to {repo} --format json")
    # The same unchanged volume through the Engine API: every byte crosses the stream.
    # The first such snapshot stores new trees (its nodes lack inodes and ctimes); the
    # second shows the steady state.
    repo_backup("api")
    through_api, snap_api = repo_backup("api")
    mountpoint = sh(f"docker volume inspect -f '{{{{.Mountpoint}}}}' {VOL}")
    # The manual recipe: stop, `restic backup` of the volume's directory, start (no
    # read-back of what it wrote), into a repository of its own.
    manual_repo = os.path.join(work, "manual")
    sh(f"restic -r {manual_repo} init")
    recipe = (f"docker stop -t 0 {CONTAINER} >/dev/null && restic -r {manual_repo} --no-cache -q backup "
              f"{mountpoint}; code=$?; docker start {CONTAINER} >/dev/null; exit $code")
    manual_first, _ = timed(recipe)
    manual_unchanged, _ = timed(recipe)
    sh("sync; echo 3 > /proc/sys/vm/drop_caches")
    cold_read, _ = timed(f"tar -C {mountpoint} -cf - . | cat > /dev/null")
    volume_bytes = snap1["bytes"]
    # Restores: restic from the repository vs tar of the plain archive.
    backup_dir = os.path.join(plain_dir, sorted(os.listdir(plain_dir))[-1])
    archive = os.path.join(backup_dir, "volumes", f"{VOL}.tar.zst")
    out1, out2 = os.path.join(work, "r1"), os.path.join(work, "r2")
    restored = f"{VOL}-restored"
    restores = {
        "safeops": (f"docker volume rm -f {restored}",
                    f"{BIN} restore {snap3['id'][:8]} --to {repo} --volume {VOL}:{restored}"),
        "restic": (f"rm -rf {out1}",
                   f"restic -r {repo[5:]} --no-cache restore {snap3['id'][:8]} --target {out1}"),
        "tar": (f"rm -rf {out2} && mkdir {out2}", f"zstd -dc {archive} | tar -C {out2} -xf -"),
    }
    # Creating files right after many were deleted costs ext4 much more: each restore
    # runs twice, in turn first and last, and counts its faster run.
    best = {}
    for order in (["safeops", "restic", "tar"], ["tar", "restic", "safeops"]):
        for name in order:
            clean, restore = restores[name]
            sh(clean)
            seconds, _ = timed(restore)
            best[name] = min(best.get(name, seconds), seconds)
    safeops_restore, restic_restore, tar_restore = best["safeops"], best["restic"], best["tar"]
    mb = volume_bytes / 1e6
    print(f"volume: {files} files, {mb:.0f} MB; release build, 2 cores")
    print(f"{'':42} {'seconds':>8} {'added':>12} {'down':>6}")
    print(f"{'plain backup (tar.zst, verified)':42} {plain:8.2f} {'':12} {plain_down:6.2f}")
    print(f"{'repository, first backup':42} {first:8.2f} {snap1['added_bytes']:12d} {down[0]:6.2f}")
    print(f"{'repository, unchanged':42} {second:8.2f} {snap2['added_bytes']:12d} {down[1]:6.2f}")
    print(f"{'repository, unchanged, --no-quiesce':42} {not_stopped:8.2f}")
    print(f"{'  of which: opening it (backups --to)':42} {opening:8.2f}")
    print(f"{'  and, stopped: docker stop -t 0; start':42} {engine_cycle:8.2f}")
    print(f"{'repository, after 1% changed':42} {third:8.2f} {snap3['added_bytes']:12d} {down[2]:6.2f}")
    print(f"{'repository, unchanged, through the API':42} {through_api:8.2f} {snap_api['added_bytes']:12d} {down[4]:6.2f}")
    print(f"{'manual: stop, restic backup, start (first)':42} {manual_first:8.2f}")
    print(f"{'manual: the same, unchanged':42} {manual_unchanged:8.2f}")
    print(f"{'reading the volume cold (tar, the limit)':42} {cold_read:8.2f}")
    print(f"{'safeops restore from the repository':42} {safeops_restore:8.2f}")
    print(f"{'restic restore from the repository':42} {restic_restore:8.2f}")
    print(f"{'zstd -dc | tar xf of the plain archive':42} {tar_restore:8.2f}")
    print(f"ratios: first/plain {first / plain:.2f}x (goal <= 1.5), first/unchanged {first / second:.1f}x "
          f"(goal >= 10, unchanged goal < 0.5 s), added after 1% change {100 * snap3['added_bytes'] / volume_bytes:.2f}% "
          f"of the volume (goal < 2%); unchanged read {snap2['files_read']} file(s) (the staged specs and manifest); "
          f"safeops restore / tar {safeops_restore / tar_restore:.2f}x; first / reading cold "
          f"{first / cold_read:.2f}x; first / manual restic {first / manual_first:.2f}x, unchanged / manual "
          f"restic {second / manual_unchanged:.2f}x; unchanged without opening the repository and the engine's "
          f"stop and start {max(second - opening - engine_cycle, 0):.2f} s, first / that "
          f"{first / max(second - opening - engine_cycle, 0.01):.1f}x")
finally:
    cleanup()
    shutil.rmtree(work, ignore_errors=True)
PY
