#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udmd behaviours a new user trips on: shutdown with devices mounted is
# refused (EBUSY) unless --force, which says what it tears down; attach of a
# suspended device fails at once; watches persist across restarts (and
# wait for their mounts), as
# policies do; --log sends the log to a file or syslog, not only stderr.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-udmd.sh"
test_skip_unless ROOT FUSE LOOP
truncate -s 8M "$T_TMP/disk"
mkfs.ext4 -q -F "$T_TMP/disk"

test_expect_success 'shutdown with a device mounted: EBUSY at once, one line, nothing torn down' '
	start_udmd && udm create a --table "0 16384 linear $T_TMP/disk 0" &&
	lo=$(udm attach a) && mkdir -p mnt && mount "$lo" mnt &&
	test_when_finished "umount mnt 2>/dev/null; true" &&
	start=$(date +%s) && test_must_fail udm shutdown 2>err && test $(( $(date +%s) - start )) -lt 5 &&
	test "$(wc -l <err)" = 1 && grep -q "Device or resource busy: 1 device in use: a (/dev/loop" err &&
	grep -q "use --force" err &&
	udm ping >/dev/null && test -e mnt/lost+found && udm info a >/dev/null
'
test_expect_success 'a device held open (not mounted) also stops a shutdown' '
	udm create z --table "0 8 zero" &&
	{ sleep 30 <"$UDM_RT/mapper/z" & } && holder=$! &&
	test_when_finished "kill $holder 2>/dev/null; true" &&
	for i in $(seq 50); do udm info z | grep -q "Open count:        1" && break; sleep 0.1; done &&
	test_must_fail udm shutdown 2>err && grep -q "z (open 1 time)" err &&
	kill $holder && { wait $holder || true; } && udm remove z
'
test_expect_success 'shutdown --force says what it tears down, and stops' '
	lo=$(udm attach a) && mount "$lo" mnt &&
	pid=$(udmd_pid) && udm shutdown --force >out && grep -q "^tearing down a (/dev/loop" out &&
	pid_gone "$pid" && umount -l mnt
'
test_expect_success 'attach of a suspended device fails at once with a clear error' '
	start_udmd && udm create s --table "0 8 zero" && udm suspend s &&
	start=$(date +%s) && test_must_fail timeout 10 "$UDM" --runtime-dir "$UDM_RT" attach s 2>err &&
	test $(( $(date +%s) - start )) -lt 5 && grep -q "device is suspended (resume it first)" err &&
	test -z "$(udmd_our_loops)" &&
	udm resume s && udm attach s >/dev/null && udm detach s && udm remove s
'
test_expect_success 'watches persist across a restart, as policies do' '
	mkdir -p wm && mount -t tmpfs none wm && test_when_finished "umount wm 2>/dev/null; true" &&
	udm watch add "$T_TMP/wm" && udm watch list | grep -qx "$T_TMP/wm" &&
	grep -qx "$T_TMP/wm" "$UDM_STATE/watches" &&
	udm shutdown && start_udmd && udm watch list | grep -qx "$T_TMP/wm" &&
	udm watch remove "$T_TMP/wm" && udm shutdown && start_udmd &&
	! udm watch list | grep -q "$T_TMP/wm"
'
test_expect_success 'a persisted watch whose mount is gone waits for it, and stays persisted' '
	mount -t tmpfs none wm && udm watch add "$T_TMP/wm" && udm shutdown && umount wm && start_udmd &&
	grep -q "watch $T_TMP/wm restored, waiting for its mount" "$UDMD_LOG" &&
	udm watch list | grep -qx "$T_TMP/wm (inactive: nothing is mounted there)" &&
	grep -qx "$T_TMP/wm" "$UDM_STATE/watches" &&
	mount -t tmpfs none wm && test_when_finished "umount wm 2>/dev/null; true" &&
	for i in $(seq 50); do udm watch list | grep -qx "$T_TMP/wm" && break; sleep 0.1; done &&
	udm watch list | grep -qx "$T_TMP/wm" &&
	umount wm && udm shutdown && start_udmd && grep -qx "$T_TMP/wm" "$UDM_STATE/watches" &&
	udm watch remove "$T_TMP/wm" && ! grep -q "$T_TMP/wm" "$UDM_STATE/watches" &&
	udm shutdown && start_udmd && ! udm watch list | grep -q "$T_TMP/wm"
'
test_expect_success '--enforce-mount on a path not mounted yet: starts, waits, enforces once mounted' '
	udm shutdown && mkdir -p em && start_udmd --enforce-mount "$T_TMP/em" &&
	grep -q -- "--enforce-mount $T_TMP/em: nothing is mounted there yet" "$UDMD_LOG" &&
	udm watch list | grep -qx "$T_TMP/em (inactive: nothing is mounted there)" &&
	mount -t tmpfs none em && test_when_finished "umount em 2>/dev/null; true" &&
	for i in $(seq 50); do udm watch list | grep -qx "$T_TMP/em" && break; sleep 0.1; done &&
	udm watch list | grep -qx "$T_TMP/em" && udm enforce status | grep -q "^watches: 1 (1 active)" &&
	umount em && udm shutdown && start_udmd
'
test_expect_success '--log FILE: the log goes to the file too' '
	udm shutdown && start_udmd --log stderr --log "$T_TMP/udmd-file.log" &&
	udm create l --table "0 8 zero" && udm attach l >/dev/null &&
	grep -q "^udmd\[[0-9]*\]: ready: $UDM_RT" "$T_TMP/udmd-file.log" &&
	grep -q "attached l to /dev/loop" "$T_TMP/udmd-file.log"
'
test_expect_success '--log: a bad destination stops the start with one line' '
	test_must_fail "$UDMD" --runtime-dir "$T_TMP/rt3" --state-dir "$T_TMP/st3" --log relative.log 2>err &&
	test "$(wc -l <err)" = 1 && grep -q "^udmd: --log relative.log: expected stderr, syslog or an absolute file name" err &&
	test_must_fail "$UDMD" --runtime-dir "$T_TMP/rt3" --state-dir "$T_TMP/st3" --log /nonexistent/dir/x 2>err &&
	grep -q "^udmd: --log /nonexistent/dir/x: No such file or directory" err
'
test_done
