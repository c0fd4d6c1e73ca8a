#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The shipped systemd units (daemon/udmd.service, daemon/udm-veritytab.service)
# pass `systemd-analyze verify` together with an /etc/fstab mount that requires
# udmd (x-systemd.requires=udmd.service, as docs/enforcement.md advises) and a
# mount of a veritytab volume: no ordering cycle from local-fs.target or from
# sysinit.target, where both units are enabled. Control: the old ordering
# (After=local-fs.target) is found cyclic by the same check.
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || test_skip_all "needs systemd-analyze (systemd)"
SA_SYS=$(for d in /usr/lib/systemd/system /lib/systemd/system; do [ -f $d/local-fs.target ] && echo $d && break; done)
[ -n "$SA_SYS" ] || test_skip_all "needs systemd's own units (local-fs.target)"
GEN=$(for d in /usr/lib/systemd/system-generators /lib/systemd/system-generators; do
	[ -x $d/systemd-fstab-generator ] && echo $d/systemd-fstab-generator && break; done)

cd "$T_TMP" || exit 1
U=$T_TMP/units
mkdir -p "$U/local-fs.target.requires" "$U/sysinit.target.wants"
cp "$SA_SYS/local-fs.target" "$SA_SYS/sysinit.target" "$U/"
# the units with their binaries where this build has them (verify checks they exist)
install_unit() { sed -e "s|/usr/sbin/udmd|$UDMD|g" -e "s|/usr/bin/udm |$UDM |g" "$1" >"$U/$(basename "$1")"; }
install_unit "$T_ROOT/daemon/udmd.service"
install_unit "$T_ROOT/daemon/udm-veritytab.service"
ln -s ../udmd.service ../udm-veritytab.service "$U/sysinit.target.wants/"

# the mount units systemd-fstab-generator makes of these fstab lines (written as
# it writes them when the generator is not there)
cat >fstab <<'FSTAB'
/dev/mapper/app  /mnt/app   erofs  ro,x-systemd.requires=udmd.service  0 0
/dev/mapper/tool /mnt/tool  ext4   ro,nofail                           0 0
FSTAB
if [ -n "$GEN" ]; then
	mkdir gen && SYSTEMD_FSTAB=$T_TMP/fstab SYSTEMD_PROC_CMDLINE="" "$GEN" gen gen gen >gen.log 2>&1 ||
		{ cat gen.log; exit 1; }
	cp gen/mnt-app.mount gen/mnt-tool.mount "$U/"
else
	for m in app tool; do
		{ printf "[Unit]\nBefore=local-fs.target\n"
		  [ $m = app ] && printf "After=udmd.service\nRequires=udmd.service\n"
		  printf "[Mount]\nWhat=/dev/mapper/%s\nWhere=/mnt/%s\nType=erofs\n" $m $m; } >"$U/mnt-$m.mount"
	done
fi
ln -s ../mnt-app.mount ../mnt-tool.mount "$U/local-fs.target.requires/"

# verify UNIT...: systemd-analyze verify with our units first in the search path
verify() { SYSTEMD_UNIT_PATH=$U: systemd-analyze verify --man=no "$@"; }
# verify_clean UNIT...: verify passes and says nothing of a cycle (its output shown if not)
verify_clean() { verify "$@" >out 2>&1 && ! grep -i cycle out || { cat out; return 1; }; }

test_expect_success 'the units verify alone' '
	verify_clean "$U/udmd.service" "$U/udm-veritytab.service"
'

test_expect_success 'with fstab mounts requiring udmd: local-fs.target has no ordering cycle' '
	verify_clean "$U/local-fs.target" "$U/mnt-app.mount" "$U/mnt-tool.mount"
'

test_expect_success 'enabled in sysinit.target: no ordering cycle either' '
	verify_clean "$U/sysinit.target"
'

test_expect_success 'udmd runs before sysinit.target and local-fs-pre.target, veritytab after udmd' '
	grep -qx "DefaultDependencies=no" "$U/udmd.service" &&
	grep -q "^Before=.*sysinit.target" "$U/udmd.service" &&
	grep -q "^Before=.*local-fs-pre.target" "$U/udmd.service" &&
	! grep -q "^After=.*local-fs\.target" "$U/udmd.service" &&
	grep -qx "After=udmd.service" "$U/udm-veritytab.service" &&
	grep -q "^Before=local-fs-pre.target" "$U/udm-veritytab.service"
'

test_expect_success 'the packaged paths: /usr, /etc/default/udm, /etc/udm/certs, /var/lib/udm, no /usr/local' '
	! grep -n "/usr/local" "$T_ROOT/daemon/udmd.service" "$T_ROOT/daemon/udm-veritytab.service" &&
	grep -qx "EnvironmentFile=-/etc/default/udm" "$T_ROOT/daemon/udmd.service" &&
	grep -q "^ExecStart=/usr/sbin/udmd .*--state-dir /var/lib/udm --trusted-certs-dir /etc/udm/certs \$UDMD_OPTS$" \
		"$T_ROOT/daemon/udmd.service"
'

test_expect_success 'control: the old ordering (After=local-fs.target) is found cyclic' '
	sed -i "s/^Before=sysinit.target local-fs-pre.target$/After=local-fs.target/" "$U/udmd.service" &&
	grep -qx "After=local-fs.target" "$U/udmd.service" &&
	test_must_fail verify "$U/local-fs.target" >out 2>&1 && grep -qi "ordering cycle" out
'

test_done
