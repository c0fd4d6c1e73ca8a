# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of t4170-bpf-relayout.sh (runs under bash in the VM): udmd --enforcer=bpf with a
# deny-by-default EXECUTE policy hands over (--takeover) to a udmd whose maps have another layout
# (udmd-layout: built with UDM_TEST_LAYOUT=1) under two exec loops; then, after a crash, the udmd
# of the first layout re-adopts the other layout's pins. One line per case: "case NAME rc=N OUTPUT".
# Inputs in /usr/local/bin (tests/vm/vm-run --bins): udm-probe, udm-attack, udmd-layout, img, hashA,
# roots (ROOT_A ROOT_B), boot.pol.
set -u
I=/usr/local/bin W=/tmp/w
mkdir -p $W/u $W/v $W/st
read -r ROOT_A ROOT_B <$I/roots
cp $I/img $W/img-u
c() { local n=$1; shift; "$@" >$W/o 2>&1; local rc=$?; echo "case $n rc=$rc $(head -c 400 $W/o | tr '\n' ' ')"; cat $W/o >>$W/all; }
ARGS="--enforcer=bpf --state-dir $W/st --trusted-certs /vm/cert.pem --audit-log $W/audit"
pid() { cat /run/udm/udmd.pid; }
# loops: exec loops on the unverified image and on the boot's (verified) probe, around CMD...
loops() {
	udm-probe exec-loop $W/u/dprog 6 >$W/loop-u &
	udm-probe exec-loop $I/udm-probe 6 >$W/loop-b &
	sleep 1
	"$@"
	wait
}

c start udmd $ARGS --boot-policy $I/boot.pol 2>>$W/udmd.err
LU=$(losetup -f) && losetup -r "$LU" $W/img-u && mount -t erofs -o ro "$LU" $W/u || echo "setup failed"
c exec-u $W/u/dprog
c exec-b udm-probe
c links-before udm-attack guarded-links

# the handover to the other layout, under the loops
OLD=$(pid)
loops c handover udmd-layout --takeover $ARGS 2>>$W/udmd.err
c handover-loop-u cat $W/loop-u
c handover-loop-b cat $W/loop-b
c handover-pid bash -c "test \"\$(cat /run/udm/udmd.pid)\" != $OLD && ! kill -0 $OLD 2>/dev/null && echo new"
c handover-exe readlink /proc/$(pid)/exe
c handover-exec-u $W/u/dprog
c handover-exec-b udm-probe
c handover-status udm enforce status
c handover-links udm-attack guarded-links
c handover-rm rm -f /sys/fs/bpf/udm/link_udm_bprm_check
c handover-steal udm-attack obj-get /sys/fs/bpf/udm/udm_config
c handover-exec-u2 $W/u/dprog
# a verified device the successor makes: its programs alone decide (no stale old ones deny it)
udm verity open $I/img v $I/hashA "$ROOT_A" && L=$(udm attach v) && mount -t erofs -o ro "$L" $W/v ||
	echo "verity setup failed"
c handover-exec-v $W/v/dprog
umount -l $W/v

# a crash of the successor, then the udmd of the first layout re-adopts the other layout's pins
kill -9 "$(pid)"; sleep 1
c dead-exec-u $W/u/dprog
loops c readopt udmd $ARGS 2>>$W/udmd.err
c readopt-loop-u cat $W/loop-u
c readopt-loop-b cat $W/loop-b
c readopt-exec-u $W/u/dprog
c readopt-status udm enforce status
c readopt-links udm-attack guarded-links
c readopt-rm rm -f /sys/fs/bpf/udm/udm_config
c readopt-steal udm-attack obj-get /sys/fs/bpf/udm/udm_config
udm shutdown --force >/dev/null 2>&1
echo "--- outputs"; cat $W/all
echo "--- audit"; cat $W/audit
