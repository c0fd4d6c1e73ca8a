#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udmd's control socket through the udm CLI: every dmsetup verb with
# dmsetup's output format, errors, permissions, malformed messages.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-udmd.sh"

if ! test_have_prereq ROOT || ! test_have_prereq FUSE; then
	test_skip_all "needs root and /dev/fuse"
fi

truncate -s 8M "$T_TMP/a.img"
truncate -s 8M "$T_TMP/b.img"

test_expect_success 'udmd daemonizes and is ready when its first process exits' '
	start_udmd &&
	test -S "$UDM_RT/control" &&
	grep -q " $UDM_RT/mapper " /proc/self/mountinfo &&
	kill -0 "$(udmd_pid)"
'

test_expect_success 'a second udmd on the same runtime dir fails with one line' '
	test_must_fail "$UDMD" --runtime-dir "$UDM_RT" --state-dir "$UDM_STATE" 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "another udmd is running" err &&
	udm ls
'

test_expect_success 'version' '
	udm version >out &&
	grep -q "^Library version:   " out &&
	grep -qE "^Driver version:    4\.[0-9]+\.[0-9]+$" out
'

test_expect_success 'targets' '
	udm targets >out &&
	grep -qE "^linear           v[0-9]+\.[0-9]+\.[0-9]+$" out &&
	grep -qE "^zero             v" out &&
	grep -qE "^error            v" out
'

test_expect_success 'ls with no devices' '
	udm ls >out && echo "No devices found" >exp && test_cmp exp out
'

test_expect_success 'create --table, ls, table, status' '
	udm create lin --table "0 16384 linear $T_TMP/a.img 0" &&
	udm ls >out && printf "lin\t(240:0)\n" >exp && test_cmp exp out &&
	udm table lin >out && echo "0 16384 linear $T_TMP/a.img 0" >exp && test_cmp exp out &&
	udm status lin >out && echo "0 16384 linear " >exp && test_cmp exp out
'

test_expect_success 'create from a FILE and from stdin; relative paths become absolute' '
	printf "# comment\n\n0 8 zero\n8 8 error\n" >t.txt &&
	udm create fromfile t.txt &&
	printf "0 8 zero \n8 8 error \n" >exp && udm table fromfile >out && test_cmp exp out &&
	echo "0 100 linear b.img 8" | udm create fromstdin &&
	echo "0 100 linear $T_TMP/b.img 8" >exp && udm table fromstdin >out && test_cmp exp out &&
	udm remove fromfile && udm remove fromstdin
'

test_expect_success 'relative paths resolve in the client directory; udmd stays in /' '
	mkdir -p sub && truncate -s 1M sub/c.img &&
	(cd sub && echo "0 100 linear c.img 0" | udm create fromsub) &&
	echo "0 100 linear $T_TMP/sub/c.img 0" >exp && udm table fromsub >out && test_cmp exp out &&
	test "$(readlink "/proc/$(udmd_pid)/cwd")" = / &&
	udm remove fromsub
'

test_expect_success 'info' '
	udm info lin >out &&
	cat >exp <<-EOT &&
	Name:              lin
	State:             ACTIVE
	Read Ahead:        256
	Tables present:    LIVE
	Open count:        0
	Event number:      0
	Major, minor:      240, 0
	Number of targets: 1

	EOT
	test_cmp exp out
'

test_expect_success 'create --notable, load, table --inactive, resume' '
	udm create --uuid U-1 nt --notable &&
	udm info nt >out && grep -q "^Tables present:    None$" out &&
	grep -q "^UUID: U-1$" out && grep -q "^Number of targets: 0$" out &&
	udm table nt >out && echo >exp && test_cmp exp out &&
	udm load nt --table "0 8 zero" &&
	udm info nt | grep -q "^Tables present:    INACTIVE$" &&
	udm table --inactive nt >out && echo "0 8 zero " >exp && test_cmp exp out &&
	udm resume nt &&
	udm info nt | grep -q "^Tables present:    LIVE$" &&
	echo "0 16 zero" | udm reload nt &&
	udm info nt | grep -q "^Tables present:    LIVE & INACTIVE$" &&
	udm clear nt &&
	udm info nt | grep -q "^Tables present:    LIVE$" &&
	udm table nt >out && echo "0 8 zero " >exp && test_cmp exp out
'

test_expect_success 'table and status of all devices prefix the name' '
	udm table >out &&
	printf "lin: 0 16384 linear %s 0\nnt: 0 8 zero \n" "$T_TMP/a.img" >exp && test_cmp exp out &&
	udm status >out &&
	printf "lin: 0 16384 linear \nnt: 0 8 zero \n" >exp && test_cmp exp out
'

test_expect_success 'deps' '
	udm deps lin >out && printf "1 dependencies\t: (%s)\n" "$T_TMP/a.img" >exp && test_cmp exp out &&
	udm deps nt >out && printf "0 dependencies\t:\n" >exp && test_cmp exp out
'

test_expect_success 'a udm device in a table appears as MAJ:MIN' '
	udm create upper --table "0 8 linear $UDM_RT/mapper/lin 0" &&
	udm table upper >out && echo "0 8 linear 240:0 0" >exp && test_cmp exp out &&
	udm deps upper >out && printf "1 dependencies\t: (240, 0)\n" >exp && test_cmp exp out &&
	udm info lin | grep -q "^Open count:        1$" &&
	test_must_fail udm remove lin 2>err && grep -q "Device or resource busy" err &&
	udm remove upper
'

test_expect_success 'suspend and resume' '
	udm suspend lin &&
	udm info lin | grep -q "^State:             SUSPENDED$" &&
	udm suspend --noflush lin &&
	udm resume lin &&
	udm info lin | grep -q "^State:             ACTIVE$"
'

test_expect_success 'read-only device' '
	udm create --readonly ro --table "0 8 zero" &&
	udm info ro | grep -q "^State:             ACTIVE (READ-ONLY)$" &&
	udm remove ro
'

test_expect_success 'rename and rename --setuuid' '
	udm rename nt nt2 &&
	udm info nt2 | grep -q "^Name:              nt2$" &&
	test_must_fail udm info nt 2>err &&
	echo "udm: info nt: No such device or address" >exp && test_cmp exp err &&
	test_must_fail udm rename nt2 --setuuid U-2 2>err && grep -q "Invalid argument" err &&
	udm create nouuid --table "0 8 zero" &&
	udm rename nouuid --setuuid U-3 && udm info nouuid | grep -q "^UUID: U-3$" &&
	udm remove nouuid
'

test_expect_success 'wait returns after the next event' '
	ev=$(udm info nt2 | sed -n "s/^Event number: *//p") && test -n "$ev" &&
	{ (udm wait nt2 "$ev"; echo "rc=$?" >waited) & } &&
	sleep 0.5 && test ! -e waited &&
	udm rename nt2 nt3 &&
	for i in $(seq 50); do test -e waited && break; sleep 0.1; done &&
	grep -q "rc=0" waited &&
	udm wait nt3 0
'

test_expect_success 'message to a target without messages fails' '
	test_must_fail udm message lin 0 hello world 2>err &&
	echo "udm: message lin: Invalid argument" >exp && test_cmp exp err
'

test_expect_success 'errors: one line, exit 1, nothing changed' '
	udm ls >before &&
	test_must_fail udm create bad --table "0 8 zero
x y z" 2>err &&
	test "$(wc -l <err)" = 1 && grep -q "line 2" err &&
	test_must_fail udm create bad --table "0 8 linear /nonexistent/file 0" 2>err &&
	test "$(wc -l <err)" = 1 && grep -q "^udm: create bad: No such device: line 1: linear: " err &&
	test_must_fail udm create bad --table "0 8 zero
8 8 linear" 2>err && grep -q "line 2: linear:" err &&
	test_must_fail udm create lin --table "0 8 zero" 2>err &&
	grep -q "^udm: create lin: Device or resource busy$" err &&
	test_must_fail udm remove nope 2>err &&
	echo "udm: remove nope: No such device or address" >exp && test_cmp exp err &&
	test_must_fail udm load lin --table "0 8 bogus" 2>err && grep -q "bogus: unknown target type" err &&
	udm info lin | grep -q "^Tables present:    LIVE$" &&
	udm ls >after && test_cmp before after
'

test_expect_success 'usage errors exit 1 with a hint' '
	test_must_fail udm create 2>err && grep -q "^usage: udm create" err &&
	test_must_fail udm frobnicate 2>err && grep -q "unknown verb" err &&
	test_must_fail udm ls --inactive --bogus 2>err && grep -q "unknown option" err &&
	test_must_fail udm watch 2>err
'

test_expect_success 'works as dmsetup (multicall) and with UDM_RUNTIME_DIR' '
	ln -sf "$UDM" dmsetup &&
	UDM_RUNTIME_DIR=$UDM_RT ./dmsetup ls >out && grep -q "^lin" out &&
	UDM_RUNTIME_DIR=$UDM_RT "$UDM" table lin >out && grep -q linear out
'

test_expect_success 'watch verbs: empty list, unknown path, not a mount point, never /' '
	udm watch list >out && test_must_be_empty out &&
	test_must_fail udm watch remove /nonexistent 2>err && test $(wc -l <err) = 1 &&
	mkdir -p notmnt && test_must_fail udm watch add "$PWD/notmnt" 2>err && grep -q "not a mount point" err &&
	test_must_fail udm watch add / 2>err && grep -q "refusing" err &&
	udm watch list >out && test_must_be_empty out
'

test_expect_success 'a non-root client may read but not change anything' '
	chmod 755 "$T_TMP" &&
	nob() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$UDM" --runtime-dir "$UDM_RT" "$@"; } &&
	nob ls >out && grep -q "^lin" out &&
	nob info lin >/dev/null && nob table lin >/dev/null && nob status >/dev/null && nob version >/dev/null &&
	udm ls >before &&
	test_must_fail nob create x --table "0 8 zero" 2>err && grep -q "Permission denied" err &&
	for v in "remove lin" "suspend lin" "resume lin" "rename lin y" "load lin t.txt" \
		 "clear lin" "remove_all" "attach lin" "detach lin" "message lin 0 x" "shutdown"; do
		test_must_fail nob $v 2>err || return 1
		grep -q "Permission denied" err || { cat err; return 1; }
	done &&
	udm ls >after && test_cmp before after &&
	udm info lin | grep -q "^State:             ACTIVE$"
'

test_expect_success '--allow-uid lets a named user change things' '
	rt2=$T_TMP/rt2 &&
	"$UDMD" --runtime-dir "$rt2" --state-dir "$T_TMP/st2" --allow-uid nobody 2>>"$UDMD_LOG" &&
	at_exit_rt2() { "$UDM" --runtime-dir "$rt2" shutdown; } &&
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$UDM" --runtime-dir "$rt2" create z --table "0 8 zero" &&
	"$UDM" --runtime-dir "$rt2" ls | grep -q "^z" &&
	"$UDM" --runtime-dir "$rt2" shutdown &&
	! test -e "$rt2/control"
'

test_expect_success 'malformed and truncated messages get an error reply; udmd keeps serving' '
	out=$(udmd_raw "b\"garbage-garbage-garbage\"") && test "$out" = "-74 malformed or truncated message" &&
	out=$(udmd_raw "b\"UDMC\\x01\\x00\"") && test "$out" = "-74 malformed or truncated message" &&
	out=$(udmd_raw "b\"UDMC\\x02\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\"") &&
	test "$out" = "-71 unsupported protocol version" &&
	out=$(udmd_raw "b\"UDMC\\x01\\x00\\x0c\\x01\\x00\\x00\\x00\\x00\\xff\\xff\\xff\\x7f\"") &&
	test "$out" = "-90 message too large" &&
	out=$(udmd_raw "b\"UDMC\\x01\\x00\\x0c\\x01\\x00\\x00\\x00\\x00\\x64\\x00\\x00\\x00abc\"") &&
	test "$out" = "-74 malformed or truncated message" &&
	out=$(udmd_raw "b\"UDMC\\x01\\x00\\x0c\\x01\\x00\\x00\\x00\\x00\\x06\\x00\\x00\\x00\\x02\\x00\\x00\\x00a\\x00\"") &&
	test "$out" = "-74 malformed request arguments" &&
	out=$(udmd_raw "$(udmd_msg 0x7777 0)") && test "$out" = "-25 unknown command 0x7777" &&
	out=$(udmd_raw "$(udmd_msg 0x0102 0 a b c d e)") && test "$out" = "-22 wrong number of arguments" &&
	out=$(udmd_raw "$(udmd_msg 0x010b 0 lin)" | tr -d "\0") &&
	case "$out" in "0 UDMR"*lin*) ;; *) false ;; esac &&
	udm ls | grep -q "^lin" && kill -0 "$(udmd_pid)"
'

test_expect_success 'remove_all removes every closed device' '
	udm remove_all &&
	udm ls >out && echo "No devices found" >exp && test_cmp exp out
'

test_expect_success 'udm shutdown stops udmd and leaves nothing behind' '
	pid=$(udmd_pid) &&
	udm shutdown &&
	pid_gone "$pid" &&
	! udmd_mapper_mounted &&
	! test -e "$UDM_RT/control" &&
	test -z "$(udmd_our_loops)"
'

test_done
