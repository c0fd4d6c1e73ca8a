#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A start that fails right after the mapper mount (UDM_FAULT=udmd.start, and
# --enforce-mount on /) must end: the daemon
# exits, nothing stays mounted. It used to hang forever in udmd_fuse_stop:
# abort_connection stat()ed the mount after fuse_exit(), a GETATTR (or the
# wait for INIT) that no worker answered any more.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-udmd.sh"

if ! test_have_prereq ROOT || ! test_have_prereq FUSE; then
	test_skip_all "needs root and /dev/fuse"
fi

# fail_start N ARGS...: N failed starts, each must end within 20 s with nothing left
fail_start() {
	local n=$1 i; shift
	for i in $(seq "$n"); do
		rt=$T_TMP/rt$i
		# --foreground: the daemon itself is what must exit
		timeout -s KILL 20 "$UDMD" --foreground --runtime-dir "$rt" --state-dir "$T_TMP/st" "$@" 2>>"$UDMD_LOG"
		rc=$?
		if grep -q " $rt/" /proc/self/mountinfo; then
			echo "start $i: left a mount" >&2
			for m in $(grep -o " $rt/[^ ]*" /proc/self/mountinfo); do umount -l "$m"; done
			return 1
		fi
		test "$rc" = 1 || { echo "start $i: exit status $rc (137 = hung, killed)" >&2; return 1; }
	done
}

test_expect_success 'fault right after the mapper mount: exits 1, nothing mounted (x20)' '
	UDM_FAULT=udmd.start fail_start 20 &&
	grep -q "fault injected at udmd.start" "$UDMD_LOG"
'

test_expect_success '--enforce-mount on /: exits 1, nothing mounted (x20)' '
	fail_start 20 --enforce-mount / &&
	grep -q "refusing to enforce on /" "$UDMD_LOG"
'

test_done
