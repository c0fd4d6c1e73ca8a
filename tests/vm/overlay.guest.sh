# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of t4300-overlay.sh (bash in the VM): files on overlayfs decided by the layer that holds
# their data. Lower layers: the same erofs image on a signed udm verity device (udm verity open
# --root-hash-signature, attached to a loop device: "vu"), on a kernel dm-verity device opened by the real
# veritysetup ("vk"), and on a plain loop device ("un"); upper layers on tmpfs. Phase U: udmd
# --enforcer=bpf decides; phase K (6.12 and 7.2, when /usr/local/bin/phase-k exists): the kernel's IPE
# with the same policy, on the vk overlays only (IPE knows no udm device). success_audit is on; after each
# case a sentinel (an allowed mmap PROT_EXEC of /m/NAME on the boot filesystem) closes its window of
# records, as ipe-compare.guest.sh does. One line per case: "PHASE case NAME rc=N OUTPUT"; then the
# copy-up races ("PHASE race LOWER I COUNTS") and the records.
# Inputs in /usr/local/bin: udm-probe, libprobe.so, img, hashA, roots (ROOT_A), A.p7s (signature of
# ROOT_A), ovl.p7s (policy "ovl").
set -u
export DM_DISABLE_UDEV=1
I=/usr/local/bin W=/tmp/w O=/tmp/ov
mkdir -p $W/vu $W/vk $W/un $W/st /m
read -r ROOT_A <$I/roots
cp $I/img $W/img-u
RACES=${RACES:-4}
c() {
	local n=$1; shift
	"$@" >$W/o 2>&1; local rc=$? o
	o=$(<$W/o); o=${o:0:300}
	echo "$PH case $n rc=$rc ${o//$'\n'/ }"
	echo "$n" >/m/$PH-$n && udm-probe mmap /m/$PH-$n >/dev/null
}

# ovl NAME LOWER [OPTS]: an overlay at $O/NAME/m over LOWER with a tmpfs upper
ovl() {
	local n=$1 l=$2 opts=${3:+,$3}
	mkdir -p $O/$n/u $O/$n/w $O/$n/m &&
	mount -t overlay overlay -o "lowerdir=$l,upperdir=$O/$n/u,workdir=$O/$n/w$opts" $O/$n/m
}

# the overlays of lower L ($W/L), and what the cases need in their upper layers:
#   o-L  plain: cu and culib copied up (touch), new written into the upper
#   m-L  metacopy=on: mc copied up as metadata only (chmod), mcd copied up as metadata then data
#   n-L  an overlay whose lower is o-L (nested)
#   d-L  a metadata layer over L as a data-only layer (6.5+)
setup() {  # L
	local l=$1
	ovl o-$l $W/$l && touch $O/o-$l/m/cu $O/o-$l/m/culib && cp $W/$l/dprog $O/o-$l/m/new &&
	ovl m-$l $W/$l metacopy=on,redirect_dir=on && chmod 750 $O/m-$l/m/mc $O/m-$l/m/mcd && : >>$O/m-$l/m/mcd &&
	ovl n-$l $O/o-$l/m || { echo "setup: overlays of $l failed"; return 1; }
	# a data-only lower layer (lowerdir=META::DATA, 6.5+, as composefs): META holds dc, a metacopy
	# entry whose data is DATA's dprog (trusted.overlay.redirect), on tmpfs
	mkdir -p $O/d-$l/meta $O/d-$l/m && : >$O/d-$l/meta/dc && chmod 755 $O/d-$l/meta/dc &&
	truncate -s $(stat -c %s $W/$l/dprog) $O/d-$l/meta/dc &&
	udm-probe setxattr $O/d-$l/meta/dc trusted.overlay.metacopy "" >/dev/null &&
	udm-probe setxattr $O/d-$l/meta/dc trusted.overlay.redirect /dprog >/dev/null ||
		{ echo "setup: data-only layer of $l failed"; return 1; }
	mount -t overlay overlay -o "metacopy=on,redirect_dir=follow,lowerdir=$O/d-$l/meta::$W/$l" $O/d-$l/m 2>$W/dmount ||
		echo "setup $l data-only layers: not in this kernel: $(<$W/dmount)"
	# a metacopy upper holds no data blocks, a data copy-up does
	echo "setup $l upper blocks: mc=$(stat -c %b $O/m-$l/u/mc) mcd=$(stat -c %b $O/m-$l/u/mcd)"
}

cases() {  # L...
	local l
	c start true
	for l in "$@"; do
		local m=$O/o-$l/m
		# the lower layer's own files through the overlay: allowed when the lower is verified
		c exec-$l $m/dprog
		c ldso-$l /lib64/ld-linux-x86-64.so.2 $m/dprog
		c mmap-$l udm-probe mmap $m/lib.so
		c mprotect-$l udm-probe mprotect $m/lib.so
		c nest-$l $O/n-$l/m/dprog
		c mc-$l $O/m-$l/m/mc
		grep -q " $O/d-$l/m " /proc/mounts && c dc-$l $O/d-$l/m/dc
		# data in the upper (tmpfs): denied whatever the lower
		c cu-$l $m/cu
		c cu-ldso-$l /lib64/ld-linux-x86-64.so.2 $m/cu
		c cu-mmap-$l udm-probe mmap $m/culib
		c cu-mprotect-$l udm-probe mprotect $m/culib
		c new-$l $m/new
		c mcd-$l $O/m-$l/m/mcd
		c nest-cu-$l $O/n-$l/m/cu
	done
	c end true
}

# race L: copy-up racing an exec/mmap loop, RACES times on a fresh overlay; the upper's data is told
# apart from the lower's by its content (udm-probe race): no allow may run or map it
race() {  # L
	local l=$1 i
	for i in $(seq $RACES); do
		ovl r$i-$l $W/$l || { echo "$PH race $l $i: mount failed"; continue; }
		local m=$O/r$i-$l/m
		udm-probe race $m/dprog $m/lib.so 4 >$W/race &
		local p=$!
		sleep 1.$i
		udm-probe overwrite $m/lib.so "UPPR" >/dev/null
		udm-probe overwrite $m/dprog '#!/bin/sh\nexit 3\n' >/dev/null
		wait $p
		echo "$PH race $l $i: $(<$W/race)"
		umount $m
	done
}

# the unverified lower, common to both phases
LU=$(losetup -f) && losetup -r "$LU" $W/img-u && mount -t erofs -o ro "$LU" $W/un || echo "setup: unverified volume failed"

# ---- phase U: udm's BPF backend ----
PH=U
udmd --enforcer=bpf --state-dir $W/st --trusted-certs /vm/cert.pem --audit-log $W/audit 2>>$W/udmd.err ||
	echo "U: udmd failed: $(cat $W/udmd.err)"
udm verity open $I/img vu $I/hashA "$ROOT_A" --root-hash-signature $I/A.p7s && L=$(udm attach vu) &&
	mount -t erofs -o ro "$L" $W/vu || echo "U: udm verity volume failed"
veritysetup open $I/img vk $I/hashA "$ROOT_A" && mount -t erofs -o ro /dev/mapper/vk $W/vk ||
	echo "U: kernel verity volume failed"
for d in /sys/block/dm-*; do [ "$(cat $d/dm/name)" = vk ] && KV=${d##*/}; done
echo "U devs vu=${L#/dev/} vk=${KV:-?} un=${LU#/dev/}"
setup vu; setup vk; setup un
udm policy load $I/ovl.p7s && udm policy activate ovl && udm policy success-audit on || echo "U: policy failed"
cases vu vk un
udm policy success-audit off || echo "U: success-audit off failed"
race vu; race vk
udm status --daemon | sed 's/^/U status /'
echo "$PH" >/m/U-done && udm-probe mmap /m/U-done >/dev/null
udm policy success-audit on && echo "U" >/m/U-flush && udm-probe mmap /m/U-flush >/dev/null
for i in $(seq 100); do grep -q 'path="/m/U-flush"' $W/audit && break; sleep 0.2; done
udm enforce stop >/dev/null || echo "U: enforce stop failed"
for d in $O/*/m; do umount $d 2>/dev/null; done
for d in $O/n-*/m; do umount $d 2>/dev/null; done
for d in $O/*/m; do umount $d 2>/dev/null; done
rm -rf $O
umount $W/vu && udm detach vu >/dev/null && udm shutdown >/dev/null 2>&1 || echo "U: teardown failed"

# ---- phase K: the kernel's IPE (vk only) ----
if [ -e $I/phase-k ] && [ -d /sys/kernel/security/ipe ]; then
	PH=K
	for d in /sys/block/dm-*; do [ "$(cat $d/dm/name)" = vk ] && KV=${d##*/}; done
	echo "K devs vk=${KV:-?} un=${LU#/dev/}"
	setup vk; setup un
	vm-write $I/ovl.p7s /sys/kernel/security/ipe/new_policy >/dev/null &&
		echo 1 >/sys/kernel/security/ipe/policies/ovl/active &&
		echo 1 >/sys/kernel/security/ipe/success_audit || echo "K: policy failed"
	cases vk un
	echo 0 >/sys/kernel/security/ipe/success_audit
	race vk
fi

echo "--- udm audit"; grep '^type=1420 ' $W/audit
echo "--- kernel audit"; dmesg | sed -n 's/^.*audit: \(type=1420 .*\)$/\1/p'
echo "--- udmd"; cat $W/udmd.err
