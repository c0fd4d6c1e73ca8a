# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of t4160-audit-admin.sh (runs under bash): udmd --enforcer=bpf in mount-scoped mode
# with an --enforce-mount whose mount comes after udmd, audit records to the file and to the kernel's
# audit log (no auditd here: the kernel prints them), a restart whose persisted watch waits for its
# mount, and a record the kernel sink could not take (UDM_FAULT=audit.async). One line per case:
# "case NAME rc=N OUTPUT". Inputs in /usr/local/bin: udm-probe, deny.pol.
set -u
I=/usr/local/bin W=/tmp/w
mkdir -p $W/st $W/late $W/w2
c() { local n=$1; shift; "$@" >$W/o 2>&1; local rc=$? o; o=$(<$W/o); o=${o:0:600}; echo "case $n rc=$rc ${o//$'\n'/ }"; }
start() { udmd --enforcer=bpf --state-dir $W/st --boot-policy $I/deny.pol --audit=file,kernel \
	--audit-log $W/audit "$@" 2>>$W/udmd.err; }

cp $I/udm-probe /tmp/copy
c start start --enforce-mount $W/late
c list-before udm watch list
c scope-before udm enforce status
c exec-tmp-before /tmp/copy
mount -t tmpfs -o size=8m udm-late $W/late && cp $I/udm-probe $W/late/prog && sleep 1
c list-after udm watch list
c exec-late $W/late/prog
c exec-tmp /tmp/copy
c enforce-off udm policy enforce off
c enforce-on udm policy enforce on
sleep 1
c status udm status --daemon
# a persisted watch (udm watch add) whose mount is gone at the restart waits for it
mount -t tmpfs -o size=8m udm-w2 $W/w2 && cp $I/udm-probe $W/w2/prog
c watch-add udm watch add $W/w2
udm shutdown >/dev/null 2>&1
umount $W/w2
UDM_FAULT=audit.async:1 start
c list-restart udm watch list
mount -t tmpfs -o size=8m udm-w2b $W/w2 && cp $I/udm-probe $W/w2/prog && sleep 1
c list-remounted udm watch list
c exec-w2 $W/w2/prog
sleep 1
c status-fault udm status --daemon
c persisted cat $W/st/watches
udm enforce stop >/dev/null 2>&1
udm shutdown >/dev/null 2>&1
echo "--- udmd"; cat $W/udmd.err 2>/dev/null
echo "--- audit"; cat $W/audit
echo "--- dmesg"; dmesg | grep -E "type=(1107|2310|2312|2313) " | sed 's/^.*audit: type=/type=/'
