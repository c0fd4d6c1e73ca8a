# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of t4110-ipe-compare.sh (runs under bash on 6.12 or 7.2): the same signed policy, the same images
# and the same cases twice in one boot, first decided by udm's BPF backend (phase U: udmd
# --enforcer=bpf, udm's verity device attached to a loop device; the kernel's IPE has no policy), then
# by the kernel's IPE (phase K: udm's enforcement stopped, the kernel's dm-verity device, the policy
# written to securityfs and activated; IPE cannot be deactivated, hence this order). success_audit is on
# in both. One line per case, "PHASE case NAME rc=N OUTPUT"; after each case a sentinel (an allowed
# mmap PROT_EXEC of /m/NAME on the boot filesystem, audited on both sides) closes its window of audit
# records. Inputs in /usr/local/bin (tests/vm/vm-run --bins): udm-probe, libprobe.so, img, hashA, roots
# (ROOT_A), cmp.p7s (policy "cmp", signed by the test CA).
set -u
I=/usr/local/bin W=/tmp/w
mkdir -p $W/v $W/u $W/b $W/st /m /k
read -r ROOT_A <$I/roots
cp $I/img $W/img-u
MOD=dm_zero
c() {
	local n=$1; shift
	"$@" >$W/o 2>&1; local rc=$? o
	# bash alone reads the output: a pipeline's processes would add records in no fixed order
	o=$(<$W/o); o=${o:0:300}
	echo "$PH case $n rc=$rc ${o//$'\n'/ }"
	echo "$n" >/m/$n && udm-probe mmap /m/$n >/dev/null
}
# the module is loaded at boot (VM_MODULES); each load case starts and ends without it
unload() { rmmod $MOD 2>/dev/null; }

cases() {
	c start true
	c exec-v $W/v/dprog
	c exec-u $W/u/dprog
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
	c anon udm-probe anon
	c anon-mprotect udm-probe anon-mprotect
	c memfd udm-probe memfd $W/v/dprog dprog
	c exec-copy /tmp/copy
	c kmod-v udm-probe finit $W/v/dm-zero.ko
	unload
	c kmod-u udm-probe finit $W/u/dm-zero.ko
	unload
	c kmod-boot udm-probe finit /k/dm-zero.ko
	unload
	c kmod-buffer udm-probe initmod $W/v/dm-zero.ko
	unload
	# AT_EXECVE_CHECK (6.14+; 6.12 refuses the flag with EINVAL): a program and a script, each on the
	# verified and on the unverified volume, asked directly and by an interpreter under
	# udm exec --restrict-scripts (which also refuses -c); the same interpreter without the
	# securebits runs the unverified script (what stays open for interpreters that only read)
	c xcheck-v udm-probe execve-check $W/v/dprog
	c xcheck-u udm-probe execve-check $W/u/dprog
	c xcheck-script-v udm-probe execve-check $W/v/script.sh
	c xcheck-script-u udm-probe execve-check $W/u/script.sh
	c interp-v udm exec --restrict-scripts -- udm-probe interp $W/v/script.sh
	c interp-u udm exec --restrict-scripts -- udm-probe interp $W/u/script.sh
	c interp-c udm exec --restrict-scripts -- udm-probe interp -c "echo hi"
	c interp-free-u udm-probe interp $W/u/script.sh
	c end true
}

# setup common to both phases: the unverified volume (a plain read-only loop device), its bind mount,
# a copy of the program on tmpfs, a module on the boot filesystem
LU=$(losetup -f) && losetup -r "$LU" $W/img-u && mount -t erofs -o ro "$LU" $W/u && mount --bind $W/u $W/b ||
	echo "setup: unverified volume failed"
unload; grep -q "^$MOD " /proc/modules && echo "setup: $MOD still loaded"

# ---- phase U: udm's BPF backend ----
PH=U
udmd --enforcer=bpf --state-dir $W/st --trusted-certs /vm/cert.pem --audit-log $W/audit 2>>$W/udmd.err ||
	echo "U: udmd failed: $(cat $W/udmd.err)"
udm verity open $I/img v $I/hashA "$ROOT_A" && L=$(udm attach v) && mount -t erofs -o ro "$L" $W/v ||
	echo "U: verified volume failed"
cp $W/v/dprog /tmp/copy && cp $W/v/dm-zero.ko /k/dm-zero.ko || echo "U: copies failed"
echo "U devs V=${L#/dev/} U=${LU#/dev/}"
udm policy load $I/cmp.p7s && udm policy activate cmp && udm policy success-audit on || echo "U: policy failed"
cases
udm status --daemon | sed 's/^/U status /'
# the sentinel of the last case is the last record: everything before it has been written
for i in $(seq 100); do grep -q 'path="/m/end"' $W/audit && break; sleep 0.2; done
udm enforce stop >/dev/null || echo "U: enforce stop failed"
umount $W/v && udm detach v >/dev/null && udm shutdown >/dev/null 2>&1 || echo "U: teardown failed"

# ---- phase K: the kernel's IPE ----
PH=K
veritysetup open $I/img v $I/hashA "$ROOT_A" && mount -t erofs -o ro /dev/mapper/v $W/v ||
	echo "K: verified volume failed"
for d in /sys/block/dm-*; do [ "$(cat $d/dm/name)" = v ] && KV=${d##*/}; done
echo "K devs V=${KV:-?} U=${LU#/dev/}"
vm-write $I/cmp.p7s /sys/kernel/security/ipe/new_policy >/dev/null &&
	echo 1 >/sys/kernel/security/ipe/policies/cmp/active &&
	echo 1 >/sys/kernel/security/ipe/success_audit || echo "K: policy failed"
cases

echo "--- udm audit"; grep '^type=1420 ' $W/audit
echo "--- kernel audit"; dmesg | sed -n 's/^.*audit: \(type=1420 .*\)$/\1/p'
echo "--- udmd"; cat $W/udmd.err
