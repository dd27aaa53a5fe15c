#!/usr/bin/env bash
# Benchmark (not a test): `docker safeops release` of an image whose base the target
# already has, against the manual recipe of seed 000 (`docker save IMAGE | docker -H
# TARGET load`), and against the floor both pay: the source engine's export of the image
# (`docker save IMAGE > /dev/null`; the engine stages the image on disk before the first
# byte) and the bytes of the one layer the target lacks. Source: the main engine; target:
# the tests' second engine (scripts/second-engine/setup.sh). The image: the PostgreSQL
# fixture (~250 MB) plus one layer of 8 MiB of random data. Rounds are interleaved;
# prints medians, bytes and ratios side by side, then a second release (nothing to send).
#
#   scripts/bench-release.sh [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N]" >&2; exit 2 ;;
  esac
done

bash scripts/setup-test-env.sh
cargo build --release --quiet
exec python3 - "$rounds" <<'PY'
import json, os, statistics, subprocess, sys, tempfile, time

rounds = int(sys.argv[1])
BIN = os.path.abspath("target/release/docker-safeops")
B = "unix:///run/dockerd2/docker.sock"
BASE = "safeops-test/postgres:local"
IMAGE = "safeops-test/bench-release:2"
NAME = "safeops-bench-release"
work = tempfile.mkdtemp(prefix="safeops-bench-release-")

def sh(cmd):
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True).stdout.strip()

def timed(cmd):
    t = time.monotonic(); out = sh(cmd); return time.monotonic() - t, out

def reset_target():
    """B runs NAME on the base, and lacks IMAGE."""
    sh(f"docker -H {B} rm -f {NAME} >/dev/null 2>&1 || true")
    sh(f"docker -H {B} rmi -f {IMAGE} >/dev/null 2>&1 || true")
    sh(f"docker -H {B} run -d --name {NAME} --entrypoint sleep {BASE} 3600")

def cleanup():
    for engine in ("", f"-H {B}"):
        subprocess.run(f"docker {engine} rm -f {NAME}; docker {engine} rmi -f {IMAGE}",
                       shell=True, capture_output=True)

try:
    cleanup()
    if subprocess.run(f"docker -H {B} image inspect {BASE}", shell=True, capture_output=True).returncode:
        sh(f"docker save {BASE} | docker -H {B} load -q")
    sh(f"docker run --name {NAME}-build --entrypoint sh {BASE} -c 'head -c 8388608 /dev/urandom > /blob'")
    sh(f"docker commit {NAME}-build {IMAGE} && docker rm {NAME}-build")
    sh(f"docker run -d --name {NAME} --entrypoint sleep {IMAGE} 3600")
    archive_bytes = int(sh(f"docker save {IMAGE} | wc -c"))
    size = lambda image: int(sh(f"docker image inspect {image} --format '{{{{.Size}}}}'"))
    layer_bytes = size(IMAGE) - size(BASE)
    manual, floor, release, transfer = [], [], [], []
    sent = None
    for _ in range(rounds):
        reset_target()
        t, _ = timed(f"docker save {IMAGE} | docker -H {B} load -q")
        manual.append(t)
        sh(f"docker -H {B} rmi -f {IMAGE}")
        t, _ = timed(f"docker save {IMAGE} > /dev/null")
        floor.append(t)
        reset_target()
        t, out = timed(f"{BIN} -H {B} release {NAME} --from default --format json -t 0 --stable-for 0s")
        report = json.loads(out)
        assert report["containers"][0]["outcome"] == "released", report
        release.append(t); transfer.append(report["seconds"]); sent = report
    t, out = timed(f"{BIN} -H {B} release {NAME} --from default --format json -t 0 --stable-for 0s")
    again = json.loads(out)
    med = statistics.median
    mbit = lambda b: b * 8 / 100e6
    print(f"release of {IMAGE}: {sent['layers_sent']} of {sent['layers_total']} layers missing on the target; "
          f"medians of {rounds} rounds, source = main engine, target = second engine (veth)")
    print(f"{'':34} {'seconds':>8} {'bytes':>12} {'at 100 Mbit/s':>14}")
    print(f"{'docker save | docker -H B load':34} {med(manual):8.2f} {archive_bytes:12d} {mbit(archive_bytes):13.1f}s")
    print(f"{'safeops release (transfer)':34} {med(transfer):8.2f} {sent['bytes_sent']:12d} {mbit(sent['bytes_sent']):13.1f}s")
    print(f"{'safeops release (with switch-over)':34} {med(release):8.2f}")
    print(f"{'floor: export on A, missing layer':34} {med(floor):8.2f} {layer_bytes:12d} {mbit(layer_bytes):13.1f}s")
    print(f"ratios: bytes manual/safeops {archive_bytes / max(sent['bytes_sent'], 1):.1f}x, "
          f"transfer time manual/safeops {med(manual) / med(transfer):.2f}x, "
          f"safeops transfer/floor {med(transfer) / med(floor):.2f}x")
    print(f"second release: {again['bytes_sent']} bytes, {again['layers_sent']} layers sent, "
          f"{t:.2f} s, outcome {again['containers'][0]['outcome']}")
finally:
    cleanup()
PY
