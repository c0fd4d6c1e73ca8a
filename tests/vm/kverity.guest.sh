# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of t4130-kverity.sh (bash in the VM): kernel dm-verity devices opened with the real
# veritysetup/dmsetup, erofs mounted, decided by udmd's BPF programs (and, on 6.12 and 7.2, first by the real
# IPE with the same policy). One line per case: "case NAME rc=N OUTPUT"; the records at the end
# between "--- ipe" / "--- udm" markers.
# Inputs in /usr/local/bin: udm-probe, libprobe.so, img, hashA, hashB, roots (ROOT_A ROOT_B),
# kv.pol (text), kv.p7s and allow.p7s (signed for IPE), B.p7s (signature of ROOT_B).
set -u
# no udev here: libdevmapper makes the /dev/mapper nodes itself
export DM_DISABLE_UDEV=1
I=/usr/local/bin W=/tmp/w
mkdir -p $W/a $W/b $W/s $W/x $W/y $W/l $W/st
read -r ROOT_A ROOT_B <$I/roots
c() { local n=$1; shift; "$@" >$W/o 2>&1; local rc=$?; echo "case $n rc=$rc $(head -c 2000 $W/o | tr '\n' ' ')"; }
K=$(uname -r)
IPE=0; [ -d /sys/kernel/security/ipe ] && IPE=1
echo "kernel $K ipe=$IPE"

# veritysetup-opened devices: A unsigned (allowed by root hash), B unsigned (denied), S = B signed
# (allowed by signature; 6.1 refuses the test CA's signatures)
c open-a veritysetup open $I/img kva $I/hashA "$ROOT_A"
c open-b veritysetup open $I/img kvb $I/hashB "$ROOT_B"
c open-s veritysetup open $I/img kvs $I/hashB "$ROOT_B" --root-hash-signature=$I/B.p7s
c table-s dmsetup table kvs
mount -t erofs -o ro /dev/mapper/kva $W/a && mount -t erofs -o ro /dev/mapper/kvb $W/b || echo "mount failed"
SIGNED=0
[ -b /dev/mapper/kvs ] && mount -t erofs -o ro /dev/mapper/kvs $W/s && SIGNED=1
TA=$(dmsetup table kva) TB=$(dmsetup table kvb)
# the non-verity table: dm-verity is an immutable target, the kernel lets only the error target
# (a wildcard) replace it ("can't replace immutable target type verity")
SECT=$(echo "$TA" | awk '{print $2}')
TL="0 $SECT error"

# the decision cases on one volume, the same for IPE and for udm
cases() {  # PHASE
	local p=$1 v
	for v in a b s; do
		[ $v = s ] && [ $SIGNED = 0 ] && continue
		c $p-exec-$v $W/$v/dprog
		c $p-ldso-$v /lib64/ld-linux-x86-64.so.2 $W/$v/dprog
		c $p-mmap-$v udm-probe mmap $W/$v/lib.so
	done
}

# ---- 6.12, 7.2: the real IPE, same policy ----
if [ $IPE = 1 ]; then
	dmesg -C
	c ipe-load vm-write $I/kv.p7s /sys/kernel/security/ipe/new_policy
	c ipe-activate sh -c 'echo 1 > /sys/kernel/security/ipe/policies/kv/active'
	cases ipe
	# a non-verity table reloaded over a verity device: what does IPE keep?
	dmsetup create kvl --readonly --table "$TA" && mount -t erofs -o ro /dev/mapper/kvl $W/l &&
		c ipe-l-before $W/l/dprog &&
		dmsetup reload kvl --readonly --table "$TL" && dmsetup resume kvl && c ipe-l-error $W/l/dprog
	umount $W/l; dmsetup remove kvl
	c ipe-off-load vm-write $I/allow.p7s /sys/kernel/security/ipe/new_policy
	c ipe-off sh -c 'echo 1 > /sys/kernel/security/ipe/policies/allow/active'
	echo "--- ipe"; dmesg | grep -o 'type=1420 .*' ; echo "--- end ipe"
fi

# ---- udm's BPF programs, same policy ----
# libbpf's messages (verifier log on a refused load) go to udmd.err, printed at the end
start() { UDMD_BPF_DEBUG=1 udmd --enforcer=bpf --state-dir $W/st --audit-log $W/audit "$@" 2>>$W/udmd.err; }
c start start --boot-policy $I/kv.pol
c status udm enforce status
cases udm
c eval-a udm policy eval $I/kv.pol --op EXECUTE --file $W/a/dprog
c eval-b udm policy eval $I/kv.pol --op EXECUTE --file $W/b/dprog
[ $SIGNED = 1 ] && c eval-s udm policy eval $I/kv.pol --op EXECUTE --file $W/s/dprog

# table swaps A <-> B on one device under a loop of execs: right after each resume to B the exec
# is denied (never A's properties); after a resume to A udmd refills from the uevent
c create-x dmsetup create kvx --readonly --table "$TA"
mount -t erofs -o ro /dev/mapper/kvx $W/x || echo "kvx failed"
wait_allowed() { local i; for i in $(seq 1 200); do $W/x/dprog >/dev/null 2>&1 && return 0; sleep 0.05; done; return 1; }
c x-first wait_allowed
udm-probe exec-loop $W/x/dprog 20 >$W/loop &
stale=0 late=0 n=0
for i in $(seq 1 10); do
	dmsetup reload kvx --readonly --table "$TB" && dmsetup resume kvx || stale=$((stale + 100))
	$W/x/dprog >/dev/null 2>&1 && stale=$((stale + 1))
	dmsetup reload kvx --readonly --table "$TA" && dmsetup resume kvx || stale=$((stale + 100))
	wait_allowed || late=$((late + 1))
	n=$((n + 1))
done
wait
c swap echo "swaps=$((n * 2)) stale=$stale late=$late loop: $(cat $W/loop)"

# a non-verity (error) table over the verity device: no properties at once, and none after udmd looked
c linear-reload dmsetup reload kvx --readonly --table "$TL"
c linear-resume dmsetup resume kvx
c linear-now $W/x/dprog
sleep 1
c linear-later $W/x/dprog
c linear-eval udm policy eval $I/kv.pol --op EXECUTE --file $W/x/dprog
c linear-status sh -c 'udm enforce status | grep "kernel dm-verity: .* kvx " || echo none'
dmsetup reload kvx --readonly --table "$TA" && dmsetup resume kvx
c x-back wait_allowed

# rename: the same device keeps its table's properties; a new device under the old name has its own
dmsetup rename kvx kvy
sleep 1
c renamed $W/x/dprog
c renamed-status sh -c 'udm enforce status | grep "kernel dm-verity: .* kvy "'
dmsetup create kvx --readonly --table "$TB" && mount -t erofs -o ro /dev/mapper/kvx $W/y || echo "new kvx failed"
c oldname-new $W/y/dprog
sleep 1
c oldname-new-later $W/y/dprog
umount $W/y; dmsetup remove kvx

# remove: the minor of a removed A device reused by a B device, under a loop of execs of the B volume
MIN=$(dmsetup info -c --noheadings -o minor kvy)
umount $W/x && c remove dmsetup remove kvy
c removed-status sh -c 'udm enforce status | grep "kernel dm-verity: .* kvy " || echo none'
dmsetup create kvz --readonly --table "$TB" && mount -t erofs -o ro /dev/mapper/kvz $W/x || echo "kvz failed"
c reuse-minor sh -c "test \"\$(dmsetup info -c --noheadings -o minor kvz)\" = $MIN && echo same minor $MIN"
udm-probe exec-loop $W/x/dprog 3 >$W/loop2 &
c reused-exec $W/x/dprog
wait
c reused-loop cat $W/loop2
umount $W/x; dmsetup remove kvz

# udmd restarted: the pinned programs keep following swaps; the new udmd refills from the scan
kill "$(cat /run/udm/udmd.pid)"; sleep 1
c restart start
c restarted-a $W/a/dprog
c restarted-b $W/b/dprog
c restarted-status udm enforce status
c stop udm enforce stop
udm shutdown >/dev/null 2>&1
umount $W/a $W/b; [ $SIGNED = 1 ] && umount $W/s
veritysetup close kva; veritysetup close kvb; [ $SIGNED = 1 ] && veritysetup close kvs
echo "--- udmd.err"; grep -v "^libbpf: \|^;\|^[0-9]*: (" $W/udmd.err | tail -40; grep -B2 -A30 "BEGIN PROG LOAD LOG" $W/udmd.err | grep -v "^;" | tail -60
echo "--- udm"; grep -o 'type=1420 .*' $W/audit; echo "--- end udm"
