# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of t4150-bpf-self-protect.sh (runs under bash in the VM): udmd --enforcer=bpf with a
# deny-by-default EXECUTE policy, then, as root, every way out of the enforcement that does not go
# through the authorised path, each beside a control where the same action on something that is not
# udm's (or by the authorised holder) works. One line per case: "case NAME rc=N OUTPUT".
# Inputs in /usr/local/bin (tests/vm/vm-run --bins): udm-probe, udm-attack, libsteal.so, img, hashA,
# roots (ROOT_A ROOT_B), boot.pol.
set -u
I=/usr/local/bin W=/tmp/w
mkdir -p $W/v $W/u $W/st $W/st2 $W/st3
read -r ROOT_A ROOT_B <$I/roots
cp $I/img $W/img-u; cp $I/img $W/img-u2
c() { local n=$1; shift; "$@" >$W/o 2>&1; local rc=$?; echo "case $n rc=$rc $(head -c 400 $W/o | tr '\n' ' ')"; }
start() { udmd --enforcer=bpf --state-dir $W/st --trusted-certs /vm/cert.pem --audit-log $W/audit "$@" 2>>$W/udmd.err; }
pid() { cat /run/udm/udmd.pid; }
LOOP_CHANGE_FD=0x4C06

c start start --boot-policy $I/boot.pol
udm verity open $I/img v $I/hashA "$ROOT_A" && L=$(udm attach v) && mount -t erofs -o ro "$L" $W/v &&
	LU=$(losetup -f) && losetup -r "$LU" $W/img-u && mount -t erofs -o ro "$LU" $W/u || echo "setup failed"
c exec-v $W/v/dprog
c exec-u $W/u/dprog

# 1. the 32-bit ioctl path (compat_sys_ioctl: file_ioctl_compat from 6.8; file_ioctl before)
c compat-udm udm-attack compat-ioctl "$L" $LOOP_CHANGE_FD $W/img-u2
c compat-other udm-attack compat-ioctl "$LU" $LOOP_CHANGE_FD $W/img-u2
c compat-exec-v $W/v/dprog
# 8. LOOP_SET_STATUS64 with an offset on udm's loop device; on another one it works
c offset-udm udm-attack set-offset "$L" 4096
c offset-other udm-attack set-offset "$LU" 0
# 4. a preloaded library in a process running udmd's binary gets nothing; nor does a link's pin
c preload env LD_PRELOAD=$I/libsteal.so udmd
c link-pin udm-attack obj-get /sys/fs/bpf/udm/link_udm_bprm_check
c map-pin udm-attack obj-get /sys/fs/bpf/udm/udm_config
c holder udm enforce status
# 3. a second udmd: on the same pins with an empty state folder; on pins of its own
c second udmd --enforcer=bpf --runtime-dir /run/udm2 --state-dir $W/st2 --audit-log $W/audit2
c second-auto udmd --runtime-dir /run/udm2 --state-dir $W/st2 --audit-log $W/audit2
c third udmd --enforcer=bpf --runtime-dir /run/udm3 --state-dir $W/st3 --bpf-pin-dir /sys/fs/bpf/udm3 --audit-log $W/audit3
c first-exec-u $W/u/dprog
c first-exec-v $W/v/dprog
c first-table udm table v
# 5. ptrace: udmd traced from its exec (PTRACE_TRACEME first) is not trusted, and udmd cannot be attached
c traceme-udmd timeout 60 udm-attack traceme udmd --foreground --takeover --enforcer=bpf --state-dir $W/st --audit-log $W/audit
c traceme-other udm-attack traceme udm-probe
c ptrace-attach udm-attack ptrace-attach $(pid)
c ptrace-mem head -c 16 /proc/$(pid)/mem
sleep 60 & OTHER=$!
c ptrace-other udm-attack ptrace-attach $OTHER
kill $OTHER
# read-mode checks stay open: what journald, ps and lsof read of udmd, with no record
c ptrace-exe readlink /proc/$(pid)/exe
c ptrace-environ cat /proc/$(pid)/environ
# 6. PR_SET_MM_EXE_FILE naming udmd's executable
c prctl-udmd udm-attack prctl-exe /usr/sbin/udmd
c prctl-other udm-attack prctl-exe $I/udm-probe
# 7. root without CAP_MAC_ADMIN: every request that weakens enforcement
c nocap-stop udm-attack nocap udm enforce stop
c nocap-permissive udm-attack nocap udm policy enforce off
c nocap-shutdown udm-attack nocap udm shutdown --force
c nocap-exec-u $W/u/dprog
c nocap-read udm-attack nocap udm enforce status
# the authorised path: with CAP_MAC_ADMIN, udm enforce stop detaches (and is audited)
c cap-stop udm enforce stop
c stopped-exec-u $W/u/dprog
c stopped-pins ls /sys/fs/bpf/udm

# handover to a new udmd binary (another inode) under exec loops: no unverified code runs
umount -l $W/v; udm shutdown --force >/dev/null 2>&1
c restart2 start
c restart2-exec-u $W/u/dprog
cp /usr/sbin/udmd /usr/sbin/udmd.new
udm-probe exec-loop $W/u/dprog 6 >$W/loop-u &
udm-probe exec-loop $I/udm-probe 6 >$W/loop-b &
sleep 1
OLD=$(pid)
c handover udmd.new --takeover --enforcer=bpf --state-dir $W/st --trusted-certs /vm/cert.pem --audit-log $W/audit
wait
c handover-loop-u cat $W/loop-u
c handover-loop-b cat $W/loop-b
c handover-pid bash -c "test \"\$(cat /run/udm/udmd.pid)\" != $OLD && ! kill -0 $OLD 2>/dev/null && echo new"
c handover-exec-u $W/u/dprog
c handover-status udm enforce status
c handover-holder udm-attack obj-get /sys/fs/bpf/udm/udm_config

# 2. udmd dead (kill -9): the pins hold; unmounting or covering their bpffs is refused
kill -9 "$(pid)"; sleep 1
c dead-exec-u $W/u/dprog
c umount-pins umount /sys/fs/bpf
c umount-lazy-sys umount -l /sys
c mount-over mount -t tmpfs none /sys/fs/bpf
c remount-pins mount -o remount,mode=0755 /sys/fs/bpf
mkdir -p /tmp/bpf2
c umount-other bash -c "mount -t bpf bpf /tmp/bpf2 && umount /tmp/bpf2 && echo done"
c dead-exec-u2 $W/u/dprog
# a crash, then a restart: re-adopted under the lock (this time locked: --lock)
c readopt start --lock
c readopt-exec-u $W/u/dprog
c readopt-status udm enforce status
# locked: after a crash nobody adopts; the decisions stay, fail-closed
kill -9 "$(pid)"; sleep 1
c locked-restart start
c locked-steal udm-attack obj-get /sys/fs/bpf/udm/udm_config
c locked-exec-u $W/u/dprog
c locked-exec-b udm-probe
echo "--- udmd"; cat $W/udmd.err
echo "--- audit"; cat $W/audit
