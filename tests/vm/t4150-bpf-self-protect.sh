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

result() { sed -n "s/^case $1 //p" "$OUT"; }
# expect NAME PATTERN...: case NAME's line matches every pattern
expect() {
	local n=$1 p; shift
	for p in "$@"; do result "$n" | grep -q -- "$p" || { echo "$n: $(result "$n")  (wanted: $p)"; return 1; }; done
}
# record PATTERN: an audit line of udm's own (1107 refusals, 2312 control) matches
record() { grep -E "^type=(1107|2312) " "$OUT" | grep -q -- "$1" || { echo "no record: $1"; return 1; }; }

for K in $(vm_kernels ${UDM_T4150_KERNELS:-7.2 6.12 6.1}); do
OUT=$W/out-$K
test_expect_success "$K: boot and run every case" '
	bins=() && for f in "$UDM_BUILD/tests/vm/udm-probe" "$UDM_BUILD/tests/vm/udm-attack" \
		"$UDM_BUILD/tests/vm/libsteal.so" "$W/img" "$W/hashA" "$W/roots" "$W/boot.pol"; do
		bins+=(--bins "$f"); done &&
	{ "$VM/vm-run" --kernel "$K" "${bins[@]}" "$VM/self-protect.guest.sh" >"$OUT" 2>"$OUT.err" ||
	  { tail -5 "$OUT.err"; false; }; } &&
	expect start "^rc=0" && expect exec-v "^rc=0" && expect exec-u "^rc=126"
'
test_expect_success "$K: 1. a compat (int \$0x80) LOOP_CHANGE_FD on udm's loop device is refused" '
	expect compat-udm "^rc=1 EPERM" && expect compat-exec-v "^rc=0" &&
	expect compat-other "^rc=0 ok" &&
	record "op=protect hook=file_ioctl.* detail=0x4c06 .*comm=\"udm-attack\""
'
test_expect_success "$K: 8. LOOP_SET_STATUS64 with an offset on udm's loop device is refused" '
	expect offset-udm "^rc=1 EPERM" && expect offset-other "^rc=0 ok" &&
	record "op=protect hook=file_ioctl .*detail=0x4c04 .*comm=\"udm-attack\""
'
test_expect_success "$K: 4. LD_PRELOAD into udmd gets no map; pins are out of reach; the holder reads them" '
	expect preload "steal: EPERM" && expect link-pin "^rc=1 EPERM" && expect map-pin "^rc=1 EPERM" &&
	expect holder "^rc=0 enforcer: bpf" &&
	record "op=protect hook=pin_lookup .*comm=\"udmd\"" && record "op=protect hook=pin_lookup .*comm=\"udm-attack\""
'
test_expect_success "$K: 3. a second udmd is refused, on the same pins or its own; the first goes on" '
	expect second "^rc=1 .*held by another udmd" && expect second-auto "^rc=1 .*held by another udmd" &&
	expect third "^rc=1 .*BPF load" &&
	expect first-exec-u "^rc=126" && expect first-exec-v "^rc=0" && expect first-table "^rc=0 0 " &&
	record "op=protect hook=bpf_map .*comm=\"udmd\""
'
test_expect_success "$K: 5. a udmd traced from its exec gets nothing; udmd cannot be attached" '
	expect traceme-udmd "exit 1" && grep -q "is traced by pid" "$OUT" && expect traceme-other "exit 0" &&
	expect ptrace-attach "^rc=1 EPERM" && record "op=protect hook=ptrace detail=0x12 .*comm=\"udm-attack\"" &&
	expect ptrace-mem "Permission denied\|Operation not permitted" &&
	record "op=protect hook=ptrace detail=0xa .*comm=\"head\"" &&
	expect ptrace-other "^rc=0 ok"
'
test_expect_success "$K: 5. what journald, ps and lsof read of udmd stays readable, with no record" '
	expect ptrace-exe "^rc=0 /usr/sbin/udmd" && expect ptrace-environ "^rc=0" &&
	! grep -E "^type=1107 .*hook=ptrace .*comm=\"(readlink|cat)\"" "$OUT"
'
test_expect_success "$K: 6. PR_SET_MM_EXE_FILE naming the executable of udmd is refused" '
	expect prctl-udmd "^rc=1 EPERM" && ! expect prctl-other "EPERM" >/dev/null &&
	record "op=protect hook=prctl detail=0xd .*comm=\"udm-attack\""
'
test_expect_success "$K: 7. without CAP_MAC_ADMIN root cannot stop, relax or shut down enforcement" '
	for n in nocap-stop nocap-permissive nocap-shutdown; do
		expect $n "^rc=[1-9]" "CAP_MAC_ADMIN is required" || return 1; done &&
	expect nocap-exec-u "^rc=126" && expect nocap-read "^rc=0 enforcer: bpf" &&
	record "op=control request=\"enforce stop\" .*res=0" &&
	record "op=control request=\"policy enforce\" .*res=0" && record "op=control request=\"shutdown\" .*res=0"
'
test_expect_success "$K: the authorised stop (CAP_MAC_ADMIN) works and is audited" '
	expect cap-stop "^rc=0" && expect stopped-exec-u "^rc=0" && expect stopped-pins "No such file" &&
	record "op=control request=\"enforce stop\" .*cap_effective=[0-9a-f]* res=1"
'
test_expect_success "$K: a handover to a new udmd binary under exec loops runs no unverified code" '
	expect restart2 "^rc=0" && expect restart2-exec-u "^rc=126" && expect handover "^rc=0" &&
	expect handover-loop-u "ok 0 denied [1-9]" && expect handover-loop-b "ok [1-9][0-9]* denied 0 other 0" &&
	expect handover-pid "new" && expect handover-exec-u "^rc=126" && expect handover-status "^rc=0 enforcer: bpf" &&
	expect handover-holder "EPERM" &&
	record "op=control request=\"handover\" .*res=1" && record "op=handover successor=" &&
	record "op=handover_receive "
'
test_expect_success "$K: 2. with udmd dead, the bpffs of the pins cannot be unmounted, covered or remounted" '
	expect dead-exec-u "^rc=126" &&
	for n in umount-pins umount-lazy-sys mount-over remount-pins; do expect $n "^rc=[1-9]" || return 1; done &&
	expect umount-other "^rc=0 done" && expect dead-exec-u2 "^rc=126" &&
	record "op=protect hook=sb_umount .*comm=\"umount\"" && record "op=protect hook=sb_mount .*comm=\"mount\"" &&
	record "op=protect hook=sb_remount .*comm=\"mount\""
'
test_expect_success "$K: a crash is re-adopted by the restarted udmd; in locked mode by nobody" '
	expect readopt "^rc=0" && expect readopt-exec-u "^rc=126" && grep -q "re-adopted the pinned programs.*locked" "$OUT" &&
	record "op=adopt_after_exit .*locked=1 res=1" &&
	expect locked-restart "^rc=1" && grep -q "^udmd: --enforcer=bpf: .*refused" "$OUT" && expect locked-steal "EPERM" &&
	expect locked-exec-u "^rc=126" && expect locked-exec-b "^rc=0" &&
	record "op=adopt pid=[0-9]* res=0"
'
[ -z "${UDM_VM_KEEP:-}" ] || cp "$OUT" "$UDM_VM_KEEP.$K"
done
test_done
