# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of bench/ublk-read.sh: /dev/vdb a data image, /dev/vdc its hash tree, the root hash in
# /usr/local/bin/root. Each round reads the whole verified device once per mode (ublk, fuse,
# kernel), page cache dropped before each pass; prints "pass MODE MB/s" (10^6 bytes per second).
set -u
I=/usr/local/bin
ROUNDS=3
ROOT=$(cat $I/root)
modprobe ublk_drv 2>/dev/null
mkdir -p /tmp/st
dmesg -n 1
# one pass of device $2 in mode $1
pass() {
	local bytes t0 t1
	bytes=$(blockdev --getsize64 "$2")
	sync; echo 3 >/proc/sys/vm/drop_caches
	t0=$EPOCHREALTIME
	dd if="$2" of=/dev/null bs=1M iflag=direct status=none || { echo "read $1 failed"; return 1; }
	t1=$EPOCHREALTIME
	awk -v m="$1" -v b="$bytes" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "pass %s %.1f\n", m, b / (t1 - t0) / 1e6 }'
}
# udmd with export $1: the verity device opened, attached, read, removed
udm_pass() {
	udmd --export=$1 --enforcer=fanotify --state-dir /tmp/st 2>>/tmp/udmd.err || { tail -3 /tmp/udmd.err; return 1; }
	udm verity open /dev/vdb r /dev/vdc "$ROOT" && D=$(udm attach r) || { echo "open $1 failed"; udm shutdown; return 1; }
	pass "$1" "$D"
	udm remove --force r >/dev/null
	udm shutdown >/dev/null
	sleep 1
}
for round in $(seq $ROUNDS); do
	udm_pass ublk
	udm_pass fuse
	veritysetup open /dev/vdb kv /dev/vdc "$ROOT" || { echo "veritysetup open failed"; exit 1; }
	pass kernel /dev/mapper/kv
	veritysetup close kv
done
echo "--- udmd.err"; grep -v "^libbpf" /tmp/udmd.err | tail -5
