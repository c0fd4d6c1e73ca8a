#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm-vm: seconds 80 (tests/run starts the longest files first)
# udmd's ublk server (daemon/ublk.c) on its own, through tests/vm/ublk-serve,
# on the kernels that have ublk (6.12, the newest): a file served as
# /dev/ublkbN reads back byte for byte and takes writes; a read-only device
# refuses them; the server killed with SIGKILL under a reader loop of direct
# reads and taken over by a new process: no reader sees an error and every
# pass sums right; a second server cannot take over a live device; a stop
# removes the device. One boot per kernel.
. "$(dirname "$0")/vm-harness.sh"
vm_require
SERVE=$UDM_BUILD/tests/vm/ublk-serve
[ -x "$SERVE" ] || test_skip_all "no $SERVE (make)"

test_expect_success 'setup: a 32 MiB image, a pattern, the guest script' '
	head -c $((32 << 20)) /dev/urandom >img && sha256sum <img | cut -d" " -f1 >img.sum &&
	head -c $((1 << 20)) /dev/urandom >pat &&
	cp "$VM/ublk-server.guest.sh" guest.sh
'

for K in $(vm_kernels 6.12 7.2); do
	test_expect_success "$K: one boot" '
		vm_boot k$K --kernel $K --disk img --disk pat --bins "$SERVE" guest.sh &&
		{ grep -q "^@@done" k$K.out || { cat k$K.out k$K.err; false; }; }
	'
	test_expect_success "$K: added, a block device of that number, reads back byte for byte" '
		vm_case k$K.out add >add && cat add &&
		id=$(head -1 add | cut -d" " -f1) && mm=$(head -1 add | cut -d" " -f2) &&
		test "$(sed -n "s/^node //p" add)" = "$(printf "%x:%x" ${mm%:*} ${mm#*:})" &&
		test "$(sed -n "s/^sum //p" add)" = "$(cat img.sum)" &&
		test "$(sed -n "s/^ro //p" add)" = 0
	'
	test_expect_success "$K: a write lands in the file and reads back" '
		vm_case k$K.out write >w && cat w && grep -q "^write ok" w &&
		want=$(sha256sum <pat | cut -d" " -f1) &&
		test "$(sed -n "s/^back //p" w)" = "$want" && test "$(sed -n "s/^file //p" w)" = "$want"
	'
	test_expect_success "$K: a second server cannot take over a live device" '
		vm_case k$K.out second >s && cat s && grep -q "cannot be taken over: it still has a server" s
	'
	test_expect_success "$K: kill -9 under a reader loop, taken over: no error, every pass right" '
		vm_case k$K.out kill >kl && cat kl &&
		grep -q "^killed" kl && grep -q "^loop done" kl && ! grep -q "pass error" kl &&
		want=$(sed -n "s/^want //p" kl) && test -n "$want" &&
		test "$(grep -c "^pass $want" kl)" = 6 && test "$(sed -n "s/^after //p" kl)" = "$want"
	'
	test_expect_success "$K: a stop removes the device" '
		vm_case k$K.out stop >st && cat st && grep -q "^stop rc=0" st && grep -q "^gone" st
	'
	test_expect_success "$K: a read-only device refuses writes" '
		vm_case k$K.out ro >ro && cat ro && grep -q "^ro 1" ro && grep -q "^write refused" ro
	'
done

vm_done
