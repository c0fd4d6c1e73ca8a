#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sequential verified reads of one dm-verity image three ways, in one VM boot (tests/vm/vm-run,
# Debian 6.12 by default): udmd --export=ublk (/dev/ublkbN), udmd --export=fuse (a loop device on
# the FUSE file) and the kernel's own dm-verity (Debian's veritysetup). Each pass is
# `dd iflag=direct bs=1M` of the whole device with the page cache dropped before it; the modes are
# interleaved over the rounds and the median per mode is compared.
#   bench/ublk-read.sh [--kernel 6.12|7.2] [SIZE_MIB] [ROUNDS]     (prints MB/s and the ratios)
set -euo pipefail
cd "$(dirname "$0")/.."
K=6.12
[ "${1:-}" = --kernel ] && { K=$2; shift 2; }
SIZE=${1:-256} ROUNDS=${2:-3}
make -s -j2 build/udm build/udmd >/dev/null
W=$(mktemp -d /tmp/udm-ublkbench.XXXXXX)
trap 'rm -rf "$W"' EXIT
head -c $((SIZE << 20)) /dev/urandom >"$W/data"
build/udm verity format "$W/data" "$W/hash" >"$W/format"
sed -n 's/^Root hash:[[:space:]]*//p' "$W/format" >"$W/root"
test -s "$W/root"
sed "s/^ROUNDS=3$/ROUNDS=$ROUNDS/" bench/ublk-read.guest.sh >"$W/guest.sh"
tests/vm/vm-run --kernel "$K" --disk "$W/data" --disk "$W/hash" --bins "$W/root" "$W/guest.sh" | tee "$W/out"
awk -v k="$K" -v size="$SIZE" -v cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" '
	$1 == "pass" { v[$2] = v[$2] " " $3; n[$2]++ }
	function median(s,   a, c, i, j, t) {
		c = split(s, a, " ")
		for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
	}
	END {
		printf "kernel %s, %d MiB verified image, dd iflag=direct bs=1M, host CPU %s (TCG, one vCPU: compare ratios)\n", k, size, cpu
		for (m in v) { med[m] = median(v[m]); printf "  %-7s %7.1f MB/s  (passes:%s)\n", m, med[m], v[m] }
		if (med["fuse"] > 0) printf "  ublk/fuse   %.2f\n", med["ublk"] / med["fuse"]
		if (med["kernel"] > 0) printf "  ublk/kernel %.2f\n", med["ublk"] / med["kernel"]
		if (med["kernel"] > 0) printf "  fuse/kernel %.2f\n", med["fuse"] / med["kernel"]
	}' "$W/out"
