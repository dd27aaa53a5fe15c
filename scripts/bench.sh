#!/usr/bin/env bash
# Benchmark (not a test): `docker safeops backup` and `restore` against the manual
# recipes on one generated volume, interleaved round by round so that all contenders
# see the same machine state. Prints medians, MB/s, ratios, output sizes and peak RSS.
#
#   scripts/bench.sh [--size-mb N] [--rounds N] [--keep]
#
# Needs root on the engine's host (it writes the volume through its mountpoint) and the
# fixture image (scripts/setup-test-env.sh), and zstd (installed when missing). Uses the
# release build.
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=400 rounds=3 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mb) size_mb=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--size-mb N] [--rounds N] [--keep]" >&2; exit 2 ;;
  esac
done

bash scripts/setup-test-env.sh
# GNU tar and zstd for the compressing-limit contender.
command -v zstd >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq zstd >/dev/null; }
cargo build --release --quiet
exec python3 - "$size_mb" "$rounds" "$keep" <<'PY'
import json, os, random, shutil, statistics, subprocess, sys, tempfile, time

size_mb, rounds, keep = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
BIN = os.path.abspath("target/release/docker-safeops")
IMAGE = "safeops-test/busybox:latest"
VOL, CONTAINER = "safeops-bench-data", "safeops-bench-app"
work = tempfile.mkdtemp(prefix="safeops-bench-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))

def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout.strip()

def cleanup():
    subprocess.run(["docker", "rm", "-f", CONTAINER], capture_output=True)
    for v in sh("docker", "volume", "ls", "-q", "--filter", "name=safeops-bench").split():
        subprocess.run(["docker", "volume", "rm", "-f", v], capture_output=True)

def generate(root, total):
    """Application logs, a database-like file, random blobs (already compressed media)
    and ~20k small JSON documents, a quarter of the size each."""
    import struct
    rnd = random.Random(42)
    for d in ("logs", "db", "blobs"):
        os.makedirs(f"{root}/{d}")
    users = [f"user{i:03}" for i in range(200)]
    paths = ["/api/orders", "/api/orders/{}", "/api/customers/{}", "/login", "/static/app.js", "/health"]
    levels = ["INFO"] * 20 + ["WARN"] * 3 + ["ERROR"]
    share = total // 4
    clock = 1795000000.0
    for i in range(8):
        with open(f"{root}/logs/app.{i}.log", "w") as f:
            written = 0
            while written < share // 8:
                clock += rnd.expovariate(50)
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(clock)) + f".{int(clock * 1000) % 1000:03}Z"
                path = rnd.choice(paths).format(rnd.randrange(100000))
                status = rnd.choice([200] * 30 + [201, 304, 404, 500])
                line = (f"{stamp} {rnd.choice(levels)} [http-{rnd.randrange(16)}] {rnd.choice(['GET', 'POST'])} {path} "
                        f"status={status} took={rnd.randrange(1, 900)}ms user={rnd.choice(users)} req={rnd.getrandbits(64):016x}\n")
                f.write(line); written += len(line)
    with open(f"{root}/db/base.dat", "wb") as f:   # 8 KiB pages of rows, ~25% free space
        names = [f"{a} {b}" for a in ("Anna", "Bert", "Carla", "Dev", "Eve", "Farid") for b in ("Smith", "Ng", "Okafor", "Rossi")]
        row_id = 0
        for _ in range(share // 8192):
            page = bytearray(struct.pack("<IHH", row_id, 0, 8192))
            while len(page) < 6100:
                row_id += 1
                name = rnd.choice(names).encode()
                page += struct.pack("<QIBqI", row_id, rnd.randrange(10000), rnd.randrange(4),
                                    int(clock) + row_id, rnd.randrange(10**6)) + bytes([len(name)]) + name
            f.write(bytes(page) + bytes(8192 - len(page)))
    for i in range(share // (8 << 20)):
        with open(f"{root}/blobs/blob{i}.bin", "wb") as f:
            f.write(os.urandom(8 << 20))
    small = f"{root}/small"
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    for d in range(100):
        os.makedirs(f"{small}/{d:03}")
        for n in range(200):
            with open(f"{small}/{d:03}/doc{n}.json", "w") as f:
                f.write(json.dumps({"id": d * 200 + n, "owner": rnd.choice(users),
                                    "tags": rnd.choices(words, k=rnd.randrange(5, 60)),
                                    "score": rnd.random()}))

def du(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)

def timed(cmd, env=None):
    """Runs cmd, returns (seconds, peak RSS in MiB of the measured process). Starts
    with no dirty pages pending, so nobody pays for an earlier contender's writeback."""
    os.sync()
    start = time.monotonic()
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    took = time.monotonic() - start
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}\n{out.stdout}")
    rss_kib = int(out.stderr.strip().splitlines()[-1])
    return took, rss_kib / 1024

cleanup()
print(f"generating a {size_mb} MB volume ...", flush=True)
sh("docker", "volume", "create", VOL)
mountpoint = sh("docker", "volume", "inspect", "-f", "{{.Mountpoint}}", VOL)
generate(mountpoint, size_mb << 20)
content = du(mountpoint)
files = sum(len(fs) for _, _, fs in os.walk(mountpoint))
sh("docker", "create", "--name", CONTAINER, "-v", f"{VOL}:/data", IMAGE, "sleep", "1")
os.sync()

out_dir = f"{work}/out"
results = {}
def record(name, seconds, rss=None, size=None):
    r = results.setdefault(name, {"t": [], "rss": [], "size": None})
    r["t"].append(seconds)
    if rss is not None: r["rss"].append(rss)
    if size is not None: r["size"] = size

def docker_tar(args, target_vol=VOL):
    return ["docker", "run", "--rm", "-v", f"{target_vol}:/data", "-v", f"{out_dir}:/out", IMAGE] + args

for r in range(rounds):
    print(f"round {r + 1}/{rounds}", flush=True)
    for access in ["direct", "api"]:
        shutil.rmtree(out_dir, ignore_errors=True); os.makedirs(out_dir)
        t, rss = timed([BIN, "backup", CONTAINER, "--no-quiesce", "--to", out_dir, "--format", "json"],
                       env={"SAFEOPS_VOLUME_ACCESS": access, "XDG_STATE_HOME": work})
        backup = os.path.join(out_dir, os.listdir(out_dir)[0])
        record(f"safeops backup ({access})", t, rss, os.path.getsize(f"{backup}/volumes/{VOL}.tar.zst"))
        digest_list = os.path.getsize(f"{backup}/volumes/{VOL}.files.json")
        if access == "direct":
            kept = f"{work}/backup"; shutil.rmtree(kept, ignore_errors=True); shutil.copytree(backup, kept)
    shutil.rmtree(out_dir); os.makedirs(out_dir)
    t, _ = timed(docker_tar(["tar", "czf", "/out/v.tar.gz", "-C", "/data", "."]))
    record("tar czf (busybox recipe)", t, size=os.path.getsize(f"{out_dir}/v.tar.gz"))
    gz = f"{work}/v.tar.gz"; shutil.move(f"{out_dir}/v.tar.gz", gz)
    t, _ = timed(docker_tar(["tar", "cf", "/out/v.tar", "-C", "/data", "."]))
    record("tar cf (raw stream limit)", t, size=os.path.getsize(f"{out_dir}/v.tar"))
    os.remove(f"{out_dir}/v.tar")
    # The same, made durable like safeops does (fsync): what the disk adds.
    t, _ = timed(["sh", "-c", " ".join(docker_tar(["tar", "cf", "/out/v.tar", "-C", "/data", "."])) + " && sync"])
    record("tar cf + sync", t)
    os.remove(f"{out_dir}/v.tar")
    # The compressing limit: the same mountpoint read by GNU tar, zstd -1 on all cores,
    # made durable.
    t, _ = timed(["sh", "-c", f"tar cf - -C {mountpoint} . | zstd -1 -T0 -q -o {out_dir}/v.tar.zst && sync"])
    record("tar | zstd -1 -T0 + sync", t, size=os.path.getsize(f"{out_dir}/v.tar.zst"))
    os.remove(f"{out_dir}/v.tar.zst")
    # Restores into fresh volumes.
    new = f"safeops-bench-r{r}"
    t, rss = timed([BIN, "restore", kept, "--volume", f"{VOL}:{new}"], env={"XDG_STATE_HOME": work})
    record("safeops restore", t, rss)
    shutil.copy(gz, f"{out_dir}/v.tar.gz")
    new_gz = f"safeops-bench-g{r}"
    sh("docker", "volume", "create", new_gz)
    t, _ = timed(docker_tar(["tar", "xzf", "/out/v.tar.gz", "-C", "/data"], target_vol=new_gz))
    record("tar xzf (busybox recipe)", t)
    subprocess.run(["docker", "volume", "rm", "-f", new_gz], capture_output=True)
    sh("docker", "volume", "create", new_gz)
    t, _ = timed(["sh", "-c", " ".join(docker_tar(["tar", "xzf", "/out/v.tar.gz", "-C", "/data"], target_vol=new_gz)) + " && sync"])
    record("tar xzf + sync", t)
    for v in (new, new_gz):
        subprocess.run(["docker", "volume", "rm", "-f", v], capture_output=True)

mb = content / 1e6
med = {k: statistics.median(v["t"]) for k, v in results.items()}
print(f"\nvolume: {mb:.0f} MB in {files} files; {rounds} interleaved rounds; medians")
print(f"machine: {os.cpu_count()} cores; safeops fsyncs what it writes and verifies it, the tar recipes do neither\n")
print(f"{'':28} {'seconds':>8} {'MB/s':>8} {'output MB':>10} {'peak RSS MiB':>13}")
for name, r in results.items():
    size = f"{r['size'] / 1e6:.0f}" if r["size"] else "-"
    rss = f"{max(r['rss']):.0f}" if r["rss"] else "-"
    print(f"{name:28} {med[name]:8.2f} {mb / med[name]:8.0f} {size:>10} {rss:>13}")
b, g, raw = med["safeops backup (direct)"], med["tar czf (busybox recipe)"], med["tar cf (raw stream limit)"]
print(f"\nbackup vs tar+gzip recipe: {g / b:.1f}x faster (target >= 5x)")
print(f"backup vs raw tar stream:  {b / raw:.2f}x the time (target <= 1.6x)")
print(f"backup vs tar | zstd -1 -T0 + sync: {b / med['tar | zstd -1 -T0 + sync']:.2f}x the time (goal <= 1.3x)")
print(f"backup through the engine API vs direct: {med['safeops backup (api)'] / b:.2f}x the time")
print(f"archive vs gzip: {results['safeops backup (direct)']['size'] / results['tar czf (busybox recipe)']['size']:.2f}x the size (target <= 1);"
      f" plus the per-file digest list: {digest_list / 1e6:.1f} MB")
print(f"restore vs tar xzf recipe: {med['tar xzf (busybox recipe)'] / med['safeops restore']:.1f}x faster"
      f" ({med['tar xzf + sync'] / med['safeops restore']:.1f}x against tar xzf + sync)")
if not keep:
    cleanup(); shutil.rmtree(work, ignore_errors=True)
PY
