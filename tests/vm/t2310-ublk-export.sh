#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm-vm: seconds 130 (tests/run starts the longest files first)
# udmd --export=ublk on the kernels that have ublk (6.12, the newest), one boot each: devices of
# every target read back byte for byte through /dev/ublkbN, with their /dev/mapper links and
# dmsetup/veritysetup unchanged; a verity device has the data block size and is read-only; a
# corrupted block gives EIO; under the BPF enforcer and a policy allowing one root hash, a program
# on a mounted verity ublk device runs and the same program on an unverified ublk device is
# denied; udmd killed with SIGKILL under a reader loop and started again takes the devices over:
# no reader error, every pass sums right, the mount reads on, decisions stay; a graceful shutdown
# removes the devices. Another root process can neither send udm's ublk device a control command
# other than a query nor open its char device, also while no udmd runs (between a kill -9 and the
# restart), each refusal with its record; the same works on a ublk device that is not udm's. Under
# the fanotify enforcer (the identity cache vouching for ublk bindings), a verified program runs, and
# once another root process stops its disk under the mount, and then serves a disk of its own at the
# watched path (on the same device number when the kernel gives it again), the program is denied.
. "$(dirname "$0")/vm-harness.sh"
vm_require_probe
W=$T_TMP/w

test_expect_success 'setup: a verified probe image, a 32 MiB verified random image, a policy' '
	vm_probe_image "$W" &&
	{ echo "policy_name=ublk policy_version=0.0.1"; echo "DEFAULT action=ALLOW"
	  echo "DEFAULT op=EXECUTE action=DENY"; echo "op=EXECUTE boot_verified=TRUE action=ALLOW"
	  echo "op=EXECUTE dmverity_roothash=sha256:$A action=ALLOW"; } >"$W/boot.pol" &&
	head -c $((32 << 20)) /dev/urandom >"$W/big" && "$UDM" verity format "$W/big" "$W/bighash" >"$W/fr" &&
	sed -n "s/^Root hash:[[:space:]]*//p" "$W/fr" >"$W/rroot" && test -s "$W/rroot" &&
	sha256sum <"$W/big" | cut -d" " -f1 >"$W/big.sum"
'

for K in $(vm_kernels 6.12 7.2); do
	OUT=$W/out-$K
	test_expect_success "$K: one boot" '
		bins=() && for f in "$UDM_BUILD/tests/vm/udm-probe" "$UDM_BUILD/tests/vm/libprobe.so" "$W/img" \
			"$UDM_BUILD/tests/vm/udm-attack" "$UDM_BUILD/tests/vm/ublk-serve" \
			"$W/hashA" "$W/roots" "$W/rroot" "$W/boot.pol"; do bins+=(--bins "$f"); done &&
		vm_boot out-$K --kernel $K --disk "$W/big" --disk "$W/bighash" "${bins[@]}" "$VM/ublk-export.guest.sh" &&
		OUT=$T_TMP/out-$K.out &&
		{ grep -q "^@@done" "$OUT" || { tail -40 "$OUT" "$T_TMP/out-$K.err"; false; }; }
	'
	OUT=$T_TMP/out-$K.out
	test_expect_success "$K: started with the ublk export, status says so" '
		vm_case "$OUT" start >s && cat s && grep -qx "rc=0" s && grep -qx "export: ublk" s
	'
	test_expect_success "$K: every target reads back byte for byte through /dev/ublkbN and its link" '
		vm_case "$OUT" targets >t && cat t &&
		want=$(cat "$W/big.sum") && grep -qx "want $want" t &&
		for n in linear striped delay flakey; do
			grep -qE "^$n dev /dev/ublkb[0-9]+ link /dev/ublkb[0-9]+ sum $want$" t || { echo "$n wrong"; return 1; }
		done &&
		test "$(sed -n "s/^zero sum //p" t)" = "$(sed -n "s/^zero want //p" t)" &&
		grep -q "^0 [0-9]* linear" t && grep -qx "left 0" t
	'
	test_expect_success "$K: verity through ublk: right data, data block size, read-only" '
		vm_case "$OUT" verity >v && cat v &&
		grep -qE "^r sum $(cat "$W/big.sum") link /dev/ublkb[0-9]+$" v &&
		grep -qx "lbs 4096 ro 1" v && grep -q "status: *verified" v
	'
	test_expect_success "$K: a corrupted block gives EIO" '
		vm_case "$OUT" corrupt >c && cat c && grep -q "^read rc=1 .*Input/output error" c
	'
	test_expect_success "$K: BPF enforcement: verified program runs, unverified one is denied" '
		vm_case "$OUT" enforce >e && cat e &&
		grep -q "^v /dev/ublkb" e && grep -qx "exec-v rc=0" e && grep -qx "exec-u rc=126" e &&
		test "$(sed -n "s/^records //p" e)" -ge 1
	'
	test_expect_success "$K: guard: other root processes cannot command or open udm's ublk device" '
		vm_case "$OUT" guard >g && cat g &&
		grep -q "^info-udm rc=0 ok" g && grep -q "^stop-udm rc=1 EPERM" g &&
		grep -q "^recover-udm rc=1 EPERM" g && grep -q "^del-udm rc=1 EPERM" g &&
		grep -q "^open-udm rc=1 EPERM" g && grep -qx "r still $(cat "$W/big.sum")" g &&
		n=$(sed -n "s/^id //p" g) && o=$(sed -n "s/^other //p" g) && test -n "$n" && test -n "$o" &&
		for c in 0xc0207507 0xc0207510 0xc0207505; do   # STOP_DEV START_USER_RECOVERY DEL_DEV
			grep -q "^record .*op=protect hook=uring_cmd detail=$c pid=[0-9]* comm=\"udm-attack\" dev=[0-9]*:$n action=DENY" g ||
				{ echo "no record for $c"; return 1; }
		done &&
		grep -q "^record .*op=protect hook=file_open .*comm=\"udm-attack\" dev=[0-9]*:$n action=DENY" g &&
		test "$(grep -c "^record .*comm=\"udm-attack\"" g)" = 4 &&
		grep -q "^info-other rc=0 ok" g && grep -q "^recover-other rc=0 ok" g &&
		grep -q "^open-other rc=0 ok" g && grep -q "^del-other rc=0 ok" g
	'
	test_expect_success "$K: kill -9 and restart under a reader loop: no error, right sums, mount reads on" '
		vm_case "$OUT" restart >r && cat r &&
		grep -qx "killed" r && grep -qx "restart rc=0" r && grep -qx "loop done" r && ! grep -q "pass error" r &&
		want=$(sed -n "s/^want //p" r) && test "$want" = "$(cat "$W/big.sum")" &&
		test "$(grep -c "^pass $want$" r)" = 6 && test "$(sed -n "s/^after //p" r)" = "$want" &&
		grep -qx "file same" r && grep -qx "exec-v rc=0" r && grep -qx "exec-u rc=126" r &&
		grep -q "took over /dev/ublkb[0-9]* (r)" r && grep -q "took over /dev/ublkb[0-9]* (v)" r &&
		! grep -q "cannot" r
	'
	test_expect_success "$K: guard while no udmd runs: no takeover of udm's device by another process" '
		vm_case "$OUT" window >wi && cat wi &&
		grep -q "^window-recover rc=1 EPERM" wi && grep -q "^window-open rc=1 EPERM" wi &&
		test "$(grep -c "^record .*hook=uring_cmd detail=0xc0207510 .*comm=\"udm-attack\"" wi)" = 2 &&
		test "$(grep -c "^record .*hook=file_open .*comm=\"udm-attack\"" wi)" = 2
	'
	test_expect_success "$K: a graceful shutdown removes the devices and their records" '
		vm_case "$OUT" shutdown >sd && cat sd && grep -qx "shutdown rc=0" sd && grep -qx "left 0 records 0" sd
	'
	test_expect_success "$K: fanotify: a ublk disk stopped by another process, and a disk of its own at the path, are denied" '
		vm_case "$OUT" fanotify >f && cat f &&
		grep -qx "start rc=0" f && grep -qx "exec-v rc=0" f && grep -q "^stop-v rc=0 ok" f &&
		grep -qx "exec-stopped rc=126" f &&
		grep -q "^other /dev/ublkb" f && grep -qx "exec-other rc=126" f &&
		test "$(sed -n "s/^denied-other //p" f)" -ge 1 && grep -qx "shutdown rc=0" f && grep -qx "no-cache 0" f
	'
done

vm_done
