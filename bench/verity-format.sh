#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/verity-format.sh: udm verity format/verify against the best SHA-256 library's own
# streaming rate and against veritysetup, on the same file (default 1 GiB on ext4, page
# cache warm).
#
# The bar ("lib"): build/bench/sha256-stream, the libraries' own two-thread rate (OpenSSL
# and each libipsec-mb manager this CPU has, the best of them, named) hashing salted 4 KiB
# blocks from a 256 MiB buffer per thread, as many passes as make the file's size. It is
# measured in every round, next to the commands; the headline is udm's rate as a fraction
# of it: the median of the per-round fractions (bar and udm under the same load), and the
# fraction of the medians. Every round runs the bar and each command once, in an order
# shuffled afresh each round, so load from other users of the machine hits them alike.
# Each command's CPU time (user + system) is printed too: it hardly moves with other load.
# Also in each round: udm with every fixed SHA-256 path this CPU has (UDM_SHA256_IMPL), to
# show the automatic choice is never slower than any of them, and udm-pread (pread copies
# instead of a mapping). FEC (--fec-device, 2 roots) is timed afterwards on FEC_SIZE bytes
# (FEC_SIZE=0 skips it).
# Usage: bench/verity-format.sh [SIZE]   (B=build dir, RUNS=9, FEC_SIZE=256M, BENCH_DIR=/var/tmp,
#        IMPLS="openssl ni3 ..." to time fewer fixed paths)
set -eu
cd "$(dirname "$0")/.."
SIZE=${1:-1G}
RUNS=${RUNS:-9}
FEC_SIZE=${FEC_SIZE:-256M}
UDM=$PWD/${B:-build}/udm
STREAM=$PWD/${B:-build}/bench/sha256-stream
for tool in veritysetup openssl python3; do
	command -v $tool >/dev/null || { echo "bench: $tool not installed" >&2; exit 77; }
done
[ -x "$UDM" ] && [ -x "$STREAM" ] || { echo "bench: build $UDM and $STREAM first (make)" >&2; exit 1; }

# A disk filesystem by default, where an image normally lives (its page cache is warm).
# BENCH_DIR=/dev/shm measures on tmpfs instead (no fsync cost, but 4 KiB pages only).
dir=$(mktemp -d "${BENCH_DIR:-/var/tmp}/udm-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
# deterministic incompressible data, faster than /dev/urandom
openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f -iv 0 -nosalt -in /dev/zero 2>/dev/null |
	head -c "$SIZE" > "$dir/data"
# Warm the cache the way an image at rest gets warm: written out, dropped, read back.
# Read-ahead fills the page cache with large folios; a freshly written file has the small
# ones its writes made, which costs a mapping more (see bench/README.md).
sync "$dir/data"
python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$dir/data"
cat "$dir/data" > /dev/null
OPTS="--salt e48da609055204e89ae53b655ca2216dd983cf3cb829f34f63a297d106d53e2d --uuid a60c98d2-ae9b-4865-bfcb-b4e3ace11033"

# the fixed SHA-256 paths this CPU runs (udm refuses the others)
head -c 1M "$dir/data" > "$dir/small"
impls=
for i in ${IMPLS:-openssl ni3 ni4 imb-sse imb-avx imb-avx2 imb-avx512}; do
	UDM_SHA256_IMPL=$i "$UDM" verity format "$dir/small" "$dir/small.h" >/dev/null 2>&1 && impls="$impls $i"
	rm -f "$dir/small.h"
done

# udm's automatic SHA-256 choice, and whether it came from the calibration's cache (kept
# between runs: UDM_SHA256_CACHE, bench/README.md) or was calibrated just now
"$UDM" verity --debug format "$dir/small" "$dir/small.h" | sed -n 's/^# SHA-256 path: /udm automatic SHA-256 path: /p'
rm -f "$dir/small.h"
veritysetup format "$dir/data" "$dir/hash.v" $OPTS >/dev/null
"$UDM" verity format "$dir/data" "$dir/hash.u" $OPTS >/dev/null
cmp "$dir/hash.v" "$dir/hash.u" || { echo "bench: hash devices differ" >&2; exit 1; }
root=$("$UDM" verity format "$dir/data" "$dir/hash.u" $OPTS | sed -n 's/^Root hash:[[:space:]]*//p')

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -1)
fam=$(sed -n 's/^cpu family[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -1)
model=$(sed -n 's/^model[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -1)
echo "== CPU: $cpu (family $fam, model $model), $(nproc) CPUs; kernel $(uname -r); $(openssl version | cut -d' ' -f1-2); libipsec-mb $(dpkg-query -W -f '${Version}' libipsec-mb1 2>/dev/null || echo none)"
echo "== data: $(stat -c %s "$dir/data") bytes on $(findmnt -n -o FSTYPE --target "$dir"), cache warm; $(veritysetup --version); udm $UDM"
echo "== SHA-256 paths this CPU runs:$impls; $RUNS rounds, order shuffled each round"

python3 - "$dir" "$UDM" "$root" "$RUNS" "$OPTS" "$STREAM" $impls <<'PY'
import os, random, re, resource, statistics, subprocess, sys, time
d, udm, root, runs, opts, stream, impls = (sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]),
                                           sys.argv[5].split(), sys.argv[6], sys.argv[7:])
size = os.path.getsize(f"{d}/data")
ncpu = os.cpu_count()
fmt = lambda h: ["format", f"{d}/data", f"{d}/{h}"] + opts
cmds = {
    "limit": None,
    "veritysetup format": (["veritysetup"] + fmt("hash.v"), {}),
    "udm format": ([udm, "verity"] + fmt("hash.u"), {}),
    "udm-pread format": ([udm, "verity"] + fmt("hash.u"), {"UDM_VERITY_PREAD": "1"}),
    "veritysetup verify": (["veritysetup", "verify", f"{d}/data", f"{d}/hash.v", root], {}),
    "udm verify": ([udm, "verity", "verify", f"{d}/data", f"{d}/hash.u", root], {}),
    "udm-pread verify": ([udm, "verity", "verify", f"{d}/data", f"{d}/hash.u", root], {"UDM_VERITY_PREAD": "1"}),
}
for i in impls:
    cmds[f"udm format {i}"] = ([udm, "verity"] + fmt("hash.u"), {"UDM_SHA256_IMPL": i})

THREADS, MIB = 2, 256
passes = max(1, round(size / (THREADS * MIB << 20)))
lib_paths, lib_cpu = [], []
def limit():
    """MB/s of the best library path, two threads streaming the file's size from memory"""
    out = subprocess.run([stream, str(THREADS), str(MIB), str(passes)], capture_output=True, text=True,
                         check=True).stdout
    best = out.splitlines()[-1].split()
    lib_paths.append(best[1])
    lib_cpu.append(float(best[3]))    # CPU seconds of its hashing alone (setup left out)
    return float(best[2])

res = {k: [] for k in cmds}
cpu = {k: [] for k in cmds}
loads = []
names = list(cmds)
for r in range(runs):
    # a fresh order each round (seeded: the same for every run of the script), so no
    # command always follows the same one (say, veritysetup's fsync)
    order = names[:]
    random.Random(r).shuffle(order)
    for k in order:
        if k == "limit":
            res[k].append(limit())
            continue
        argv, env = cmds[k]
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        subprocess.run(argv, env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)
        res[k].append(size / (time.monotonic() - t0) / 1e6)    # MB/s
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU seconds (user + system): unlike the wall clock, hardly moved by other load
        cpu[k].append(c1.ru_utime - c0.ru_utime + c1.ru_stime - c0.ru_stime)
    loads.append(os.getloadavg()[0])

med = {k: statistics.median(v) for k, v in res.items()}
L = med["limit"]
print(f"load average (1 min) after each round: {' '.join(f'{x:.1f}' for x in loads)}")
print(f"bar: the best library, {THREADS} threads x {MIB} MiB x {passes} passes, salted 4 KiB blocks: "
      f"{L:.0f} MB/s (rounds: {' '.join(f'{x:.0f} {p}' for x, p in zip(res['limit'], lib_paths))})")
for what in ("format", "verify"):
    u, v = med[f"udm {what}"], med[f"veritysetup {what}"]
    per_round = statistics.median(a / b for a, b in zip(res[f"udm {what}"], res["limit"]))
    print(f"HEADLINE {what}: {per_round:.2f} of the bar, median of the rounds' ratios "
          f"(of the medians {u / L:.2f}; udm {u:.0f} MB/s, {size / u / 1e3:.0f} ms); "
          f"veritysetup {v:.0f} MB/s ({v / L:.2f}); udm {u / v:.2f}x veritysetup")
    # CPU time moves less with the machine's load than the wall clock: the bar's CPU
    # seconds over udm's for the same bytes (udm's include start-up, I/O and the tree)
    cr = statistics.median(b / a for a, b in zip(cpu[f"udm {what}"], lib_cpu))
    print(f"  in CPU time: bar {statistics.median(lib_cpu):.3f} s, udm {statistics.median(cpu[f'udm {what}']):.3f} s, "
          f"bar/udm {cr:.2f} (median of the rounds)")
print(f"{'command':22s} {'MB/s median':>11s} {'of bar':>8s} {'CPU s':>6s}  rounds (MB/s)")
for k in names[1:]:
    print(f"{k:22s} {med[k]:11.0f} {med[k] / L:8.2f} {statistics.median(cpu[k]):6.3f}  "
          f"{' '.join(f'{x:.0f}' for x in res[k])}")
# paired: the same round's runs, so a burst of load does not pass for a difference
pair = lambda i: statistics.median(a / b for a, b in zip(res["udm format"], res[f"udm format {i}"]))
print("auto vs fixed paths (format, fixed time / auto time, median of the rounds' ratios; >= 1: auto "
      "not slower): " + "  ".join(f"{i} {pair(i):.2f}" for i in impls))
cpair = lambda i: statistics.median(b / a for a, b in zip(cpu["udm format"], cpu[f"udm format {i}"]))
print("the same in CPU time (fixed CPU s / auto CPU s): " + "  ".join(f"{i} {cpair(i):.2f}" for i in impls))
PY

[ "$FEC_SIZE" != 0 ] || exit 0
# FEC (RS, 2 roots) on a smaller slice: veritysetup's encoder is slow
head -c "$FEC_SIZE" "$dir/data" > "$dir/fecdata"
python3 - "$dir" "$UDM" "$OPTS" <<'PY'
import os, statistics, subprocess, sys, time
d, udm, opts = sys.argv[1], sys.argv[2], sys.argv[3].split()
size = os.path.getsize(f"{d}/fecdata")
cmds = {"veritysetup": ["veritysetup"], "udm": [udm, "verity"]}
res = {k: [] for k in cmds}
for r in range(3):
    for k in (list(cmds) if r % 2 == 0 else list(cmds)[::-1]):
        s = k[0]
        t0 = time.monotonic()
        subprocess.run(cmds[k] + ["format", f"{d}/fecdata", f"{d}/fhash.{s}", "--fec-device", f"{d}/fec.{s}"] + opts,
                       check=True, stdout=subprocess.DEVNULL)
        res[k].append(time.monotonic() - t0)
v, u = statistics.median(res["veritysetup"]), statistics.median(res["udm"])
print(f"fec ({size >> 20} MiB, 2 roots): veritysetup {v * 1000:.0f} ms, udm {u * 1000:.0f} ms, {v / u:.1f}x (medians of 3)")
PY
cmp "$dir/fec.v" "$dir/fec.u" || { echo "bench: FEC files differ" >&2; exit 1; }
