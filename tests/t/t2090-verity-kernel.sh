#!/usr/bin/env bash
# Slow tier: the real kernel's dm-verity activates udm-made images (tree and FEC), serves
# their data, repairs correctable damage through udm's parity and fails reads beyond it.
# Runs only with UDM_KERNEL_ORACLE=path/to/kernel-oracle (about 15 s under QEMU).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verity-helpers.sh"

[ -n "${UDM_KERNEL_ORACLE:-}" ] && [ -x "$UDM_KERNEL_ORACLE" ] && test_set_prereq KERNEL_ORACLE

# flip FILE OFFSET: invert every bit of one byte
flip() { xor_byte "$1" "$2" 255; }

test_expect_success KERNEL_ORACLE 'kernel dm-verity reads udm images, FEC repairs, corruption fails' '
	openssl enc -aes-128-ctr -K 00112233445566778899aabbccddeeff -iv 0 -nosalt -in /dev/zero 2>/dev/null |
		head -c 4194304 > data
	"$UDM" verity format data hash --fec-device fec --fec-roots 4 --salt - > out
	root=$(sed -n "s/^Root hash:[[:space:]]*//p" out)
	want=$(sha256sum < data | cut -d" " -f1)
	# disk 4: data with two bad bytes in one block (correctable with 4 roots);
	# disk 5: data with 3 bad bytes in one codeword, beyond repair
	cp data fixable; cp data broken
	flip fixable 8192; flip fixable 8193
	flip broken 100; flip broken $((4096 * 5 + 100)); flip broken $((4096 * 10 + 100))
	cmp -s data fixable && false
	cat > guest.sh <<GUEST
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
	"$UDM_KERNEL_ORACLE" guest.sh data hash fec fixable broken > log 2>&1 || { cat log; false; }
	grep -q "^OPEN_OK" log || { cat log; false; }
	grep -q "^SUM $want" log || { cat log; false; }
	grep -q "^FIXSUM $want" log || { cat log; false; }
	grep -q "^BAD_READ_EIO" log || { cat log; false; }
'

test_done
