#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Policy parity with the real 7.2 and 6.12 IPE: the same policies (signed every way that matters: attached,
# detached, with signed attributes, without certificates, SHA-1, untrusted, through a chain to the
# trusted CA; names securityfs cannot hold; the size of one write; grammar errors) are written to the
# kernel's /sys/kernel/security/ipe/new_policy and to udmd's ipe/new_policy, and given to
# `udm policy check`; every case must give the same errno (or success) on all sides. One boot per kernel.
. "$(dirname "$0")/vm-harness.sh"
vm_require
command -v openssl >/dev/null || test_skip_all "openssl not installed"

# Cases where udm knowingly differs from 6.12 and 7.2 (docs/vm-tier.md, "IPE policies"): "ID:SIDE" entries.
# - plain:check   `udm policy check` lints plain text by design (docs/udm-policy.md); new_policy takes PKCS#7 only
# - empty:udmd     FUSE never passes a zero-length write() to the daemon: udmd cannot refuse it
# - size-4194304:udmd  FUSE splits a write over 1 MiB into requests: udmd sees a 1 MiB part (EMSGSIZE)
#                  and cannot know the whole write was 4 MiB (the kernel: ENOMEM); both refuse it
KNOWN="plain:check empty:udmd size-4194304:udmd"

cd "$T_TMP" || exit 1
mkdir -p cases
MANIFEST=cases/manifest
# text NAME [EXTRA LINE...]: a minimal policy text
text() {
	local n=$1; shift
	printf 'policy_name=%s policy_version=0.0.1\nDEFAULT action=ALLOW\n' "$n"
	[ $# = 0 ] || printf '%s\n' "$@"
}
# padded FILE N: FILE, then N bytes of comment lines (100 bytes each, one shorter one last)
padded() {
	local n=$(($2 / 100)) r=$(($2 % 100))
	cat "$1" && yes "#$(printf '%098d' 0 | tr 0 x)" | head -n $n || exit 1
	if [ $r -ge 3 ]; then printf '#%s\n' "$(printf "%0$((r - 2))d" 0 | tr 0 x)"
	elif [ $r = 2 ]; then printf '#\n'
	elif [ $r = 1 ]; then printf '\n'; fi
}
# sign IN OUT CERT KEY [openssl smime options...]: PKCS#7 DER, attached, no signed attributes by default
sign() { openssl smime -sign -binary -nosmimecap -outform DER -in "$1" -out "$2" -signer "$3" -inkey "$4" "${@:5}"; }
# add ID NAME CHECK: a case; NAME is the policy it may create (deleted after), CHECK "c" when
# `udm policy check` is comparable (stateless), "-" when only the loads are (duplicates)
add() { echo "$1 $2 $3" >>"$MANIFEST"; }

test_expect_success 'setup: certificates and the case files' '
	CA=$("$VM_SIGN" cert) && CAKEY=$("$VM_SIGN" key) && cp "$CA" ca.pem &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=foreign" -keyout foreign.key \
		-out foreign.pem >/dev/null 2>&1 &&
	# a leaf signed by the CA, and a leaf signed by an intermediate CA signed by the CA
	printf "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n" >leaf.ext &&
	printf "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,keyCertSign\n" >inter.ext &&
	openssl req -new -newkey rsa:2048 -nodes -subj "/CN=leaf" -keyout leaf.key -out leaf.csr >/dev/null 2>&1 &&
	openssl x509 -req -in leaf.csr -CA "$CA" -CAkey "$CAKEY" -CAcreateserial -days 30 -extfile leaf.ext \
		-out leaf.pem >/dev/null 2>&1 &&
	openssl req -new -newkey rsa:2048 -nodes -subj "/CN=inter" -keyout inter.key -out inter.csr >/dev/null 2>&1 &&
	openssl x509 -req -in inter.csr -CA "$CA" -CAkey "$CAKEY" -CAcreateserial -days 30 -extfile inter.ext \
		-out inter.pem >/dev/null 2>&1 &&
	openssl req -new -newkey rsa:2048 -nodes -subj "/CN=leaf2" -keyout leaf2.key -out leaf2.csr >/dev/null 2>&1 &&
	openssl x509 -req -in leaf2.csr -CA inter.pem -CAkey inter.key -CAcreateserial -days 30 -extfile leaf.ext \
		-out leaf2.pem >/dev/null 2>&1 &&
	: >"$MANIFEST" &&
	ok() { sign "$2" "cases/$1" "$CA" "$CAKEY" -nodetach -noattr; } &&
	# the signature forms
	text p-ok >t && ok ok t && add ok p-ok c &&
	text p-det >t && sign t cases/detached "$CA" "$CAKEY" -noattr && add detached p-det c &&
	text p-attr >t && sign t cases/attrs "$CA" "$CAKEY" -nodetach && add attrs p-attr c &&
	text p-nocert >t && sign t cases/nocerts "$CA" "$CAKEY" -nodetach -noattr -nocerts && add nocerts p-nocert c &&
	text p-sha1 >t && sign t cases/sha1 "$CA" "$CAKEY" -nodetach -noattr -md sha1 && add sha1 p-sha1 c &&
	text p-sha512 >t && sign t cases/sha512 "$CA" "$CAKEY" -nodetach -noattr -md sha512 && add sha512 p-sha512 c &&
	text p-foreign >t && sign t cases/untrusted foreign.pem foreign.key -nodetach -noattr && add untrusted p-foreign c &&
	text p-leaf >t && sign t cases/chain-leaf leaf.pem leaf.key -nodetach -noattr && add chain-leaf p-leaf c &&
	text p-leaf2 >t && sign t cases/chain-inter leaf2.pem leaf2.key -nodetach -noattr -certfile inter.pem &&
	add chain-inter p-leaf2 c &&
	text p-leaf3 >t && sign t cases/chain-nointer leaf2.pem leaf2.key -nodetach -noattr && add chain-nointer p-leaf3 c &&
	text p-forged >t && ok forged-src t && sed "s/0\.0\.1/0.0.2/" cases/forged-src >cases/forged && rm cases/forged-src &&
	! cmp -s cases/forged cases/ok && add forged p-forged c &&
	head -c 300 cases/ok >cases/truncated && add truncated p-ok c &&
	text p-plain >cases/plain && add plain p-plain c &&
	: >cases/empty && add empty - c &&
	# names securityfs cannot hold, and the longest names
	text . >t && ok name-dot t && add name-dot . c &&
	text .. >t && ok name-dotdot t && add name-dotdot .. c &&
	text a/b >t && ok name-slash t && add name-slash a/b c &&
	n255=$(printf "%0255d" 0 | tr 0 n) && text $n255 >t && ok name-255 t && add name-255 $n255 c &&
	n256=$(printf "%0256d" 0 | tr 0 n) && text $n256 >t && ok name-256 t && add name-256 $n256 c &&
	text new_policy >t && ok name-newpolicy t && add name-newpolicy new_policy c &&
	text policies >t && ok name-policies t && add name-policies policies c &&
	# a duplicate: the second load of the same name
	text p-dup >t && ok dup1 t && add dup1 KEEP - && ok dup2 t && add dup2 p-dup - &&
	# grammar, signed correctly
	printf "policy_name=g1 policy_version=1.2\nDEFAULT action=ALLOW\n" >t && ok gram-version t && add gram-version g1 c &&
	printf "policy_name=g2 policy_version=65536.0.0\nDEFAULT action=ALLOW\n" >t && ok gram-range t && add gram-range g2 c &&
	text g3 "op=EXECUTE foo=bar action=ALLOW" >t && ok gram-key t && add gram-key g3 c &&
	printf "DEFAULT action=ALLOW\n" >t && ok gram-noname t && add gram-noname - c &&
	printf "policy_name=g5 policy_version=0.0.1\n" >t && ok gram-nodefault t && add gram-nodefault g5 c &&
	text g6 "op=EXECUTE action=ALLOW # comment" >t && ok gram-comment t && add gram-comment g6 c &&
	printf "policy_name=g7 policy_version=0.0.1\r\nDEFAULT action=ALLOW\r\n" >t && ok gram-crlf t && add gram-crlf g7 c &&
	printf "policy_name=g8 policy_version=0.0.1\nDEFAULT action=ALLOW\n\0x\n" >t && ok gram-nul t && add gram-nul g8 c &&
	text g9 "op=EXECUTE dmverity_roothash=sha256:00 action=ALLOW" >t && ok gram-digest t && add gram-digest g9 c &&
	# the size of one write: around the ASN.1 decoder limit (65535) and the allocation limit (4 MiB)
	for sz in 65535 65536 1048576 4194303 4194304; do
		pad=$((sz - 2000)) && text p-size >base &&
		for i in 1 2 3; do
			padded base $pad >t && ok size-$sz t && got=$(stat -c %s cases/size-$sz) &&
			pad=$((pad + sz - got)) || exit 1
		done &&
		test "$(stat -c %s cases/size-$sz)" = $sz && add size-$sz p-size c || exit 1
	done &&
	wc -l <"$MANIFEST" >ncases && tar -cf cases.tar cases && truncate -s %4096 cases.tar
'

cat >guest.sh <<'GUEST'
dmesg -n 1
tar -xf /dev/vdb -C / || exit 1
I=/sys/kernel/security/ipe
udmd --runtime-dir /run/udm --state-dir /run/udm-state --trusted-certs /vm/cert.pem || exit 1
U=/run/udm/ipe
[ -e $U/new_policy ] || { echo "udmd has no ipe/"; exit 1; }
# res: vm-write's verdict as "ok" or the errno name
res() { sed -n -e 's/^vm-write: ok .*/ok/p' -e 's/^vm-write: \(open \)\{0,1\}errno=[0-9]* \([A-Z0-9]*\).*/\2/p' | head -1; }
del() { # DIR NAME: delete policy NAME if it exists (not when NAME cannot be a directory name)
	case $2 in -|KEEP|.|..|*/*) return;; esac
	[ -e "$1/policies/$2/delete" ] && printf 1 >"$1/policies/$2/delete"
}
while read -r id name check; do
	f=/cases/$id
	k=$(vm-write $f $I/new_policy | res)
	u=$(vm-write $f $U/new_policy | res)
	if [ "$check" = c ]; then
		if udm policy check $f --trusted-certs /vm/cert.pem >/dev/null 2>/tmp/cerr; then c=ok
		else c=$(grep -o '\bE[A-Z0-9]\{2,\}\b' /tmp/cerr | head -1); c=${c:-$(head -c 80 /tmp/cerr | tr ' ' _)}; fi
	else c=-; fi
	echo "@@case $id kernel=$k udmd=$u check=$c"
	del $I "$name"; del $U "$name"
	[ "$id" = dup2 ] && { del $I p-dup; del $U p-dup; }
done </cases/manifest
ls $I/policies | sed 's/^/left kernel /'
ls $U/policies | sed 's/^/left udmd /'
udm --runtime-dir /run/udm shutdown >/dev/null 2>&1
echo "@@done"
GUEST

for K in $(vm_kernels 7.2 6.12); do
test_expect_success "$K: every case on the kernel, udmd and udm policy check" '
	vm_boot k$K --kernel $K --disk cases.tar guest.sh &&
	{ grep -q "^@@done" k$K.out || { cat k$K.out k$K.err; false; }; }
'
test_expect_success "$K: udmd and udm policy check give the kernel errno in every case" '
	grep "^@@case" k$K.out | while read -r _ id k u c; do
		k=${k#kernel=} u=${u#udmd=} c=${c#check=}
		[ "$u" = "$k" ] || echo "$id:udmd kernel=$k udmd=$u"
		[ "$c" = - ] || [ "$c" = "$k" ] || echo "$id:check kernel=$k check=$c"
	done >diverge &&
	n=$(grep -c "^@@case" k$K.out) && test "$n" = "$(cat ncases)" &&
	cmp=$(awk "/^@@case/{n++; if (\$5 != \"check=-\") n++} END{print n}" k$K.out) &&
	vm_count "IPE policy loads+checks ($K)" $cmp $((cmp - $(wc -l <diverge))) &&
	cut -d" " -f1 diverge | sort >got && { printf "%s\n" $KNOWN | sed "/^\$/d" | sort >want; } &&
	{ test_cmp want got || { cat diverge; false; }; }
'
test_expect_success "$K: nothing is left loaded on either side" '
	! grep "^left" k$K.out
'
done
vm_done
