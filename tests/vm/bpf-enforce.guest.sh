# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of t4100-bpf-enforce.sh (runs under bash in the VM): udmd --enforcer=bpf system-wide with
# a deny-by-default EXECUTE policy, then every way to run code, from a verified and an unverified
# volume. One line per case: "case NAME rc=N OUTPUT" (rc of the attempt), audit records at the end.
# Inputs in /usr/local/bin (tests/vm/vm-run --bins): udm-probe, libprobe.so, img, hashA, hashB,
# roots (ROOT_A ROOT_B), boot.pol, update.p7s.
set -u
I=/usr/local/bin W=/tmp/w
mkdir -p $W/v $W/u $W/b $W/st
read -r ROOT_A ROOT_B <$I/roots
cp $I/img $W/img-u
c() { local n=$1; shift; "$@" >$W/o 2>&1; local rc=$?; echo "case $n rc=$rc $(head -c 300 $W/o | tr '\n' ' ')"; }
start() { udmd --enforcer=bpf --state-dir $W/st --trusted-certs /vm/cert.pem --audit-log $W/audit "$@" 2>>$W/udmd.err; }

c start start --boot-policy $I/boot.pol
c status udm enforce status
udm verity open $I/img v $I/hashA "$ROOT_A" && L=$(udm attach v) && mount -t erofs -o ro "$L" $W/v &&
	LU=$(losetup -f) && losetup -r "$LU" $W/img-u && mount -t erofs -o ro "$LU" $W/u || echo "setup failed"
c exec-v $W/v/dprog
c exec-u $W/u/dprog
mount --bind $W/u $W/b
c bind-u $W/b/dprog
c unshare-u unshare -m $W/u/dprog
c ldso-v /lib64/ld-linux-x86-64.so.2 $W/v/dprog
c ldso-u /lib64/ld-linux-x86-64.so.2 $W/u/dprog
c preload-v env LD_PRELOAD=$W/v/lib.so udm-probe
c preload-u env LD_PRELOAD=$W/u/lib.so udm-probe
c dlopen-v udm-probe dlopen $W/v/lib.so
c dlopen-u udm-probe dlopen $W/u/lib.so
c mmap-v udm-probe mmap $W/v/lib.so
c mmap-u udm-probe mmap $W/u/lib.so
c mprotect-v udm-probe mprotect $W/v/lib.so
c mprotect-u udm-probe mprotect $W/u/lib.so
# the record's path is taken at hook time, not after the process has gone: ten more short-lived
# processes, a bind mount and an unlinked file (d_path's " (deleted)")
for i in 1 2 3 4 5 6 7 8 9 10; do c mprotect-u$i udm-probe mprotect $W/u/lib.so; done
c mprotect-ub udm-probe mprotect $W/b/lib.so
cp $W/u/lib.so /tmp/del.so && exec 3</tmp/del.so && rm /tmp/del.so
c mprotect-udel udm-probe mprotect /proc/self/fd/3
exec 3<&-
c anon udm-probe anon
c anon-mprotect udm-probe anon-mprotect
c memfd udm-probe memfd $W/v/dprog dprog
c exec-tmp cp $W/v/dprog /tmp/copy
c exec-copy /tmp/copy

# the table follows the resume: B (not in the policy) denied at once, A allowed again, under a loop of execs
TA=$(udm table v)
TB=$(echo "$TA" | sed "s|$I/hashA|$I/hashB|; s|$ROOT_A|$ROOT_B|; s| aa\$| bb|")
udm-probe exec-loop $W/v/dprog 8 >$W/loop &
bad=0
for i in 1 2 3 4 5 6; do
	udm reload v --readonly --table "$TB" && udm resume v || bad=$((bad + 100))
	$W/v/dprog 2>/dev/null && bad=$((bad + 1))
	udm reload v --readonly --table "$TA" && udm resume v || bad=$((bad + 100))
	$W/v/dprog || bad=$((bad + 1))
done
wait
c swap echo "stale=$bad $(cat $W/loop)"

# policy update (signed): B becomes allowed, switched at once
udm reload v --readonly --table "$TB" && udm resume v
c before-update $W/v/dprog
c update udm policy update bpf $I/update.p7s
c after-update $W/v/dprog
udm reload v --readonly --table "$TA" && udm resume v

# protection of the enforcement against other processes
c loop-clr losetup -d "$L"
c unlink-pin rm /sys/fs/bpf/udm/link_udm_bprm_check
c map-fd bpftool map dump pinned /sys/fs/bpf/udm/udm_config
c prog-list bpftool prog show name udm_bprm_check
c link-by-id bash -c 'for id in $(bpftool link list 2>/dev/null | sed -n "s/^\([0-9]*\): lsm.*/\1/p"); do bpftool link detach id $id && exit 0; done; exit 1'
c ptrace-mem head -c 16 /proc/$(cat /run/udm/udmd.pid)/mem

# fail-closed: udmd killed, then restarted
kill -9 "$(cat /run/udm/udmd.pid)"; sleep 1
c dead-exec-u $W/u/dprog
c dead-mmap-u udm-probe mmap $W/u/lib.so
umount -l $W/v; umount $W/b
c restart start
c restarted-exec-u $W/u/dprog
c restarted-status udm enforce status
c stop udm enforce stop
c stopped-exec-u $W/u/dprog
c stopped-pins ls /sys/fs/bpf/udm
udm shutdown >/dev/null 2>&1
echo "--- udmd"; cat $W/udmd.err
echo "--- audit"; cat $W/audit
