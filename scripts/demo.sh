#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The udm demo (as root on Debian 12): a program on a dm-verity protected erofs
# image is allowed to run by an IPE policy that trusts its signed root hash; a
# copy on an unverified mount is denied; a flipped byte is caught on read.
# Everything happens under a temporary directory and is cleaned up at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (mounts, loop devices, fanotify)" >&2; exit 1; }
./scripts/deps.sh
make -s -j"$(nproc)" build/udm build/udmd >/dev/null

UDM=$PWD/build/udm
UDMD=$PWD/build/udmd
W=$(mktemp -d /tmp/udm-demo.XXXXXX)
RT=$W/run
udm() { "$UDM" --runtime-dir "$RT" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

PLAIN_LOOP=""
cleanup() {
	set +e
	step "Cleaning up"
	umount "$W/verified" "$W/unverified" 2>/dev/null
	[ -n "$PLAIN_LOOP" ] && losetup -d "$PLAIN_LOOP"
	[ -S "$RT/control" ] && udm shutdown
	rm -rf "$W"
	echo "nothing left mounted or attached:"
	grep -c "$W" /proc/mounts || true
}
trap cleanup EXIT

step "1. Build an erofs image holding a small static program"
mkdir -p "$W/src" "$W/verified" "$W/unverified"
printf '#include <stdio.h>\nint main(void) { puts("hello from a verified erofs volume"); return 0; }\n' |
	gcc -static -O2 -x c - -o "$W/src/hello"
run mkfs.erofs "$W/image.erofs" "$W/src" >/dev/null

step "2. Format its hash tree with udm verity format (veritysetup-compatible)"
run "$UDM" verity format "$W/image.erofs" "$W/image.hash" | tee "$W/format.txt"
ROOT=$(sed -n 's/^Root hash:[[:space:]]*//p' "$W/format.txt")

step "3. Sign the root hash with a throw-away certificate (PKCS#7, as the kernel expects)"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 1 \
	-subj "/CN=udm demo signer" 2>/dev/null
printf %s "$ROOT" >"$W/roothash.txt"
run openssl smime -sign -binary -noattr -outform DER -in "$W/roothash.txt" -signer "$W/cert.pem" \
	-inkey "$W/key.pem" -out "$W/roothash.p7s"

step "4. Start udmd (trusting that certificate, audit records to a file)"
run "$UDMD" --runtime-dir "$RT" --state-dir "$W/state" --trusted-certs "$W/cert.pem" --audit-log "$W/audit.log"

step "5. Open the verity device with its signature (a veritytab line, as at boot), attach it, mount it"
echo "demo $W/image.erofs $W/image.hash $ROOT root-hash-signature=$W/roothash.p7s" >"$W/veritytab"
cat "$W/veritytab"
run "$UDM" --runtime-dir "$RT" veritytab open "$W/veritytab"
udm verity status demo
LOOP=$(udm attach demo)
echo "attached: $LOOP"
run mount -t erofs -o ro "$LOOP" "$W/verified"
udm table demo

echo "An unverified copy of the same image, on a plain loop device:"
cp "$W/image.erofs" "$W/copy.erofs"
PLAIN_LOOP=$(losetup -f --show -r "$W/copy.erofs")
run mount -t erofs -o ro "$PLAIN_LOOP" "$W/unverified"

step "6. Load and activate a signed IPE policy: EXECUTE only from this root hash or signed volumes"
cat >"$W/policy.txt" <<EOF
policy_name=demo policy_version=0.0.1
DEFAULT action=ALLOW
DEFAULT op=EXECUTE action=DENY
op=EXECUTE dmverity_roothash=sha256:$ROOT action=ALLOW
op=EXECUTE dmverity_signature=TRUE action=ALLOW
EOF
cat "$W/policy.txt"
openssl smime -sign -in "$W/policy.txt" -signer "$W/cert.pem" -inkey "$W/key.pem" -noattr -nodetach \
	-nosmimecap -outform der -out "$W/policy.p7s"
udm policy check "$W/policy.p7s" --trusted-certs "$W/cert.pem"
run "$UDM" --runtime-dir "$RT" policy load "$W/policy.p7s"
run "$UDM" --runtime-dir "$RT" policy activate demo
echo "Enforce on the two test mounts only (never on /):"
udm watch add "$W/verified"
udm watch add "$W/unverified"
udm watch list

step "7. Run the program from the verified volume: allowed"
run "$W/verified/hello"

step "8. Run the same program from the unverified mount: denied"
if "$W/unverified/hello"; then echo "UNEXPECTED: it ran"; exit 1; else echo "denied (exit $?), as the policy says"; fi

step "9. Flip one byte of the image: the read fails instead of returning changed data"
OFF=$(grep -obUa "hello from a verified" "$W/image.erofs" | head -1 | cut -d: -f1)
printf 'J' | dd of="$W/image.erofs" bs=1 seek="$OFF" conv=notrunc 2>/dev/null
sync; echo 3 >/proc/sys/vm/drop_caches
if cat "$W/verified/hello" >/dev/null; then echo "UNEXPECTED: read succeeded"; exit 1; fi
udm status demo
echo "(status C: a corrupted block was detected)"

step "10. The audit records (IPE's format)"
cat "$W/audit.log"

step "11. The same as a service, from Debian packages (docs/packaging.md)"
cat <<'EOF'
  dpkg-buildpackage -us -uc -b                  # udm, libudm0, libudm-dev in ..
  apt install ../udm_*.deb                      # udmd.service, udm-veritytab.service enabled
  cp cert.pem /etc/udm/certs/                   # trusted signer; systemctl restart udmd
  echo "app /srv/app.img /srv/app.hash ROOT root-hash-signature=/etc/udm/app.p7s" >>/etc/udm/veritytab
  echo "/dev/mapper/app /opt/app erofs ro,x-systemd.requires=udmd.service 0 0" >>/etc/fstab
  echo 'UDMD_OPTS="--enforcer=bpf --audit=log,journal,kernel"' >/etc/default/udm
  systemctl restart udmd && udm policy load policy.p7s && udm policy activate NAME
  reboot                                        # enforced before the first service after sysinit
  udm enforce status; systemctl status udmd     # the policy kept, /opt/app mounted from fstab
  journalctl -u udmd UDM_DECISION=deny          # denials in the journal (structured fields)
  ausearch -m USER_AVC -i                       # and in the kernel's audit log (auditd)
  apt install ../udm_*.deb                      # an upgrade: the new udmd takes over, no gap
  man udm udmd udm-policy udm-veritytab
EOF
echo "tests/vm/t4600-debian-system.sh runs this flow on Debian 12 and 13 (QEMU, a boot sequence each)."
