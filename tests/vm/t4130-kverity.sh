#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm-vm: seconds 180 (tests/run starts the longest files first)
# Kernel dm-verity devices as udm's property source (docs/kernel-verity.md), on Debian's real 7.2,
# 6.12 and 6.1 kernels (one boot each): veritysetup-opened devices, signed and unsigned, erofs mounted,
# decided by udmd's BPF programs by root hash and by signature (exec, ld.so, mmap) with IPE's audit
# records; on 6.12 and 7.2 the same policy enforced first by the real IPE gives the same decisions and
# records. Table swaps, a non-verity reload, rename and remove (a reused minor) under execs: no
# decision uses the properties of a table that is not live.
. "$(dirname "$0")/vm-harness.sh"
vm_require_probe
W=$T_TMP/w

test_expect_success 'setup: one image, two hash trees, a signature of B, policies' '
	vm_probe_image "$W" &&
	{ echo "policy_name=kv policy_version=0.0.1"; echo "DEFAULT action=ALLOW"
	  echo "DEFAULT op=EXECUTE action=DENY"; echo "op=EXECUTE boot_verified=TRUE action=ALLOW"
	  echo "op=EXECUTE dmverity_roothash=sha256:$A action=ALLOW"
	  echo "op=EXECUTE dmverity_signature=TRUE action=ALLOW"; } >"$W/kv.pol" &&
	printf "policy_name=allow policy_version=0.0.1\nDEFAULT action=ALLOW\n" >"$W/allow.pol" &&
	"$VM/vm-sign" policy "$W/kv.pol" "$W/kv.p7s" &&
	"$VM/vm-sign" policy "$W/allow.pol" "$W/allow.p7s" &&
	"$VM/vm-sign" roothash "$B" "$W/B.p7s"
'

# result NAME: the line of case NAME from the last run
result() { sed -n "s/^case $1 //p" "$OUT"; }
# records PHASE: that phase's IPE access records without the audit stamp and the pid
records() { sed -n "/^--- $1\$/,/^--- end $1\$/p" "$OUT" | grep "^type=1420" |
	sed -e "s/audit([^)]*): //" -e "s/ pid=[0-9]*//"; }

for K in $(vm_kernels 7.2 6.12 6.1); do
OUT=$W/out-$K
test_expect_success "$K: boot and run every case" '
	bins=() && for f in "$UDM_BUILD/tests/vm/udm-probe" "$UDM_BUILD/tests/vm/libprobe.so" "$W/img" \
		"$W/hashA" "$W/hashB" "$W/roots" "$W/kv.pol" "$W/kv.p7s" "$W/allow.p7s" "$W/B.p7s"; do
		bins+=(--bins "$f"); done &&
	{ "$VM/vm-run" --kernel "$K" "${bins[@]}" "$VM/kverity.guest.sh" >"$OUT" 2>"$OUT.err" ||
	  { tail -5 "$OUT.err"; false; }; } &&
	result start | grep -q "^rc=0" &&
	result status | grep -q "kernel dm-verity devices: [1-9].*table swaps: watched"
'
test_expect_success "$K: veritysetup-opened devices are seen with their root hash and signature" '
	A=$(cut -d" " -f1 "$W/roots") && B=$(cut -d" " -f2 "$W/roots") &&
	result status | grep -q "kva dmverity_roothash=sha256:$A dmverity_signature=0" &&
	result status | grep -q "kvb dmverity_roothash=sha256:$B dmverity_signature=0" &&
	if [ $K != 6.1 ]; then
		result table-s | grep -q root_hash_sig_key_desc &&
		result status | grep -q "kvs dmverity_roothash=sha256:$B dmverity_signature=1"
	else
		# 6.1 trusts only the builtin and secondary keyrings: no signed device to be had
		result open-s | grep -qv "^rc=0"
	fi
'
test_expect_success "$K: exec, ld.so and mmap by root hash and by signature" '
	for v in a s; do
		[ $v = s ] && [ $K = 6.1 ] && continue
		for op in exec ldso mmap; do
			result udm-$op-$v | grep -q "^rc=0" || { echo "udm-$op-$v: $(result udm-$op-$v)"; return 1; }
		done
	done &&
	result udm-exec-b | grep -q "^rc=126 .*Permission denied" &&
	result udm-ldso-b | grep -q "failed to map segment" &&
	result udm-mmap-b | grep -q "^rc=1 .*EACCES" &&
	result eval-a | grep -q "^rc=0 ALLOW.*dmverity_roothash" &&
	result eval-b | grep -q "^rc=2 DENY" &&
	{ [ $K = 6.1 ] || result eval-s | grep -q "^rc=0 ALLOW.*dmverity_signature=TRUE"; }
'
test_expect_success "$K: each refusal has its IPE access record (dev=dm-N)" '
	for want in "ipe_hook=BPRM_CHECK.*path=\"/tmp/w/b/dprog\" dev=\"dm-" \
		"ipe_hook=MMAP.*comm=\"ld-linux-x86-64\" path=\"/tmp/w/b/dprog\" dev=\"dm-" \
		"ipe_hook=MMAP.*path=\"/tmp/w/b/lib.so\" dev=\"dm-"; do
		records udm | grep "ipe_op=EXECUTE .*enforcing=1" | grep "rule=\"DEFAULT op=EXECUTE action=DENY\"" |
			grep -q "$want" || { echo "no record: $want"; return 1; }
	done
'
if [ $K != 6.1 ]; then
test_expect_success "$K: the real IPE and udm, same policy: same decisions, same records" '
	result ipe-activate | grep -q "^rc=0" &&
	for n in $(sed -n "s/^case ipe-\([a-z]*-[abs]\) .*/\1/p" "$OUT"); do
		i=$(result ipe-$n | cut -d" " -f1) && u=$(result udm-$n | cut -d" " -f1) &&
		{ [ "$i" = "$u" ] || { echo "$n: IPE $i, udm $u"; return 1; }; }
	done &&
	records ipe >"$W/rec-ipe" && test -s "$W/rec-ipe" &&
	records udm | head -n "$(wc -l <"$W/rec-ipe")" >"$W/rec-udm" &&
	diff "$W/rec-ipe" "$W/rec-udm"
'
fi
# stale: an exec right after a resume to B that ran (A's properties); late: a resume to A whose
# execs were still denied after 10 s. The loop's "other" counts execs that passed BPRM_CHECK and
# then had their segments' mmap denied because a swap to B came in between: decided on the live table.
test_expect_success "$K: table swaps under a loop of execs never use stale properties" '
	result x-first | grep -q "^rc=0" &&
	result swap | grep -q "swaps=20 stale=0 late=0 loop: ok [1-9][0-9]* denied [1-9][0-9]* other"
'
test_expect_success "$K: a non-verity (error) table over a verity device: no properties" '
	result linear-reload | grep -q "^rc=0" && result linear-resume | grep -q "^rc=0" &&
	result linear-now | grep -vq "^rc=0" && result linear-later | grep -vq "^rc=0" &&
	result linear-eval | grep -q "^rc=2 DENY" && result linear-status | grep -q "none" &&
	result x-back | grep -q "^rc=0"
'
test_expect_success "$K: rename keeps the device its properties; the old name'\''s new device has its own" '
	result renamed | grep -q "^rc=0" && result renamed-status | grep -q "kvy dmverity_roothash" &&
	result oldname-new | grep -q "^rc=126" && result oldname-new-later | grep -q "^rc=126"
'
test_expect_success "$K: remove, then the minor reused by another table: nothing inherited" '
	result remove | grep -q "^rc=0" && result removed-status | grep -q none &&
	result reuse-minor | grep -q "same minor" && result reused-exec | grep -q "^rc=126" &&
	result reused-loop | grep -q "ok 0 denied [1-9][0-9]* other 0"
'
test_expect_success "$K: a restarted udmd refills from the devices" '
	result restart | grep -q "^rc=0" && result restarted-a | grep -q "^rc=0" &&
	result restarted-b | grep -q "^rc=126" && result stop | grep -q "^rc=0"
'
[ -z "${UDM_VM_KEEP:-}" ] || cp "$OUT" "$UDM_VM_KEEP.$K"
done
test_done
