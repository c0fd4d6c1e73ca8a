#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of tests/vm/t2300-ublk-server.sh: /dev/vdb is the image, /dev/vdc a 1 MiB pattern.
dmesg -n 1
cat /dev/vdb >/tmp/img; cat /dev/vdc >/tmp/pat
sum() { dd if=$1 iflag=direct bs=1M status=none | sha256sum | cut -d" " -f1; }
start() {   # start FILE [ro] / recover ID FILE: prints "ID MAJ:MIN" or the error
	rm -f /tmp/s.out /tmp/s.err
	ublk-serve "$@" >/tmp/s.out 2>/tmp/s.err &
	SP=$!
	for i in $(seq 300); do [ -s /tmp/s.out ] || [ -s /tmp/s.err ] && break; sleep 0.1; done
	cat /tmp/s.out /tmp/s.err
}
echo "@@case add"
start add /tmp/img
ID=$(cut -d" " -f1 /tmp/s.out); DEV=/dev/ublkb$ID
echo "node $(stat -c "%t:%T" $DEV 2>&1)"
echo "sum $(sum $DEV)"
echo "ro $(blockdev --getro $DEV)"
echo "@@case write"
dd if=/tmp/pat of=$DEV bs=1M seek=3 oflag=direct conv=fsync status=none && echo "write ok"
echo "back $(dd if=$DEV iflag=direct bs=1M skip=3 count=1 status=none | sha256sum | cut -d" " -f1)"
echo "file $(dd if=/tmp/img bs=1M skip=3 count=1 status=none | sha256sum | cut -d" " -f1)"
echo "@@case second"
ublk-serve recover $ID /tmp/img 2>&1 | head -1
echo "@@case kill"
sum0=$(sum $DEV)
( n=0; for i in $(seq 6); do s=$(sum $DEV) || { echo "pass error"; continue; }; echo "pass $s"; done; echo "loop done" ) >/tmp/loop.out 2>&1 &
LP=$!
sleep 1; kill -9 $SP; wait $SP 2>/dev/null
echo "killed"
start recover $ID /tmp/img
wait $LP
cat /tmp/loop.out
echo "want $sum0"
echo "after $(sum $DEV)"
echo "@@case stop"
kill $SP; wait $SP; echo "stop rc=$?"
sleep 0.5
[ -e $DEV ] && echo "still there" || echo "gone"
echo "@@case ro"
start add /tmp/img ro
ID=$(cut -d" " -f1 /tmp/s.out); DEV=/dev/ublkb$ID
echo "ro $(blockdev --getro $DEV)"
dd if=/tmp/pat of=$DEV bs=1M oflag=direct status=none 2>/dev/null && echo "write ok" || echo "write refused"
kill $SP; wait $SP
echo "@@done"
