# SPDX-License-Identifier: GPL-2.0-or-later
# The VM tier tests' harness (tests/vm/t*.sh source it): tests/t/lib.sh, plus one boot per kernel
# per file. (vm-lib.sh is the machine side: kernels, images, QEMU; vm-run sources it.)
. "$(dirname "${BASH_SOURCE[0]}")/../t/lib.sh"
VM=$T_ROOT/tests/vm
VM_RUN=$T_ROOT/tests/vm/vm-run
VM_SIGN=$T_ROOT/tests/vm/vm-sign
export UDM_BUILD

# The tier runs wherever QEMU can: qemu-system-x86_64 is there, or we are root and vm-run may install it.
if command -v qemu-system-x86_64 >/dev/null 2>&1 || test_have_prereq ROOT; then
	test_set_prereq VM
fi
# vm_require: skip the whole file, with the reason, where QEMU cannot run
vm_require() {
	test_have_prereq VM || test_skip_all "the VM tier needs QEMU: qemu-system-x86_64 is missing and we are not root to install it"
	[ -x "$UDM" ] && [ -x "$UDMD" ] || test_skip_all "no udm/udmd in $UDM_BUILD (build first)"
}

# vm_require_probe: vm_require, and what the enforcement tests build their images from:
# the probe programs (make) and mkfs.erofs
vm_require_probe() {
	vm_require
	[ -x "$UDM_BUILD/tests/vm/udm-probe" ] || test_skip_all "no $UDM_BUILD/tests/vm/udm-probe (make)"
	command -v mkfs.erofs >/dev/null || test_skip_all "no mkfs.erofs"
}

# vm_probe_image DIR: DIR/img, an erofs image of the probe (dprog) and its library (lib.so),
# and two hash trees of it, DIR/hashA (salt aa) and DIR/hashB (salt bb); sets A and B to their
# root hashes and writes "A B" to DIR/roots. For a test body (one && chain).
vm_probe_image() {
	mkdir -p "$1/src" &&
	cp "$UDM_BUILD/tests/vm/udm-probe" "$1/src/dprog" &&
	cp "$UDM_BUILD/tests/vm/libprobe.so" "$1/src/lib.so" &&
	mkfs.erofs "$1/img" "$1/src" >/dev/null &&
	"$UDM" verity format "$1/img" "$1/hashA" --salt aa >"$1/fa" &&
	"$UDM" verity format "$1/img" "$1/hashB" --salt bb >"$1/fb" &&
	A=$(sed -n "s/^Root hash:[[:space:]]*//p" "$1/fa") && B=$(sed -n "s/^Root hash:[[:space:]]*//p" "$1/fb") &&
	test -n "$A" && test -n "$B" && echo "$A $B" >"$1/roots"
}

# vm_boot NAME [vm-run options] SCRIPT: one boot; $T_TMP/NAME.out gets stdout, NAME.err stderr,
# NAME.rc the exit status (UDM_VM_KEEP=DIR: copies kept in DIR). Succeeds when the guest ran the
# script (any exit status but 125).
vm_boot() {
	local name=$1 rc=0; shift
	UDM_BUILD=$UDM_BUILD "$VM_RUN" "$@" >"$T_TMP/$name.out" 2>"$T_TMP/$name.err" || rc=$?
	echo "$rc" >"$T_TMP/$name.rc"
	# UDM_VM_KEEP=DIR keeps every boot's output for a closer look
	[ -n "${UDM_VM_KEEP:-}" ] && mkdir -p "$UDM_VM_KEEP" && cp "$T_TMP/$name.out" "$T_TMP/$name.err" "$UDM_VM_KEEP/"
	if [ "$rc" = 125 ]; then
		echo "vm-run did not run the script:"; cat "$T_TMP/$name.err"; return 1
	fi
}

# The enforcement tests' guest scripts print a line per case, "case ID rc=N ...", which the test
# reads from $OUT (the boot's stdout; set it before these). vm_result ID: that line after "case ID ".
vm_result() { sed -n "s/^case $1 //p" "$OUT"; }
# vm_expect ID PATTERN...: case ID's line matches every pattern (else says what it was)
vm_expect() {
	local n=$1 p; shift
	for p in "$@"; do
		vm_result "$n" | grep -q -- "$p" || { echo "$n: $(vm_result "$n")  (wanted: $p)"; return 1; }
	done
}
# vm_record PATTERN: an audit line of udm's own in $OUT (1107 refusals, 2312 control) matches
vm_record() { grep -E "^type=(1107|2312) " "$OUT" | grep -q -- "$1" || { echo "no record: $1"; return 1; }; }

# vm_case OUT ID: the lines a guest script printed for case ID (between "@@case ID" and the next "@@case")
vm_case() { awk -v id="$2" '/^@@case /{on=($2==id); next} on' "$1"; }

# vm_count AREA COMPARED AGREED: record a parity count; vm_done prints them as TAP comments
# ("# parity AREA: N compared, M agree") before the plan
vm_count() { echo "# parity $1: $2 compared, $3 agree" >>"$T_TMP/.counts"; }
vm_done() { [ -f "$T_TMP/.counts" ] && cat "$T_TMP/.counts"; test_done; }

# vm_kernels K...: the kernels of a test's loop that this run covers: all of them, or those named in
# UDM_VM_KERNELS (space-separated, e.g. "7.2" while working on one kernel)
vm_kernels() {
	local k
	for k in "$@"; do
		[ -z "${UDM_VM_KERNELS:-}" ] || case " $UDM_VM_KERNELS " in *" $k "*) ;; *) continue;; esac
		echo "$k"
	done
}
