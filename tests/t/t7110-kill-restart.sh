#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGKILL at random moments (UDM_KILL_ROUNDS rounds, default 10): start udmd,
# run random operations (create, load, resume, attach, policy load, update,
# activate, delete), kill -9 the daemon at a random moment, start it again.
# After each restart: no stale mount, no loop device into the mapper dir, no
# device, the policy state exactly the last one the CLI acknowledged (or the
# one after the operation in flight when the kill came), and the daemon
# serves.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-udmd.sh"

test_skip_unless ROOT FUSE LOOP
ROUNDS=${UDM_KILL_ROUNDS:-10}
W=$T_TMP/w
mkdir -p "$W"

test_expect_success 'setup: backing files, certificate, signed policies' '
	truncate -s 4M "$W/a.img" "$W/b.img" &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
		-subj /CN=udm-kill >/dev/null 2>&1 &&
	for n in p1 p2 p3; do
		for v in 1 2 3 4 5 6; do
			printf "policy_name=%s policy_version=0.0.%s\nDEFAULT action=ALLOW\n" $n $v >"$W/$n-$v.pol" &&
			openssl smime -sign -in "$W/$n-$v.pol" -signer "$W/cert.pem" -inkey "$W/key.pem" -noattr \
				-nodetach -nosmimecap -outform der -out "$W/$n-$v.p7s" || exit 1
		done
	done
'

# The policy state as `udm policy list` prints it, kept in files:
#   $W/acked  the state after the last operation the CLI acknowledged
#   $W/maybe  the state if the operation in flight takes effect
# Model: declare -A VER (name -> version), ACTIVE (name or "").
state_text() {
	local n
	for n in $(printf "%s\n" "${!VER[@]}" | sort); do
		printf "%s 0.0.%s%s\n" "$n" "${VER[$n]}" "$([ "$n" = "$ACTIVE" ] && echo " active")"
	done
}
# load_state FILE: the model from a `policy list` text
load_state() {
	VER=(); ACTIVE=
	local n v a
	while read -r n v a; do
		[ -n "$n" ] || continue
		VER[$n]=${v##*.}; [ "$a" = active ] && ACTIVE=$n
	done <"$1"
}

# One random operation; the model is updated only when it succeeded.
random_op() {
	local n=p$((RANDOM % 3 + 1)) dev=d$((RANDOM % 3)) f=$W/$((RANDOM % 2)).img
	f=$W/$([ $((RANDOM % 2)) = 0 ] && echo a || echo b).img
	local -A NV; local k na=$ACTIVE
	for k in "${!VER[@]}"; do NV[$k]=${VER[$k]}; done
	local cmd
	case $((RANDOM % 8)) in
	0) cmd=(create "$dev" --table "0 8192 linear $f 0") ;;
	1) cmd=(load "$dev" --table "0 8192 linear $f 0") ;;
	2) cmd=(resume "$dev") ;;
	3) cmd=(attach "$dev") ;;
	4) [ -n "${VER[$n]:-}" ] && return 0
	   NV[$n]=1; cmd=(policy load "$W/$n-1.p7s") ;;
	5) [ -n "${VER[$n]:-}" ] && [ "${VER[$n]}" -lt 6 ] || return 0
	   NV[$n]=$((VER[$n] + 1)); cmd=(policy update "$n" "$W/$n-${NV[$n]}.p7s") ;;
	6) [ -n "${VER[$n]:-}" ] || return 0
	   na=$n; cmd=(policy activate "$n") ;;
	7) [ -n "${VER[$n]:-}" ] && [ "$n" != "$ACTIVE" ] || return 0
	   unset "NV[$n]"; cmd=(policy delete "$n") ;;
	esac
	# what the state will be if this one succeeds
	local -A OV; for k in "${!VER[@]}"; do OV[$k]=${VER[$k]}; done
	local oa=$ACTIVE
	VER=(); for k in "${!NV[@]}"; do VER[$k]=${NV[$k]}; done; ACTIVE=$na
	state_text >"$W/maybe.tmp" && mv "$W/maybe.tmp" "$W/maybe"
	VER=(); for k in "${!OV[@]}"; do VER[$k]=${OV[$k]}; done; ACTIVE=$oa
	if udm "${cmd[@]}" >/dev/null 2>&1; then
		cp "$W/maybe" "$W/acked.tmp" && mv "$W/acked.tmp" "$W/acked"
		echo "${cmd[*]}" >>"$W/oplog"
		load_state "$W/acked"
	fi
}

runner() {
	declare -A VER; ACTIVE=
	load_state "$W/acked"
	while :; do random_op; done
}

test_expect_success "$ROUNDS rounds: random operations, SIGKILL at a random moment, restart" '
	: >"$W/acked" && cp "$W/acked" "$W/maybe" &&
	start_udmd --trusted-certs "$W/cert.pem" &&
	for r in $(seq "$ROUNDS"); do
		{ runner & } && rpid=$! &&
		sleep "$((RANDOM % 3)).$((RANDOM % 10))" &&
		{ pid=$(udmd_pid) && kill -KILL "$pid" && pid_gone "$pid" || { kill -KILL $rpid; return 1; }; } &&
		{ kill -KILL $rpid; wait $rpid 2>/dev/null; true; } &&
		echo "round $r: $(wc -l <"$W/oplog" 2>/dev/null) ops acknowledged so far" >>"$W/rounds" &&
		{ start_udmd --trusted-certs "$W/cert.pem" || { echo "round $r: restart failed"; return 1; }; } &&
		n=$(grep -c " $UDM_RT/mapper " /proc/self/mountinfo) &&
		{ test "$n" = 1 || { echo "round $r: $n mapper mounts"; return 1; }; } &&
		n=$(grep -c " $UDM_RT/ipe " /proc/self/mountinfo) &&
		{ test "$n" = 1 || { echo "round $r: $n ipe mounts"; return 1; }; } &&
		{ test -z "$(udmd_our_loops)" || { echo "round $r: stale loops: $(udmd_our_loops)"; return 1; }; } &&
		udm ls >ls && echo "No devices found" >exp && test_cmp exp ls &&
		udm policy list >list &&
		if ! cmp -s list "$W/acked"; then
			cmp -s list "$W/maybe" || {
				echo "round $r: policy state is neither the acknowledged one nor the one in flight"
				echo "--- daemon:"; cat list; echo "--- acknowledged:"; cat "$W/acked"
				echo "--- in flight:"; cat "$W/maybe"; tail -3 "$W/oplog"; return 1; } &&
			cp list "$W/acked"   # the operation in flight did take effect
		fi &&
		cp "$W/acked" "$W/maybe" &&
		udm create s --table "0 8192 linear $W/a.img 0" && lo=$(udm attach s) &&
		dd if="$lo" of=/dev/null bs=64k status=none && udm detach s && udm remove s || return 1
	done &&
	cat "$W/rounds" >&2 &&
	test "$(wc -l <"$W/oplog")" -gt 0 && grep -q "^policy activate" "$W/oplog" && grep -q "^attach" "$W/oplog"
'
cat "$W/rounds" 2>/dev/null | tail -1 | sed "s/^/# /"

test_expect_success 'the last daemon shuts down cleanly, nothing left' '
	stop_udmd && ! udmd_mapper_mounted && test -z "$(udmd_our_loops)" &&
	! grep -q " $UDM_RT/" /proc/self/mountinfo
'

test_done
