#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm-vm: seconds 120 (tests/run starts the longest files first)
# The simple targets against the real kernels: every case of tests/targets/oracle-cases.txt is loaded
# with dmsetup in one boot per kernel; 6.1's table/status lines and ctr errors must equal the recorded
# tests/targets/oracle-expected.txt, and udm (test_oracle_fixtures) must match each live kernel.
# udm follows 6.1 or the newest sources where 6.12 differs; KNOWN_6_12 and KNOWN_7_2 list those cases (docs/vm-tier.md)
# and the test checks that exactly these differ. UDM_ORACLE_REGEN=1 rewrites the expected file from 6.1.
. "$(dirname "$0")/vm-harness.sh"
vm_require

CASES=$T_ROOT/tests/targets/oracle-cases.txt
EXPECTED=$T_ROOT/tests/targets/oracle-expected.txt

# The guest script: one block per case, printing "@@case ID" then either "table LINE" + "status LINE"
# or "error MESSAGE" + "errno TEXT", with the guest's disk numbers replaced by @D1..@D3.
gen_guest_script() {
	cat <<'HDR'
dmesg -n 1
echo "kernel $(uname -r)"
norm() {
	sed -e "s/$(cat /sys/block/vdb/dev)\([^0-9]\|\$\)/@D1\1/g" \
	    -e "s/$(cat /sys/block/vdc/dev)\([^0-9]\|\$\)/@D2\1/g" \
	    -e "s/$(cat /sys/block/vdd/dev)\([^0-9]\|\$\)/@D3\1/g"
}
run() {
	echo "@@case $1"
	dmesg -c >/dev/null
	if dmsetup create ot --table "$2" 2>/tmp/err; then
		echo "table $(dmsetup table ot)" | norm
		echo "status $(dmsetup status ot)" | norm
		dmsetup remove ot
	else
		dmesg | grep 'device-mapper: table:' | grep -v 'error adding target' | head -1 |
			sed -e 's/.*device-mapper: table: [0-9]*:[0-9]*: /error /' -e 's/ (-E[A-Z0-9]*)$//'
		grep -o 'failed: .*' /tmp/err | head -1 | sed 's/^failed: /errno /'
		dmsetup remove ot 2>/dev/null
	fi
}
HDR
	local kw id tbl
	while read -r kw id tbl; do
		[ "$kw" = case ] || continue
		tbl=${tbl//@D1//dev/vdb}; tbl=${tbl//@D2//dev/vdc}; tbl=${tbl//@D3//dev/vdd}
		printf "run '%s' '%s'\n" "$id" "$tbl"
	done <"$CASES"
}

# Cases where udm and 6.12 differ, on purpose (docs/vm-tier.md, "Targets"):
# - a path that names nothing: 6.12 fails with ENOENT (lookup_bdev), 6.1 with ENODEV, udm with ENODEV;
# - the error target with arguments: 6.12 parses them ("Invalid device sector"), 6.1 and udm ignore them;
# - flakey feature conflicts (error_reads with a READ corruption, error_writes with a WRITE one, a
#   duplicated corrupt_bio_byte): 6.12 accepts them, the newest sources (and udm) refuse them.
# Cases where udm and 7.2 differ (docs/vm-tier.md, "Targets"): the path that names nothing and the
# error target's arguments as on 6.12; and an offset over 2^64 (lin-wrap, str-offwrap, fl-offwrap,
# dl-offwrap): 6.1 and 6.12 wrap it modulo 2^64 (and udm with them), 7.2 saturates it to 2^64-1 and
# refuses the table ("too small for target"). The flakey feature conflicts agree with 7.2.
KNOWN_7_2="dl-fnodev dl-nodev dl-offwrap error-args fl-nodev fl-offwrap lin-nodev lin-wrap str-destdev str-offwrap"
KNOWN_6_12="dl-fnodev dl-nodev error-args fl-cbb-dup fl-er-rrc fl-ew-rwc fl-nfeat7 fl-nodev lin-nodev str-destdev"

test_expect_success 'setup: the guest script and three 4 MiB disks' '
	gen_guest_script >guest.sh && truncate -s 4M d1 d2 d3
'
for k in $(vm_kernels 6.1 6.12 7.2); do
	test_expect_success "kernel $k runs every case" '
		vm_boot k'$k' --kernel '$k' --disk d1 --disk d2 --disk d3 guest.sh &&
		grep -v "^\[ *[0-9.]*\]" k'$k'.out >live'$k'.txt &&
		{ grep -q "^@@case dl-fnodev" live'$k'.txt || { cat k'$k'.out k'$k'.err; false; }; }
	'
done
# fixtures FILE: run udm's fixture test against a live kernel's output; the ids of the cases that differ
fixtures() {
	[ -x "$UDM_BUILD/tests/targets/test_oracle_fixtures" ] || { echo "no test_oracle_fixtures"; return 1; }
	(cd "$T_ROOT" && UDM_ORACLE_EXPECTED="$T_TMP/$1" "$UDM_BUILD/tests/targets/test_oracle_fixtures") >fx.txt 2>&1
	# it read the live file (a failure to read it is not a comparison)
	grep -q "^# oracle: kernel $(head -1 "$T_TMP/$1" | cut -d" " -f2-), " fx.txt || { cat fx.txt; return 1; }
	sed -n "s/^# \([a-z0-9-]*\): .*/\1/p" fx.txt | grep -vx oracle | sort | xargs -r
}
test_expect_success 'udm matches the live 6.1 kernel' '
	fixtures live6.1.txt >ids && n=$(grep -c "^@@case" live6.1.txt) &&
	vm_count "targets (6.1)" $n $((n - $(wc -w <ids))) &&
	{ test_must_be_empty ids || { cat fx.txt; false; }; }
'
test_expect_success 'udm matches the live 6.12 kernel except the documented cases' '
	fixtures live6.12.txt >ids && echo "$KNOWN_6_12" >want &&
	n=$(grep -c "^@@case" live6.12.txt) && vm_count "targets (6.12)" $n $((n - $(wc -w <ids))) &&
	{ test_cmp want ids || { cat fx.txt; false; }; }
'
test_expect_success 'udm matches the live 7.2 kernel except the documented cases' '
	fixtures live7.2.txt >ids && echo "$KNOWN_7_2" >want &&
	n=$(grep -c "^@@case" live7.2.txt) && vm_count "targets (7.2)" $n $((n - $(wc -w <ids))) &&
	{ test_cmp want ids || { cat fx.txt; false; }; }
'
test_expect_success 'kernel 6.1 agrees with the recorded expectations' '
	if [ "${UDM_ORACLE_REGEN:-}" = 1 ]; then cp live6.1.txt "$EXPECTED"; fi &&
	tail -n +2 "$EXPECTED" >exp && tail -n +2 live6.1.txt >got && test_cmp exp got
'
vm_done
