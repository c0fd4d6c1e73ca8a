#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm-vm: seconds 100 (tests/run starts the longest files first)
# fs-verity digests in BPF mode: on Debian's 7.2 and 6.12 the programs read a file's digest with the
# kernel's bpf_get_fsverity_digest kfunc, so a policy that allows one digest runs that file (exec
# and mmap PROT_EXEC) and refuses another fs-verity file and a plain one; fsverity_signature has no
# kfunc and is refused naming its line. mprotect reads the digest with the kfunc on 7.2 (the verifier
# trusts vma->vm_file there), from inode->i_verity_info on 6.12. On 6.1 (no kfunc) a policy with
# fsverity_digest is refused.
. "$(dirname "$0")/vm-harness.sh"
vm_require_probe
command -v fsverity >/dev/null || test_skip_all "no fsverity on the host (the guest gets the host's)"
W=$T_TMP/w
mkdir -p "$W"
result() { sed -n "s/^case $1 //p" "$OUT"; }

test_expect_success 'setup: a static program, a policy allowing its fs-verity digest (signed for IPE)' '
	printf "int main(void) { return 0; }\n" >"$W/strue.c" && cc -O2 -static -o "$W/strue" "$W/strue.c" &&
	G=$(fsverity digest "$W/strue" | cut -d" " -f1) && test -n "$G" &&
	{ echo "policy_name=fsv policy_version=0.0.1"; echo "DEFAULT action=ALLOW"
	  echo "DEFAULT op=EXECUTE action=DENY"; echo "op=EXECUTE boot_verified=TRUE action=ALLOW"
	  echo "op=EXECUTE fsverity_digest=$G action=ALLOW"; } >"$W/digest.pol" &&
	"$VM/vm-sign" policy "$W/digest.pol" "$W/digest.p7s"
'
bins=(--bins "$W/strue" --bins "$UDM_BUILD/tests/vm/udm-probe" --bins "$W/digest.pol" --bins "$W/digest.p7s")
for K in $(vm_kernels 7.2 6.12); do
OUT=$W/out-$K
test_expect_success "$K: boot" '
	{ "$VM/vm-run" --kernel $K "${bins[@]}" \
		"$VM/bpf-fsverity.guest.sh" >"$OUT" 2>"$OUT.err" || { tail -5 "$OUT.err"; false; }; } &&
	result enable | grep -q "^rc=0" && result digest | grep -q "sha256:" &&
	result host-digest | grep -q "^rc=0"
'
test_expect_success "$K: fsverity_signature is refused in BPF mode, naming the line" '
	result sig-refused | grep -q "^rc=[1-9]" &&
	result sig-nopins | grep -q "^rc=0" &&
	grep -q "^refusal: .*policy line 5 uses fsverity_signature" "$OUT"
'
test_expect_success "$K: the allowed digest runs, another fs-verity file and a plain file do not" '
	result start | grep -q "^rc=0" &&
	result good | grep -q "^rc=0" &&
	result bad | grep -q "^rc=126 .*Permission denied" &&
	result plain | grep -q "^rc=126 .*Permission denied" &&
	result mmap-good | grep -q "^rc=0" &&
	result mmap-bad | grep -q "^rc=1 .*EACCES" &&
	result mprotect-good | grep -q "^rc=0" &&
	result mprotect-bad | grep -q "^rc=1 .*EACCES"
'
test_expect_success "$K: the refusals are audited with the default rule" '
	grep -q "ipe_hook=BPRM_CHECK .*path=\"/tmp/f/m/bad\" .*rule=\"DEFAULT op=EXECUTE action=DENY\"" "$OUT" &&
	grep -q "ipe_hook=MMAP .*path=\"/tmp/f/m/bad\" .*rule=\"DEFAULT op=EXECUTE action=DENY\"" "$OUT" &&
	grep -q "ipe_hook=MPROTECT .*path=\"/tmp/f/m/bad\" .*rule=\"DEFAULT op=EXECUTE action=DENY\"" "$OUT" &&
	! sed -n "/^--- audit/,/^--- kernel audit/p" "$OUT" | grep -q "path=\"/tmp/f/m/good\""
'
# the kernel's IPE with the same signed policy, same files, same cases: same decisions and records
# (pid, the loop device and audit serials aside)
test_expect_success "$K: the kernel IPE decides and audits the same" '
	result k-active | grep -q "^rc=0" &&
	for n in good bad plain mmap-good mmap-bad mprotect-good mprotect-bad; do
		u=$(result $n | cut -d" " -f1) && k=$(result k-$n | cut -d" " -f1) &&
		{ test "$u" = "$k" || { echo "$n: udm $u, IPE $k"; return 1; }; } || return 1
	done &&
	norm() { sed -e "s/^type=1420 audit([^)]*): //" -e "s/ pid=[0-9]*//" -e "s/ dev=\"[^\"]*\"//"; } &&
	sed -n "/^--- audit/,/^--- kernel audit/p" "$OUT" | grep "^type=1420" | norm >"$W/u.rec" &&
	sed -n "/^--- kernel audit/,\$p" "$OUT" | grep "^type=1420" | grep "/tmp/f/m/" | norm >"$W/k.rec" &&
	test -s "$W/u.rec" && test_cmp "$W/k.rec" "$W/u.rec"
'
done
OUT=$W/out-6.1
test_expect_success '6.1: a policy with fsverity_digest is refused (no kfunc), naming the line' '
	{ "$VM/vm-run" --kernel 6.1 "${bins[@]}" \
		"$VM/bpf-fsverity.guest.sh" >"$OUT" 2>"$OUT.err" || { tail -5 "$OUT.err"; false; }; } &&
	result start | grep -q "^rc=[1-9]" &&
	grep -q "^refusal: .*policy line 5 uses fsverity_digest.*no bpf_get_fsverity_digest" "$OUT"
'
test_done
