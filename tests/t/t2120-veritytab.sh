#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm veritytab check|open|close: the volumes of a veritytab file opened through a
# private udmd (with /dev/mapper-style links in a private dir), as the boot's
# udm-veritytab.service does; every kind of bad line refused with one line naming
# the line and the problem, nothing opened; signed volumes against
# udmd --trusted-certs-dir; open and close are idempotent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-udmd.sh"
. "$(dirname "$0")/verity-helpers.sh"

if ! test_have_prereq ROOT || ! test_have_prereq FUSE || ! test_have_prereq LOOP; then
	test_skip_all "needs root, /dev/fuse and loop devices"
fi
command -v openssl >/dev/null || test_skip_all "openssl not installed"

cd "$T_TMP" || exit 1
mkdata a.img 1048576
mkdata b.img 2097152
"$UDM" verity format a.img a.hash --salt $SALT --uuid $UUID --root-hash-file a.root >/dev/null || exit 1
# b: hash tree after 8192 bytes of something else, no superblock, 1 KiB data blocks
head -c 8192 /dev/zero >b.hash
"$UDM" verity format b.img b.hash --hash-offset 8192 --no-superblock --data-block-size 1024 --salt $SALT \
	--root-hash-file b.root >/dev/null || exit 1
A=$(cat a.root) B=$(cat b.root)
mkdir certs && openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=udm-veritytab/O=udm tests" \
	-keyout sign.key -out certs/sign.pem >/dev/null 2>&1 || exit 1
printf %s "$A" >a.txt &&
	openssl smime -sign -binary -noattr -in a.txt -signer certs/sign.pem -inkey sign.key -outform DER -out a.sig ||
	exit 1
DEV=$T_TMP/dev
mkdir -p "$DEV"

cat >tab <<EOF
# udm's own veritytab: NAME DATA HASH ROOTHASH [OPTIONS]

va   $T_TMP/a.img $T_TMP/a.hash $A   root-hash-signature=$T_TMP/a.sig,x-systemd.device-timeout=10
	vb $T_TMP/b.img $T_TMP/b.hash $B superblock=no,hash-offset=8192,data-block-size=1024,salt=$SALT,check-at-most-once,nofail
vc   $T_TMP/a.img $T_TMP/a.hash $A noauto
EOF

no_devices() { udm ls >ls.out 2>&1; grep -q "No devices found" ls.out || { cat ls.out; return 1; }; }
# refused LINE PATTERN: a tab whose line 2 is LINE is refused with one line naming
# line 2 and matching PATTERN; nothing is opened
refused() {
	printf "# first\n%s\n" "$1" >bad.tab &&
	test_expect_code 1 udm veritytab open bad.tab >out 2>err &&
	test_must_be_empty out &&
	test "$(wc -l <err)" = 1 && grep -q "^udm: veritytab bad.tab:2: $2" err &&
	test_expect_code 1 udm veritytab check bad.tab 2>err2 && test_cmp err err2 || { cat err; return 1; }
	no_devices
}

test_expect_success 'start udmd with links in a private dir, trusting certs/*.pem' '
	start_udmd --dev-dir "$DEV" --trusted-certs-dir "$T_TMP/certs"
'

test_expect_success 'check: the file is well formed, nothing opened' '
	udm veritytab check tab >out && echo "ok: tab: 3 volumes" >want && test_cmp want out && no_devices
'

test_expect_success 'open: every volume but noauto, with its link and its options' '
	udm veritytab open tab >out &&
	printf "va: opened\nvb: opened\n" >want && test_cmp want out &&
	udm verity status va | grep -qx "  status:      verified (with signature)" &&
	udm table vb | grep -q " 1024 4096 2048 2 sha256 $B $SALT 1 check_at_most_once$" &&
	test -L "$DEV/va" && test -b "$DEV/va" && cmp a.img "$DEV/va" && cmp b.img "$DEV/vb" &&
	test_path_is_missing "$DEV/vc" &&
	test_expect_code 4 udm verity status vc >/dev/null
'

test_expect_success 'open again: already open volumes are left as they are' '
	udm veritytab open tab >out &&
	printf "va: already open\nvb: already open\n" >want && test_cmp want out
'

test_expect_success 'close: every open volume, links gone; again: nothing to do' '
	udm veritytab close tab >out &&
	printf "vb: closed\nva: closed\n" >want && test_cmp want out &&
	no_devices && test_path_is_missing "$DEV/va" && test_path_is_missing "$DEV/vb" &&
	udm veritytab close tab >out && test_must_be_empty out
'

test_expect_success 'a volume that fails (no data file) is named; nofail ones do not fail the run' '
	sed "s|/b.img|/missing.img|" tab >wrong.tab &&
	udm veritytab open wrong.tab >out 2>err &&
	grep -qx "udm: veritytab wrong.tab:4: vb not opened (nofail)" err &&
	grep -qx "va: opened" out &&
	udm veritytab close wrong.tab >/dev/null && no_devices &&
	sed "s/,nofail//" wrong.tab >wrong2.tab &&
	test_expect_code 1 udm veritytab open wrong2.tab >out 2>err &&
	grep -qx "udm: veritytab wrong2.tab:4: vb not opened" err &&
	udm veritytab close wrong2.tab >/dev/null && no_devices
'

test_expect_success 'an untrusted root-hash signature: the volume is refused' '
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=other" -keyout o.key -out o.pem \
		>/dev/null 2>&1 &&
	openssl smime -sign -binary -noattr -in a.txt -signer o.pem -inkey o.key -outform DER -out o.sig &&
	echo "vo $T_TMP/a.img $T_TMP/a.hash $A root-hash-signature=$T_TMP/o.sig" >o.tab &&
	test_expect_code 1 udm veritytab open o.tab 2>err &&
	grep -q "not trusted" err && grep -qx "udm: veritytab o.tab:1: vo not opened" err && no_devices
'

test_expect_success 'bad lines: one line naming the line and the problem, nothing opened' '
	refused "v1 $T_TMP/a.img $T_TMP/a.hash" "3 fields, 4 or 5 expected" &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash $A opt extra" "more than 5 fields" &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash xyz" "root hash .xyz.: an even number of hex digits" &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash abc" "root hash .abc.: an even number of hex digits" &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash -" "root hash .-. (from udev) is not supported" &&
	refused "v1 a.img $T_TMP/a.hash $A" "data device .a.img.: an absolute path or UUID=" &&
	refused "v1 $T_TMP/a.img UUID= $A" "hash device .UUID=.: an empty or invalid UUID" &&
	refused "v/1 $T_TMP/a.img $T_TMP/a.hash $A" "invalid volume name .v/1." &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash $A bogus" "unknown option .bogus." &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash $A hash-offset=x" "hash-offset= needs a number, not .x." &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash $A data-block-size" "data-block-size= needs a number" &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash $A salt=" "salt= needs a value" &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash $A superblock=maybe" "superblock= needs yes or no" &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash $A nofail=1" "nofail takes no value" &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash $A ignore-corruption,panic-on-corruption" \
		"panic-on-corruption: only one of" &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash $A nofail,,noauto" "an empty option" &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash $A root-hash-signature=base64:AAAA" "root-hash-signature=base64" &&
	refused "v1 $T_TMP/a.img $T_TMP/a.hash $A root-hash-signature=a.sig" "root-hash-signature=a.sig: an absolute path"
'

test_expect_success 'a bad line after good ones: the good ones are not opened either' '
	{ cat tab && echo "vz $T_TMP/a.img"; } >late.tab &&
	test_expect_code 1 udm veritytab open late.tab >out 2>err &&
	test_must_be_empty out && grep -qx "udm: veritytab late.tab:6: 2 fields, 4 or 5 expected (NAME DATA HASH ROOTHASH \[OPTIONS\])" err &&
	no_devices
'

test_expect_success 'a name used twice is refused, naming the first line' '
	{ cat tab && echo "va $T_TMP/a.img $T_TMP/a.hash $A"; } >dup.tab &&
	test_expect_code 1 udm veritytab check dup.tab 2>err &&
	grep -qx "udm: veritytab dup.tab:6: volume .va. already defined on line 3" err
'

test_expect_success 'a missing file, an unknown verb, no udmd: one error each, exit 1' '
	test_expect_code 1 udm veritytab open nope.tab 2>err &&
	grep -qx "udm: veritytab: nope.tab: No such file or directory" err &&
	test_expect_code 1 udm veritytab frob tab 2>err && grep -q "unknown verb .frob." err &&
	test_expect_code 1 "$UDM" --runtime-dir "$T_TMP/none" veritytab open tab >out 2>err &&
	test_must_be_empty out && test "$(wc -l <err)" = 1
'

test_expect_success 'udmd --trusted-certs-dir: an empty or missing dir starts, trusting nobody' '
	mkdir -p empty &&
	"$UDMD" --runtime-dir "$T_TMP/rt2" --state-dir "$T_TMP/st2" --trusted-certs-dir "$T_TMP/empty" 2>err &&
	test_when_finished "\"$UDM\" --runtime-dir \"$T_TMP/rt2\" shutdown" &&
	grep -q "^udmd: --trusted-certs-dir $T_TMP/empty: no \*.pem certificate: no signature is trusted" err &&
	echo "vs $T_TMP/a.img $T_TMP/a.hash $A root-hash-signature=$T_TMP/a.sig" >s.tab &&
	test_expect_code 1 "$UDM" --runtime-dir "$T_TMP/rt2" veritytab open s.tab 2>err &&
	grep -q "no trusted certificates configured\|not trusted" err &&
	test_must_fail "$UDMD" --runtime-dir "$T_TMP/rt3" --state-dir "$T_TMP/st3" --trusted-certs-dir empty \
		--trusted-certs certs/sign.pem 2>err &&
	grep -qx "udmd: --trusted-certs and --trusted-certs-dir: give one of them" err
'

test_done
