#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Verified sequential reads of one image opened twice by `udm verity open` in
# the same udmd: from the local files, and from the same files served by
# nbdkit (file plugin) over nbd+unix (docs/nbd.md). Passes alternate between
# the two so that load from elsewhere hits both alike; the medians and their
# ratio (NBD / local; the goal is 0.8) are printed with the CPU model and the
# load average. Read through RUNTIME/mapper/NAME (FUSE, direct_io), one reader.
#   bench/nbd-read.sh [SIZE_MIB (1024)] [PASSES (3)] [BS (1M)]
# Needs root, /dev/fuse, nbdkit. BENCH_DIR (default /dev/shm) holds the image.
set -euo pipefail
loads=
cd "$(dirname "$0")/.."
SIZE=${1:-1024} PASSES=${2:-3} BS=${3:-1M}
command -v nbdkit >/dev/null || { echo "nbd-read: needs nbdkit" >&2; exit 77; }
. bench/lib.sh
bench_init /dev/shm
NBDPID=
trap '[ -n "$NBDPID" ] && kill "$NBDPID" 2>/dev/null; bench_cleanup' EXIT

head -c $((SIZE << 20)) /dev/urandom >"$DIR/data.img"
"$UDM" verity format "$DIR/data.img" "$DIR/hash.img" --root-hash-file "$DIR/root" >/dev/null
timeout 3600 nbdkit -f -P "$DIR/nbdkit.pid" -U "$DIR/nbd.sock" file dir="$DIR" </dev/null >"$DIR/nbdkit.log" 2>&1 &
NBDPID=$!
for _ in $(seq 100); do [ -s "$DIR/nbdkit.pid" ] && break; sleep 0.1; done
"$UDMD" --runtime-dir "$RT" --state-dir "$DIR/state" 2>"$DIR/udmd.log"
U() { "$UDM" --runtime-dir "$RT" "$@"; }
U verity open "$DIR/data.img" vlocal "$DIR/hash.img" "$(cat "$DIR/root")"
U verity open "nbd+unix:///data.img?socket=$DIR/nbd.sock" vnbd "nbd+unix:///hash.img?socket=$DIR/nbd.sock" \
	"$(cat "$DIR/root")"

# mbps CMD...: MB/s of one pass (SIZE MiB)
mbps() {
	local t0 t1
	t0=$(date +%s.%N); "$@" 2>/dev/null; t1=$(date +%s.%N)
	awk -v s=$SIZE -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", s * 1048576 / (b - a) / 1e6 }'
}
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# CPU seconds (user + system) a process has used
HZ=$(getconf CLK_TCK) UPID=$(cat "$RT/udmd.pid") KPID=$(cat "$DIR/nbdkit.pid")
cpu() { awk -v hz="$HZ" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
l=() n=() r=() lc=0 nc=0 kc=0
for _ in $(seq "$PASSES"); do
	u0=$(cpu "$UPID")
	l+=("$(mbps dd if="$RT/mapper/vlocal" of=/dev/null bs="$BS" status=none)")
	u1=$(cpu "$UPID") k1=$(cpu "$KPID")
	n+=("$(mbps dd if="$RT/mapper/vnbd" of=/dev/null bs="$BS" status=none)")
	u2=$(cpu "$UPID") k2=$(cpu "$KPID")
	lc=$(awk -v a="$lc" -v b="$u0" -v c="$u1" 'BEGIN { print a + c - b }')
	nc=$(awk -v a="$nc" -v b="$u1" -v c="$u2" 'BEGIN { print a + c - b }')
	kc=$(awk -v a="$kc" -v b="$k1" -v c="$k2" 'BEGIN { print a + c - b }')
	r+=("$(awk -v a="${n[-1]}" -v b="${l[-1]}" 'BEGIN { printf "%.2f", a / b }')")
	loads+=" $(cut -d' ' -f1 /proc/loadavg)"
done
L=$(echo "${l[*]}" | median) N=$(echo "${n[*]}" | median)
echo "CPU: $(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -1) ($(nproc) online); load average after each pass:$loads"
echo "image: ${SIZE} MiB, sha256, 4 KiB blocks, bs=$BS, $PASSES passes, one reader; nbdkit $(nbdkit --version | cut -d' ' -f2) file plugin on $(df --output=fstype "$DIR" | tail -1)"
printf "local files:     %5s MB/s  (passes: %s)\n" "$L" "${l[*]}"
printf "nbd+unix:        %5s MB/s  (passes: %s)\n" "$N" "${n[*]}"
awk -v p="$PASSES" -v s="$SIZE" -v l="$lc" -v n="$nc" -v k="$kc" 'BEGIN {
	printf "CPU seconds per GiB: local udmd %.2f; nbd udmd %.2f + nbdkit %.2f\n", l / p * 1024 / s, n / p * 1024 / s, k / p * 1024 / s }'
printf "ratio nbd/local: %.2f (per pass: %s)\n" "$(awk -v a="$N" -v b="$L" 'BEGIN { print a / b }')" "${r[*]}"
