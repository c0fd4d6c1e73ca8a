#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm-vm: seconds 200 (tests/run starts the longest files first)
# Device-mapper limits against the real 6.1, 6.12 and 7.2 kernels: every limit dm-ioctl.c and dm-table.c
# enforce (name and uuid lengths, check_name, duplicates, renames, the table's shape, "too large
# device", the target count, a device mapped onto itself directly, through its node, through a loop
# device on it and through a cycle, device areas and logical-block alignment) is tried with Debian's
# dmsetup on the kernel and with udm's dmsetup on udmd, in one boot per kernel (dm-limits.guest.sh).
# Every command must give the same outcome, errno and message on both sides.
. "$(dirname "$0")/vm-harness.sh"
vm_require

GUEST=$T_ROOT/tests/vm/dm-limits.guest.sh
# Cases where udm knowingly differs (docs/vm-tier.md, "Device-mapper limits"), per kernel: "CASE" entries.
# - size-u64: a length that does not fit 64 bits: dmsetup's strtoull saturates it and the kernel says
#   "too large device"; udm's table parser refuses the line (EINVAL both)
# - self-loop: a loop device on the device's own node: the kernel accepts the table; udm refuses it as
#   a device mapped onto itself (its I/O would go round through FUSE into udmd and block the daemon)
# 6.1 only (udm follows 6.12 and newer):
# - name-control, name-dot, name-dotdot, rename-control: 6.1 accepts "control", "." and ".."
# - self-devno: a device without a table as its own table's device: 6.1 ENXIO, 6.12 EINVAL
# - self-path, self-live: the same with a live table, by node and by number: 6.1 accepts the load
KNOWN_6_12="size-u64 self-loop"
KNOWN_7_2="size-u64 self-loop"
KNOWN_6_1="name-control name-dot name-dotdot rename-control size-u64 self-devno self-path self-live self-loop"

test_expect_success 'setup: the case list and a 4 MiB disk' '
	sed -n "s/^	\([a-z0-9-]*\)) .*/\1/p" "$GUEST" >dm-limits.cases && test -s dm-limits.cases &&
	truncate -s 4M d1
'
for k in $(vm_kernels 6.1 6.12 7.2); do
	test_expect_success "kernel $k: every case on the kernel and on udm" '
		vm_boot k'$k' --kernel '$k' --disk d1 --bins dm-limits.cases "$GUEST" &&
		{ grep -q "^@@done" k'$k'.out || { cat k'$k'.out k'$k'.err; false; }; }
	'
done
# norm: what may differ in a message without meaning anything: the device naming ("vdb", "loop0" on
# the kernel, "MAJ:MIN" or the path on udm) and the device numbers of the mapped devices
norm() {
	sed -e 's#/dev/vdb#@D#g; s#/dev/loop[0-9]*#@L#g; s#\bvdb\b#@D#g; s#\bloop[0-9]*\b#@L#g' \
	    -e 's#\b25[0-9]:[0-9]*\b#@N#g; s#\b240:[0-9]*\b#@N#g; s#\b7:[0-9]*\b#@L#g'
}
# same K U: whether udm's step lines (file U) say what the kernel's (K) say, step by step: the same
# outcome; the same errno where the request reached the kernel (dmsetup refuses some in user space,
# errno "-": udm must refuse them too); the same message where udm prints one (udm's control calls
# return the errno alone, as dmsetup prints it, without the kernel's log line)
same() {
	awk 'NR == FNR { k[FNR] = $0; nk = FNR; next }
	{ nu = FNR; split(k[FNR], a, " rc=| errno=| msg="); split($0, b, " rc=| errno=| msg=")
	  if (a[1] != b[1] || a[2] != b[2]) bad = 1
	  else if (a[2] != "0" && a[3] != "-" && a[3] != b[3]) bad = 1
	  else if (a[2] != "0" && a[3] != "-" && b[4] != "-" && a[4] != b[4]) bad = 1 }
	END { exit bad || nk != nu || nk == 0 }' "$1" "$2"
}
# compare K: "CASE" for each case whose steps differ between the kernel and udm (details in diverge.K)
compare() {
	local f=k$1.out
	grep "^@@step" "$f" | while read -r _ c s side rest; do echo "$c $s $side $rest"; done >steps.$1 &&
	while read -r c; do
		grep "^$c [0-9]* k " steps.$1 | cut -d" " -f2,4- | norm | sed "s/rc=[1-9][0-9]*/rc=F/" >k.$c
		grep "^$c [0-9]* u " steps.$1 | cut -d" " -f2,4- | norm | sed "s/rc=[1-9][0-9]*/rc=F/" >u.$c
		if ! same k.$c u.$c; then
			echo "$c"; { echo "== $c"; diff k.$c u.$c; } >>diverge.$1
		fi
	done <dm-limits.cases
}
for k in $(vm_kernels 6.1 6.12 7.2); do
	test_expect_success "kernel $k: udm gives the kernel's outcome, errno and message" '
		: >diverge.'$k' && compare '$k' >ids.'$k' &&
		n=$(wc -l <dm-limits.cases) && vm_count "dm limits ('$k')" $n $((n - $(wc -l <ids.'$k'))) &&
		known=KNOWN_${k/./_} && printf "%s\n" ${!known} | sed "/^\$/d" | sort >want.'$k' && sort -o ids.'$k' ids.'$k' &&
		{ test_cmp want.'$k' ids.'$k' || { cat diverge.'$k'; false; }; }
	'
	test_expect_success "kernel $k: nothing is left behind on either side" '
		! grep "^@@left" k'$k'.out
	'
done
vm_done
