#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Requests that weaken enforcement need CAP_MAC_ADMIN, as IPE's securityfs files do
# (docs/enforcement.md "Self-protection"): root without it (its bounding set dropped) is
# refused with EPERM, nothing changes, and each refusal is recorded with the caller's pid,
# uid and capabilities; the same request with the capability works (the control). The
# state folder is locked by its udmd: a second udmd on it fails with one line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-udmd.sh"
. "$(dirname "$0")/lib-policy.sh"

policy_daemon_prereqs
command -v setpriv >/dev/null || test_skip_all "setpriv (util-linux) not installed"
make_certs trusted
printf 'policy_name=p policy_version=0.0.1\nDEFAULT action=ALLOW\n' >p.txt && sign_policy p.txt p.p7s
printf 'policy_name=q policy_version=0.0.1\nDEFAULT action=ALLOW\n' >q.txt && sign_policy q.txt q.p7s
export UDM_RUNTIME_DIR=$UDM_RT
# nocap CMD...: root without CAP_MAC_ADMIN (bounding and inheritable sets)
nocap() { setpriv --bounding-set -mac_admin --inh-caps -mac_admin -- "$@"; }
# refused VERB...: exit 1, one line saying what is needed
refused() {
	test_must_fail nocap "$UDM" "$@" 2>err && test "$(wc -l <err)" = 1 &&
	grep -q "Operation not permitted: this weakens enforcement: CAP_MAC_ADMIN is required" err || { cat err; return 1; }
}

test_expect_success 'udmd with a signed, active policy, enforcing on a mount of its own' '
	start_udmd --trusted-certs trusted.pem --audit-log audit.log --enforcer=fanotify &&
	"$UDM" policy load p.p7s && "$UDM" policy load q.p7s && "$UDM" policy activate p &&
	mkdir -p mnt && mount -t tmpfs udm-t3130 mnt && at_exit "umount -l $T_TMP/mnt" &&
	"$UDM" watch add mnt && "$UDM" policy list >before
'
test_expect_success 'without CAP_MAC_ADMIN: no policy change, no permissive mode, no stop' '
	refused policy activate q && refused policy delete q && refused policy enforce off &&
	refused policy success-audit on && refused policy load p.p7s && refused enforce stop &&
	refused shutdown && refused watch remove mnt && "$UDM" watch list | grep -q mnt &&
	"$UDM" policy list >after && test_cmp before after &&
	"$UDM" policy enforce >out && echo on >want && test_cmp want out &&
	"$UDM" policy success-audit >out && echo off >want && test_cmp want out
'
test_expect_success 'each refusal is recorded with pid, uid and capabilities' '
	for r in "policy activate" "policy delete" "policy enforce" "policy success-audit" "policy load" \
		"enforce stop" "shutdown" "watch remove"; do
		grep -q "^type=2312 audit([0-9.:]*): lsm=udm op=control request=\"$r\" pid=[0-9]* uid=0 auid=[0-9]* ses=[0-9]* cap_effective=[0-9a-f]\{16\} res=0$" audit.log ||
			{ echo "no record for $r"; return 1; }
	done &&
	! grep "res=0" audit.log | grep -q "cap_effective=[0-9a-f]*[2367abef][0-9a-f]\{8\}$"
'
test_expect_success 'reading needs no capability' '
	nocap "$UDM" policy list >out && test_cmp before out && nocap "$UDM" enforce status >/dev/null
'
test_expect_success 'with CAP_MAC_ADMIN the same requests work (control)' '
	"$UDM" policy activate q && "$UDM" policy enforce off && "$UDM" policy enforce on &&
	"$UDM" policy delete p && "$UDM" policy list >out && echo "q 0.0.1 active" >want && test_cmp want out
'
test_expect_success 'a second udmd on the same state folder fails with one line' '
	test_must_fail "$UDMD" --runtime-dir "$T_TMP/rt2" --state-dir "$UDM_STATE" >/dev/null 2>err &&
	test "$(wc -l <err)" = 1 && grep -q "another udmd is running (it holds this state folder)" err &&
	"$UDM" policy list >out && echo "q 0.0.1 active" >want && test_cmp want out
'
test_done
