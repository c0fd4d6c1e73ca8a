#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# NBD exports as backing devices, with real nbdkit servers started here: the
# file and memory plugins on unix sockets and 127.0.0.1, the curl plugin on a
# local HTTP server; linear, striped and verity tables over them; udm verity
# format/verify/dump/open with URIs; a tampered export (its flipped block is
# EIO, every other block right); refusals naming the URI (unreachable server,
# refused export, export too small, read-only export) with nothing left
# behind; a server killed and restarted under a reader loop; a dead and a
# stalled server failing reads with EIO within the bound.
#
# Timeouts: the whole file runs under `timeout 600`; every server runs under
# its own `timeout` and is killed at exit whatever happened (t_cleanup); every
# command that waits on a server has its own `timeout`. udmd and the CLI run
# with UDM_NBD_TIMEOUT=3 UDM_NBD_RETRIES=5: a read of a dead or stalled server
# ends with EIO within 3 * (1 + 5) + 3.1 s (docs/nbd.md).
[ -n "${T_NBD_TIMED:-}" ] || T_NBD_TIMED=1 exec timeout -k 10 600 "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-udmd.sh"
. "$(dirname "$0")/verity-helpers.sh"

if ! test_have_prereq ROOT || ! test_have_prereq FUSE; then
	test_skip_all "needs root and /dev/fuse"
fi
command -v nbdkit >/dev/null || test_skip_all "needs nbdkit (scripts/deps.sh installs it)"
command -v python3 >/dev/null || test_skip_all "needs python3"
nbdkit curl --dump-plugin >/dev/null 2>&1 && test_set_prereq NBDCURL
nbdkit --filter=truncate null --dump-plugin >/dev/null 2>&1 && test_set_prereq NBDTRUNCATE
nbdkit --filter=delay null --dump-plugin >/dev/null 2>&1 && test_set_prereq NBDDELAY
nbdkit --filter=log null --dump-plugin >/dev/null 2>&1 && test_set_prereq NBDLOG
nbdkit memory --dump-plugin >/dev/null 2>&1 && test_set_prereq NBDMEMORY
nbdkit --filter=limit null --dump-plugin >/dev/null 2>&1 && test_set_prereq NBDLIMIT
for p in NBDCURL NBDTRUNCATE NBDDELAY NBDLOG NBDMEMORY NBDLIMIT; do
	test_have_prereq $p || echo "# nbdkit lacks ${p#NBD} (plugin or filter): its cases are skipped"
done

export UDM_NBD_TIMEOUT=3 UDM_NBD_RETRIES=5 UDM_NBD_CONNECTIONS=2
H="python3 $T_ROOT/tests/t/nbd-helpers.py"
M=$UDM_RT/mapper
S=$T_TMP/sock
cd "$T_TMP" || exit 1

# nbd_start NAME NBDKIT-ARGS...: nbdkit in the foreground of a background
# `timeout`, its pid in NAME.pid, killed at exit; returns once it serves
nbd_start() {
	local name=$1 i; shift
	rm -f "$T_TMP/$name.pid"
	timeout -k 5 500 nbdkit -f -P "$T_TMP/$name.pid" "$@" </dev/null >>"$T_TMP/nbdkit-$name.log" 2>&1 &
	for i in $(seq 100); do [ -s "$T_TMP/$name.pid" ] && return 0; sleep 0.1; done
	echo "nbdkit $name did not start:"; cat "$T_TMP/nbdkit-$name.log"; return 1
}
# nbd_stop NAME [SIGNAL]: stop it and wait until it is gone
nbd_stop() {
	local pid i; pid=$(cat "$T_TMP/$1.pid" 2>/dev/null) || return 0
	kill -"${2:-TERM}" "$pid" 2>/dev/null
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$T_TMP/$1.pid"
}
nbd_stop_all() { local f; for f in "$T_TMP"/*.pid; do [ -e "$f" ] && nbd_stop "$(basename "$f" .pid)" KILL; done; }
at_exit nbd_stop_all
# uri NAME [SOCKET]: the export NAME of the file server on a unix socket
uri() { echo "nbd+unix:///$1?socket=${2:-$S}"; }
# one_line FILE WORD...: FILE is one line holding every WORD
one_line() {
	local f=$1 w; shift
	test "$(wc -l <"$f")" = 1 || { echo "not one line:"; cat "$f"; return 1; }
	for w in "$@"; do grep -qF -- "$w" "$f" || { echo "no \"$w\" in:"; cat "$f"; return 1; }; done
}
gone() { test_must_fail udm info "$1" >/dev/null 2>&1; }
# tmo CMD...: CMD under a 60 s timeout; running out of time is never an
# expected failure (255: test_must_fail refuses it)
tmo() { timeout -k 5 60 "$@"; local rc=$?; [ $rc = 124 ] || [ $rc = 137 ] && { echo "timed out: $*" >&2; return 255; }; return $rc; }
# udmt ARGS...: udm (this test's udmd) under tmo
udmt() { tmo "$UDM" --runtime-dir "$UDM_RT" "$@"; }
root_of() { grep "^Root hash" "$1" | cut -d: -f2 | tr -d "\t\n "; }

# the images: 8 MiB of data, its tree (fixed salt and uuid), a copy with one
# byte of block 100 flipped
mkdir -p exports web
mkdata exports/data 8388608
"$UDM" verity format exports/data exports/hash --salt $SALT --uuid $UUID >fmt.out || exit 1
ROOT=$(root_of fmt.out)
cp exports/data exports/bad && xor_byte exports/bad $((100 * 4096 + 123)) 1
cp exports/data web/data && cp exports/hash web/hash
PORT=$($H port)

test_expect_success 'start udmd and nbdkit (file plugin: a unix socket and 127.0.0.1)' '
	start_udmd &&
	nbd_start unix -U "$S" file dir="$T_TMP/exports" &&
	nbd_start tcp -i 127.0.0.1 -p $PORT file dir="$T_TMP/exports"
'

test_expect_success 'linear over nbd+unix: the table names the URI, the bytes are the export' '
	udmt create lin --table "0 16384 linear $(uri data) 0" &&
	echo "0 16384 linear $(uri data) 0" >exp && udm table lin >out && test_cmp exp out &&
	tmo cmp $M/lin exports/data &&
	udm remove lin && gone lin
'

test_expect_success 'striped over two nbd:// exports on 127.0.0.1 reads as striped over the files' '
	u="nbd://127.0.0.1:$PORT" &&
	udmt create snbd --table "0 16384 striped 2 16 $u/data 0 $u/bad 0" &&
	udm create sloc --table "0 16384 striped 2 16 $T_TMP/exports/data 0 $T_TMP/exports/bad 0" &&
	tmo cmp $M/snbd $M/sloc &&
	udm remove snbd && udm remove sloc
'

test_expect_success NBDLOG 'one export, one connection pool: shared by every target and table naming it' '
	nbd_start logged -U "$T_TMP/logged.sock" --filter=log file exports/data logfile="$T_TMP/conn.log" &&
	test_when_finished "nbd_stop logged" &&
	u=$(uri "" "$T_TMP/logged.sock") &&
	udmt create sh1 --table "0 8192 linear $u 0
8192 8192 linear $u 8192" &&
	udmt create sh2 --table "0 8192 linear $u 8192" &&
	tmo cat $M/sh1 $M/sh2 $M/sh1 >/dev/null &&
	udm remove sh1 && udm remove sh2 &&
	n=$(grep -c " Connect " conn.log) &&
	echo "connections: $n" &&
	test "$n" -ge 1 && test "$n" -le 2
'

test_expect_success NBDLIMIT 'a server that takes one connection (limit filter): the pool stays at one, reads right' '
	nbd_start one -U "$T_TMP/one.sock" --filter=limit file dir="$T_TMP/exports" limit=1 &&
	test_when_finished "nbd_stop one" &&
	udmt create one --readonly --table "0 16384 linear $(uri data "$T_TMP/one.sock") 0" &&
	test_when_finished "udm remove one" &&
	pids= && for i in 1 2 3 4; do tmo cmp $M/one exports/data & pids="$pids $!"; done &&
	for p in $pids; do wait $p || return 1; done &&
	tmo $H check $M/one exports/data >chk && grep -qx "eio 0 wrong 0 passes 1" chk &&
	grep -q "$(uri data "$T_TMP/one.sock"): the server takes no more than 1 connections" "$UDMD_LOG"
'

test_expect_success 'verity open over NBD: data and hash exports, verified bytes, status V' '
	udmt verity open "$(uri data)" vn "$(uri hash)" $ROOT &&
	udm table vn | grep -qF "verity 1 $(uri data) $(uri hash) 4096 4096 2048 1 sha256 $ROOT $SALT" &&
	tmo cmp $M/vn exports/data &&
	echo "0 16384 verity V -" >exp && udm status vn >out && test_cmp exp out &&
	udm verity close vn && gone vn
'

test_expect_success 'udm verity verify, dump and format take URIs; veritysetup verify too' '
	tmo "$UDM" verity verify "$(uri data)" "$(uri hash)" $ROOT &&
	tmo "$UDM" verity dump "$(uri hash)" >dump.out &&
	grep -q "^UUID: *	$UUID" dump.out && grep -q "^Data blocks: *	2048" dump.out &&
	tmo "$UDM" verity format "nbd://127.0.0.1:$PORT/data" fromnbd.hash --salt $SALT --uuid $UUID >f2.out &&
	test "$(root_of f2.out)" = "$ROOT" && cmp fromnbd.hash exports/hash &&
	ln -sf "$UDM" veritysetup &&
	tmo ./veritysetup verify "$(uri data)" "$(uri hash)" $ROOT &&
	test_expect_code 2 tmo "$UDM" verity verify "$(uri bad)" "$(uri hash)" $ROOT
'

test_expect_success 'a tampered export: its flipped block reads as EIO, every other block right' '
	udmt verity open "$(uri bad)" vbad "$(uri hash)" $ROOT &&
	test_when_finished "udm verity close vbad" &&
	tmo $H check $M/vbad exports/data >chk &&
	cat chk &&
	grep -qx "eio 1 wrong 0 passes 1" chk && grep -qx "blocks 100" chk
'

test_expect_success NBDCURL 'curl plugin: the image over HTTP from a local server' '
	hp=$($H port) &&
	{ timeout -k 5 300 $H http $hp "$T_TMP/web" </dev/null >http.log 2>&1 & echo $! >http.pid; } &&
	test_when_finished "kill \$(cat http.pid)" &&
	for i in $(seq 50); do curl -sf -o /dev/null -r 0-0 http://127.0.0.1:$hp/hash && break; sleep 0.1; done &&
	nbd_start curl -U "$T_TMP/curl.sock" curl "http://127.0.0.1:$hp/data" &&
	test_when_finished "nbd_stop curl" &&
	nbd_start curlh -U "$T_TMP/curlh.sock" curl "http://127.0.0.1:$hp/hash" &&
	test_when_finished "nbd_stop curlh" &&
	udmt verity open "$(uri "" "$T_TMP/curl.sock")" vhttp "$(uri "" "$T_TMP/curlh.sock")" $ROOT &&
	test_when_finished "udm verity close vhttp" &&
	tmo cmp $M/vhttp exports/data
'

test_expect_success NBDMEMORY 'memory plugin: writes through linear; a read-only export refused read-write, allowed read-only' '
	mp=$($H port) &&
	nbd_start mem -i 127.0.0.1 -p $mp memory 4M &&
	test_when_finished "nbd_stop mem" &&
	nbd_start memro -U "$T_TMP/ro.sock" -r file exports/data &&
	test_when_finished "nbd_stop memro" &&
	udmt create mw --table "0 8192 linear nbd://127.0.0.1:$mp/ 0" &&
	head -c 4194304 exports/data >part &&
	tmo dd if=part of=$M/mw bs=64k conv=notrunc status=none &&
	udm remove mw &&
	udmt create mw --readonly --table "0 8192 linear nbd://127.0.0.1:$mp/ 0" &&
	tmo cmp $M/mw part && udm remove mw &&
	ro=$(uri "" "$T_TMP/ro.sock") &&
	test_must_fail udmt create mro --table "0 8192 linear $ro 0" 2>err &&
	one_line err "$ro" "read-only" && gone mro &&
	udmt create mro --readonly --table "0 8192 linear $ro 0" &&
	udm remove mro
'

test_expect_success 'refused: an unreachable server, an export the server has not: one line naming the URI' '
	dead=$($H port) &&
	test_must_fail udmt create nx --table "0 8 linear nbd://127.0.0.1:$dead/x 0" 2>err &&
	one_line err "nbd://127.0.0.1:$dead/x" "refused" && gone nx &&
	test_must_fail udmt create nx --table "0 8 linear $(uri nope) 0" 2>err &&
	one_line err "$(uri nope)" "nope" && gone nx &&
	test_must_fail udmt verity open "$(uri nope)" nx "$(uri hash)" $ROOT 2>err &&
	one_line err "$(uri nope)" && gone nx &&
	test_must_fail tmo "$UDM" verity verify "$(uri data)" "nbd://127.0.0.1:$dead/h" $ROOT 2>err &&
	one_line err "nbd://127.0.0.1:$dead/h" "refused" &&
	udm ls >ls.out && grep -q "No devices found" ls.out
'

test_expect_success NBDTRUNCATE 'an export smaller than the table (truncate filter): one line naming the URI' '
	nbd_start short -U "$T_TMP/short.sock" --filter=truncate file exports/data truncate=4M &&
	test_when_finished "nbd_stop short" &&
	su=$(uri "" "$T_TMP/short.sock") &&
	test_must_fail udmt create sh --table "0 16384 linear $su 0" 2>err &&
	one_line err "$su" "too small" && gone sh &&
	test_must_fail udmt verity open "$su" sh "$(uri hash)" $ROOT 2>err &&
	one_line err "$su" "too small" && gone sh &&
	test_must_fail udmt create sh --readonly --table "0 16384 verity 1 $su $(uri hash) 4096 4096 2048 1 sha256 $ROOT $SALT" 2>err &&
	one_line err "$su" "too small" && gone sh &&
	udm ls >ls.out && grep -q "No devices found" ls.out
'

test_expect_success 'a server killed and restarted under a reader loop: every read right' '
	rs="$T_TMP/restart.sock" &&
	nbd_start restart -U "$rs" file dir="$T_TMP/exports" &&
	test_when_finished "nbd_stop restart" &&
	udmt verity open "$(uri data "$rs")" vr "$(uri hash "$rs")" $ROOT &&
	test_when_finished "udm verity close vr" &&
	{ tmo $H check $M/vr exports/data 6 >loop.out 2>&1 & echo $! >reader.pid; } &&
	sleep 1.5 && nbd_stop restart KILL && rm -f "$rs" && sleep 0.5 &&
	nbd_start restart -U "$rs" file dir="$T_TMP/exports" &&
	sleep 1 && nbd_stop restart KILL && rm -f "$rs" &&
	nbd_start restart -U "$rs" file dir="$T_TMP/exports" &&
	while kill -0 $(cat reader.pid) 2>/dev/null; do sleep 0.2; done &&
	cat loop.out &&
	grep -q "^eio 0 wrong 0 passes" loop.out &&
	grep -q "connection lost.*reconnecting" "$UDMD_LOG"
'

test_expect_success 'a dead server: reads fail with EIO within the bound, then work again' '
	ds="$T_TMP/dead.sock" &&
	nbd_start dead -U "$ds" file dir="$T_TMP/exports" &&
	test_when_finished "nbd_stop dead" &&
	udmt create dl --readonly --table "0 16384 linear $(uri data "$ds") 0" &&
	test_when_finished "udm remove dl" &&
	nbd_stop dead KILL && rm -f "$ds" &&
	start=$(date +%s) &&
	test_must_fail tmo dd if=$M/dl of=/dev/null bs=4k count=1 skip=7 iflag=direct status=none 2>err &&
	grep -q "Input/output error" err &&
	end=$(date +%s) && echo "failed after $((end - start)) s" &&
	test $((end - start)) -le 25 &&
	nbd_start dead -U "$ds" file dir="$T_TMP/exports" &&
	tmo dd if=$M/dl of=one bs=4k count=1 skip=7 status=none &&
	dd if=exports/data of=want bs=4k count=1 skip=7 status=none && cmp one want
'

test_expect_success NBDDELAY 'a stalled server (delay filter): verify ends in EIO within the bound, no hang' '
	nbd_start slow -U "$T_TMP/slow.sock" --filter=delay file dir="$T_TMP/exports" rdelay=120 &&
	test_when_finished "nbd_stop slow" &&
	start=$(date +%s) &&
	test_must_fail env UDM_NBD_TIMEOUT=1 UDM_NBD_RETRIES=1 timeout -k 5 60 "$UDM" verity verify \
		"$(uri data "$T_TMP/slow.sock")" "$(uri hash)" $ROOT >out 2>&1 &&
	end=$(date +%s) && cat out && echo "failed after $((end - start)) s" &&
	test $((end - start)) -le 20 &&
	grep -q "Input/output error\|Cannot read" out
'

test_expect_success 'stop udmd: nothing left behind' 'stop_udmd'

test_done
