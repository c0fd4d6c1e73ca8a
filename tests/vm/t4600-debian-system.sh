#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm-vm: seconds 460 (tests/run starts the longest files first)
# udm on real Debian systems: Debian 12 (bookworm, kernel 6.1) and Debian 13 (trixie, kernel 6.12),
# debootstrap'd from Debian's packages and booted with systemd (tests/vm/vm-debian), with udm's .debs
# built from this checkout for each. One boot sequence per system: install the packages and configure
# them (a policy, a veritytab volume in /etc/fstab, audit to the journal and the kernel), reboot; then
# enforcement is active at the first service after sysinit.target (its unverified program denied), the
# volume is mounted from fstab, the policy survived the reboot, the denial is in the journal
# (UDM_DECISION=deny) and in auditd's log (ausearch); the window from the kernel's start to enforcement
# is measured; then `dpkg -i` of the package again under two exec loops: no allow of unverified code,
# verified code (a kernel dm-verity volume) runs throughout, and udmd is active and enforcing with the
# new binary (handed over by `systemctl reload udmd`, the postinst's); udm's devices are not carried
# over: the veritytab volume is open again, and its old mount refuses to execute until remounted.
. "$(dirname "$0")/vm-harness.sh"
vm_require_probe
command -v debootstrap >/dev/null || test_have_prereq ROOT ||
	test_skip_all "no debootstrap and not root to install it"
W=$T_TMP/w

test_expect_success 'setup: the probe image, two hash trees, a signed policy and root hash' '
	vm_probe_image "$W" &&
	{ echo "policy_name=deb policy_version=0.0.1"; echo "DEFAULT action=ALLOW"
	  echo "DEFAULT op=EXECUTE action=DENY"; echo "op=EXECUTE boot_verified=TRUE action=ALLOW"
	  echo "op=EXECUTE dmverity_signature=TRUE action=ALLOW"
	  echo "op=EXECUTE dmverity_roothash=sha256:$B action=ALLOW"; } >"$W/deb.pol" &&
	"$VM_SIGN" policy "$W/deb.pol" "$W/deb.p7s" && "$VM_SIGN" roothash "$A" "$W/A.p7s" &&
	cp "$("$VM_SIGN" cert)" "$W/cert.pem"
'

# result NAME: the output of case NAME; rc NAME: its exit status
result() { sed -n "s/^case $1 rc=[0-9]* //p" "$OUT"; }
rc() { sed -n "s/^case $1 rc=\([0-9]*\).*/\1/p" "$OUT"; }

for S in $(vm_kernels bookworm trixie); do
OUT=$W/out-$S
test_expect_success "$S: install, reboot, checks, reinstall under load (one boot sequence)" '
	files=() && for f in "$UDM_BUILD/tests/vm/udm-probe" "$W/img" "$W/hashA" "$W/hashB" "$W/roots" \
		"$W/cert.pem" "$W/deb.p7s" "$W/A.p7s"; do files+=(--file "$f"); done &&
	{ "$VM/vm-debian" run "$S" "${files[@]}" "$VM/debian-system.guest.sh" >"$OUT" 2>"$OUT.err" ||
	  { tail -20 "$OUT.err"; cat "$OUT"; false; }; } &&
	{ [ -z "${UDM_VM_KEEP:-}" ] || { mkdir -p "$UDM_VM_KEEP" && cp "$OUT" "$UDM_VM_KEEP/"; }; } &&
	test -s "$OUT"
'
test_expect_success "$S: the packages install, udmd runs and is enabled, its units verify clean" '
	test "$(rc install)" = 0 && test "$(rc active-after-install)" = 0 &&
	result enabled | grep -q "^enabled | enabled" &&
	test "$(rc verify-analyze)" = 0 && test -z "$(result verify-analyze)" &&
	test "$(rc policy)" = 0 && test "$(rc deny-now)" = 126
'
test_expect_success "$S: the first service after sysinit.target is already denied unverified code" '
	result early | grep -q "unverified rc=126" && result early | grep -q "rootfs rc=0"
'
test_expect_success "$S: the policy survived the reboot, enforced by the BPF LSM" '
	test "$(rc active)" = 0 && result enforce | grep -qi "bpf" &&
	result policies | grep -q "deb" && test "$(rc deny)" = 126 && test "$(rc exec-rootfs)" = 0
'
test_expect_success "$S: the veritytab volume is mounted from /etc/fstab, its program runs" '
	result mounted | grep -q "^/dev/.* erofs" && test "$(rc exec-volume)" = 0
'
test_expect_success "$S: the denial is in the journal (UDM_DECISION=deny) and in auditd's log (ausearch)" '
	result journal | grep -q "UDM_DECISION=deny" && result journal | grep -q "UDM_PATH=/run/unv/early" &&
	result journal | grep -q "_SYSTEMD_UNIT=udmd.service" &&
	test "$(rc auditd)" = 0 && result ausearch | grep -q "^type=USER_AVC .*ipe_op=EXECUTE .*path=\"/run/unv/early\".*action=DENY"
'
test_expect_success "$S: journald reads udmd's _EXE, and no ptrace refusal of a reader is recorded" '
	{ result journal-exe | grep -q "_EXE=/usr/sbin/udmd" || { echo "journal-exe: $(result journal-exe)"; false; }; } &&
	{ test -z "$(result protect-ptrace)" || { echo "protect-ptrace: $(result protect-ptrace)"; false; }; }
'
test_expect_success "$S: the window from kernel start to enforcement is measured" '
	result timing | grep -q "enforcer: bpf (attached" &&
	us=$(result userspace | sed -n "s/.*UserspaceTimestampMonotonic=\([0-9]*\).*/\1/p") &&
	at() { result timing | tr "|" "\n" | grep -m1 "$1" | sed -n "s/^ *\[ *\([0-9.]*\)\].*/\1/p"; } &&
	echo "# $S: seconds from the kernel'"'"'s start: systemd $((us / 1000000)).$(printf %06d $((us % 1000000)) | cut -c1-2)," \
		"udmd started $(at "Starting udmd"), enforcing $(at "enforcer: bpf (attached")," \
		"sysinit.target $(at "Reached target sysinit"), first service after it $(at "Starting udm-vm-early")" \
		>>"$T_TMP/.counts"
'
test_expect_success "$S: reinstall under exec loops: 0 allows of unverified code, verified code throughout" '
	test "$(rc kv-mount)" = 0 && test "$(rc kv-exec)" = 0 && test "$(rc reinstall)" = 0 &&
	result loop-unverified | grep -q "^ok 0 denied [1-9][0-9]* other 0$" &&
	result loop-verified | grep -q "^ok [1-9][0-9]* denied 0 other 0$"
'
test_expect_success "$S: afterwards udmd is active and enforcing with the new binary" '
	test "$(rc new-pid)" = 0 && result new-pid | grep -q "| started-after-install$" &&
	test "$(rc active-after)" = 0 && result enforce-after | grep -qi "bpf" && test "$(rc deny-after)" = 126 &&
	result handover-log | grep -q "handed over by the previous udmd"
'
test_expect_success "$S: the reload opened the veritytab volume again; its old mount fails closed until remounted" '
	result volume-after | grep -qx "app" && test "$(rc volume-old-mount)" = 126 &&
	test "$(rc volume-remount)" = 0
'
done

vm_done
