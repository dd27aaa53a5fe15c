#!/usr/bin/env bash
# Benchmark (not a test): `docker safeops doctor` on a host with 50 containers in 5
# compose projects, against the manual recipe of seed 002 (`docker ps -a`,
# `docker stats --no-stream`, `docker logs --tail 50 C | grep -i error` for each
# container) and against the engine's floor (one `docker ps -a` plus one `docker
# inspect` of every container: the least any per-container diagnosis must ask).
# Rounds are interleaved; prints medians and ratios side by side. The goal of issue 12:
# doctor under 2 s on a 2-core machine (no declared probes that wait).
#
#   scripts/bench-doctor.sh [--rounds N] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--rounds N] [--keep]" >&2; exit 2 ;;
  esac
done

bash scripts/setup-test-env.sh
cargo build --release --quiet
exec python3 - "$rounds" "$keep" <<'PY'
import json, os, statistics, subprocess, sys, tempfile, time

rounds, keep = int(sys.argv[1]), sys.argv[2] == "1"
BIN = os.path.abspath("target/release/docker-safeops")
IMAGE = "safeops-test/busybox:latest"
PROJECTS = [f"safeops-bench-doc{i}" for i in range(5)]
work = tempfile.mkdtemp(prefix="safeops-bench-doctor-")
empty = work

def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True, **kw).stdout

def down():
    for p in PROJECTS:
        subprocess.run(["docker", "compose", "-p", p, "down", "-v", "-t", "0"],
                       cwd=work, capture_output=True)

services = "".join(
    f"""  s{n}:
    image: {IMAGE}
    command: ["sh", "-c", "mkdir -p /www && httpd -f -p 8080 -h /www"]
    expose: ["8080"]
    volumes: ["data{n}:/data"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 5s
""" for n in range(10))
volumes = "".join(f"  data{n}: {{}}\n" for n in range(10))
with open(os.path.join(work, "compose.yaml"), "w") as f:
    f.write(f"services:\n{services}volumes:\n{volumes}")

try:
    down()
    for p in PROJECTS:
        sh(f"docker compose -p {p} up -d --quiet-pull", cwd=work)
    time.sleep(6)  # healthchecks settle
    names = sh("docker ps --format '{{.Names}}' --filter name=safeops-bench-doc").split()
    assert len(names) == 50, names
    env = dict(os.environ, SAFEOPS_BACKUP_DIR=os.path.join(work, "backups"))
    # From a directory without a compose file (nor one above it, where compose also
    # looks), doctor examines every target.
    empty = tempfile.mkdtemp(prefix="safeops-bench-elsewhere-")
    report = subprocess.run([BIN, "doctor", "--format", "json"], cwd=empty, env=env,
                            capture_output=True, text=True).stdout
    checks = {c["id"]: c for c in json.loads(report)["checks"]}
    print("doctor sees:", checks["containers"]["summary"], "|", checks["network"]["summary"])
    contenders = {
        "doctor (all checks)": f"{BIN} doctor --format json > /dev/null || true",
        "manual recipe (ps, stats, logs|grep x50)":
            "docker ps -a > /dev/null; docker stats --no-stream > /dev/null; "
            + "; ".join(f"docker logs --tail 50 {n} 2>&1 | grep -i error > /dev/null || true" for n in names),
        "engine floor (ps + one inspect of all)":
            "docker ps -aq > /dev/null; docker inspect " + " ".join(names) + " > /dev/null",
    }
    times = {k: [] for k in contenders}
    for _ in range(rounds):
        for name, cmd in contenders.items():
            start = time.monotonic()
            subprocess.run(cmd, shell=True, cwd=empty, env=env, check=True)
            times[name].append(time.monotonic() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    doctor = med["doctor (all checks)"]
    print(f"doctor on {len(names)} containers in {len(PROJECTS)} projects, {rounds} rounds (median)")
    for name, t in med.items():
        print(f"  {name:<42} {t:6.2f} s   doctor/this {doctor / t:5.2f}x")
    print(f"  goal: doctor under 2 s -> {'met' if doctor < 2 else 'MISSED'} ({doctor:.2f} s)")
finally:
    if not keep:
        down()
        subprocess.run(["rm", "-rf", work, empty])
PY
