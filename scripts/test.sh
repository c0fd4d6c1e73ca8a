#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The test command: installs dependencies, builds the normal and the ASan+UBSan
# builds, runs the whole suite on both (and the concurrent tests under TSan),
# and ends with one line: N passed, N failed, N skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh || exit 1
jobs=$(nproc)
make -s -j"$jobs" >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
make -s -j"$jobs" SAN=asan tests build-asan/udm build-asan/udmd >/dev/null || { echo "asan build failed"; echo "0 passed, 1 failed"; exit 1; }
make -s -j"$jobs" fuzz >/dev/null 2>&1 || echo "note: fuzz harnesses not built (clang missing?)"
# TSan covers the concurrent parts: the core's stress, integrity and lifecycle tests, and
# verity's helper thread (test_range) and read-ahead threads (test_readahead).
TSAN_TESTS="build-tsan/tests/core/test_stress build-tsan/tests/core/test_integrity build-tsan/tests/core/test_lifecycle build-tsan/tests/verity/test_range build-tsan/tests/verity/test_readahead build-tsan/udmd build-tsan/udm"
make -s -j"$jobs" SAN=tsan $TSAN_TESTS >/dev/null || { echo "tsan build failed"; echo "0 passed, 1 failed"; exit 1; }
total_p=0 total_f=0 total_s=0
tally() { # $1 = label; rest = command printing a summary line last
	local label=$1; shift
	echo "=== $label"
	# each line goes to stdout as it comes (tee /dev/stderr would reopen, and so
	# truncate, a log file that stderr points to); the summary is the last line
	local log; log=$(mktemp)
	"$@" 2>&1 | tee "$log"
	local out; out=$(tail -1 "$log"); rm -f "$log"
	local p f s
	read -r p f s < <(sed -E 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/' <<<"$out")
	[[ $p =~ ^[0-9]+$ ]] || { p=0; f=1; }
	total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + ${s:-0}))
}
# cryptsetup's own verity-compat-test (from Debian's source of the installed cryptsetup, cached
# outside the repository) runs whole against udm in t2111; without it, t2111 skips and says why.
if vct=$(./scripts/fetch-verity-compat-test.sh); then export UDM_VERITY_COMPAT_TEST=$vct; fi
# The sanitizer pass runs the unit tests, and the daemon-level shell tests
# against build-asan/udmd (lib-udmd.sh fails a test on any ASan/UBSan/LSan
# report, a leak at `udm shutdown` included).
sanitizer_pass() {
	tally "ASan+UBSan build" env B=build-asan ASAN_OPTIONS=detect_leaks=1 tests/run test_
	for p in t/t1 t/t21 t/t31 t/t4000 t/t7105 t/t7110; do
		tally "ASan+UBSan udmd: $p" env B=build-asan tests/run "$p"
	done
	tally "ASan+UBSan udmd: t/t7100 (30 s)" env B=build-asan UDM_STRESS_SECONDS=30 tests/run t/t7100
	tally "TSan (concurrent parts)" env B=build-tsan TSAN_OPTIONS=halt_on_error=1 tests/run test_
	tally "TSan udmd: t/t7100 (20 s)" env B=build-tsan UDM_STRESS_SECONDS=20 \
		UDM_TSAN_SUPP="$PWD/tests/tsan.supp" tests/run t/t7100
}
# The sanitizer pass runs beside the normal build's run, not after it: the host tests run one file at
# a time and leave a CPU idle, which the sanitizer pass (one file at a time too) takes. Every test keeps
# a temporary folder, runtime dir and mounts of its own, so the two runs do not meet. Its output is
# printed whole after the normal build's; UDM_TEST_SERIAL=1 runs it after, as before.
# Except cryptsetup's own suite (t2111), run alone at the end on both builds: it takes a loop device
# in two steps (`losetup -f`, then `losetup DEV IMAGE`), so a loop device attached by the other run in
# between makes it fail.
ALONE=t2111
san_dir=$(mktemp -d)
trap 'rm -rf "$san_dir"' EXIT
if [ -z "${UDM_TEST_SERIAL:-}" ]; then
	export UDM_TEST_EXCLUDE="${UDM_TEST_EXCLUDE:-} $ALONE"
	( total_p=0 total_f=0 total_s=0; sanitizer_pass
	  echo "$total_p $total_f $total_s" >"$san_dir/totals" ) </dev/null >"$san_dir/log" 2>&1 &
	san_pid=$!
fi
# The normal build's run includes the VM tier (tests/vm: Debian's 6.1, 6.12 and sid's 7.2 kernels under QEMU, a
# few minutes; it installs what it needs with apt, as root, and skips where QEMU cannot run).
tally "normal build (with the VM tier)" env B=build tests/run
if [ -n "${san_pid:-}" ]; then
	wait "$san_pid"
	cat "$san_dir/log"
	if read -r p f s 2>/dev/null <"$san_dir/totals"; then
		total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
	else
		echo "the sanitizer pass did not finish"; total_f=$((total_f + 1))
	fi
	UDM_TEST_EXCLUDE=${UDM_TEST_EXCLUDE% $ALONE}
	tally "normal build: t/$ALONE (alone)" env B=build tests/run "t/$ALONE"
	tally "ASan+UBSan udmd: t/$ALONE (alone)" env B=build-asan tests/run "t/$ALONE"
else
	sanitizer_pass
fi
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
