#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm-vm: seconds 280 (tests/run starts the longest files first)
# Files on overlayfs decided by the layer that holds their data, as the kernel's IPE decides them
# (docs/enforcement.md "Overlay files"), on Debian's 7.2, 6.12 and 6.1 (one boot each,
# tests/vm/overlay.guest.sh): overlays with tmpfs upper layers over a signed udm verity erofs lower
# (vu), a veritysetup-opened kernel dm-verity lower (vk) and an unverified one (un). Through the
# overlay, exec, ld.so, mmap and mprotect PROT_EXEC of a lower file, a nested overlay's and a
# metacopy file's (data still below) are allowed when the lower is verified; a copied-up file, a new
# upper file, a metacopy file whose data was copied up, the nested view of a copied-up file and
# everything over the unverified lower are denied with EACCES and exactly one record, which names the
# overlay path and dev="overlay" as IPE's does. A copy-up racing an exec/mmap loop: no allow of the
# upper's data. On 6.12 and 7.2 the real IPE runs the same cases on the vk overlays: decisions and
# records agree.
. "$(dirname "$0")/vm-harness.sh"
vm_require_probe
W=$T_TMP/w

test_expect_success 'setup: the probe image, a signature of its root hash, a signed policy' '
	mkdir -p "$W/src" &&
	for f in dprog cu mc mcd; do cp "$UDM_BUILD/tests/vm/udm-probe" "$W/src/$f" || return 1; done &&
	for f in lib.so culib; do cp "$UDM_BUILD/tests/vm/libprobe.so" "$W/src/$f" || return 1; done &&
	mkfs.erofs "$W/img" "$W/src" >/dev/null &&
	"$UDM" verity format "$W/img" "$W/hashA" --salt aa >"$W/fa" &&
	A=$(sed -n "s/^Root hash:[[:space:]]*//p" "$W/fa") && test -n "$A" && echo "$A" >"$W/roots" &&
	"$VM/vm-sign" roothash "$A" "$W/A.p7s" &&
	{ echo "policy_name=ovl policy_version=0.0.1"; echo "DEFAULT action=ALLOW"
	  echo "DEFAULT op=EXECUTE action=DENY"; echo "op=EXECUTE boot_verified=TRUE action=ALLOW"
	  echo "op=EXECUTE dmverity_signature=TRUE action=ALLOW"
	  echo "op=EXECUTE dmverity_roothash=sha256:$A action=ALLOW"; } >"$W/ovl.pol" &&
	"$VM/vm-sign" policy "$W/ovl.pol" "$W/ovl.p7s" && : >"$W/phase-k"
'

ALLOWED0="exec ldso mmap mprotect nest mc"
DENIED="cu cu-ldso cu-mmap cu-mprotect new mcd nest-cu"

# dec PH NAME: the decision line of a case; recs PH NAME: the records of its window (audit stamp, pid,
# the sentinel's phase and the inode numbers of files made in the upper layer normalised)
dec() { sed -n "s/^$1 case $2 //p" "$OUT"; }
recs() {
	awk -v ph="$1" -v want="$2" '
	/^--- udm audit$/ { on = ph == "U"; cur = ""; next }
	/^--- kernel audit$/ { on = ph == "K"; cur = ""; next }
	/^--- / { on = 0; next }
	on && /^type=1420 / {
		r = $0; sub(/^type=1420 audit\([^)]*\): /, "", r); gsub(/ pid=[0-9]+ /, " pid=N ", r)
		# a file made on tmpfs (an upper or metadata layer) is a new inode in each phase: its number, and
		# the overlay inode of a file whose top entry is there (overlayfs shows that entry'"'"'s number)
		gsub(/ dev="tmpfs" ino=[0-9]+/, " dev=\"tmpfs\" ino=UPPER", r)
		if (r ~ / path="[^"]*\/m\/(new|dc)" dev="overlay"/) gsub(/ ino=[0-9]+/, " ino=UPPER", r)
		if (match(r, / path="\/m\/[UK]-[^"]*"/)) {
			w = substr(r, RSTART + 12, RLENGTH - 13)
			if (w == want) { printf "%s", cur; exit }
			cur = ""; next
		}
		cur = cur r "\n"
	}' "$OUT"
}

for K in $(vm_kernels 7.2 6.12 6.1); do
OUT=$W/out-$K
# dc: a metacopy entry of a data-only lower layer (lowerdir=META::DATA, as composefs): 6.5+
ALLOWED=$ALLOWED0 && [ $K = 6.1 ] || ALLOWED="$ALLOWED0 dc"
test_expect_success "$K: boot, run every case under udm (and under the kernel IPE where it exists)" '
	bins=() && for f in "$UDM_BUILD/tests/vm/udm-probe" "$UDM_BUILD/tests/vm/libprobe.so" "$W/img" \
		"$W/hashA" "$W/roots" "$W/A.p7s" "$W/ovl.p7s" "$W/phase-k"; do bins+=(--bins "$f"); done &&
	{ UDM_VM_APPEND="audit_backlog_limit=8192" "$VM/vm-run" --kernel $K "${bins[@]}" \
		"$VM/overlay.guest.sh" >"$OUT" 2>"$OUT.err" || { tail -5 "$OUT.err"; false; }; } &&
	{ [ -z "${UDM_VM_KEEP:-}" ] || cp "$OUT" "$UDM_VM_KEEP.ovl.$K"; } &&
	! grep -E "^(setup|U|K)(:| race).*failed" "$OUT" &&
	grep -q "^U status enforcer: bpf" "$OUT" && ! grep -q "overlay module not loaded" "$OUT"
'
test_expect_success "$K: metacopy: the metadata-only upper holds no data, the copied-up one does" '
	for l in vu vk; do
		grep -q "^setup $l upper blocks: mc=0 mcd=[1-9]" "$OUT" || { grep "^setup $l" "$OUT"; return 1; }
	done &&
	if [ $K = 6.1 ]; then grep -q "^setup vu data-only layers: not in this kernel" "$OUT"
	else ! grep -q "data-only layers: not in this kernel" "$OUT"; fi
'
test_expect_success "$K: udm: a verified lower layer's files through the overlay run (udm and kernel dm-verity)" '
	for l in vu vk; do
		for n in $ALLOWED; do
			dec U $n-$l | grep -q "^rc=0" || { echo "$n-$l: $(dec U $n-$l)"; return 1; }
			! recs U $n-$l | grep -q "action=DENY" || { recs U $n-$l; return 1; }
		done
	done
'
test_expect_success "$K: udm: upper data and an unverified lower: EACCES and exactly one record, with the overlay path" '
	for l in vu vk un; do
		names=$DENIED && [ $l = un ] && names="$ALLOWED $DENIED"
		for n in $names; do
			d=$(dec U $n-$l)
			case "$d" in rc=0*) echo "$n-$l allowed: $d"; return 1;; esac
			case $n in *mmap*|*mprotect*) echo "$d" | grep -q "^rc=1 EACCES" ;;
				*ldso*) echo "$d" | grep -q "^rc=127 .*failed to map segment" ;;
				*) echo "$d" | grep -q "^rc=126 .*Permission denied" ;; esac ||
				{ echo "$n-$l: $d"; return 1; }
			deny=$(recs U $n-$l | grep "action=DENY") &&
			test $(echo "$deny" | wc -l) = 1 || { echo "$n-$l: records:"; recs U $n-$l; return 1; }
			# exec and mmap: the path the process used and the overlay inode (as IPE); mprotect: the
			# mapping'"'"'s file, which overlayfs made the real one
			case $n in
			*mprotect*) echo "$deny" | grep -q "ipe_hook=MPROTECT" ;;
			*) echo "$deny" | grep -q "path=\"/tmp/ov/[onmd]-$l/m/[a-z.]*\" dev=\"overlay\" ino=[0-9A-Z]" ;;
			esac || { echo "$n-$l: $deny"; return 1; }
		done
	done
'
test_expect_success "$K: copy-up racing exec and mmap: no allow of the upper data" '
	grep "^[UK] race " "$OUT" | sed "s/^/# /" &&
	test $(grep -c "^U race v[uk] [0-9]*: exec-lower" "$OUT") -ge 2 &&
	! grep -E "^[UK] race .*(exec-upper [1-9]|mmap-upper [1-9])" "$OUT" &&
	for l in vu vk; do
		# both sides of the race were seen: allows before the copy-up, denials after
		grep -E "^U race $l .*exec-lower [1-9].* exec-denied [1-9].*mmap-lower [1-9].* mmap-denied [1-9]" "$OUT" ||
			{ echo "no race of $l had both sides"; return 1; }
	done
'
if [ $K != 6.1 ]; then
test_expect_success "$K: the kernel IPE decides the same, records included (vk and un overlays)" '
	total=0 agree=0 &&
	for l in vk un; do
		for n in $ALLOWED $DENIED; do
			total=$((total + 1))
			# decisions: the same exit status and output; records: the same, field for field
			if [ "$(dec U $n-$l)" = "$(dec K $n-$l)" ] && [ "$(recs U $n-$l)" = "$(recs K $n-$l)" ] &&
			   [ -n "$(dec K $n-$l)" ]; then
				agree=$((agree + 1))
			else
				echo "DIFF $n-$l"; echo "  U: $(dec U $n-$l)"; echo "  K: $(dec K $n-$l)"
				diff <(recs U $n-$l) <(recs K $n-$l) | sed "s/^/  /"
			fi
		done
	done &&
	echo "# cases compared: $total, agreeing: $agree" &&
	vm_count "overlay udm vs IPE ($K)" $total $agree &&
	test $total = $agree &&
	! grep -E "^K race .*(exec-upper [1-9]|mmap-upper [1-9])" "$OUT" &&
	grep -q "^K race vk " "$OUT"
'
fi
done
vm_done
