#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fanotify backend in system scope on Debian's 7.2 and 6.1 (one boot each; never on the host, where it would
# cover /): udmd --enforcer=fanotify --fanotify-scope=system marks every filesystem of its mount
# namespace at start and each one mounted later. A deny-by-default EXECUTE policy allowing the boot
# filesystem and one root hash: the verified volume and the boot filesystem run, the unverified volume,
# /tmp and a tmpfs mounted later are denied with EPERM and audited. Known gap: a filesystem mounted only
# in another mount namespace.
. "$(dirname "$0")/vm-harness.sh"
vm_require_probe
W=$T_TMP/w
mkdir -p "$W/src"
result() { sed -n "s/^case $1 //p" "$OUT"; }

test_expect_success 'setup: a verified image and the policy' '
	cp "$UDM_BUILD/tests/vm/udm-probe" "$W/src/dprog" &&
	mkfs.erofs "$W/img" "$W/src" >/dev/null &&
	"$UDM_BUILD/udm" verity format "$W/img" "$W/hashA" --salt aa >"$W/fa" &&
	A=$(sed -n "s/^Root hash:[[:space:]]*//p" "$W/fa") && test -n "$A" && echo "$A" >"$W/roots" &&
	{ echo "policy_name=sys policy_version=0.0.1"; echo "DEFAULT action=ALLOW"
	  echo "DEFAULT op=EXECUTE action=DENY"; echo "op=EXECUTE boot_verified=TRUE action=ALLOW"
	  echo "op=EXECUTE dmverity_roothash=sha256:$A action=ALLOW"; } >"$W/sys.pol"
'

for K in $(vm_kernels 7.2 6.1); do
OUT=$W/out-$K
test_expect_success "$K: boot and run every case" '
	bins=() && for f in "$UDM_BUILD/tests/vm/udm-probe" "$W/img" "$W/hashA" "$W/roots" "$W/sys.pol"; do
		bins+=(--bins "$f"); done &&
	{ "$VM/vm-run" --kernel $K "${bins[@]}" "$VM/fanotify-system.guest.sh" >"$OUT" 2>"$OUT.err" ||
	  { tail -5 "$OUT.err"; false; }; } &&
	{ [ -z "${UDM_VM_KEEP:-}" ] || cp "$OUT" "$UDM_VM_KEEP.$K"; } &&
	! grep -q "^setup failed" "$OUT" && result start | grep -q "^rc=0" &&
	grep -q "enforcer: fanotify (system scope" "$OUT" &&
	result status | grep -q "enforcer: fanotify scope: system ([1-9][0-9]* filesystems marked)"
'
test_expect_success "$K: the verified volume and the boot filesystem run" '
	result exec-v | grep -q "^rc=0" && result exec-boot | grep -q "^rc=0"
'
test_expect_success "$K: the unverified volume, /tmp and a filesystem mounted later are denied with EPERM" '
	for n in exec-u exec-tmp exec-newfs; do
		result $n | grep -q "^rc=126 .*Operation not permitted" || { echo "$n: $(result $n)"; return 1; }
	done
'
test_expect_success "$K: each denial has its IPE access record" '
	for p in /tmp/w/u/dprog /tmp/copy /tmp/w/t/dprog; do
		grep "^type=1420 .*ipe_hook=BPRM_CHECK enforcing=1 .*path=\"$p\"" "$OUT" |
			grep -q "rule=\"DEFAULT op=EXECUTE action=DENY\"" || { echo "no record for $p"; return 1; }
	done
'
test_expect_success "$K: the window between a mount and its mark (informational)" '
	echo "# $(result race)" && result race | grep -q "^rc=0 slipped="
'
test_expect_failure "$K: known gap: a filesystem mounted only in another mount namespace is denied" '
	result other-ns | grep -q "^rc=126"
'
done
test_done
