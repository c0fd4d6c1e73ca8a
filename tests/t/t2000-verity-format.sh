#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm verity format/verify/dump against veritysetup: same root hash, byte-identical hash
# devices and output, each verifying the other's images, over a matrix of geometries.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verity-helpers.sh"

# both_format DATA [OPTIONS...]: format DATA with both tools into v/ and u/ (same
# relative hash name so the printed header matches) and compare everything.
both_format() {
	local data=$1; shift
	rm -rf v u; mkdir v u
	(cd v && veritysetup format "../$data" hash "$@" > out 2> err) || { echo "veritysetup failed: $*"; return 1; }
	(cd u && "$UDM" verity format "../$data" hash "$@" > out 2> err) || { echo "udm failed: $*"; return 1; }
	test_cmp v/out u/out || { echo "output differs: $*"; return 1; }
	test_cmp v/err u/err || { echo "warnings differ: $*"; return 1; }
	cmp v/hash u/hash || { echo "hash device differs: $*"; return 1; }
	ROOT=$(sed -n 's/^Root hash:[[:space:]]*//p' u/out)
	[ -n "$ROOT" ]
}

# both_refuse DATA [OPTIONS...]: both tools refuse to format, with the same message and exit code
both_refuse() {
	local data=$1 vrc=0 urc=0; shift
	rm -rf v u && mkdir v u &&
	{ (cd v && veritysetup format "../$data" hash "$@" > out 2> err) || vrc=$?; } &&
	{ (cd u && "$UDM" verity format "../$data" hash "$@" > out 2> err) || urc=$?; } &&
	test "$vrc" != 0 && test "$vrc" = "$urc" &&
	test_cmp v/err u/err
}

# cross_verify DATA [OPTIONS...]: each tool verifies the other's hash device
cross_verify() {
	local data=$1; shift
	"$UDM" verity verify "$data" v/hash "$ROOT" "$@" || { echo "udm rejects veritysetup image: $*"; return 1; }
	veritysetup verify "$data" u/hash "$ROOT" "$@" || { echo "veritysetup rejects udm image: $*"; return 1; }
}

test_expect_success VERITYSETUP 'hash x format x block sizes, odd sizes' '
	i=0 &&
	sizes="512 1000 4096 5000 70000 300000 1048576 1049000" &&
	for h in sha1 sha256 sha512; do
	for f in 0 1; do
	for bs in 512:512 1024:1024 4096:4096 4096:512 512:4096 1024:4096 512:1024; do
		set -- $sizes && shift $((i % 8)) && sz=$1 && i=$((i + 1)) &&
		mkdata d$sz $sz &&
		set -- --hash $h --format $f --data-block-size ${bs%:*} --hash-block-size ${bs#*:} \
			--salt $SALT --uuid $UUID &&
		if [ $sz -lt ${bs%:*} ]; then both_refuse d$sz "$@" || return 1
		else both_format d$sz "$@" && cross_verify d$sz || return 1; fi
	done; done; done
'

test_expect_success VERITYSETUP 'level boundaries: 512-byte blocks, sha256 (16 per block)' '
	for blocks in 1 2 15 16 17 255 256 257 4095 4096 4097; do
		mkdata d $((blocks * 512 + 100)) &&
		both_format d --data-block-size 512 --hash-block-size 512 --salt $SALT --uuid $UUID &&
		cross_verify d || return 1
	done
'

test_expect_success VERITYSETUP 'salts: empty, odd byte lengths, 256 bytes, uppercase' '
	mkdata d 40000 &&
	for s in - 00 abcdef 0102030405 $SALT${SALT:2} $(printf "%0512d" 7) ABCDEF; do
		both_format d --data-block-size 1024 --salt $s --uuid $UUID &&
		cross_verify d &&
		both_format d --data-block-size 1024 --format 0 --salt $s --uuid $UUID &&
		cross_verify d || return 1
	done
'

test_expect_success VERITYSETUP 'no superblock and explicit data blocks' '
	mkdata d 300000 &&
	both_format d --no-superblock --salt $SALT --data-block-size 1024 --hash-block-size 1024 &&
	cross_verify d --no-superblock --salt $SALT --data-block-size 1024 --hash-block-size 1024 &&
	both_format d --data-blocks 33 --salt $SALT --uuid $UUID &&
	cross_verify d &&
	both_format d --data-blocks 33 --no-superblock --salt - --format 0 &&
	cross_verify d --data-blocks 33 --no-superblock --salt - --format 0
'

test_expect_success VERITYSETUP 'hash area inside the data file (--hash-offset)' '
	mkdata d 1048576 &&
	cp d dv && cp d du &&
	veritysetup format dv dv --data-blocks 128 --hash-offset 524288 --salt $SALT --uuid $UUID > vo &&
	"$UDM" verity format du du --data-blocks 128 --hash-offset 524288 --salt $SALT --uuid $UUID > uo &&
	diff <(sed 1d vo) <(sed 1d uo) &&
	cmp dv du &&
	root=$(sed -n "s/^Root hash:[[:space:]]*//p" uo) &&
	"$UDM" verity verify dv dv $root --hash-offset 524288 &&
	veritysetup verify du du $root --hash-offset 524288 &&
	cp d dv && cp d du &&
	veritysetup format dv dv --data-blocks 100 --hash-offset 409600 --no-superblock --salt - > vo &&
	"$UDM" verity format du du --data-blocks 100 --hash-offset 409600 --no-superblock --salt - > uo &&
	cmp dv du &&
	diff <(sed 1d vo) <(sed 1d uo)
'

test_expect_success VERITYSETUP 'dump matches veritysetup, with and without FEC device' '
	mkdata d 100000 &&
	both_format d --salt - --uuid $UUID --fec-device fec &&
	"$UDM" verity dump u/hash > ud &&
	veritysetup dump u/hash > vd &&
	test_cmp vd ud &&
	"$UDM" verity dump u/hash --fec-device u/fec --fec-roots 5 > ud &&
	veritysetup dump u/hash --fec-device u/fec --fec-roots 5 > vd &&
	test_cmp vd ud
'

test_expect_success VERITYSETUP 'a device too small is refused as veritysetup refuses it' '
	mkdata d 1000 &&
	both_refuse d &&
	grep -qx "Hash area overflow." u/err &&
	mkdata d 8192 &&
	both_refuse d --data-blocks 5 &&
	grep -qx "Input/output error while creating hash area." u/err
'

test_expect_success VERITYSETUP 'root hash file: written without newline, read by verify' '
	mkdata d 65536 &&
	"$UDM" verity format d h --root-hash-file rh > out &&
	test $(stat -c %s rh) = 64 &&
	veritysetup verify d h --root-hash-file rh &&
	"$UDM" verity verify d h --root-hash-file rh
'

test_expect_success VERITYSETUP 'other digests (legacy provider, XOF) and upper-case names' '
	mkdata d 300000 &&
	for h in sha224 sha384 sha512-256 sha3-256 sha3-512 blake2b512 blake2s256 ripemd160 sm3 \
		whirlpool shake128 shake256 md5 SHA256 Sha1; do
		both_format d --hash $h --salt 01 --uuid $UUID &&
		cross_verify d || return 1
	done &&
	test_must_fail "$UDM" verity format d h --hash stribog256 2> err &&
	grep -q "Hash algorithm stribog256 not supported." err
'

test_expect_success VERITYSETUP 'large blocks: up to 512 KiB data and hash blocks' '
	mkdata d 3000000 &&
	for bs in 65536:512 524288:524288 8192:65536 524288:4096; do
		both_format d --data-block-size ${bs%:*} --hash-block-size ${bs#*:} --salt $SALT --uuid $UUID &&
		cross_verify d || return 1
	done
'

test_expect_success VERITYSETUP 'every SHA-256 path (UDM_SHA256_IMPL) writes veritysetup'"'"'s hash device' '
	mkdata d 1049000 &&
	both_format d --salt $SALT --uuid $UUID &&
	ran= &&
	for i in auto openssl ni3 ni4 imb-sse imb-avx imb-avx2 imb-avx512; do
		rm -f h &&
		if UDM_SHA256_IMPL=$i "$UDM" verity format d h --salt $SALT --uuid $UUID > out 2> err; then
			cmp v/hash h &&
			UDM_SHA256_IMPL=$i "$UDM" verity verify d v/hash "$ROOT" &&
			ran="$ran $i" || return 1
		else
			# only a path this CPU lacks may be refused, with one line, nothing written
			grep -qx "udm: verity: UDM_SHA256_IMPL: this CPU cannot run that SHA-256 path: .$i." err &&
			test_path_is_missing h || return 1
		fi
	done &&
	echo "paths run:$ran" &&
	case "$ran" in *openssl*) ;; *) false ;; esac
'

test_expect_success 'a bad UDM_SHA256_IMPL is refused with one line, nothing written' '
	mkdata d 65536 &&
	rm -f h &&
	for bad in bogus NI2 ni5 "x16 " x16 ni1 ni2; do
		test_expect_code 1 env UDM_SHA256_IMPL="$bad" "$UDM" verity format d h > out 2> err &&
		test "$(wc -l < err)" = 1 &&
		grep -q "UDM_SHA256_IMPL: unknown value" err &&
		test_path_is_missing h &&
		test_expect_code 1 env UDM_SHA256_IMPL="$bad" "$UDM" verity verify d h 00 2> err &&
		test "$(wc -l < err)" = 1 || return 1
	done
'

test_expect_success VERITYSETUP 'the SHA-256 calibration is kept in its cache file, and a bad file costs only a calibration' '
	mkdata d 1049000 &&
	both_format d --salt $SALT --uuid $UUID &&
	c=$PWD/cache/sub/rates && rm -rf cache &&
	# a command refused for bad input calibrates nothing and writes no cache
	test_expect_code 4 env UDM_SHA256_CACHE=$c "$UDM" verity format missing h 2>err &&
	test_path_is_missing cache &&
	# the first format calibrates and keeps the rates; the next takes them from the file
	UDM_SHA256_CACHE=$c "$UDM" verity --debug format d h --salt $SALT --uuid $UUID >out &&
	grep -q "^# SHA-256 path: .* (calibrated)\.$" out &&
	grep -q "^udm-sha256-rates 1 cpu=.* openssl=[1-9][0-9]* " $c &&
	UDM_SHA256_CACHE=$c "$UDM" verity --debug verify d h "$ROOT" >out &&
	grep -q "^# SHA-256 path: .* (cached)\.$" out &&
	# rates saying OpenSSL is fastest: a file no calibration here would write, followed,
	# and the hash device is still veritysetup'"'"'s
	sed -e "s/ openssl=[0-9]*/ openssl=900000000000/" $c >rates.fast && cp rates.fast $c &&
	UDM_SHA256_CACHE=$c "$UDM" verity --debug format d h --salt $SALT --uuid $UUID >out &&
	grep -qx "# SHA-256 path: openssl, single blocks: openssl (cached)." out &&
	cmp v/hash h &&
	# damaged: ignored, calibrated again and replaced
	printf "udm-sha256-rates 1 cpu=elsewhere openssl=5\n" >$c &&
	UDM_SHA256_CACHE=$c "$UDM" verity --debug verify d h "$ROOT" >out &&
	grep -q "(calibrated)\.$" out &&
	! grep -q elsewhere $c &&
	# off: calibrated, nothing written
	rm -rf cache &&
	UDM_SHA256_CACHE=off "$UDM" verity --debug verify d h "$ROOT" >out &&
	grep -q "(calibrated)\.$" out &&
	test_path_is_missing cache
'

test_expect_success VERITYSETUP 'udm run as veritysetup behaves as udm verity' '
	mkdata d 65536 &&
	ln -s "$UDM" veritysetup &&
	./veritysetup format d h --salt - --uuid $UUID > out &&
	root=$(sed -n "s/^Root hash:[[:space:]]*//p" out) &&
	veritysetup verify d h $root &&
	./veritysetup dump h > ud &&
	veritysetup dump h > vd &&
	test_cmp vd ud
'

test_done
