#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Short bounded run of every libFuzzer harness (make fuzz) from its seed corpus, UDM_FUZZ_JOBS of
# them at a time (default: one per online CPU, at most 2; each harness is one process).
# Longer runs: build-fuzz/fuzz/fuzz_NAME -max_total_time=600 DIR $PWD/fuzz/corpus/NAME
. "$(dirname "$0")/lib.sh"
FUZZ_DIR=$T_ROOT/build-fuzz/fuzz
SECONDS_EACH=${UDM_FUZZ_SECONDS:-10}
JOBS=${UDM_FUZZ_JOBS:-$(n=$(nproc); [ "$n" -gt 2 ] && n=2; echo "$n")}
ls "$FUZZ_DIR"/fuzz_* >/dev/null 2>&1 && test_set_prereq FUZZ
test_have_prereq FUZZ || test_skip_all "no fuzz harnesses built (make fuzz)"

# fuzz_run NAME HARNESS: one bounded run in $T_TMP from the seed corpus: its output in log-NAME, its
# exit status in rc-NAME
fuzz_run() {
	local name=$1 h=$2
	cd "$T_TMP" && mkdir -p work-$name tmp-$name || { echo 1 >"$T_TMP/rc-$name"; return; }
	cp -r "$T_ROOT/fuzz/corpus/$name/." work-$name/ 2>/dev/null
	TMPDIR=$PWD/tmp-$name timeout $((SECONDS_EACH + 120)) "$h" -max_total_time=$SECONDS_EACH -timeout=20 \
		-rss_limit_mb=1024 -artifact_prefix=$PWD/ $PWD/work-$name >log-$name 2>&1
	echo $? >rc-$name
}
for h in "$FUZZ_DIR"/fuzz_*; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n 2>/dev/null || true; done
	fuzz_run "${h##*/fuzz_}" "$h" &
done
wait

for h in "$FUZZ_DIR"/fuzz_*; do
	name=${h##*/fuzz_}
	test_expect_success FUZZ "fuzz $name for ${SECONDS_EACH}s without a finding" "
		{ test \"\$(cat rc-$name)\" = 0 || { tail -30 log-$name; return 1; }; } &&
		# scratch files the harness made are gone once it exits
		{ [ -z \"\$(ls -A tmp-$name)\" ] || { ls -la tmp-$name; return 1; }; }
	"
done
test_done
