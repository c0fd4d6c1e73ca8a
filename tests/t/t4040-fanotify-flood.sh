#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fanotify enforcer under a flood of execs and with its record writer stuck: it fails closed and
# recovers. The kernel lets through a permission event that finds a fanotify queue full, so the group
# has no queue limit (FAN_UNLIMITED_QUEUE: an event is then only lost when it cannot be allocated, and
# then denied). A burst of execs of an unverified program, beside the same burst of a verified one:
# none of the first runs, every one of the second does, each denial has its record. An audit log
# that nobody reads (a FIFO, full): the decisions wait for the record, no exec runs unverified
# meanwhile, and once the FIFO is read every waiting exec is decided (denied, or the control run).
# Only this test's own mounts are marked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-udmd.sh"

test_skip_unless ROOT FUSE LOOP EROFS
W=$T_TMP/w
mkdir -p "$W"/src "$W"/v "$W"/u "$W"/ran
N=${T4040_N:-300}   # execs of each kind in the burst
S=800               # unverified execs while the record writer is stuck: their records fill a 64 KiB pipe

root_of() { sed -n 's/^Root hash:[[:space:]]*//p' "$1"; }
ran() { find "$W/ran" -name "$1*" | wc -l; }
# the fanotify group's flags in udmd's fdinfo (hex)
fan_flags() {
	local p fd; p=$(udmd_pid)
	for fd in /proc/"$p"/fd/*; do
		[ "$(readlink "$fd")" = "anon_inode:[fanotify]" ] || continue
		sed -n "s/^fanotify flags:\([0-9a-f]*\) .*/\1/p" /proc/"$p"/fdinfo/"${fd##*/}"
		return
	done
}

# stall: the audit log made a FIFO that nobody reads (udmd reopens it on SIGHUP); S unverified execs
# and a verified one; after 3 s, how many wait and how many unverified ran; then the FIFO is read
# (into drained) and the log put back.
stall() {
	local i p pids=() waiting=0 left cat
	mv "$W/audit.log" "$W/audit.log.1" && mkfifo "$W/audit.log" || return 1
	exec 7<>"$W/audit.log"
	kill -HUP "$(udmd_pid)"
	for i in $(seq 100); do ls -l /proc/"$(udmd_pid)"/fd | grep -q " $W/audit.log\$" && break; sleep 0.1; done
	echo "reopened $(ls -l /proc/"$(udmd_pid)"/fd | grep -c " $W/audit.log\$")"
	for i in $(seq "$S"); do "$W/u/run.sh" "$W/ran/s-$i" >/dev/null 2>&1 & pids+=($!); done
	"$W/v/run.sh" "$W/ran/sv" & pids+=($!)
	sleep 3
	for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && waiting=$((waiting + 1)); done
	echo "waiting $waiting"
	echo "ran-while-stuck $(ran s-)"
	cat "$W/audit.log" >"$W/drained" & cat=$!
	for i in $(seq 600); do
		left=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
		[ "$left" = 0 ] && break; sleep 0.1
	done
	echo "left $left"
	mv "$W/audit.log.1" "$W/audit.log.2" && rm -f "$W/audit.log" && mv "$W/audit.log.2" "$W/audit.log"
	kill -HUP "$(udmd_pid)"
	exec 7>&-
	for i in $(seq 100); do kill -0 "$cat" 2>/dev/null || break; sleep 0.1; done
	kill "$cat" 2>/dev/null
	wait
	return 0
}

test_expect_success 'setup: a verified and a plain mount of one image, a policy allowing its root hash' '
	printf "#!/bin/sh\n: >\"\$1\"\n" >"$W/src/run.sh" && chmod +x "$W/src/run.sh" &&
	mkfs.erofs "$W/img" "$W/src" >/dev/null && cp "$W/img" "$W/img-plain" &&
	"$UDM" verity format "$W/img" "$W/hash" >"$W/fmt" && ROOT=$(root_of "$W/fmt") && test -n "$ROOT" &&
	{ echo "policy_name=flood policy_version=0.0.1"; echo "DEFAULT action=ALLOW"
	  echo "DEFAULT op=EXECUTE action=DENY"; echo "op=EXECUTE dmverity_roothash=sha256:$ROOT action=ALLOW"; } >"$W/boot.pol" &&
	start_udmd --enforcer=fanotify --boot-policy "$W/boot.pol" --audit-log "$W/audit.log" &&
	udm verity open "$W/img" v "$W/hash" "$ROOT" && L=$(udm attach v) && mount -t erofs -o ro "$L" "$W/v" &&
	LP=$(losetup -f --show -r "$W/img-plain") && echo "$LP" >"$W/plainloop" && mount -t erofs -o ro "$LP" "$W/u" &&
	udm watch add "$W/v" && udm watch add "$W/u" &&
	"$W/v/run.sh" "$W/ran/first-v" && test_must_fail "$W/u/run.sh" "$W/ran/first-u" &&
	test "$(ran first-v)" = 1 && test "$(ran first-u)" = 0
'
at_exit 'umount "$W/v" "$W/u" 2>/dev/null; losetup -d "$(cat "$W/plainloop" 2>/dev/null)" 2>/dev/null'

test_expect_success 'the fanotify group has no queue limit (a full queue would let execs through)' '
	f=$(fan_flags) && echo "flags $f" && test -n "$f" && test $((0x$f & 0x10)) = 16
'

test_expect_success "a burst of $N unverified execs beside $N verified ones: none of the first runs, all the second do" '
	before=$(grep -c "action=DENY" "$W/audit.log") &&
	for i in $(seq "$N"); do
		"$W/u/run.sh" "$W/ran/u-$i" >/dev/null 2>&1 &
		"$W/v/run.sh" "$W/ran/v-$i" >/dev/null 2>&1 &
	done && wait &&
	echo "ran: $(ran u-) unverified, $(ran v-) verified" &&
	test "$(ran u-)" = 0 && test "$(ran v-)" = "$N" &&
	after=$(grep -c "action=DENY" "$W/audit.log") && test $((after - before)) -ge "$N" &&
	test "$(grep "action=DENY" "$W/audit.log" | grep -c "path=\"$W/v/")" = 0
'

test_expect_success 'after the burst: decisions as before, udmd answers' '
	"$W/v/run.sh" "$W/ran/after-v" && test_must_fail "$W/u/run.sh" "$W/ran/after-u" &&
	test "$(ran after-v)" = 1 && test "$(ran after-u)" = 0 && udm ping
'

test_expect_success 'the record writer stuck (its FIFO full): execs wait, none unverified runs; read, all are decided' '
	stall >"$W/stall" && cat "$W/stall" &&
	grep -qx "reopened 1" "$W/stall" && test "$(sed -n "s/^waiting //p" "$W/stall")" -gt 0 &&
	grep -qx "ran-while-stuck 0" "$W/stall" && grep -qx "left 0" "$W/stall" &&
	test "$(ran s-)" = 0 && test "$(ran sv)" = 1 &&
	test "$(grep "action=DENY" "$W/drained" | grep -c "path=\"$W/u/run.sh\"")" = "$S"
'

test_expect_success 'after the stall: decisions as before, records in the log again' '
	"$W/v/run.sh" "$W/ran/end-v" && test_must_fail "$W/u/run.sh" "$W/ran/end-u" &&
	test "$(ran end-v)" = 1 && test "$(ran end-u)" = 0 &&
	tail -1 "$W/audit.log" | grep -q "action=DENY"
'

test_done
