# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of t4140-bpf-fsverity.sh: udmd --enforcer=bpf with a policy that allows one fs-verity
# digest, on an ext4 image with fs-verity enabled files. One line per case: "case NAME rc=N OUTPUT".
# Inputs in /usr/local/bin: strue (a static program), digest.pol (allows strue's fs-verity digest,
# computed on the host) and digest.p7s (the same, signed for the kernel's IPE on 6.12 and 7.2). Needs
# mkfs.ext4 and fsverity in the guest. Phase U: udm's BPF backend; phase K (6.12, 7.2: IPE present): the
# same policy in the kernel's IPE, the same cases ("case k-NAME"), its records at the end.
set -u
I=/usr/local/bin W=/tmp/f
mkdir -p $W/m $W/st $W/st2 $W/st3
c() { local n=$1; shift; "$@" >$W/o 2>&1; local rc=$?; echo "case $n rc=$rc $(head -c 300 $W/o | tr '\n' ' ')"; }
command -v fsverity >/dev/null || { echo "case tools rc=1 no fsverity in the guest"; exit 0; }
dd if=/dev/zero of=$W/img bs=1M count=32 2>/dev/null && mkfs.ext4 -q -O verity -b 4096 $W/img &&
	L=$(losetup -f) && losetup "$L" $W/img && mount -t ext4 "$L" $W/m || { echo "case setup rc=1 ext4"; exit 0; }
cp $I/strue $W/m/good && { cat $I/strue; echo other; } >$W/m/bad && cp $I/strue $W/m/plain &&
	chmod +x $W/m/good $W/m/bad $W/m/plain
c enable fsverity enable $W/m/good
fsverity enable $W/m/bad
G=$(fsverity measure $W/m/good | cut -d' ' -f1)
echo "case digest rc=0 $G"
pol() { echo "policy_name=fsv policy_version=0.0.1"; echo "DEFAULT action=ALLOW"
	echo "DEFAULT op=EXECUTE action=DENY"; echo "op=EXECUTE boot_verified=TRUE action=ALLOW"; echo "$1"; }
cp $I/digest.pol $W/digest.pol
grep -q "fsverity_digest=$G " $W/digest.pol && echo "case host-digest rc=0" || echo "case host-digest rc=1 $G"
pol "op=EXECUTE fsverity_signature=TRUE action=ALLOW" >$W/sig.pol
start() { udmd --enforcer=bpf --audit-log $W/audit "$@"; }

# fsverity_signature has no kfunc: refused at start, naming the line; the programs that
# start attached are detached again, so nothing is left pinned
c sig-refused start --state-dir $W/st2 --bpf-pin-dir /sys/fs/bpf/udm-sig --boot-policy $W/sig.pol
echo "refusal: $(grep -h "policy line" $W/o)"
c sig-nopins test ! -e /sys/fs/bpf/udm-sig
udm shutdown >/dev/null 2>&1
c start start --state-dir $W/st --boot-policy $W/digest.pol
echo "refusal: $(grep -h "policy line" $W/o)"
c status udm enforce status
c good $W/m/good
c bad $W/m/bad
c plain $W/m/plain
c mmap-good udm-probe mmap $W/m/good
c mmap-bad udm-probe mmap $W/m/bad
c mprotect-good udm-probe mprotect $W/m/good
c mprotect-bad udm-probe mprotect $W/m/bad
udm enforce stop >/dev/null 2>&1
udm shutdown >/dev/null 2>&1
echo "--- audit"; cat $W/audit 2>/dev/null
if [ -e /sys/kernel/security/ipe/new_policy ]; then
	vm-write $I/digest.p7s /sys/kernel/security/ipe/new_policy >/dev/null &&
		echo 1 >/sys/kernel/security/ipe/policies/fsv/active && echo "case k-active rc=0" || echo "case k-active rc=1"
	for n in good bad plain; do c k-$n $W/m/$n; done
	for n in good bad; do c k-mmap-$n udm-probe mmap $W/m/$n; c k-mprotect-$n udm-probe mprotect $W/m/$n; done
	echo "--- kernel audit"; dmesg | sed -n 's/^.*audit: \(type=1420 .*\)$/\1/p'
fi
umount $W/m; losetup -d "$L"
