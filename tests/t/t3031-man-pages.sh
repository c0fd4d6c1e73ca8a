#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages (man/*.scd, built into $B/man/ by scdoc) document every option:
# each option that `udm --help`, each verb's help (dmsetup verbs, verity, policy,
# veritytab) and `udmd --help` print appears in udm(8) or udmd(8), and every verb
# in udm(8). The pages render (man -l) when man is installed.
. "$(dirname "$0")/lib.sh"

MAN=$UDM_BUILD/man
cd "$T_TMP" || exit 1

# text PAGE: the roff source with its escapes for - and zero-width taken out
text() { sed -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\f[BIRP]//g' -e 's/\\(aq/'"'"'/g' -e 's/\\e/\\/g' "$MAN/$1"; }
# options FILE: the long and short options named in a help text, one a line
options() {
	{ grep -oE -- "--[a-z][a-z0-9-]*" "$1"
	  grep -oE -- "(^|[][ |,(])-[a-zA-Z?]([], |)=]|$)" "$1" | grep -oE -- "-[a-zA-Z?]"; } | sort -u
}
# documented PAGE OPTIONS: each option of OPTIONS appears in PAGE as a word
documented() {
	text "$1" >page.txt &&
	while read -r o; do
		q=$(printf %s "$o" | sed "s/[?]/[?]/g") &&
		grep -qE -- "(^|[^a-zA-Z0-9-])$q([^a-zA-Z0-9-]|$)" page.txt || { echo "$1: $o not documented"; return 1; }
	done <"$2"
}

test_expect_success 'the pages were built' '
	for p in udm.8 udmd.8 udm-policy.7 udm-veritytab.5; do test_path_is_file "$MAN/$p" || return 1; done &&
	grep -q "^\.TH \"udm\" \"8\"" "$MAN/udm.8"
'

test_expect_success 'udm --help and every verb'"'"'s help: each option in udm(8)' '
	"$UDM" --help >help.txt &&
	sed -n "s/^    udm \([a-z_-]*\).*/\1/p" help.txt >verbs && test "$(wc -l <verbs)" -ge 30 &&
	while read -r v; do "$UDM" $v --help >>help.txt || return 1; done <verbs &&
	"$UDM" verity --help >>help.txt && "$UDM" policy --help >>help.txt && "$UDM" veritytab --help >>help.txt &&
	options help.txt >opts && test "$(wc -l <opts)" -ge 60 &&
	grep -qx -- "--root-hash-signature" opts && grep -qx -- "-s" opts && grep -qx -- "--record" opts &&
	documented udm.8 opts
'

test_expect_success 'udmd --help: each option in udmd(8)' '
	"$UDMD" --help >dhelp.txt && options dhelp.txt >dopts && test "$(wc -l <dopts)" -ge 18 &&
	grep -qx -- "--trusted-certs-dir" dopts && documented udmd.8 dopts
'

test_expect_success 'every verb in udm(8): dmsetup verbs, verity actions, policy verbs, veritytab' '
	"$UDM" --help | sed -n "s/^    udm \([a-z_-]*\).*/\1/p" >verbs &&
	printf "%s\n" format verify open close status dump check eval load update activate delete list show \
		enforce success-audit veritytab >>verbs &&
	text udm.8 >page.txt &&
	while read -r v; do grep -qE -- "(^|[^a-z_-])$v([^a-z_-]|$)" page.txt || { echo "verb $v"; return 1; }; done <verbs
'

test_expect_success 'udm-policy(7): every op and property of the language' '
	text udm-policy.7 >page.txt &&
	for w in EXECUTE FIRMWARE KMODULE KEXEC_IMAGE KEXEC_INITRAMFS POLICY X509_CERT boot_verified \
		dmverity_roothash dmverity_signature fsverity_digest fsverity_signature DEFAULT policy_name policy_version; do
		grep -q "$w" page.txt || { echo "no $w"; return 1; }
	done
'

test_expect_success 'the policy examples of udm-policy(7) parse' '
	text udm-policy.7 >page.txt &&
	awk "/^\.nf/{p=1; n++; next} /^\.fi/{p=0} p && /^policy_name=/{f=n} p && f==n {print > (\"ex\" n \".pol\")}" \
		page.txt &&
	ls ex*.pol >list && test "$(wc -l <list)" -ge 2 &&
	for f in ex*.pol; do sed -e "s/\\.\\.\\.[0-9a-f]*//" "$f" >"$f.t" &&
		"$UDM" policy check "$f.t" >/dev/null || { cat "$f.t"; return 1; }; done
'

command -v man >/dev/null && test_set_prereq MAN
test_expect_success MAN 'each page renders with man -l, without warnings' '
	for p in udm.8 udmd.8 udm-policy.7 udm-veritytab.5; do
		MANWIDTH=80 man -l "$MAN/$p" >out 2>err && test_must_be_empty err &&
		test "$(wc -l <out)" -ge 40 || return 1
	done
'

test_done
