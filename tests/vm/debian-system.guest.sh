# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of t4600-debian-system.sh, run by tests/vm/vm-debian as a systemd service on a real
# Debian system (bash, root). Boot 1 installs udm's packages and configures them as an administrator
# would (a policy, a veritytab volume mounted from /etc/fstab, audit to the journal and the kernel),
# then reboots. Boot 2 checks what the boot did (enforcement before the first service after sysinit,
# the volume mounted, the policy kept, the denial in the journal and in auditd's log, the timings),
# then reinstalls the package under two exec loops. One line per case: "case NAME rc=N OUTPUT".
# Inputs in /vm/files: udm-probe, img (an erofs image of the probe), hashA, hashB, roots ("A B"),
# cert.pem (the signer), deb.p7s (the policy, signed), A.p7s (a signature of root hash A).
set -u
F=/vm/files
c() { local n=$1; shift; "$@" >/tmp/c.out 2>&1; local rc=$? o; o=$(</tmp/c.out); o=${o:0:1500}; echo "case $n rc=$rc ${o//$'\n'/ | }"; }
read -r A B <$F/roots
# a copy of a program on a tmpfs (/run): not on the root file system, in no verity volume
unverified() { mkdir -p /run/unv && cp /usr/bin/true /run/unv/true; }

if [ "$VM_BOOT" = 1 ]; then
	c os sh -c '. /etc/os-release; echo "$PRETTY_NAME"; uname -r'
	c install dpkg -i /vm/debs/libudm0_*.deb /vm/debs/udm_*.deb
	c version sh -c 'dpkg-query -W udm; udmd --version'
	c active-after-install systemctl is-active udmd.service
	c enabled systemctl is-enabled udmd.service udm-veritytab.service
	# an administrator's configuration: audit to the journal and to the kernel's audit log
	echo 'UDMD_OPTS="--enforcer=bpf --audit=log,journal,kernel"' >/etc/default/udm
	# the signer of policies and root hashes
	cp $F/cert.pem /etc/udm/certs/vm-ca.pem
	# a verity volume, its root hash signed, opened at boot and mounted by /etc/fstab
	cp $F/img /srv/app.img && cp $F/hashA /srv/app.hash && cp $F/A.p7s /etc/udm/app.p7s && mkdir -p /opt/app
	echo "app /srv/app.img /srv/app.hash $A root-hash-signature=/etc/udm/app.p7s" >>/etc/udm/veritytab
	echo "/dev/mapper/app /opt/app erofs ro,x-systemd.requires=udmd.service 0 0" >>/etc/fstab
	c veritytab-check udm veritytab check
	# the first service after sysinit: it tries an unverified program, then a verified one
	cat >/etc/systemd/system/udm-vm-early.service <<'EOF'
[Unit]
Description=udm VM tier: the first service after sysinit.target
DefaultDependencies=no
After=sysinit.target
[Service]
Type=oneshot
ExecStart=/bin/bash -c 'mkdir -p /run/unv; cp /usr/bin/true /run/unv/early; /run/unv/early; echo "unverified rc=$?"; /usr/bin/true; echo "rootfs rc=$?"; cat /proc/uptime' 
StandardOutput=append:/var/log/udm-vm-early.log
StandardError=append:/var/log/udm-vm-early.log
[Install]
WantedBy=multi-user.target
EOF
	c early-enable systemctl enable udm-vm-early.service
	c restart systemctl restart udmd.service
	c policy sh -c 'udm policy load /vm/files/deb.p7s && udm policy activate deb'
	unverified
	c deny-now /run/unv/true
	c verify-analyze systemd-analyze verify --man=no udmd.service udm-veritytab.service
	touch /run/vm-reboot
	exit 0
fi

# ---- boot 2: what the boot did
c os sh -c '. /etc/os-release; echo "$VERSION_CODENAME"; uname -r'
c early cat /var/log/udm-vm-early.log
c active systemctl is-active udmd.service udm-veritytab.service
c enforce udm enforce status
c policies udm policy list
c mounted findmnt -n -o SOURCE,FSTYPE /opt/app
c exec-volume /opt/app/dprog
unverified
c deny /run/unv/true
c exec-rootfs /usr/bin/true
sleep 1
c journal sh -c 'journalctl -b -u udmd UDM_DECISION=deny UDM_PATH=/run/unv/early -o verbose --no-pager |
	grep -E "^ *(UDM_|MESSAGE=|_SYSTEMD_UNIT=)"' 
c ausearch sh -c 'ausearch -m USER_AVC --input-logs | grep "ipe_op=EXECUTE" | grep "/run/unv/early" | head -2' 
c auditd systemctl is-active auditd.service
# journald reads /proc/PID/exe of every process that logs: udmd's lines carry _EXE, and no
# refusal of journald (or anyone) reading it is recorded
c journal-exe sh -c 'journalctl -b _COMM=udmd -o verbose --no-pager | grep -m1 "^ *_EXE="'
c protect-ptrace sh -c 'journalctl -b --no-pager | grep "op=protect hook=ptrace" | head -3'
# the window from the kernel's start to enforcement: journal timestamps are seconds since the kernel
# started (monotonic); udmd logs "enforcer: bpf (attached ...)" once its programs are attached
c timing sh -c 'journalctl -b -o short-monotonic --no-pager |
	grep -E "systemd\[1\]: (systemd [0-9]+ running|Reached target sysinit.target|Reached target basic.target|Reached target multi-user.target)|enforcer: bpf|Starting udm-vm-early|Finished udm-vm-early|Started udmd.service|udmd.service: |Starting udmd" | head -20'
# what ran before udmd (for docs/packaging.md)
c before-udmd sh -c 'journalctl -b -o short-monotonic --no-pager | sed -n "1,/enforcer: bpf (/p" |
	grep -E "systemd\[1\]: (Finished|Started|Mounted|Reached)|Run /init|Freeing unused kernel|Mounting root|EXT4-fs \(vda\): mounted" | cut -c1-110'
# when systemd (userspace) started, microseconds after the kernel's start
c userspace systemctl show -p InitRDTimestampMonotonic -p UserspaceTimestampMonotonic

# ---- reinstall under load: verified code runs from a kernel dm-verity volume (Debian's veritysetup;
# it does not depend on udmd, which carries no devices over a handover), unverified code from /run
c kv-open veritysetup open $F/img kv $F/hashB "$B"
mkdir -p /opt/kv
c kv-mount mount -t erofs -o ro /dev/mapper/kv /opt/kv
c kv-exec /opt/kv/dprog
old=$(systemctl show -p MainPID --value udmd.service)
c old-pid echo "$old"
# loop PROGRAM: execute it until /run/loop-stop exists; count the outcomes (126: refused)
loop() {
	local ok=0 den=0 oth=0
	while [ ! -e /run/loop-stop ]; do
		"$1" >/dev/null 2>&1
		case $? in 0) ok=$((ok + 1));; 126) den=$((den + 1));; *) oth=$((oth + 1));; esac
	done
	echo "ok $ok denied $den other $oth"
}
rm -f /run/loop-stop
loop /opt/kv/dprog >/tmp/loop-v 2>&1 &
lv=$!
loop /run/unv/true >/tmp/loop-u 2>&1 &
lu=$!
sleep 3
c reinstall dpkg -i /vm/debs/udm_*.deb
sleep 3
touch /run/loop-stop
wait $lv; echo "case loop-verified rc=$? $(cat /tmp/loop-v)"
wait $lu; echo "case loop-unverified rc=$? $(cat /tmp/loop-u)"
new=$(systemctl show -p MainPID --value udmd.service)
# udmd's /proc/PID/exe is not readable (its ptrace guard): the new main process runs the new binary if
# it started after dpkg put /usr/sbin/udmd in place (and it is not the old process)
started() { echo $(( $(sed -n 's/^btime //p' /proc/stat) + $(cut -d')' -f2 /proc/$1/stat | awk '{print $20}') / $(getconf CLK_TCK) )); }
c new-pid sh -c "echo $new; test '$new' != '$old' && test $(started $new) -ge $(stat -c %Z /usr/sbin/udmd) &&
	echo started-after-install"
c active-after systemctl is-active udmd.service
c enforce-after udm enforce status
c deny-after /run/unv/true
c handover-log sh -c 'journalctl -b -u udmd --no-pager | grep -E "handing over|handed over|enforcer: bpf \(" | tail -4'
# udm's devices are not carried over the handover: the reload opened the veritytab volume again, and
# the file system mounted on the old device must be mounted again (its files have no properties)
c volume-after sh -c 'udm ls | cut -f1'
c volume-old-mount /opt/app/dprog
c volume-remount sh -c 'umount /opt/app && mount /opt/app && /opt/app/dprog'
c status-after systemctl status --no-pager -n 0 udmd.service
umount /opt/kv; veritysetup close kv
exit 0
