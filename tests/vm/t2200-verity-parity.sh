#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm-vm: seconds 80 (tests/run starts the longest files first)
# dm-verity parity with the real 7.2 and 6.12 kernels, for every option set: the kernel's veritysetup and udm
# open the same udm-made image; the table and status lines and veritysetup's "flags:" line must be
# equal, and the kernel's `dmsetup create --readonly` must accept the table line udm prints. One boot
# per kernel.
. "$(dirname "$0")/vm-harness.sh"
. "$T_ROOT/tests/t/verity-helpers.sh"
vm_require

# udm's status line carries the newest kernels' FEC-corrected count (" -" or " N" after V/C), which 6.12
# does not print (7.2 does: compared whole there); and udm names the root-hash signature key "udm:UUID-NAME" in its own keyring where
# veritysetup puts "cryptsetup:UUID-NAME" in the kernel's (docs/vm-tier.md, "dm-verity"). The status
# comparison drops that last field on udm's side, the key description is compared as KEY, and for the
# fed-back line the signature is added to the kernel keyring under udm's description.
# option sets, one a line: ID then veritysetup open options (@SIG: the root hash's signature)
cat >"$T_TMP/sets" <<'SETS'
plain
ignore-corruption --ignore-corruption
restart --restart-on-corruption
panic --panic-on-corruption
zero --ignore-zero-blocks
once --check-at-most-once
tasklets --use-tasklets
once-tasklets --check-at-most-once --use-tasklets
mixed --ignore-zero-blocks --check-at-most-once --restart-on-corruption
fec --fec-device /dev/vdd --fec-roots 4
fec-restart --fec-device /dev/vdd --fec-roots 4 --restart-on-corruption --ignore-zero-blocks
signed --root-hash-signature /usr/local/bin/root.sig
signed-panic --root-hash-signature /usr/local/bin/root.sig --panic-on-corruption
SETS

test_expect_success 'setup: an image with FEC, its signature, the guest script' '
	mkdata data 2097152 &&
	"$UDM" verity format data hash --fec-device fec --fec-roots 4 --salt $SALT >out &&
	root=$(sed -n "s/^Root hash:[[:space:]]*//p" out) && test -n "$root" &&
	"$VM_SIGN" roothash $root root.sig &&
	{ cat <<-GUEST
	ROOT=$root
	GUEST
	cat <<-\GUEST
	dmesg -n 1
	udmd --runtime-dir /run/udm --state-dir /run/udm-state --trusted-certs /vm/cert.pem || exit 1
	u() { udm --runtime-dir /run/udm "$@"; }
	D=$(cat /sys/block/vdb/dev) H=$(cat /sys/block/vdc/dev) F=$(cat /sys/block/vdd/dev)
	norm() { sed -e "s#/dev/vdb#@D#g; s#/dev/vdc#@H#g; s#/dev/vdd#@F#g" -e "s#\b$D\b#@D#g; s#\b$H\b#@H#g; s#\b$F\b#@F#g"; }
	nokey() { sed "s/root_hash_sig_key_desc [^ ]*/root_hash_sig_key_desc KEY/"; }
	back() { sed -e "s#@D#/dev/vdb#g; s#@H#/dev/vdc#g; s#@F#/dev/vdd#g"; }
	flags() { grep "flags:" | sed "s/^[[:space:]]*flags:[[:space:]]*//"; }
	# 6.x prints no FEC-corrected count at the end of the status line; newer kernels and udm do
	case $(uname -r) in 6.*) nofec() { sed "s/ [-0-9]*\$//"; };; *) nofec() { cat; };; esac
	while read -r id opts; do
		echo "@@case $id"
		if veritysetup open /dev/vdb k /dev/vdc $ROOT $opts 2>/tmp/kerr; then
			echo "kernel-table $(dmsetup table k | norm | nokey)"
			echo "kernel-status $(dmsetup status k | norm)"
			echo "kernel-flags $(veritysetup status k | flags)"
			veritysetup close k
		else echo "kernel-error $(tail -1 /tmp/kerr)"; fi
		if u verity open /dev/vdb uv /dev/vdc $ROOT $opts 2>/tmp/uerr; then
			ut=$(u table uv)
			echo "udm-table $(echo "$ut" | norm | nokey)"
			echo "udm-status $(u status uv | norm | nofec)"
			key=$(echo "$ut" | sed -n "s/.*root_hash_sig_key_desc \([^ ]*\).*/\1/p")
			[ -z "$key" ] || keyctl padd user "$key" @u </usr/local/bin/root.sig >/dev/null
			echo "udm-flags $(u verity status uv | flags)"
			if dmsetup create --readonly x --table "$(echo "$ut" | norm | back)" 2>/tmp/xerr; then
				echo "fed-table $(dmsetup table x | norm | nokey)"; dmsetup remove x
			else echo "fed-error $(tail -1 /tmp/xerr)"; fi
			u verity close uv
		else echo "udm-error $(tail -1 /tmp/uerr)"; fi
	done </usr/local/bin/sets
	u shutdown >/dev/null 2>&1
	echo "@@done"
	GUEST
	} >guest.sh
'
for K in $(vm_kernels 7.2 6.12); do
test_expect_success "$K: every option set on the kernel and on udm" '
	vm_boot k$K --kernel $K --disk data --disk hash --disk fec --bins root.sig --bins sets guest.sh &&
	{ grep -q "^@@done" k$K.out || { cat k$K.out k$K.err; false; }; }
'
# field KIND ID: the value printed for one case
field() { vm_case k$K.out "$2" | sed -n "s/^$1 //p"; }
test_expect_success "$K: table, status, flags equal; the kernel accepts the table line udm prints" '
	n=0 agree=0 &&
	for id in $(cut -d" " -f1 "$T_TMP/sets"); do
		for kind in table status flags; do
			n=$((n + 1)) &&
			if vm_case k$K.out $id | grep -q "^kernel-$kind" && [ "$(field kernel-$kind $id)" = "$(field udm-$kind $id)" ]; then
				agree=$((agree + 1))
			else echo "$id $kind: kernel [$(field kernel-$kind $id)$(field kernel-error $id)] udm [$(field udm-$kind $id)$(field udm-error $id)]"; fi
		done &&
		n=$((n + 1)) &&
		if [ -n "$(field fed-table $id)" ] && [ "$(field fed-table $id)" = "$(field kernel-table $id)" ]; then
			agree=$((agree + 1))
		else echo "$id fed: [$(field fed-table $id)$(field fed-error $id)]"; fi
	done >diverge &&
	vm_count "dm-verity ($K)" $n $agree &&
	test_must_be_empty diverge
'
done
vm_done
