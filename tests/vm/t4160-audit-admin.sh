#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udmd's kernel audit sink and its mount-scoped BPF watches on Debian's 7.2 and 6.12 (one boot each): denials
# reach the kernel's audit log through the audit netlink socket as USER_AVC (1107) records whose
# msg is IPE's record text, enforce changes as USER_MAC_STATUS (2313); with no auditd the kernel
# prints them. An --enforce-mount whose mount comes later, and a persisted watch whose mount is gone
# at a restart, wait inactive and are enforced once mounted; until then nothing else is decided
# (mount-scoped mode from the first watch on). A record the sink could not take is counted.
. "$(dirname "$0")/vm-harness.sh"
vm_require_probe
W=$T_TMP/w
mkdir -p "$W"
result() { sed -n "s/^case $1 //p" "$OUT"; }

test_expect_success 'setup: a policy denying executions' '
	printf "policy_name=deny-exec policy_version=0.0.1\nDEFAULT action=ALLOW\nDEFAULT op=EXECUTE action=DENY\n" \
		>"$W/deny.pol"
'
for K in $(vm_kernels 7.2 6.12); do
OUT=$W/out-$K
test_expect_success "$K: boot and run every case" '
	{ "$VM/vm-run" --kernel $K --bins "$UDM_BUILD/tests/vm/udm-probe" --bins "$W/deny.pol" \
		"$VM/audit-admin.guest.sh" >"$OUT" 2>"$OUT.err" || { tail -5 "$OUT.err"; false; }; } &&
	{ [ -z "${UDM_VM_KEEP:-}" ] || cp "$OUT" "$UDM_VM_KEEP.$K"; } &&
	result start | grep -q "^rc=0"
'
test_expect_success "$K: --enforce-mount before its mount: inactive, nothing decided, mount-scoped" '
	result list-before | grep -q "^rc=0 /tmp/w/late (inactive: nothing is mounted there)" &&
	result scope-before | grep -q "scope: mounts" &&
	result exec-tmp-before | grep -q "^rc=0" &&
	grep -q "enforce-mount /tmp/w/late: nothing is mounted there yet" "$OUT"
'
test_expect_success "$K: mounted later: active and enforced, the rest still undecided" '
	result list-after | grep -qx "rc=0 /tmp/w/late" &&
	result exec-late | grep -q "^rc=126" && result exec-tmp | grep -q "^rc=0"
'
test_expect_success "$K: the denial in the kernel audit log: USER_AVC with IPE's record text" '
	grep "^type=1107 audit(" "$OUT" | grep "msg=.ipe_op=EXECUTE ipe_hook=BPRM_CHECK enforcing=1 " |
		grep "path=\"/tmp/w/late/prog\"" | grep -q "rule=\"DEFAULT op=EXECUTE action=DENY\"" &&
	grep "^type=1420 audit(" "$OUT" | grep -q "path=\"/tmp/w/late/prog\""
'
test_expect_success "$K: enforce changes as USER_MAC_STATUS" '
	grep "^type=2313 audit(" "$OUT" | grep -q "msg=.enforcing=0 old_enforcing=1 " &&
	grep "^type=2313 audit(" "$OUT" | grep -q "msg=.enforcing=1 old_enforcing=0 " &&
	! grep "^type=2313 audit(" "$OUT" | grep -q "msg=..$"
'
test_expect_success "$K: udm status --daemon shows the sinks, their counts and the decisions" '
	result status | grep -q "audit: kernel (kernel: enabled 1, auditd pid 0, lost [0-9]*, backlog [0-9]*): [1-9][0-9]* records, 0 dropped" &&
	result status | grep -q "audit: file /tmp/w/audit: [1-9][0-9]* records, 0 dropped" &&
	result status | grep -q "decisions: [1-9][0-9]* denied"
'
test_expect_success "$K: a persisted watch whose mount is gone at a restart waits, stays, is enforced once mounted" '
	result list-restart | grep -q "^rc=0 /tmp/w/w2 (inactive: nothing is mounted there)" &&
	result list-remounted | grep -qx "rc=0 /tmp/w/w2" &&
	result exec-w2 | grep -q "^rc=126" && result persisted | grep -q "/tmp/w/w2"
'
test_expect_success "$K: a record the kernel sink could not take is counted as dropped" '
	result status-fault | grep -q "audit: kernel ([^)]*): [0-9]* records, 1 dropped" &&
	result status-fault | grep -q "audit: file /tmp/w/audit: [1-9][0-9]* records, 0 dropped"
'
done
test_done
