#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian packages: `dpkg-buildpackage -us -uc -b` on a copy of the checkout
# builds udm, libudm0 and libudm-dev with the files each must ship (udm: the
# programs, the units enabled by postinst, the udev rule, the man pages, the
# dmsetup/veritysetup links in /usr/libexec/udm only; libudm0: the soname;
# libudm-dev: headers, .so, .a, udm.pc), lintian reports nothing that is not
# overridden with a reason, and `make install` installs the same files.
# The symbols file lists exactly lib/libudm.map's symbols (no build needed).
. "$(dirname "$0")/lib.sh"

cd "$T_TMP" || exit 1
map_symbols() { sed -n 's/^\t\(udm_[a-z0-9_]*\);$/\1/p' "$T_ROOT/lib/libudm.map" | sort; }

test_expect_success 'debian/libudm0.symbols lists exactly the symbols of lib/libudm.map' '
	map_symbols >want && test "$(wc -l <want)" -ge 30 &&
	sed -n "s/^ \(udm_[a-z0-9_]*\)@LIBUDM_0 .*/\1/p" "$T_ROOT/debian/libudm0.symbols" | sort >got &&
	test_cmp want got &&
	head -1 "$T_ROOT/debian/libudm0.symbols" | grep -qx "libudm.so.0 libudm0 #MINVER#" &&
	grep -q "^-Wl,-soname,libudm.so.\$(LIB_SOVERSION)\|soname,libudm.so.\$(LIB_SOVERSION)" "$T_ROOT/Makefile" &&
	grep -qx "LIB_SOVERSION := 0" "$T_ROOT/Makefile"
'

# the package build: needs Debian's build tools and the build dependencies
why=
for t in dpkg-buildpackage dh lintian scdoc git; do command -v $t >/dev/null || why=${why:-"$t not installed"}; done
[ -z "$why" ] && ! git -C "$T_ROOT" rev-parse --git-dir >/dev/null 2>&1 && why="not a git checkout"
[ -z "$why" ] && ! (cd "$T_ROOT" && dpkg-checkbuilddeps) >bdeps 2>&1 && why=$(tail -1 bdeps)
if [ -n "$why" ]; then
	echo "# the package build is skipped: $why (scripts/deps.sh installs what it needs)"
else
	test_set_prereq DEBBUILD
fi

# the checkout as git sees it (tracked and new files, nothing ignored: no build dirs)
test_have_prereq DEBBUILD && { mkdir -p pkg/udm && (cd "$T_ROOT" && git ls-files -z --cached --others \
	--exclude-standard | tar --null -T - -cf -) | tar -xf - -C pkg/udm || exit 1; }
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd)
UNITDIR=${UNITDIR:-/lib/systemd/system}
U=${UNITDIR#/}
R=${U%systemd/system}udev/rules.d
V=$(dpkg-parsechangelog -l "$T_ROOT/debian/changelog" -SVersion)
A=$(dpkg-architecture -qDEB_HOST_ARCH)
# logged LOG CMD...: run CMD with its output in LOG, shown (the end of it) if it fails
logged() { local log=$1; shift; "$@" >"$log" 2>&1 || { tail -40 "$log"; return 1; }; }
# contents DEB: its files and links, one a line, without the leading ./
contents() { dpkg-deb -c "$1" | awk '{ p = $6; sub(/^\.\//, "", p); if ($7 == "->") p = p " -> " $8; if (p != "" && p !~ /\/$/) print p }' | sort; }

test_expect_success DEBBUILD 'dpkg-buildpackage -us -uc -b builds the three packages' '
	logged build.log sh -c "cd pkg/udm && nice -n 10 dpkg-buildpackage -us -uc -b -j2" &&
	for p in udm libudm0 libudm-dev; do test_path_is_file pkg/${p}_${V}_$A.deb || return 1; done &&
	{ [ "$(id -u)" != 0 ] || logged offer.log "$T_ROOT/tests/vm/vm-debian" offer \
		"$(. /etc/os-release && echo "$VERSION_CODENAME")" "$PWD/pkg" || true; }
'

test_expect_success DEBBUILD 'udm: programs, units, udev rule, man pages, the libexec links, config' '
	contents pkg/udm_${V}_$A.deb >udm.list &&
	for f in usr/bin/udm usr/sbin/udmd $U/udmd.service $U/udm-veritytab.service $R/60-udm.rules \
		usr/share/man/man8/udm.8.gz usr/share/man/man8/udmd.8.gz usr/share/man/man7/udm-policy.7.gz \
		usr/share/man/man5/udm-veritytab.5.gz etc/default/udm etc/udm/veritytab \
		"usr/libexec/udm/dmsetup -> ../../bin/udm" "usr/libexec/udm/veritysetup -> ../../bin/udm"; do
		grep -qx "$f" udm.list || { echo "udm lacks $f"; return 1; }
	done &&
	! grep -E "(^|/)(s?bin)/(dmsetup|veritysetup)" udm.list &&
	dpkg-deb -c pkg/udm_${V}_$A.deb | grep -q " \./etc/udm/certs/$" &&
	dpkg-deb -e pkg/udm_${V}_$A.deb ctl &&
	grep -qx /etc/default/udm ctl/conffiles && grep -qx /etc/udm/veritytab ctl/conffiles &&
	grep -q "deb-systemd-helper enable .udmd.service." ctl/postinst &&
	grep -q "deb-systemd-helper enable .udm-veritytab.service." ctl/postinst
'

test_expect_success DEBBUILD 'libudm0: the soname and its symbols; libudm-dev: headers, .so, .a, udm.pc' '
	contents pkg/libudm0_${V}_$A.deb >lib.list &&
	grep -qx "usr/lib/$MA/libudm.so.0 -> libudm.so.0.1.0" lib.list &&
	grep -qx "usr/lib/$MA/libudm.so.0.1.0" lib.list &&
	dpkg-deb -e pkg/libudm0_${V}_$A.deb libctl && grep -qx "libudm 0 libudm0 (>= 0.1.0)" libctl/shlibs &&
	grep -q "^ udm_ctx_new@LIBUDM_0 " libctl/symbols &&
	contents pkg/libudm-dev_${V}_$A.deb >dev.list &&
	for f in usr/include/udm/udm.h usr/include/udm/target.h "usr/lib/$MA/libudm.so -> libudm.so.0" \
		usr/lib/$MA/libudm.a usr/lib/$MA/pkgconfig/udm.pc; do
		grep -qx "$f" dev.list || { echo "libudm-dev lacks $f"; return 1; }
	done &&
	dpkg-deb -x pkg/libudm-dev_${V}_$A.deb dev &&
	grep -qx "libdir=/usr/lib/$MA" dev/usr/lib/$MA/pkgconfig/udm.pc
'

test_expect_success DEBBUILD 'lintian: every tag is overridden with a reason' '
	logged lintian.out sh -c "cd pkg && lintian -I --pedantic --fail-on error,warning,info,pedantic udm_${V}_${A}.changes" &&
	! grep -E "^[EWIP]: " lintian.out &&
	grep -c "^#" "$T_ROOT/debian/udm.lintian-overrides" >n && test "$(cat n)" -ge 3
'

test_expect_success DEBBUILD 'make install (PREFIX=/usr DESTDIR) installs the same files as the packages' '
	cat udm.list lib.list dev.list | grep -v "^usr/share/doc/\|^usr/share/lintian/" | sed "s/\.gz$//; s/ -> .*//" | sort >pkg.files &&
	logged inst.log make -s -C pkg/udm B=build-inst PREFIX=/usr LIBDIR=/usr/lib/$MA LIBEXECDIR=/usr/libexec \
		UNITDIR=/$U UDEVRULESDIR=/$R DESTDIR="$T_TMP/inst" install &&
	(cd inst && find . ! -type d | sed "s|^\./||" | sort) >inst.files &&
	test_cmp pkg.files inst.files
'

test_done
