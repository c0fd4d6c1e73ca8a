#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm-vm: seconds 160 (tests/run starts the longest files first)
# Self-protection of the BPF enforcer on Debian's real 7.2, 6.12 and 6.1 kernels (one boot each), with a
# deny-by-default EXECUTE policy: the eight ways root switched enforcement off silently (issue 22 of
# wave 3: the compat ioctl, unmounting bpffs, a second udmd, LD_PRELOAD, PTRACE_TRACEME, PR_SET_MM,
# root without CAP_MAC_ADMIN, LOOP_SET_STATUS64 with an offset) are each refused with their audit
# record, beside a control where the same action on something that is not udm's (or through the
# authorised path) works; a handover to a new udmd binary under exec loops lets no unverified code
# run; a crash is re-adopted only by a udmd holding the lock, and never in locked mode.
. "$(dirname "$0")/vm-harness.sh"
vm_require_probe
W=$T_TMP/w

test_expect_success 'setup: a verified image, its hash tree, a deny-by-default policy' '
	vm_probe_image "$W" &&
	{ echo "policy_name=bpf policy_version=0.0.1"; echo "DEFAULT action=ALLOW"
	  echo "DEFAULT op=EXECUTE action=DENY"; echo "op=EXECUTE boot_verified=TRUE action=ALLOW"
	  echo "op=EXECUTE dmverity_roothash=sha256:$A action=ALLOW"; } >"$W/boot.pol"
'


for K in $(vm_kernels ${UDM_T4150_KERNELS:-7.2 6.12 6.1}); do
OUT=$W/out-$K
test_expect_success "$K: boot and run every case" '
	bins=() && for f in "$UDM_BUILD/tests/vm/udm-probe" "$UDM_BUILD/tests/vm/udm-attack" \
		"$UDM_BUILD/tests/vm/libsteal.so" "$W/img" "$W/hashA" "$W/roots" "$W/boot.pol"; do
		bins+=(--bins "$f"); done &&
	{ "$VM/vm-run" --kernel "$K" "${bins[@]}" "$VM/self-protect.guest.sh" >"$OUT" 2>"$OUT.err" ||
	  { tail -5 "$OUT.err"; false; }; } &&
	vm_expect start "^rc=0" && vm_expect exec-v "^rc=0" && vm_expect exec-u "^rc=126"
'
test_expect_success "$K: 1. a compat (int \$0x80) LOOP_CHANGE_FD on udm's loop device is refused" '
	vm_expect compat-udm "^rc=1 EPERM" && vm_expect compat-exec-v "^rc=0" &&
	vm_expect compat-other "^rc=0 ok" &&
	vm_record "op=protect hook=file_ioctl.* detail=0x4c06 .*comm=\"udm-attack\""
'
test_expect_success "$K: 8. LOOP_SET_STATUS64 with an offset on udm's loop device is refused" '
	vm_expect offset-udm "^rc=1 EPERM" && vm_expect offset-other "^rc=0 ok" &&
	vm_record "op=protect hook=file_ioctl .*detail=0x4c04 .*comm=\"udm-attack\""
'
test_expect_success "$K: 4. LD_PRELOAD into udmd gets no map; pins are out of reach; the holder reads them" '
	vm_expect preload "steal: EPERM" && vm_expect link-pin "^rc=1 EPERM" && vm_expect map-pin "^rc=1 EPERM" &&
	vm_expect holder "^rc=0 enforcer: bpf" &&
	vm_record "op=protect hook=pin_lookup .*comm=\"udmd\"" && vm_record "op=protect hook=pin_lookup .*comm=\"udm-attack\""
'
test_expect_success "$K: 3. a second udmd is refused, on the same pins or its own; the first goes on" '
	vm_expect second "^rc=1 .*held by another udmd" && vm_expect second-auto "^rc=1 .*held by another udmd" &&
	vm_expect third "^rc=1 .*BPF load" &&
	vm_expect first-exec-u "^rc=126" && vm_expect first-exec-v "^rc=0" && vm_expect first-table "^rc=0 0 " &&
	vm_record "op=protect hook=bpf_map .*comm=\"udmd\""
'
test_expect_success "$K: 5. a udmd traced from its exec gets nothing; udmd cannot be attached" '
	vm_expect traceme-udmd "exit 1" && grep -q "is traced by pid" "$OUT" && vm_expect traceme-other "exit 0" &&
	vm_expect ptrace-attach "^rc=1 EPERM" && vm_record "op=protect hook=ptrace detail=0x12 .*comm=\"udm-attack\"" &&
	vm_expect ptrace-mem "Permission denied\|Operation not permitted" &&
	vm_record "op=protect hook=ptrace detail=0xa .*comm=\"head\"" &&
	vm_expect ptrace-other "^rc=0 ok"
'
test_expect_success "$K: 5. what journald, ps and lsof read of udmd stays readable, with no record" '
	vm_expect ptrace-exe "^rc=0 /usr/sbin/udmd" && vm_expect ptrace-environ "^rc=0" &&
	! grep -E "^type=1107 .*hook=ptrace .*comm=\"(readlink|cat)\"" "$OUT"
'
test_expect_success "$K: 6. PR_SET_MM_EXE_FILE naming the executable of udmd is refused" '
	vm_expect prctl-udmd "^rc=1 EPERM" && ! vm_expect prctl-other "EPERM" >/dev/null &&
	vm_record "op=protect hook=prctl detail=0xd .*comm=\"udm-attack\""
'
test_expect_success "$K: 7. without CAP_MAC_ADMIN root cannot stop, relax or shut down enforcement" '
	for n in nocap-stop nocap-permissive nocap-shutdown; do
		vm_expect $n "^rc=[1-9]" "CAP_MAC_ADMIN is required" || return 1; done &&
	vm_expect nocap-exec-u "^rc=126" && vm_expect nocap-read "^rc=0 enforcer: bpf" &&
	vm_record "op=control request=\"enforce stop\" .*res=0" &&
	vm_record "op=control request=\"policy enforce\" .*res=0" && vm_record "op=control request=\"shutdown\" .*res=0"
'
test_expect_success "$K: the authorised stop (CAP_MAC_ADMIN) works and is audited" '
	vm_expect cap-stop "^rc=0" && vm_expect stopped-exec-u "^rc=0" && vm_expect stopped-pins "No such file" &&
	vm_record "op=control request=\"enforce stop\" .*cap_effective=[0-9a-f]* res=1"
'
test_expect_success "$K: a handover to a new udmd binary under exec loops runs no unverified code" '
	vm_expect restart2 "^rc=0" && vm_expect restart2-exec-u "^rc=126" && vm_expect handover "^rc=0" &&
	vm_expect handover-loop-u "ok 0 denied [1-9]" && vm_expect handover-loop-b "ok [1-9][0-9]* denied 0 other 0" &&
	vm_expect handover-pid "new" && vm_expect handover-exec-u "^rc=126" &&
	vm_expect handover-status "^rc=0 enforcer: bpf" &&
	vm_expect handover-holder "EPERM" &&
	vm_record "op=control request=\"handover\" .*res=1" && vm_record "op=handover successor=" &&
	vm_record "op=handover_receive "
'
test_expect_success "$K: 2. with udmd dead, the bpffs of the pins cannot be unmounted, covered or remounted" '
	vm_expect dead-exec-u "^rc=126" &&
	for n in umount-pins umount-lazy-sys mount-over remount-pins; do vm_expect $n "^rc=[1-9]" || return 1; done &&
	vm_expect umount-other "^rc=0 done" && vm_expect dead-exec-u2 "^rc=126" &&
	vm_record "op=protect hook=sb_umount .*comm=\"umount\"" && vm_record "op=protect hook=sb_mount .*comm=\"mount\"" &&
	vm_record "op=protect hook=sb_remount .*comm=\"mount\""
'
test_expect_success "$K: a crash is re-adopted by the restarted udmd; in locked mode by nobody" '
	vm_expect readopt "^rc=0" && vm_expect readopt-exec-u "^rc=126" &&
	grep -q "re-adopted the pinned programs.*locked" "$OUT" &&
	vm_record "op=adopt_after_exit .*locked=1 res=1" &&
	vm_expect locked-restart "^rc=1" && grep -q "^udmd: --enforcer=bpf: .*refused" "$OUT" &&
	vm_expect locked-steal "EPERM" &&
	vm_expect locked-exec-u "^rc=126" && vm_expect locked-exec-b "^rc=0" &&
	vm_record "op=adopt pid=[0-9]* res=0"
'
[ -z "${UDM_VM_KEEP:-}" ] || cp "$OUT" "$UDM_VM_KEEP.$K"
done
test_done
