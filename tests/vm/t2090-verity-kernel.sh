#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real kernels' dm-verity (6.1 and 6.12) activate udm-made images (tree and FEC), serve their data,
# repair correctable damage through udm's parity and fail reads beyond it: one boot per kernel.
. "$(dirname "$0")/vm-harness.sh"
. "$T_ROOT/tests/t/verity-helpers.sh"
vm_require

# flip FILE OFFSET: invert every bit of one byte
flip() { xor_byte "$1" "$2" 255; }

test_expect_success 'setup: udm formats an image with FEC; a fixable and a broken copy' '
	openssl enc -aes-128-ctr -K 00112233445566778899aabbccddeeff -iv 0 -nosalt -in /dev/zero 2>/dev/null |
		head -c 4194304 >data &&
	"$UDM" verity format data hash --fec-device fec --fec-roots 4 --salt - >out &&
	root=$(sed -n "s/^Root hash:[[:space:]]*//p" out) && test -n "$root" &&
	sha256sum <data | cut -d" " -f1 >want &&
	# disk 4: two bad bytes in one block (correctable with 4 roots); disk 5: 3 bad bytes in one codeword
	cp data fixable && cp data broken &&
	flip fixable 8192 && flip fixable 8193 &&
	flip broken 100 && flip broken $((4096 * 5 + 100)) && flip broken $((4096 * 10 + 100)) &&
	! cmp -s data fixable &&
	cat >guest.sh <<-GUEST
	veritysetup open /dev/vdb good /dev/vdc $root --fec-device /dev/vdd --fec-roots 4 && echo OPEN_OK
	sha256sum /dev/mapper/good | cut -d" " -f1 | sed "s/^/SUM /"
	veritysetup close good
	veritysetup open /dev/vde fix /dev/vdc $root --fec-device /dev/vdd --fec-roots 4
	sha256sum /dev/mapper/fix | cut -d" " -f1 | sed "s/^/FIXSUM /"
	veritysetup close fix
	veritysetup open /dev/vdf bad /dev/vdc $root
	dd if=/dev/mapper/bad of=/dev/null bs=4096 count=1 2>/dev/null && echo BAD_READ_OK || echo BAD_READ_EIO
	veritysetup close bad
	GUEST
'
for k in $(vm_kernels 6.1 6.12 7.2); do
	test_expect_success "kernel $k: reads udm images, FEC repairs, corruption fails" '
		cp data data.$k && cp fixable fixable.$k && cp broken broken.$k &&
		vm_boot v$k --kernel '$k' --disk data.$k --disk hash --disk fec --disk fixable.$k --disk broken.$k guest.sh &&
		want=$(cat want) && log=v'$k'.out &&
		{ grep -q "^OPEN_OK" $log && grep -q "^SUM $want" $log && grep -q "^FIXSUM $want" $log &&
		  grep -q "^BAD_READ_EIO" $log || { cat $log v'$k'.err; false; }; }
	'
done
vm_done
