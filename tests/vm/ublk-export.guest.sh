# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of t2310-ublk-export.sh (bash in the VM): udmd --export=ublk --enforcer=bpf (last:
# --enforcer=fanotify) with a
# deny-by-default EXECUTE policy allowing root hash A. /dev/vdb: a 32 MiB random image, /dev/vdc its
# hash tree (root hash in /usr/local/bin/rroot). Inputs in /usr/local/bin: img (erofs of the probe),
# hashA, roots, boot.pol, dmsetup-able udm, udm-attack, ublk-serve. One "@@case NAME" block per case.
set -u
I=/usr/local/bin W=/tmp/w
mkdir -p $W/v $W/u $W/st
dmesg -n 1
modprobe ublk_drv 2>/dev/null
read -r ROOT_A ROOT_B <$I/roots
RROOT=$(cat $I/rroot)
start() { udmd --export=ublk --enforcer=bpf --state-dir $W/st --boot-policy $I/boot.pol --audit-log $W/audit "$@" 2>>$W/udmd.err; }
sum() { dd if=$1 iflag=direct bs=256k status=none | sha256sum | cut -d" " -f1; }
# a NAME CMD...: one attempt of another root process (udm-attack), "NAME rc=N RESULT"
a() { local n=$1; shift; timeout 30 udm-attack "$@" >$W/o 2>&1; echo "$n rc=$? $(head -c 200 $W/o | tr '\n' ' ')"; }
# udm's own personalities, not the kernel's tools the image has
mkdir -p /tmp/bin && ln -sf "$(command -v udm)" /tmp/bin/dmsetup && ln -sf "$(command -v udm)" /tmp/bin/veritysetup
export PATH=/tmp/bin:$PATH

echo "@@case start"
start; echo "rc=$?"
udm status --daemon | grep "^export:"

echo "@@case targets"
# every target udm has, over the same image: each reads back byte for byte through /dev/ublkbN
S=$(blockdev --getsz /dev/vdb)
echo "want $(sum /dev/vdb)"
for t in "linear /dev/vdb 0" "striped 1 128 /dev/vdb 0" "delay /dev/vdb 0 0" "flakey /dev/vdb 0 60 0"; do
	n=${t%% *}
	udm create t-$n --readonly --table "0 $S $t" && D=$(udm attach t-$n) || { echo "$n setup failed"; continue; }
	echo "$n dev $D link $(readlink /dev/mapper/t-$n) sum $(sum $D)"
done
udm create t-zero --table "0 2048 zero" && D=$(udm attach t-zero) && echo "zero sum $(sum $D)"
echo "zero want $(head -c 1048576 /dev/zero | sha256sum | cut -d" " -f1)"
dmsetup table t-linear
dmsetup info -c --noheadings -o name,attr t-linear
for n in linear striped delay flakey zero; do udm remove --force t-$n || echo "remove t-$n failed"; done
ls /dev/ublkb* 2>/dev/null | wc -l | sed "s/^/left /"

echo "@@case verity"
veritysetup open /dev/vdb r /dev/vdc "$RROOT" && R=$(udm attach r) && echo "r dev $R"
echo "r sum $(sum $R) link $(readlink /dev/mapper/r)"
veritysetup status r | grep -E "^ *(type|status|data block):"
echo "lbs $(blockdev --getss $R) ro $(blockdev --getro $R)"

echo "@@case corrupt"
cp $I/img $W/bad && printf 'X' | dd of=$W/bad bs=1 seek=5000 conv=notrunc status=none
udm verity open $W/bad bad $I/hashA "$ROOT_A" && B=$(udm attach bad) &&
	dd if=$B iflag=direct bs=4k of=/dev/null status=none 2>$W/e; echo "read rc=$? $(head -c 200 $W/e)"
udm remove --force bad

echo "@@case enforce"
udm verity open $I/img v $I/hashA "$ROOT_A" && V=$(udm attach v) && mount -t erofs -o ro "$V" $W/v &&
	udm create u --readonly --table "0 $(blockdev --getsz $I/img 2>/dev/null || echo $(( $(stat -c %s $I/img) / 512 ))) linear $I/img 0" &&
	U=$(udm attach u) && mount -t erofs -o ro "$U" $W/u && echo "v $V u $U"
$W/v/dprog >/dev/null 2>&1; echo "exec-v rc=$?"
$W/u/dprog >/dev/null 2>&1; echo "exec-u rc=$?"
grep -c "ipe_op=EXECUTE.*dev=\"ublkb" $W/audit | sed "s/^/records /"

echo "@@case guard"
# another root process on udm's ublk device (r): every control command but the queries, and its
# char device, are refused; the control: the same on a ublk device that is not udm's (ublk-serve)
N=${R#/dev/ublkb}
echo "id $N"
a info-udm ublk-ctrl GET_DEV_INFO $N
a stop-udm ublk-ctrl STOP_DEV $N
a recover-udm ublk-ctrl START_USER_RECOVERY $N
a del-udm ublk-ctrl DEL_DEV $N
a open-udm open /dev/ublkc$N
echo "r still $(sum $R)"
head -c 1048576 /dev/zero >$W/other
ublk-serve add $W/other >$W/serve.out 2>&1 & SV=$!
for i in $(seq 100); do test -s $W/serve.out && break; sleep 0.1; done
O=$(cut -d" " -f1 $W/serve.out); echo "other $O"
a info-other ublk-ctrl GET_DEV_INFO $O
kill -9 $SV; wait $SV 2>/dev/null
# its server gone, the device waits for a new one: anybody may take it over
for i in $(seq 50); do a recover-other ublk-ctrl START_USER_RECOVERY $O >$W/ro; grep -q "rc=1 EBUSY" $W/ro || break; sleep 0.2; done
cat $W/ro
a open-other open /dev/ublkc$O
a del-other ublk-ctrl DEL_DEV $O
sleep 1
grep "op=protect" $W/audit | sed "s/^/record /"

echo "@@case restart"
want=$(sum $R)
fsum=$(sha256sum <$W/v/lib.so | cut -d" " -f1)
( for i in $(seq 6); do s=$(sum $R) || { echo "pass error"; continue; }; echo "pass $s"; done; echo "loop done" ) >$W/loop 2>&1 &
LP=$!
sleep 1
P=$(cat /run/udm/udmd.pid); kill -9 "$P"; while kill -0 "$P" 2>/dev/null; do sleep 0.1; done
echo "killed"
# no udmd now: the device waits for a server; another root process may not become it
{ a window-recover ublk-ctrl START_USER_RECOVERY $N; a window-open open /dev/ublkc$N; } >$W/window
start & SP=$!
for i in $(seq 600); do kill -0 $SP 2>/dev/null || break; sleep 0.1; done
if kill -0 $SP 2>/dev/null; then
	echo "restart hangs"; tail -20 $W/udmd.err
	for t in /proc/$(cat /run/udm/udmd.pid 2>/dev/null)/task/*; do echo "$t $(cat $t/wchan)"; cat $t/stack 2>/dev/null | head -5; done
fi
wait $SP; echo "restart rc=$?"
wait $LP
cat $W/loop
echo "want $want"
echo "after $(sum $R)"
echo 3 >/proc/sys/vm/drop_caches
echo "file $( [ "$(sha256sum <$W/v/lib.so | cut -d" " -f1)" = "$fsum" ] && echo same || echo differs)"
$W/v/dprog >/dev/null 2>&1; echo "exec-v rc=$?"
$W/u/dprog >/dev/null 2>&1; echo "exec-u rc=$?"
udm attach v
grep "took over\|cannot" $W/udmd.err

echo "@@case window"
cat $W/window
grep "op=protect" $W/audit | sed "s/^/record /"

echo "@@case shutdown"
umount $W/v $W/u
udm enforce stop >/dev/null 2>&1
udm shutdown; echo "shutdown rc=$?"
sleep 1
echo "left $(ls /dev/ublkb* 2>/dev/null | wc -l) records $(ls /run/udm/ublk 2>/dev/null | wc -l)"

echo "@@case fanotify"
# --enforcer=fanotify (no BPF guard): the identity cache vouches for a ublk binding while its disk is
# udmd's; another root process stops the disk under the mount (the exec fails: denied, or its disk
# gone before a decision), then serves a disk of its own (on the same number when the kernel gives
# it again) at the watched path: the exec is denied with a record
deny() { grep -c "ipe_op=EXECUTE.*action=DENY" $W/faudit 2>/dev/null || true; }
udmd --export=ublk --enforcer=fanotify --state-dir $W/st2 --boot-policy $I/boot.pol --audit-log $W/faudit \
	2>>$W/udmd.err; echo "start rc=$?"
udm verity open $I/img v $I/hashA "$ROOT_A" && V=$(udm attach v) && mount -t erofs -o ro "$V" $W/v &&
	udm watch add $W/v && echo "v $V $(stat -c %t:%T "$V")"
$W/v/dprog >/dev/null 2>&1; echo "exec-v rc=$?"
n0=$(deny)
a stop-v ublk-ctrl STOP_DEV ${V#/dev/ublkb}
$W/v/dprog >/dev/null 2>&1; echo "exec-stopped rc=$?"
n1=$(deny); echo "denied-after-stop $((n1 - n0))"
umount $W/v
ublk-serve add $I/img ro >$W/serve2.out 2>&1 & SV=$!
for i in $(seq 100); do test -s $W/serve2.out && break; sleep 0.1; done
O=$(cut -d" " -f1 $W/serve2.out); echo "other /dev/ublkb$O $(stat -c %t:%T /dev/ublkb$O)"
mount -t erofs -o ro /dev/ublkb$O $W/v && for i in $(seq 50); do udm watch list | grep -qx "$W/v" && break; sleep 0.1; done
udm watch list
$W/v/dprog >/dev/null 2>&1; echo "exec-other rc=$?"
n2=$(deny); echo "denied-other $((n2 - n1))"
umount $W/v; kill $SV; wait $SV 2>/dev/null
udm shutdown; echo "shutdown rc=$?"
grep -c "no uevent cache" $W/udmd.err | sed "s/^/no-cache /"
echo "--- udmd.err"; grep -v "^libbpf" $W/udmd.err | tail -30
echo "@@done"
