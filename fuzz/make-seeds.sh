#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerates the seed corpora of the fuzz harnesses (fuzz/corpus/NAME/) and the
# throw-away PKCS#7 test certificate (fuzz/pkcs7/trusted.pem). Seeds are a few
# valid inputs and near misses of each; libFuzzer grows the rest.
# Usage: fuzz/make-seeds.sh [--new-cert]   (run from anywhere)
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [ "${1:-}" = --new-cert ] || [ ! -e pkcs7/trusted.pem ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=udm-fuzz-trusted \
		-keyout "$tmp/trusted.key" -out pkcs7/trusted.pem 2>/dev/null
	have_key=1
else
	have_key=0
fi
# signed seeds need the key: only when the certificate was just made
if [ $have_key = 1 ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=udm-fuzz-foreign \
		-keyout "$tmp/foreign.key" -out "$tmp/foreign.pem" 2>/dev/null
	printf 'policy_name=p policy_version=0.0.1\nDEFAULT action=ALLOW\n' >"$tmp/pol"
	printf '4392b18ca3a9b2f2f3a9c2fd0b4f0d8b6e0e6d2f4c4a7e2b1b9a1c0e0d0c0b0a' >"$tmp/root"
	for k in trusted foreign; do
		c="$tmp/$k.pem"; [ $k = trusted ] && c=pkcs7/trusted.pem
		openssl smime -sign -in "$tmp/pol" -signer "$c" -inkey "$tmp/$k.key" -noattr -nosmimecap \
			-binary -nodetach -outform der -out "$tmp/$k-att.der"
		openssl smime -sign -in "$tmp/root" -signer "$c" -inkey "$tmp/$k.key" -noattr -nosmimecap \
			-binary -outform der -out "$tmp/$k-det.der"
		openssl smime -sign -in "$tmp/root" -signer "$c" -inkey "$tmp/$k.key" -noattr -nosmimecap \
			-binary -nocerts -outform der -out "$tmp/$k-det-nocerts.der"
	done
fi
python3 - "$tmp" "$have_key" <<'PY'
import os, struct, sys
tmp, have_key = sys.argv[1], sys.argv[2] == "1"
def put(name, seeds):
    d = f"corpus/{name}"
    os.makedirs(d, exist_ok=True)
    for i, (label, b) in enumerate(seeds):
        open(f"{d}/seed-{i:02d}-{label}", "wb").write(b)

# verity_sb: the 512-byte header (cryptsetup lib/verity/verity.c struct verity_sb)
def sb(sig=b"verity\0\0", ver=1, ht=1, alg=b"sha256", dbs=4096, hbs=4096, blocks=256, salt=b"\x11" * 32, saltlen=None):
    b = sig + struct.pack("<II", ver, ht) + bytes(range(16)) + alg.ljust(32, b"\0")
    b += struct.pack("<IIQH", dbs, hbs, blocks, len(salt) if saltlen is None else saltlen) + b"\0" * 6
    b += salt.ljust(256, b"\0")[:256]
    return b.ljust(512, b"\0")
put("verity_sb", [
    ("valid", sb()), ("sha1-512", sb(alg=b"sha1", dbs=512, hbs=512, blocks=1)),
    ("chromeos", sb(ht=0, salt=b"")), ("huge", sb(blocks=2**64 - 1)),
    ("bad-magic", sb(sig=b"verity\0\1")), ("bad-version", sb(ver=2)),
    ("salt-257", sb(saltlen=257)), ("bad-bs", sb(dbs=1000)), ("unknown-alg", sb(alg=b"md77")),
    ("offset", sb() + struct.pack("<Q", 1 << 40)),
])

# verity_tree: options, order, XOR mask over the 2048-byte hash area then the data
hash_len = 2048
def mask(at=None, total=None):
    m = bytearray(total or 0)
    if at is not None:
        m[at] ^= 0x01
    return bytes(m)
put("verity_tree", [
    ("clean", b"\x00\x00"), ("all-options", b"\x3f\x07"),
    ("hash-flip", b"\x00\x03" + mask(100, 101)), ("root-level-flip", b"\x04\x01" + mask(3 * 512 + 5, 3 * 512 + 6)),
    ("data-flip", b"\x01\x05" + mask(hash_len + 3 * 512 + 7, hash_len + 3 * 512 + 8)),
    ("zero-block-flip", b"\x03\x00" + mask(hash_len + 5 * 512, hash_len + 5 * 512 + 1)),
])

# fec: RS codewords (bit0 = 0) and images with parity (bit0 = 1), roots = 2 + byte1 % 23
cw = bytearray(255); cw1 = bytearray(255); cw1[10] = 7
cw2 = bytearray(255); cw2[3] = 1; cw2[200] = 9; cw2[254] = 4
par4 = 4 * 512   # ceil((40 + 4) / 251) * 4 blocks of 512 bytes
put("fec", [
    ("rs-zero", b"\x00\x00" + bytes(cw)), ("rs-one-error", b"\x00\x00" + bytes(cw1)),
    ("rs24-three-errors", b"\x00\x16" + bytes(cw2)),
    ("img-clean", b"\x01\x02"),
    ("img-data-error", b"\x07\x02" + mask(par4 + hash_len + 512 * 3 + 9, par4 + hash_len + 512 * 3 + 10)),
    ("img-hash-error", b"\x01\x02" + mask(par4 + 17, par4 + 18)),
    ("img-parity-error", b"\x01\x00" + mask(33, 34)),
])

# ipe_policy
rh = "sha256:" + "ab" * 32
put("ipe_policy", [(n, p.encode()) for n, p in [
    ("allow", "policy_name=allowall policy_version=0.0.0\nDEFAULT action=ALLOW\n"),
    ("full", "policy_name=full policy_version=1.2.3\nDEFAULT action=DENY\n"
             "DEFAULT op=EXECUTE action=DENY\n"
             f"op=EXECUTE dmverity_roothash={rh} action=ALLOW\n"
             "op=EXECUTE dmverity_signature=TRUE boot_verified=FALSE action=ALLOW\n"
             f"op=KMODULE fsverity_digest=sha256:{'cd' * 32} fsverity_signature=TRUE action=ALLOW\n"
             "op=KERNEL_READ boot_verified=TRUE action=ALLOW # comment\n"
             "op=FIRMWARE fsverity_signature=FALSE action=DENY\n"
             "op=KEXEC_IMAGE action=ALLOW\nop=KEXEC_INITRAMFS action=ALLOW\n"
             "op=POLICY action=ALLOW\nop=X509_CERT action=DENY\n"),
    ("many-hashes", "policy_name=h policy_version=0.0.1\nDEFAULT action=ALLOW\n" +
             "".join(f"op=EXECUTE dmverity_roothash=sha256:{i:064x} action=DENY\n" for i in range(20))),
    ("crlf", "policy_name=c policy_version=0.0.1\r\nDEFAULT action=ALLOW\r\n"),
    ("nul", "policy_name=t policy_version=0.0.0\nDEFAULT action=DENY\n\0op=EXECUTE action=ALLOW\n"),
    ("bad-version", "policy_name=t policy_version=999999.0.0\nDEFAULT action=ALLOW"),
    ("no-default", "policy_name=t policy_version=0.0.0\nop=EXECUTE action=ALLOW\n"),
    ("bad-digest", "policy_name=t policy_version=0.0.0\nDEFAULT action=ALLOW\nop=EXECUTE dmverity_roothash=sha256:xyz action=DENY\n"),
]])

# proto
def req(cmd, args, flags=0, magic=0x434d4455, ver=1, ln=None):
    p = struct.pack("<I", len(args)) + b"".join(a + b"\0" for a in args)
    return struct.pack("<IHHII", magic, ver, cmd, flags, len(p) if ln is None else ln) + p
put("proto", [
    ("ping", b"\x00" + req(1, [])[1:] if False else req(1, [])),
    ("create", req(0x101, [b"lin", b"", b"/tmp", b"0 8 zero"], flags=1)),
    ("ls", req(0x10d, [])), ("wrong-magic", req(1, [], magic=0x12345678)),
    ("wrong-version", req(1, [], ver=2)), ("truncated", req(0x101, [b"abc"])[:-2]),
    ("too-long", req(1, [], ln=1 << 30)), ("many-args", req(0x101, [b"x"] * 70)),
    ("trailing", req(0x102, [b"a"]) + b"junk"),
])

# proto_rec: record streams (a table of two entries, a device reply, near misses)
def fld(key, typ, val):
    return struct.pack("<HHI", key, typ, len(val)) + val
u64 = lambda k, v: fld(k, 2, struct.pack("<Q", v))
txt = lambda k, v: fld(k, 3, v + b"\0")
pre = struct.pack("<IHH", 0x524d4455, 1, 0)
entry = lambda s, l, t, p: fld(2, 1, b"") + u64(16, s) + u64(17, l) + txt(18, t) + txt(19, p)
put("proto_rec", [
    ("table", pre + entry(0, 8, b"zero", b"") + entry(8, 8, b"linear", b"/dev/loop0 0") + u64(20, 7)),
    ("device", pre + fld(1, 1, b"") + txt(1, b"lin") + txt(2, b"") + u64(3, 240) + u64(4, 0) +
     fld(4, 1, b"") + u64(3, 7) + u64(4, 1) + fld(5, 1, b"") + txt(1, b"driver") + fld(71, 4, b"\0\1")),
    ("empty", b""), ("preamble", pre), ("wrong-version", struct.pack("<IHH", 0x524d4455, 2, 0)),
    ("orphan-field", pre + u64(3, 1)), ("string-no-nul", pre + fld(1, 1, b"") + fld(1, 3, b"ab")),
    ("length-past-end", pre + fld(1, 1, b"") + struct.pack("<HHI", 1, 3, 1 << 30) + b"x"),
])

if have_key:
    r = lambda n: open(os.path.join(tmp, n), "rb").read()
    root = open(os.path.join(tmp, "root"), "rb").read()
    det = lambda flags, content, der: bytes([flags]) + struct.pack("<H", len(content)) + content + der
    put("pkcs7", [
        ("attached", b"\x00\x00\x00" + r("trusted-att.der")),
        ("attached-trust", b"\x02\x00\x00" + r("trusted-att.der")),
        ("attached-foreign-trust", b"\x02\x00\x00" + r("foreign-att.der")),
        ("detached-trust", det(3, root, r("trusted-det.der"))),
        ("detached-nocerts-trust", det(3, root, r("trusted-det-nocerts.der"))),
        ("detached-nocerts", det(1, root, r("trusted-det-nocerts.der"))),
        ("detached-wrong-content", det(3, root[:-1] + b"0", r("trusted-det.der"))),
        ("detached-as-attached", b"\x02\x00\x00" + r("trusted-det.der")),
        ("truncated", b"\x00\x00\x00" + r("trusted-att.der")[:300]),
    ])
PY
