#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm-vm: seconds 160 (tests/run starts the longest files first)
# IPE audit parity with the real 7.2 and 6.12 kernels, one boot each (tests/vm/audit-parity.guest.sh):
# (L) the policy lifecycle records (1422 load, 1421 activation, 1404 enforce) that udmd writes to
#     --audit-log for `udm policy load/update/activate/delete/enforce`, against the kernel's for the
#     same signed policies written to securityfs; the result (ok or errno) of each operation too;
# (A) every AUDIT_IPE_ACCESS record the kernel writes under four policies (dmverity_signature
#     allowed, boot_verified denied, KMODULE rules, permissive) for execs, mmaps and module loads of
#     files on the initramfs, tmpfs, a signed and an unsigned dm-verity volume, against the record
#     `udm policy eval --record` prints for the same policy, op, hook, subject and file.
# Normalised, and why: the audit(TIME:SERIAL) stamp (clock and counter of each side); nothing else:
# auid and ses are the unset 4294967295 on both sides (no login in the guest), pid and comm are the
# subject's and given to eval from the kernel's record. Where 6.12 and the newest kernel differ
# (security/ipe/audit.c, policy.c), udm follows the newest; KNOWN_L lists those operations and the
# last test checks udm's side is the newest form (docs/vm-tier.md).
. "$(dirname "$0")/vm-harness.sh"
vm_require_probe
[ -x "$UDM_BUILD/tests/vm/udm-probe-static" ] || test_skip_all "no $UDM_BUILD/tests/vm/udm-probe-static (make)"

# operations where udmd (the newest kernel) and 6.12 differ, by number in the guest's OPS list: 2 load
# of a loaded name (EEXIST), 3 unsigned text (EBADMSG), 7 update to an older version, 9 update to an
# equal version (both ESTALE on both sides): the newest kernel audits a failed load (policy_name=?
# ... res=0 errno=-N), 6.12 audits successful loads only.
KNOWN_L="2 3 7 9"

pol() { # NAME VERSION RULE...: a policy text on stdout
	echo "policy_name=$1 policy_version=$2"; shift 2
	echo "DEFAULT action=ALLOW"
	for r in "$@"; do echo "$r"; done
}

for K in $(vm_kernels 7.2 6.12); do
W=$T_TMP/w$K
OUT=$W/out
mkdir -p "$W/src" "$W/bins"
test_expect_success "$K: setup: one image (static probe, module of $K), two hash trees, a root-hash signature, the policies" '
	ko=$("$VM/vm-module" --kernel $K dm-zero) &&
	cp "$ko" "$W/src/dm-zero.ko" &&
	cp "$UDM_BUILD/tests/vm/udm-probe-static" "$W/src/sprobe" &&
	cp "$UDM_BUILD/tests/vm/udm-probe-static" "$W/bins/sprobe" &&
	mkfs.erofs "$W/bins/img" "$W/src" >/dev/null &&
	"$UDM" verity format "$W/bins/img" "$W/bins/hashS" --salt 5a >"$W/fs" &&
	"$UDM" verity format "$W/bins/img" "$W/bins/hashU" --salt 0b >"$W/fu" &&
	S=$(sed -n "s/^Root hash:[[:space:]]*//p" "$W/fs") && U=$(sed -n "s/^Root hash:[[:space:]]*//p" "$W/fu") &&
	test -n "$S" && test -n "$U" && test "$S" != "$U" && echo "$S $U" >"$W/bins/roots" &&
	"$VM_SIGN" roothash "$S" "$W/bins/S.sig" &&
	pol lc 1.0.0 >"$W/lc-1" && pol lc 2.0.0 >"$W/lc-2" && pol lc 0.5.0 >"$W/lc-0" && pol lc 3.0.0 >"$W/lc-3" &&
	pol eq 1.0.0 >"$W/eq-1" && pol eq 1.0.0 "op=FIRMWARE boot_verified=TRUE action=ALLOW" >"$W/eq-1b" &&
	pol other 3.0.0 >"$W/other" &&
	sig="DEFAULT op=EXECUTE action=DENY|DEFAULT op=KMODULE action=DENY|op=EXECUTE dmverity_signature=TRUE action=ALLOW|op=KMODULE dmverity_signature=TRUE action=ALLOW|op=EXECUTE boot_verified=TRUE action=ALLOW" &&
	IFS="|" read -ra r <<<"$sig" && pol sig 4.0.0 "${r[@]}" >"$W/sig" && pol perm 7.0.0 "${r[@]}" >"$W/perm" &&
	pol noboot 5.0.0 "op=EXECUTE boot_verified=TRUE action=DENY" "op=KMODULE boot_verified=TRUE action=DENY" \
		"op=EXECUTE dmverity_roothash=sha256:$U action=DENY" >"$W/noboot" &&
	pol kmod 6.0.0 "DEFAULT op=KMODULE action=DENY" "op=KMODULE boot_verified=TRUE action=ALLOW" \
		"op=KMODULE dmverity_roothash=sha256:$S action=ALLOW" >"$W/kmod" &&
	pol open 8.0.0 >"$W/open" &&
	for p in lc-1 lc-2 lc-0 lc-3 eq-1 eq-1b other sig noboot kmod perm open; do
		"$VM_SIGN" policy "$W/$p" "$W/bins/$p.p7s" || return 1
	done &&
	echo "policy_name=bad policy_version=1.0.0" >"$W/bins/bad.p7s"
'

test_expect_success "$K: boot; lifecycle through udmd then securityfs; access cases under the kernel, replayed by eval" '
	bins=() && for f in "$W"/bins/*; do bins+=(--bins "$f"); done &&
	vm_boot audit$K --kernel $K "${bins[@]}" "$VM/audit-parity.guest.sh" &&
	cp "$T_TMP/audit$K.out" "$OUT" &&
	! grep -E "^(U|K|A): " "$OUT" && grep -q "^A devs S=dm-[0-9]* U=dm-[0-9]*$" "$OUT"
'

# lifecycle: per operation "same N" or "DIFF N" with what differs
compare_l() {
	awk '
	/^[UK] op / { n = $3; r = $0; sub(/^[UK] op [0-9]+ /, "", r); op[$1, n] = r; if ($1 == "U") last = n; next }
	/^[UK] rec / { n = $3; r = $0; sub(/^[UK] rec [0-9]+ /, "", r); rec[$1, n] = rec[$1, n] r "\n"; next }
	END {
		for (n = 1; n <= last; n++) {
			same = op["U", n] == op["K", n] && rec["U", n] == rec["K", n]
			print (same ? "same " : "DIFF ") n " " op["U", n]
			if (rec["K", n] != "") nr += split(rec["K", n], t, "\n") - 1
			if (same) continue
			if (op["U", n] != op["K", n]) print "  K: " op["K", n]
			nu = split(rec["U", n], u, "\n"); nk = split(rec["K", n], k, "\n")
			for (j = 1; j < nu; j++) print "  -U " u[j]
			for (j = 1; j < nk; j++) print "  +K " k[j]
		}
		print "kernel-records " nr
	}' "$1"
}

# udm (newest) lifecycle records with the 6.12 form: the success load record without " errno=0";
# 7.2 is the newest form: compared as it is, with no difference allowed
to612() { if [ $K = 6.12 ]; then sed "/^U rec [0-9]* type=1422 /s/ errno=0\$//" "$OUT"; else cat "$OUT"; fi; }
known_l() { if [ $K = 6.12 ]; then echo "$KNOWN_L "; fi; }

test_expect_success "$K: lifecycle: every operation has the same result and the same records (6.12 differences: KNOWN_L)" '
	to612 >"$W/l612" && compare_l "$W/l612" >"$W/cmpl" &&
	{ [ -z "${UDM_VM_KEEP:-}" ] || cp "$W/cmpl" "$UDM_VM_KEEP/cmpl.$K"; } &&
	total=$(grep -c "^same \|^DIFF " "$W/cmpl") && same=$(grep -c "^same " "$W/cmpl" || true) &&
	echo "# lifecycle operations compared: $total, same: $same; $(grep "^kernel-records" "$W/cmpl")" &&
	test "$total" -ge 21 &&
	vm_count "IPE lifecycle ($K)" $total $same &&
	diffs=$(sed -n "s/^DIFF \([0-9]*\) .*/\1/p" "$W/cmpl" | tr "\n" " ") &&
	{ test "$diffs" = "$(known_l)" || { cat "$W/cmpl"; echo "differing: $diffs, known: $(known_l)"; false; }; }
'

test_expect_success "$K: lifecycle: the comparison is not vacuous (load, activation, update, enforce records seen)" '
	grep -q "^K rec 1 type=1422 policy_name=\"lc\" policy_version=1.0.0 policy_digest=sha256:[0-9A-F]\{64\} auid=" "$OUT" &&
	grep -q "^K rec 4 type=1421 old_active_pol_name=? old_active_pol_version=? old_policy_digest=? new_active_pol_name=\"lc\"" "$OUT" &&
	grep -q "^K rec 6 type=1421 old_active_pol_name=\"lc\" old_active_pol_version=1.0.0 .* new_active_pol_version=2.0.0" "$OUT" &&
	grep -q "^K rec 18 type=1404 enforcing=0 old_enforcing=1 " "$OUT" && grep -qx "K rec 18 type=1404 " "$OUT" &&
	grep -q "^K rec 20 type=1404 enforcing=1 old_enforcing=0 " "$OUT" &&
	! grep -q "^K rec 19 " "$OUT" && ! grep -q "^K rec 5 " "$OUT"
'

test_expect_success "$K: lifecycle: udm follows the newest kernel where 6.12 differs" '
	grep -q "^U rec 1 type=1422 policy_name=\"lc\" .* res=1 errno=0$" "$OUT" &&
	grep -q "^U op 2 load lc-1 -> EEXIST$" "$OUT" &&
	grep -q "^U rec 2 type=1422 policy_name=? policy_version=? policy_digest=? auid=[0-9]* ses=[0-9]* lsm=ipe res=0 errno=-17$" "$OUT" &&
	grep -q "^U rec 3 type=1422 policy_name=? .* res=0 errno=-74$" "$OUT" &&
	grep -q "^U rec 7 type=1422 policy_name=? .* res=0 errno=-116$" "$OUT" &&
	grep -q "^U rec 9 type=1422 policy_name=? .* res=0 errno=-116$" "$OUT" &&
	if [ $K = 6.12 ]; then ! grep -q "^K rec [0-9]* type=1422 .*errno=" "$OUT"
	else grep -q "^K rec 2 type=1422 policy_name=? .* res=0 errno=-17$" "$OUT"; fi
'

# access: per kernel record "agree POLICY RECORD" or "DIFF" with eval'\''s line
compare_a() {
	awk '
	/^A kernel / { p = $3; k = $0; sub(/^A kernel [^ ]* /, "", k); next }
	/^A eval / { e = $0; sub(/^A eval [^ ]* /, "", e)
		print (e == k ? "agree " : "DIFF ") p " " k
		if (e != k) print "  eval: " e }
	' "$OUT"
}

test_expect_success "$K: access: udm policy eval --record prints every kernel record byte for byte" '
	compare_a >"$W/cmpa" &&
	{ [ -z "${UDM_VM_KEEP:-}" ] || cp "$W/cmpa" "$UDM_VM_KEEP/cmpa.$K"; } &&
	total=$(grep -c "^agree \|^DIFF " "$W/cmpa") && agree=$(grep -c "^agree " "$W/cmpa" || true) &&
	vm_count "IPE access records ($K)" $total $agree &&
	echo "# access records compared: $total, agreeing: $agree" &&
	for p in sig noboot kmod perm; do
		echo "#   $p: $(grep -c "^agree $p \|^DIFF $p " "$W/cmpa") records, $(grep -c "^agree $p " "$W/cmpa") agree"
	done &&
	test "$total" -ge 60 &&
	{ ! grep -q "^DIFF " "$W/cmpa" || { grep -A1 "^DIFF " "$W/cmpa" | head -40; false; }; }
'

test_expect_success "$K: access: not vacuous (every hook, origin, both actions, permissive seen)" '
	for h in BPRM_CHECK MMAP KERNEL_READ KERNEL_LOAD; do grep -q "^agree .* ipe_hook=$h " "$W/cmpa" || { echo "no $h"; return 1; }; done &&
	grep -q "^agree .* dev=\"rootfs\" .*action=DENY\"$" "$W/cmpa" &&
	grep -q "^agree .* dev=\"tmpfs\" " "$W/cmpa" &&
	grep -q "^agree sig .*dmverity_signature=TRUE action=ALLOW\"$" "$W/cmpa" &&
	grep -q "^agree noboot .*dmverity_roothash=\"sha256\":[0-9A-F]* action=DENY\"$" "$W/cmpa" &&
	grep -q "^agree kmod ipe_op=KMODULE ipe_hook=KERNEL_LOAD .*path=? dev=? ino=? rule=\"DEFAULT op=KMODULE action=DENY\"$" "$W/cmpa" &&
	grep -q "^agree perm .* enforcing=0 .*action=DENY\"$" "$W/cmpa" &&
	grep -q "^A case perm exec:/tmp/x rc=0" "$OUT" && grep -q "^A case sig exec:/tmp/x rc=126" "$OUT" &&
	grep -q "^A case noboot exec:/k rc=126" "$OUT" && grep -q "^A case kmod finit:/u rc=1 EACCES" "$OUT"
'
done
vm_done
