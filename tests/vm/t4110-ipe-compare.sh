#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm's BPF backend against the kernel's own IPE on Debian's 7.2 and 6.12 (one boot each): the same signed policy on
# the same images, every case run twice (tests/vm/ipe-compare.guest.sh), first decided by udm (udmd
# --enforcer=bpf, udm's dm-verity device), then by the kernel's IPE (the kernel's dm-verity device, the
# policy activated in securityfs). For each case the decision (exit status and output) and the
# AUDIT_IPE_ACCESS records (success_audit on) must be the same. Normalised before comparing, and why
# (docs/enforcement.md, "udm against the kernel's IPE"): pid (other processes), the verified volume's
# dev= (udm's loop device vs the kernel's dm device, both named by their superblock's s_id) and a memfd's
# ino= (a new tmpfs inode each run). AT_EXECVE_CHECK (7.2: decided at bprm_creds_for_exec, hook
# BPRM_CREDS_FOR_EXEC; 6.12: the flag is refused with EINVAL) is compared the same way, directly and
# through an interpreter under udm exec --restrict-scripts.
. "$(dirname "$0")/vm-harness.sh"
vm_require_probe
W=$T_TMP/w
OUT=$W/out
mkdir -p "$W/src"

for K in $(vm_kernels 7.2 6.12); do
OUT=$W/out-$K
test_expect_success "$K: setup: an image with a program, a script, a library and a module of $K; a signed policy" '
	rm -rf "$W/src" && mkdir -p "$W/src" &&
	ko=$("$VM/vm-module" --kernel $K dm-zero) &&
	cp "$ko" "$W/src/dm-zero.ko" &&
	cp "$UDM_BUILD/tests/vm/udm-probe" "$W/src/dprog" &&
	cp "$UDM_BUILD/tests/vm/libprobe.so" "$W/src/lib.so" &&
	printf "#!/usr/local/bin/udm-probe interp\necho script ran\n" >"$W/src/script.sh" &&
	chmod 755 "$W/src/script.sh" &&
	rm -f "$W/img" && mkfs.erofs "$W/img" "$W/src" >/dev/null &&
	"$UDM_BUILD/udm" verity format "$W/img" "$W/hashA" --salt aa >"$W/fa" &&
	A=$(sed -n "s/^Root hash:[[:space:]]*//p" "$W/fa") && test -n "$A" && echo "$A" >"$W/roots" &&
	{ echo "policy_name=cmp policy_version=0.0.1"; echo "DEFAULT action=ALLOW"
	  echo "DEFAULT op=EXECUTE action=DENY"; echo "DEFAULT op=KMODULE action=DENY"
	  echo "op=EXECUTE boot_verified=TRUE action=ALLOW"; echo "op=KMODULE boot_verified=TRUE action=ALLOW"
	  echo "op=EXECUTE dmverity_roothash=sha256:$A action=ALLOW"
	  echo "op=KMODULE dmverity_roothash=sha256:$A action=ALLOW"; } >"$W/cmp.pol" &&
	"$VM/vm-sign" policy "$W/cmp.pol" "$W/cmp.p7s"
'

test_expect_success "$K: boot, run every case under udm and under the kernel IPE" '
	bins=() && for f in "$UDM_BUILD/tests/vm/udm-probe" "$UDM_BUILD/tests/vm/libprobe.so" "$W/img" \
		"$W/hashA" "$W/roots" "$W/cmp.p7s"; do bins+=(--bins "$f"); done &&
	{ UDM_VM_APPEND="audit_backlog_limit=8192" "$VM/vm-run" --kernel $K "${bins[@]}" \
		"$VM/ipe-compare.guest.sh" >"$OUT" 2>"$OUT.err" || { tail -5 "$OUT.err"; false; }; } &&
	{ [ -z "${UDM_VM_KEEP:-}" ] || cp "$OUT" "$UDM_VM_KEEP.$K"; } &&
	! grep -E "^(setup|U|K): .*failed|still loaded" "$OUT" &&
	grep -q "^U status enforcer: bpf" "$OUT"
'

# compare: one line per case, "agree NAME" or "DIFF NAME" followed by what differs (decisions: "U:"/"K:"
# lines, records: "-U"/"+K" lines); the window "start" (what ran between policy activation and the
# first case) is not compared.
compare() {
	awk '
	function norm(rec, ph,   r) {
		r = rec
		sub(/^type=1420 audit\([^)]*\): /, "", r)
		gsub(/ pid=[0-9]+ /, " pid=N ", r)
		gsub("dev=\"" V[ph] "\"", "dev=\"VERIFIED\"", r)
		gsub("dev=\"" UV[ph] "\"", "dev=\"UNVERIFIED\"", r)
		if (r ~ / path=2F6D656D66643A/) gsub(/ ino=[0-9]+/, " ino=MEMFD", r)
		return r
	}
	/^[UK] devs / { split($3, a, "="); V[$1] = a[2]; split($4, b, "="); UV[$1] = b[2]; next }
	/^[UK] case / { n = $3; d = $0; sub(/^[UK] case [^ ]* /, "", d); dec[$1, n] = d
			if ($1 == "U") order[++ncase] = n; next }
	/^--- udm audit$/ { ph = "U"; cur = ""; next }
	/^--- kernel audit$/ { ph = "K"; cur = ""; next }
	/^--- / { ph = ""; next }
	ph != "" && /^type=1420 / {
		r = norm($0, ph)
		cur = cur r "\n"
		if (match(r, / path="\/m\/[^"]*"/)) {
			w = substr(r, RSTART + 10, RLENGTH - 11)
			recs[ph, w] = cur; cur = ""; nrec[ph] += 1
		}
	}
	END {
		for (i = 1; i <= ncase; i++) {
			n = order[i]
			if (n == "start") continue
			same = dec["U", n] == dec["K", n] && recs["U", n] == recs["K", n] && (("K", n) in dec) && (("U", n) in recs)
			print (same ? "agree " : "DIFF ") n
			nr += split(recs["U", n], tmp, "\n") - 1
			if (same) continue
			if (dec["U", n] != dec["K", n]) { print "  U: " dec["U", n]; print "  K: " dec["K", n] }
			if (recs["U", n] != recs["K", n]) {
				nu = split(recs["U", n], u, "\n"); nk = split(recs["K", n], k, "\n")
				for (j = 1; j < nu; j++) print "  -U " u[j]
				for (j = 1; j < nk; j++) print "  +K " k[j]
			}
		}
		print "records " nr
	}' "$OUT"
}

test_expect_success "$K: every case has the same decision and the same audit records" '
	compare >"$W/cmp" &&
	{ [ -z "${UDM_VM_KEEP:-}" ] || cp "$W/cmp" "$UDM_VM_KEEP.$K.cmp"; } &&
	total=$(grep -c "^agree \|^DIFF " "$W/cmp") && agree=$(grep -c "^agree " "$W/cmp" || true) &&
	echo "# cases compared: $total, agreeing: $agree; $(grep "^records " "$W/cmp") compared" &&
	vm_count "udm vs IPE ($K)" $total $agree &&
	test "$total" -ge 31 &&
	{ ! grep -q "^DIFF " "$W/cmp" || { grep -A12 "^DIFF " "$W/cmp"; false; }; }
'

test_expect_success "$K: the comparison is not vacuous (both sides denied, allowed and audited)" '
	for ph in U K; do
		grep -q "^$ph case exec-u rc=126" "$OUT" && grep -q "^$ph case exec-v rc=0" "$OUT" &&
		grep -q "^$ph case kmod-v rc=0" "$OUT" && grep -q "^$ph case kmod-u rc=1 EACCES" "$OUT" ||
		{ echo "phase $ph: $(grep "^$ph case" "$OUT")"; return 1; }
	done &&
	sed -n "/^--- udm audit/,/^--- kernel audit/p" "$OUT" | grep -q "ipe_op=KMODULE ipe_hook=KERNEL_READ .*action=DENY" &&
	sed -n "/^--- kernel audit/,/^--- udmd/p" "$OUT" | grep -q "ipe_op=KMODULE ipe_hook=KERNEL_READ .*action=DENY"
'
if [ "$K" = 6.12 ]; then
test_expect_success "$K: AT_EXECVE_CHECK and the exec securebits are refused by the kernel (before 6.14)" '
	for ph in U K; do
		for n in xcheck-v xcheck-u xcheck-script-v xcheck-script-u; do
			grep -q "^$ph case $n rc=1 EINVAL" "$OUT" || { echo "$(grep "^$ph case $n " "$OUT")"; return 1; }
		done &&
		grep -q "^$ph case interp-u rc=1 udm: exec: --restrict-scripts: Operation not permitted (the kernel has no" "$OUT" ||
			{ echo "$(grep "^$ph case interp-u " "$OUT")"; return 1; }
	done
'
else
test_expect_success "$K: AT_EXECVE_CHECK: verified program and script allowed, unverified ones EACCES, as IPE (BPRM_CREDS_FOR_EXEC)" '
	for ph in U K; do
		for c in xcheck-v:"rc=0 ok" xcheck-script-v:"rc=0 ok" xcheck-u:"rc=1 EACCES" xcheck-script-u:"rc=1 EACCES" \
			interp-v:"rc=0 interp: echo script ran" interp-u:"rc=126 udm-probe interp: /tmp/w/u/script.sh: EACCES" \
			interp-c:"rc=126 udm-probe interp: -c: refused" interp-free-u:"rc=0 interp: echo script ran"; do
			grep -q "^$ph case ${c%%:*} ${c#*:}" "$OUT" || { echo "$ph: $(grep "^$ph case ${c%%:*} " "$OUT")"; return 1; }
		done
	done &&
	for ph in "udm audit/,/^--- kernel audit" "kernel audit/,/^--- udmd"; do
		sed -n "/^--- $ph/p" "$OUT" >"$W/recs" &&
		grep -q "ipe_op=EXECUTE ipe_hook=BPRM_CREDS_FOR_EXEC .*path=\"/tmp/w/u/script.sh\".*action=DENY" "$W/recs" &&
		grep -q "ipe_op=EXECUTE ipe_hook=BPRM_CREDS_FOR_EXEC .*path=\"/tmp/w/v/dprog\".*action=ALLOW" "$W/recs" ||
			{ echo "no BPRM_CREDS_FOR_EXEC records in $ph"; return 1; }
	done
'
fi
done
vm_done
