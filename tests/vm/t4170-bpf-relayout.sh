#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm-vm: seconds 150 (tests/run starts the longest files first)
# A handover across a change of the BPF maps' layout (docs/enforcement.md "Handover across a layout
# change"), on Debian's real kernels (one boot each): udmd hands over to a udmd built with
# UDM_TEST_LAYOUT=1 (one map value grew) under exec loops: no unverified code runs, verified code
# keeps running, the successor enforces on maps of its own with one set of programs (the old links
# detached), and the guards hold for it; after its crash the udmd of the first layout re-adopts the
# pins the same way. Builds the other layout's udmd in build-layout/ (make, incremental).
. "$(dirname "$0")/vm-harness.sh"
vm_require_probe
W=$T_TMP/w
LB=$T_ROOT/build-layout

test_expect_success 'setup: a udmd of another map layout; a verified image; a deny-by-default policy' '
	nice -n 10 make -s -C "$T_ROOT" -j2 B=build-layout UDM_TEST_LAYOUT=1 "build-layout/udmd" >"$T_TMP/make.out" 2>&1 &&
	mkdir -p "$W" && cp "$LB/udmd" "$W/udmd-layout" &&
	vm_probe_image "$W" &&
	{ echo "policy_name=bpf policy_version=0.0.1"; echo "DEFAULT action=ALLOW"
	  echo "DEFAULT op=EXECUTE action=DENY"; echo "op=EXECUTE boot_verified=TRUE action=ALLOW"
	  echo "op=EXECUTE dmverity_roothash=sha256:$A action=ALLOW"; } >"$W/boot.pol"
'

links() { vm_result "$1" | sed -n "s/.*guarded \([0-9]*\).*/\1/p"; }

for K in $(vm_kernels ${UDM_T4170_KERNELS:-7.2 6.12 6.1}); do
OUT=$W/out-$K
test_expect_success "$K: boot and run every case" '
	bins=() && for f in "$UDM_BUILD/tests/vm/udm-probe" "$UDM_BUILD/tests/vm/udm-attack" "$W/udmd-layout" \
		"$W/img" "$W/hashA" "$W/roots" "$W/boot.pol"; do bins+=(--bins "$f"); done &&
	{ "$VM/vm-run" --kernel "$K" "${bins[@]}" "$VM/relayout.guest.sh" >"$OUT" 2>"$OUT.err" ||
	  { tail -5 "$OUT.err"; false; }; } &&
	vm_expect start "^rc=0" && vm_expect exec-u "^rc=126" && vm_expect exec-b "^rc=0" &&
	test "$(links links-before)" -gt 0
'
test_expect_success "$K: a handover to another layout under exec loops runs no unverified code" '
	vm_expect handover "^rc=0" && vm_expect handover-loop-u "ok 0 denied [1-9]" &&
	vm_expect handover-loop-b "ok [1-9][0-9]* denied 0 other 0" &&
	vm_expect handover-pid "new" && vm_expect handover-exe "udmd-layout" &&
	vm_expect handover-exec-u "^rc=126" && vm_expect handover-exec-b "^rc=0" &&
	grep -q "maps have another layout (map udm_stats" "$OUT" &&
	vm_record "op=handover_receive " && vm_record "op=relayout .*res=1"
'
test_expect_success "$K: the successor enforces with one set of programs; the guards hold for it" '
	vm_expect handover-status "^rc=0 enforcer: bpf" &&
	test "$(links handover-links)" = "$(links links-before)" &&
	vm_expect handover-rm "^rc=1" "Operation not permitted" && vm_expect handover-steal "EPERM" &&
	vm_expect handover-exec-u2 "^rc=126" && vm_expect handover-exec-v "^rc=0" &&
	vm_record "op=protect hook=pin_[a-z]* .*comm=\"rm\""
'
test_expect_success "$K: after its crash the first layout re-adopts the pins the same way" '
	vm_expect dead-exec-u "^rc=126" && vm_expect readopt "^rc=0" &&
	vm_expect readopt-loop-u "ok 0 denied [1-9]" && vm_expect readopt-loop-b "ok [1-9][0-9]* denied 0 other 0" &&
	vm_expect readopt-exec-u "^rc=126" && vm_expect readopt-status "^rc=0 enforcer: bpf" &&
	test "$(links readopt-links)" = "$(links links-before)" &&
	vm_expect readopt-rm "^rc=1" && vm_expect readopt-steal "EPERM" &&
	vm_record "op=adopt_after_exit .*res=1"
'
[ -z "${UDM_VM_KEEP:-}" ] || cp "$OUT" "$UDM_VM_KEEP.$K"
done
test_done
