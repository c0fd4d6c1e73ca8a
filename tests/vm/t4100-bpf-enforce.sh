#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm-vm: seconds 120 (tests/run starts the longest files first)
# The BPF LSM enforcer on Debian's real 7.2, 6.12 and 6.1 kernels (one boot each): with udmd
# --enforcer=bpf and a deny-by-default EXECUTE policy, every way to run code from an unverified
# volume is refused with EACCES and audited as the kernel's IPE would (bind mount, unshare -m,
# ld.so, LD_PRELOAD, dlopen, mmap/mprotect PROT_EXEC, anonymous PROT_EXEC, memfd), and allowed from a
# verified one; table swaps and policy updates switch decisions at once; udm's programs, pins and
# loop devices refuse other processes; kill -9 udmd leaves enforcement in force; only `udm enforce
# stop` ends it.
. "$(dirname "$0")/vm-harness.sh"
vm_require_probe
W=$T_TMP/w

test_expect_success 'setup: a verified image, two hash trees, policies' '
	vm_probe_image "$W" &&
	{ echo "policy_name=bpf policy_version=0.0.1"; echo "DEFAULT action=ALLOW"
	  echo "DEFAULT op=EXECUTE action=DENY"; echo "op=EXECUTE boot_verified=TRUE action=ALLOW"
	  echo "op=EXECUTE dmverity_roothash=sha256:$A action=ALLOW"; } >"$W/boot.pol" &&
	sed -e "s/0.0.1/0.0.2/" "$W/boot.pol" >"$W/update.pol" &&
	echo "op=EXECUTE dmverity_roothash=sha256:$B action=ALLOW" >>"$W/update.pol" &&
	"$VM/vm-sign" policy "$W/update.pol" "$W/update.p7s"
'

# result NAME: the line of case NAME from the last run
result() { sed -n "s/^case $1 //p" "$OUT"; }

for K in $(vm_kernels 7.2 6.12 6.1); do
OUT=$W/out-$K
test_expect_success "$K: boot and run every case" '
	bins=() && for f in "$UDM_BUILD/tests/vm/udm-probe" "$UDM_BUILD/tests/vm/libprobe.so" "$W/img" \
		"$W/hashA" "$W/hashB" "$W/roots" "$W/boot.pol" "$W/update.p7s" "$(command -v bpftool)"; do
		bins+=(--bins "$f"); done &&
	{ "$VM/vm-run" --kernel "$K" "${bins[@]}" "$VM/bpf-enforce.guest.sh" >"$OUT" 2>"$OUT.err" ||
	  { tail -5 "$OUT.err"; false; }; } &&
	result start | grep -q "^rc=0" && result status | grep -q "enforcer: bpf"
'
test_expect_success "$K: executions from the verified volume run" '
	for n in exec-v ldso-v preload-v dlopen-v mmap-v mprotect-v; do
		result $n | grep -q "^rc=0" || { echo "$n: $(result $n)"; return 1; }
	done && ! result preload-v | grep -q "cannot be preloaded"
'
test_expect_success "$K: every bypass from the unverified volume is refused" '
	for n in exec-u bind-u unshare-u; do result $n | grep -q "^rc=126 .*Permission denied" || { echo "$n: $(result $n)"; return 1; }; done &&
	result ldso-u | grep -q "failed to map segment" &&
	result preload-u | grep -q "cannot be preloaded" &&
	for n in dlopen-u mmap-u mprotect-u anon anon-mprotect memfd; do
		result $n | grep -q "^rc=1 .*EACCES" || { echo "$n: $(result $n)"; return 1; }; done &&
	result exec-copy | grep -q "^rc=126"
'
test_expect_success "$K: each refusal has its IPE access record" '
	for want in "BPRM_CHECK.*path=\"/tmp/w/u/dprog\" dev=\"loop1\"" "BPRM_CHECK.*path=\"/tmp/w/b/dprog\"" \
		"ipe_hook=MMAP.*comm=\"ld-linux-x86-64\" path=\"/tmp/w/u/dprog\"" \
		"ipe_hook=MMAP.*path=\"/tmp/w/u/lib.so\"" "ipe_hook=MPROTECT.*path=\"/tmp/w/u/lib.so\"" \
		"ipe_hook=MMAP .*path=? dev=? ino=?" "ipe_hook=MPROTECT .*path=? dev=? ino=?" "BPRM_CHECK.*path=2F6D656D66643A"; do
		grep "^type=1420 .*ipe_op=EXECUTE .*enforcing=1 .*rule=\"DEFAULT op=EXECUTE action=DENY\"" "$OUT" |
			grep -q "$want" || { echo "no record: $want"; return 1; }
	done
'
# file_mprotect cannot call bpf_d_path: the program rebuilds the path at hook time, so a
# process that is gone by the time udmd reads the event still gets its path
test_expect_success "$K: MPROTECT records carry the path taken at hook time (12 short-lived processes)" '
	for i in 1 2 3 4 5 6 7 8 9 10 b del; do
		result mprotect-u$i | grep -q "^rc=1 .*EACCES" || { echo "mprotect-u$i: $(result mprotect-u$i)"; return 1; }
	done &&
	n=$(grep -c "^type=1420 .*ipe_hook=MPROTECT .*comm=\"udm-probe\" path=\"/tmp/w/u/lib.so\" dev=\"loop1\"" "$OUT") &&
	{ test "$n" -ge 11 || { echo "MPROTECT records with the path: $n of 11"; false; }; } &&
	grep -q "ipe_hook=MPROTECT .*path=\"/tmp/w/b/lib.so\" dev=\"loop1\"" "$OUT" &&
	grep -q "ipe_hook=MPROTECT .*path=2F746D702F64656C2E736F202864656C6574656429 dev=\"tmpfs\"" "$OUT"
'
# stale counts execs decided with the previous table's properties right after a resume:
# none may be. The loop's "other" counts execs that straddle a swap: allowed at
# BPRM_CHECK under table A, then the kernel's ELF loader maps the binary (hook MMAP)
# under table B and is refused, which kills the new image; the kernel's IPE does the
# same, each decision taken on the live table, so "other" may be non-zero.
test_expect_success "$K: table swaps under an exec loop never use stale properties" '
	{ result swap | grep -q "stale=0 ok [1-9][0-9]* denied [1-9][0-9]* other [0-9]*" || { echo "swap: $(result swap)"; false; }; }
'
test_expect_success "$K: a policy update switches the decision" '
	result before-update | grep -q "^rc=126" && result update | grep -q "^rc=0" &&
	result after-update | grep -q "^rc=0"
'
test_expect_success "$K: other processes cannot rebind udm loops, remove pins, open maps or links, ptrace udmd" '
	result loop-clr | grep -q "Operation not permitted" &&
	result unlink-pin | grep -q "Operation not permitted" &&
	result map-fd | grep -q "Operation not permitted" &&
	result link-by-id | grep -q "^rc=1" &&
	result ptrace-mem | grep -q "Permission denied\|Operation not permitted"
'
test_expect_success "$K: kill -9 udmd leaves enforcement in force; a restart re-adopts it" '
	for c in "dead-exec-u:^rc=126" "dead-mmap-u:EACCES" "restart:^rc=0" "restarted-exec-u:^rc=126"; do
		result ${c%%:*} | grep -q "${c#*:}" || { echo "${c%%:*}: $(result ${c%%:*})"; return 1; }
	done &&
	{ grep -q "re-adopted the pinned programs" "$OUT" || { echo "no re-adoption logged"; false; }; } &&
	{ grep "ipe_hook=MMAP.*enforcing=1 .*path=\"/tmp/w/u/lib.so\"" "$OUT" | tail -1 |
		grep -q "rule=\"DEFAULT op=EXECUTE action=DENY\"" ||
	  { echo "last MMAP record of lib.so:"; grep "ipe_hook=MMAP.*lib.so" "$OUT" | tail -2; false; }; }
'
test_expect_success "$K: udm enforce stop detaches and removes the pins" '
	result stop | grep -q "^rc=0" && result stopped-exec-u | grep -q "^rc=0" &&
	result stopped-pins | grep -q "No such file"
'
# UDM_VM_KEEP=PREFIX keeps each kernel's guest output as PREFIX.KERNEL
[ -z "${UDM_VM_KEEP:-}" ] || cp "$OUT" "$UDM_VM_KEEP.$K"
done
test_done
