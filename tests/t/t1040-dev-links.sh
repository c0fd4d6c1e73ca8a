#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udmd --dev-links: DEV_DIR/NAME is a symlink to the loop device of each
# device with a live table (as udev makes /dev/mapper/NAME for dm), removed
# with the device, rebuilt by `dmsetup mknodes`; scripts that test
# `[ -b /dev/mapper/NAME ]` or ask its size work. The links go to a private
# --dev-dir; only the last test touches the real /dev/mapper, with one
# uniquely named device, and cleans up after itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-udmd.sh"
test_skip_unless ROOT FUSE LOOP
DEV=$T_TMP/dev
truncate -s 8M "$T_TMP/disk"

test_expect_success 'setup: udmd with links in a private dir' '
	start_udmd --dev-dir "$DEV" && test -d "$DEV"
'
test_expect_success 'a device with a live table gets DEV/NAME -> /dev/loopN' '
	udm create a --table "0 16384 linear $T_TMP/disk 0" &&
	test -L "$DEV/a" && test -b "$DEV/a" &&
	case "$(readlink "$DEV/a")" in /dev/loop[0-9]*) ;; *) false ;; esac &&
	test "$(blockdev --getsize64 "$DEV/a")" = 8388608 &&
	echo hello | dd of="$T_TMP/disk" conv=notrunc status=none &&
	head -c 5 "$DEV/a" >out && printf hello >exp && test_cmp exp out &&
	udm attach a >lo && test "$(cat lo)" = "$(readlink "$DEV/a")"
'
test_expect_success 'no link without a live table; it comes with the resume' '
	udm create n --notable && test_path_is_missing "$DEV/n" &&
	udm load n --table "0 8 zero" && test_path_is_missing "$DEV/n" &&
	udm resume n && test -b "$DEV/n" &&
	test "$(blockdev --getsize64 "$DEV/n")" = 4096
'
test_expect_success 'a table swap resizes what the link shows' '
	udm load n --table "0 16 zero" && udm resume n &&
	test "$(blockdev --getsize64 "$DEV/n")" = 8192
'
test_expect_success 'rename moves the link' '
	udm rename n m && test_path_is_missing "$DEV/n" && test -b "$DEV/m"
'
test_expect_success 'remove takes the link and the loop device away' '
	lo=$(readlink "$DEV/m") &&
	udm remove m && test_path_is_missing "$DEV/m" &&
	! losetup "$lo" 2>/dev/null | grep -q "$UDM_RT/mapper/m"
'
test_expect_success 'a mounted device is not removed (EBUSY), and keeps its link' '
	mkfs.ext4 -q -F "$T_TMP/disk" && mkdir -p mnt &&
	mount "$DEV/a" mnt && test_when_finished "umount mnt 2>/dev/null; true" &&
	test_must_fail udm remove a 2>err && grep -q "Device or resource busy" err &&
	test -b "$DEV/a" && umount mnt && udm remove a && test_path_is_missing "$DEV/a"
'
test_expect_success 'mknodes rebuilds a link removed by hand, and the links of all devices' '
	udm create b --table "0 8 zero" && udm create c --table "0 8 zero" &&
	rm "$DEV/b" "$DEV/c" && udm mknodes b && test -b "$DEV/b" && test_path_is_missing "$DEV/c" &&
	udm mknodes && test -b "$DEV/c"
'
test_expect_success 'a file that is not our symlink is never replaced' '
	udm remove c && echo mine >"$DEV/c" &&
	udm create c --table "0 8 zero" && test "$(cat "$DEV/c")" = mine &&
	udm remove c && test "$(cat "$DEV/c")" = mine && rm "$DEV/c"
'
test_expect_success 'detach drops the link (it would point at a freed loop device)' '
	udm detach b && test_path_is_missing "$DEV/b" &&
	udm mknodes b && test -b "$DEV/b"
'
test_expect_success 'a table on DEV/NAME stacks on that device, as on dm (not on its loop device)' '
	truncate -s 1M "$T_TMP/disk2" && printf stacked | dd of="$T_TMP/disk2" conv=notrunc status=none &&
	udm create s --table "0 2048 linear $T_TMP/disk2 0" &&
	udm create t --table "0 8 linear $DEV/s 0" &&
	mm=$(udm info s | sed -n "s/^Major, minor: *\([0-9]*\), \([0-9]*\)$/\1:\2/p") && test -n "$mm" &&
	test "$(udm table t)" = "0 8 linear $mm 0" &&
	udm info s | grep -q "^Open count: *2$" &&
	head -c 7 "$DEV/t" >out && printf stacked >exp && test_cmp exp out
'
test_expect_success 'a device held by another is not removed, and its link and loop device stay' '
	lo=$(readlink "$DEV/s") && before=$(grep -c "detached $lo\$" "$UDMD_LOG" || true) &&
	test_must_fail udm remove s 2>err && grep -q "busy" err &&
	test "$(readlink "$DEV/s")" = "$lo" &&
	test "$(grep -c "detached $lo\$" "$UDMD_LOG" || true)" = "$before"
'
test_expect_success 'deferred removal: no link while pending, back with a cancel, done at the last close' '
	udm remove --deferred s && udm info s | grep -q "DEFERRED REMOVE" && test_path_is_missing "$DEV/s" &&
	udm message s 0 @cancel_deferred_remove && ! udm info s | grep -q DEFERRED && test -b "$DEV/s" &&
	udm remove --deferred s && udm remove t &&
	test_must_fail udm info s 2>/dev/null && test_path_is_missing "$DEV/s" && test_path_is_missing "$DEV/t"
'
test_expect_success 'veritysetup close: EBUSY (5) while held; --deferred and --cancel-deferred' '
	truncate -s 1M "$T_TMP/vdata" && rm -f "$T_TMP/vhash" &&
	root=$(udm verity format "$T_TMP/vdata" "$T_TMP/vhash" | sed -n "s/^Root hash:[[:space:]]*//p") &&
	udm verity open "$T_TMP/vdata" v "$T_TMP/vhash" "$root" && test -b "$DEV/v" &&
	udm create u --table "0 8 linear $DEV/v 0" &&
	test_expect_code 5 udm verity close v 2>err && grep -q "^Device v is still in use.$" err &&
	test -b "$DEV/v" &&
	udm verity close --deferred v >out && grep -q "^Device v is still active and scheduled for deferred removal.$" out &&
	udm info v | grep -q "DEFERRED REMOVE" && test_path_is_missing "$DEV/v" &&
	udm verity close --cancel-deferred v && ! udm info v | grep -q DEFERRED && test -b "$DEV/v" &&
	test_expect_code 1 udm verity close --deferred --cancel-deferred v 2>err &&
	grep -q "Options --cancel-deferred and --deferred cannot be used at the same time." err &&
	udm verity close --deferred v >/dev/null && udm remove u &&
	test_expect_code 4 udm verity status v >/dev/null && test_path_is_missing "$DEV/v"
'
test_expect_success 'veritysetup close --deferred of a device nobody holds removes it at once, silently' '
	root=$(udm verity format "$T_TMP/vdata" "$T_TMP/vhash" | sed -n "s/^Root hash:[[:space:]]*//p") &&
	udm verity open "$T_TMP/vdata" w "$T_TMP/vhash" "$root" && test -b "$DEV/w" &&
	udm verity close --deferred w >out && test_must_be_empty out &&
	test_expect_code 4 udm verity status w >/dev/null && test_path_is_missing "$DEV/w"
'
test_expect_success 'remove_all and shutdown leave no link and no loop device' '
	udm create d --table "0 8 zero" && udm remove_all && test -z "$(ls "$DEV")" &&
	udm create e --table "0 8 zero" && test -b "$DEV/e" &&
	udm shutdown && test -z "$(ls "$DEV")" && test -z "$(udmd_our_loops)"
'
test_expect_success 'links left by a killed udmd are cleaned at the next start' '
	start_udmd --dev-dir "$DEV" && udm create k --table "0 8 zero" && test -L "$DEV/k" &&
	pid=$(udmd_pid) && kill -KILL "$pid" && pid_gone "$pid" &&
	start_udmd --dev-dir "$DEV" && test_path_is_missing "$DEV/k" &&
	udm create k --table "0 8 zero" && test -b "$DEV/k"
'
test_expect_success 'a killed udmd'"'"'s link is removed even once its loop device serves another file' '
	truncate -s 1M "$T_TMP/other.img" &&
	udm create k2 --table "0 8 zero" && test -L "$DEV/k2" && lo=$(readlink "$DEV/k2") &&
	pid=$(udmd_pid) && kill -KILL "$pid" && pid_gone "$pid" &&
	losetup -d "$lo" && udmd_force_clean &&
	losetup "$lo" "$T_TMP/other.img" && test_when_finished "losetup -d $lo 2>/dev/null; true" &&
	start_udmd --dev-dir "$DEV" &&
	test_path_is_missing "$DEV/k2" && grep -q "removing stale link $DEV/k2 -> $lo" "$UDMD_LOG" &&
	udm mknodes && test_path_is_missing "$DEV/k2" &&
	test "$(cat /sys/block/${lo#/dev/}/loop/backing_file)" = "$T_TMP/other.img"
'
test_expect_success 'a udmd on a private runtime dir makes no links by default' '
	rt2=$T_TMP/rt2 &&
	"$UDMD" --runtime-dir "$rt2" --state-dir "$T_TMP/st2" 2>>"$UDMD_LOG" &&
	test_when_finished "\"$UDM\" --runtime-dir $rt2 shutdown >/dev/null 2>&1; umount -l $rt2/mapper 2>/dev/null; true" &&
	"$UDM" --runtime-dir "$rt2" create z --table "0 8 zero" &&
	test -z "$("$UDM" --runtime-dir "$rt2" info -c --noheadings -o blkdevname z)" &&
	"$UDM" --runtime-dir "$rt2" shutdown
'
test_expect_success 'the real /dev/mapper: one uniquely named device, cleaned' '
	name=udm-t1040-$$-$RANDOM && had_dir=$(test -d /dev/mapper && echo 1 || true) &&
	test_path_is_missing "/dev/mapper/$name" &&
	test_when_finished "rm -f /dev/mapper/$name; test -n \"$had_dir\" || rmdir /dev/mapper 2>/dev/null; true" &&
	udm shutdown && start_udmd --dev-links &&
	udm create "$name" --table "0 8 zero" && test -b "/dev/mapper/$name" &&
	[ -b "/dev/mapper/$name" ] && udm remove "$name" && test_path_is_missing "/dev/mapper/$name"
'
test_done
