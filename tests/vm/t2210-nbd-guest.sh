#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A verified image served over NBD inside the guest (6.12): nbdkit (the host's,
# with its file plugin, carried in with --bins) serves an erofs image, its
# tree and a tampered copy on a unix socket; udmd opens them with
# `udm verity open nbd+unix://...` and a signed root hash; the kernel mounts the
# device through its loop device, reads every file right from the good image
# and gets EIO for the file whose block was flipped, every other file right.
# One boot; vm-run's own timeout bounds it.
. "$(dirname "$0")/vm-harness.sh"
. "$T_ROOT/tests/t/verity-helpers.sh"
vm_require
NBDKIT=$(command -v nbdkit) || test_skip_all "needs nbdkit (scripts/deps.sh)"
PLUGIN=$(ls /usr/lib/*/nbdkit/plugins/nbdkit-file-plugin.so 2>/dev/null | head -1)
[ -n "$PLUGIN" ] || test_skip_all "needs nbdkit's file plugin"
command -v mkfs.erofs >/dev/null || test_skip_all "needs mkfs.erofs"

test_expect_success 'setup: an erofs image, its signed tree, a copy with one block of big flipped' '
	mkdir -p src && mkdata src/big 262144 && printf "hello over nbd\n" >src/small && mkdata src/mid 40000 &&
	mkfs.erofs --quiet img src >/dev/null &&
	"$UDM" verity format img hash --salt $SALT --uuid $UUID >fmt &&
	root=$(sed -n "s/^Root hash:[[:space:]]*//p" fmt) && test -n "$root" &&
	"$VM_SIGN" roothash $root root.sig &&
	off=$(python3 -c "import sys; i=open(\"img\",\"rb\").read(); b=open(\"src/big\",\"rb\").read(); print(i.find(b[65536:65600]))") &&
	test "$off" -gt 0 && cp img bad && xor_byte bad $((off + 7)) 1 &&
	(cd src && sha256sum big mid small) >sums &&
	cp "$PLUGIN" nbdkit-file-plugin.so &&
	{ cat <<-GUEST
	ROOT=$root
	GUEST
	cat <<-\GUEST
	dmesg -n 1
	mkdir -p /tmp/exports /tmp/m && cat /dev/vdb >/tmp/exports/img && cat /dev/vdc >/tmp/exports/hash &&
		cat /dev/vdd >/tmp/exports/bad || exit 1
	nbdkit -U /run/nbd.sock -P /run/nbd.pid /usr/local/bin/nbdkit-file-plugin.so dir=/tmp/exports || exit 1
	for i in $(seq 50); do [ -S /run/nbd.sock ] && break; sleep 0.1; done
	udmd --runtime-dir /run/udm --state-dir /run/udm-state --trusted-certs /vm/cert.pem || exit 1
	u() { udm --runtime-dir /run/udm "$@"; }
	U="nbd+unix:///%s?socket=/run/nbd.sock"
	echo "@@case good"
	if u verity open $(printf $U img) good $(printf $U hash) $ROOT --root-hash-signature /usr/local/bin/root.sig; then
		echo "table $(u table good | cut -d" " -f4-6)"
		echo "status $(u status good)"
		dev=$(u attach good) && mount -t erofs -o ro $dev /tmp/m && (cd /tmp/m && sha256sum big mid small) | sed "s/^/sum /"
		umount /tmp/m; u detach good; u verity close good
	else echo "open-failed"; fi
	echo "@@case bad"
	if u verity open $(printf $U bad) bad $(printf $U hash) $ROOT --root-hash-signature /usr/local/bin/root.sig; then
		dev=$(u attach bad) && mount -t erofs -o ro $dev /tmp/m &&
		for f in small mid big; do
			if cat /tmp/m/$f >/tmp/out 2>/tmp/err; then echo "read $f ok $(sha256sum </tmp/out | cut -d" " -f1)"
			else echo "read $f failed $(tail -1 /tmp/err)"; fi
		done
		umount /tmp/m; u detach bad; u verity close bad
	else echo "open-failed"; fi
	u shutdown >/dev/null 2>&1
	kill $(cat /run/nbd.pid)
	echo "@@done"
	GUEST
	} >guest.sh
'

test_expect_success '6.12: nbdkit in the guest, udm verity open over nbd+unix, the kernel mounts it' '
	vm_boot k --kernel 6.12 --disk img --disk hash --disk bad --bins "$NBDKIT" --bins nbdkit-file-plugin.so \
		--bins root.sig guest.sh &&
	{ grep -q "^@@done" k.out || { cat k.out k.err; false; }; }
'

test_expect_success 'the good image: the URIs in the table, status V, every file right' '
	vm_case k.out good >good &&
	grep -q "^table 1 nbd+unix:///img?socket=/run/nbd.sock nbd+unix:///hash?socket=/run/nbd.sock" good &&
	grep -q "^status 0 [0-9]* verity V" good &&
	sed -n "s/^sum //p" good >got && test_cmp sums got
'

test_expect_success 'the tampered image: the flipped block is EIO in big, small and mid read right' '
	vm_case k.out bad >bad.out && cat bad.out &&
	grep -q "^read big failed.*Input/output error" bad.out &&
	test "$(sed -n "s/^read small ok //p" bad.out)" = "$(sha256sum <src/small | cut -d" " -f1)" &&
	test "$(sed -n "s/^read mid ok //p" bad.out)" = "$(sha256sum <src/mid | cut -d" " -f1)"
'

vm_done
