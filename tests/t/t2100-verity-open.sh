#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm verity open/close/status through udmd, end to end: erofs and squashfs
# images formatted by veritysetup (the oracle) and by udm verity format, opened,
# attached, mounted read-only and read back; corruption gives EIO, never wrong
# data; verity over another udm device.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-udmd.sh"
. "$(dirname "$0")/verity-helpers.sh"

if ! test_have_prereq ROOT || ! test_have_prereq FUSE || ! test_have_prereq LOOP; then
	test_skip_all "needs root, /dev/fuse and loop devices"
fi
command -v mksquashfs >/dev/null && grep -qw squashfs /proc/filesystems && test_set_prereq SQUASHFS
M=$UDM_RT/mapper

# the source tree: a few files of odd sizes, one big enough to own whole blocks
cd "$T_TMP" || exit 1
mkdir -p src/sub
mkdata src/big 1000000
mkdata src/sub/medium 65537
printf 'hello, verity\n' > src/small
mkdata src/sub/odd 4097

# root_of FILE: the root hash line of format output
root_of() { grep "^Root hash" "$1" | cut -d: -f2 | tr -d "\t\n "; }
# mount_check NAME FSTYPE: attach, mount read-only, compare with src, unmount, detach
mount_check() {
	local dev; dev=$(udm attach "$1") &&
	test "$(blockdev --getro "$dev")" = 1 &&
	mkdir -p mnt && mount -t "$2" -o ro "$dev" mnt &&
	{ diff -r src mnt; local rc=$?; umount mnt; udm detach "$1"; return $rc; }
}
no_devices() { udm ls >ls.out 2>&1; grep -q "No devices found" ls.out || { cat ls.out; return 1; }; }

# blockwise.py GOT WANT: read GOT 4 KiB at a time; every block is EIO or right
cat >blockwise.py <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
want = open(sys.argv[2], "rb").read()
eio = wrong = 0
for off in range(0, len(want), 4096):
    try:
        got = os.pread(fd, 4096, off)
        if got != want[off:off + 4096]:
            wrong += 1
    except OSError as e:
        if e.errno != 5:
            raise
        eio += 1
print("eio", eio)
print("wrong", wrong)
PY

test_expect_success 'start udmd' 'start_udmd'

test_expect_success EROFS 'erofs image: veritysetup and udm verity format agree' '
	mkfs.erofs --quiet erofs.img src >/dev/null &&
	test $(( $(stat -c %s erofs.img) % 4096 )) = 0 &&
	udm verity format erofs.img erofs.udm.hash --salt $SALT --uuid $UUID >fmt.udm &&
	if test_have_prereq VERITYSETUP; then
		veritysetup format erofs.img erofs.hash --salt $SALT --uuid $UUID >fmt.vs &&
		test "$(root_of fmt.vs)" = "$(root_of fmt.udm)" && cmp erofs.hash erofs.udm.hash
	else
		cp erofs.udm.hash erofs.hash
	fi &&
	root_of fmt.udm >erofs.root
'

test_expect_success EROFS 'open: table as cryptsetup builds it, status V -, cryptsetup uuid' '
	root=$(cat erofs.root) &&
	udm verity open erofs.img ve erofs.hash $root &&
	blocks=$(( $(stat -c %s erofs.img) / 4096 )) &&
	echo "0 $((blocks * 8)) verity 1 $T_TMP/erofs.img $T_TMP/erofs.hash 4096 4096 $blocks 1 sha256 $root $SALT" >exp &&
	udm table ve >out && test_cmp exp out &&
	echo "0 $((blocks * 8)) verity V -" >exp && udm status ve >out && test_cmp exp out &&
	udm info ve | grep -q "^UUID: CRYPT-VERITY-${UUID//-/}-ve$" &&
	udm info ve | grep -q "ACTIVE (READ-ONLY)"
'

test_expect_success EROFS 'open: mount the erofs image read-only and read every file back' '
	mount_check ve erofs
'

test_expect_success EROFS 'verity status: veritysetup format (docs/udm-verity.md)' '
	root=$(cat erofs.root) && blocks=$(( $(stat -c %s erofs.img) / 4096 )) &&
	cat >exp <<-EOF &&
	$M/ve is active.
	  type:        VERITY
	  status:      verified
	  hash type:   1
	  data block:  4096 [bytes]
	  hash block:  4096 [bytes]
	  hash name:   sha256
	  salt:        $SALT
	  data device: $T_TMP/erofs.img
	  size:        $((blocks * 8)) [512-byte units] ($((blocks * 4096)) [bytes])
	  mode:        readonly
	  hash device: $T_TMP/erofs.hash
	  hash offset: 8 [512-byte units] (4096 [bytes])
	  root hash:   $root
	EOF
	udm verity status ve >out && test_cmp exp out &&
	dev=$(udm attach ve) && udm verity status ve | head -1 >out &&
	echo "$M/ve is active and is in use." >exp && test_cmp exp out && udm detach ve
'

test_expect_success EROFS 'close removes the device; a second close and status say it is gone' '
	udm verity close ve && no_devices &&
	test_must_fail udm verity close ve 2>err && test $(wc -l <err) = 1 &&
	echo "Device ve is not active." >exp && test_cmp exp err &&
	rc=0 && { udm verity status ve >out || rc=$?; } &&
	test "$rc" = 4 && echo "$M/ve is inactive." >exp && test_cmp exp out
'

test_expect_success EROFS 'options: flags in cryptsetup order, status flags line' '
	root=$(cat erofs.root) &&
	udm verity open erofs.img vo erofs.hash $root --check-at-most-once --ignore-zero-blocks --restart-on-corruption &&
	udm table vo | grep -q " $SALT 3 restart_on_corruption ignore_zero_blocks check_at_most_once$" &&
	udm verity status vo | grep -qx "  flags:       restart_on_corruption ignore_zero_blocks check_at_most_once" &&
	udm verity close vo &&
	test_must_fail udm verity open erofs.img vo erofs.hash $root --ignore-corruption --restart-on-corruption 2>err &&
	grep -q "cannot be used together" err && no_devices
'

test_expect_success SQUASHFS 'squashfs, udm verity format, hash area in the image at --hash-offset' '
	mksquashfs src sq.img -noappend -quiet >/dev/null &&
	size=$(stat -c %s sq.img) && size=$(( (size + 4095) / 4096 * 4096 )) && truncate -s $size sq.img &&
	udm verity format sq.img sq.img --hash-offset $size --data-blocks $((size / 4096)) --salt $SALT >fmt &&
	if test_have_prereq VERITYSETUP; then
		veritysetup verify sq.img sq.img $(root_of fmt) --hash-offset $size >/dev/null
	fi &&
	udm verity open sq.img vs sq.img $(root_of fmt) --hash-offset $size &&
	udm table vs | grep -q " 4096 4096 $((size / 4096)) $((size / 4096 + 1)) sha256 " &&
	udm verity status vs | grep -qx "  hash offset: $(( (size + 4096) / 512 )) \[512-byte units\] ($((size + 4096)) \[bytes\])" &&
	mount_check vs squashfs &&
	udm verity close vs
'

test_expect_success EROFS 'no superblock: every parameter from the command line' '
	udm verity format erofs.img ns.hash --no-superblock --salt $SALT >fmt &&
	udm verity open erofs.img vn ns.hash $(root_of fmt) --no-superblock --salt $SALT &&
	udm table vn | grep -q " 4096 4096 [0-9]* 0 sha256 " &&
	udm info vn | grep -q "^UUID: CRYPT-VERITY-vn$" &&
	cmp erofs.img $M/vn && udm verity close vn
'

test_expect_success EROFS 'reads of parts of blocks, and sequential reads of every size, give the data' '
	udm verity format erofs.img ns.hash --no-superblock --salt $SALT >fmt &&
	udm verity open erofs.img vp ns.hash $(root_of fmt) --no-superblock --salt $SALT &&
	test_when_finished "udm detach vp 2>/dev/null; udm verity close vp 2>/dev/null; :" &&
	for bs in 512 1000 4096 100000 524288 1048576 3000000; do
		cmp erofs.img $M/vp || return 1
		dd if=$M/vp bs=$bs status=none >whole.$bs && cmp erofs.img whole.$bs || return 1
	done &&
	dd if=$M/vp bs=512 skip=3 count=5 status=none >part &&
	dd if=erofs.img bs=512 skip=3 count=5 status=none >want &&
	cmp want part &&
	dev=$(udm attach vp) && dd if=$dev bs=1M iflag=direct status=none >viaLoop &&
	cmp erofs.img viaLoop
'

test_expect_success EROFS 'a wrong root hash opens, but no block reads back' '
	udm verity open erofs.img vw erofs.hash 0000000000000000000000000000000000000000000000000000000000000000 &&
	test_must_fail dd if=$M/vw of=/dev/null bs=4096 count=1 status=none 2>err &&
	grep -q "Input/output error" err && udm status vw | grep -q "verity C -$" &&
	udm verity close vw
'

test_expect_success EROFS 'a flipped bit in a file: EIO for that file, never wrong data; status C' '
	cp erofs.img bad.img &&
	off=$(python3 -c "import sys; d=open(\"bad.img\",\"rb\").read(); print(d.find(open(\"src/big\",\"rb\").read(4096)))") &&
	test "$off" -gt 0 &&
	xor_byte bad.img $((off + 300000)) 4 &&
	udm verity open bad.img vb erofs.hash $(cat erofs.root) &&
	dev=$(udm attach vb) && mkdir -p mnt && mount -t erofs -o ro "$dev" mnt &&
	test_must_fail cat mnt/big >/dev/null 2>err &&
	grep -q "Input/output error" err &&
	python3 "$T_TMP/blockwise.py" mnt/big src/big >bw &&
	grep -q "^eio [1-9]" bw && grep -q "^wrong 0$" bw &&
	diff -r src/sub mnt/sub && cmp src/small mnt/small &&
	umount mnt && udm detach vb &&
	udm status vb | grep -q "verity C -$" &&
	udm verity status vb | grep -qx "  status:      corrupted" &&
	udm verity close vb
'

test_expect_success EROFS 'stacking: verity on a udm linear device (data through mapper/)' '
	blocks=$(( $(stat -c %s erofs.img) / 4096 )) &&
	udm create lin --table "0 $((blocks * 8)) linear $T_TMP/erofs.img 0" &&
	udm verity open $M/lin vl erofs.hash $(cat erofs.root) &&
	lin=$(udm info lin | sed -n "s/^Major, minor: *\([0-9]*\), \([0-9]*\)$/\1:\2/p") &&
	udm table vl | grep -q "verity 1 $lin $T_TMP/erofs.hash " &&
	udm verity status vl | grep -qx "  data device: $M/lin" &&
	mount_check vl erofs &&
	test_must_fail udm remove lin 2>/dev/null &&
	udm verity close vl && udm remove lin && no_devices
'

test_expect_success 'open errors: missing root hash, bad hash device, no daemon' '
	test_must_fail udm verity open erofs.img x erofs.hash 2>err &&
	grep -q "requires <root_hash> or --root-hash-file" err &&
	test_must_fail udm verity open erofs.img x src/small 0011 2>err &&
	grep -q "is not a valid VERITY device" err &&
	test_must_fail "$UDM" verity --runtime-dir "$T_TMP/nowhere" open erofs.img x erofs.hash $(cat erofs.root) 2>err &&
	grep -q "^udm: verity open x: cannot reach udmd" err && no_devices
'

test_expect_success EROFS 'open refuses the names dm refuses, control included' '
	test_must_fail udm verity open erofs.img control erofs.hash "$(cat erofs.root)" 2>err &&
	grep -q "invalid device name" err &&
	test_must_fail udm verity open erofs.img .. erofs.hash "$(cat erofs.root)" 2>err &&
	grep -q "invalid device name" err &&
	test_must_fail udm verity open erofs.img a/b erofs.hash "$(cat erofs.root)" 2>err &&
	grep -q "invalid device name" err &&
	no_devices
'

test_done
