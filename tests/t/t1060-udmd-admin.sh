#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udmd as an administrator runs it: --version, log and audit destinations
# that cannot be written stop the start with one line, SIGHUP reopens the
# log files (logrotate) instead of stopping udmd, udm status --daemon shows
# the decision counts, the audit sinks and the trusted certificates, and
# the audit sinks (--audit): file and log on the host, the journal where
# systemd-journald runs (the kernel's audit log: tests/vm/t4160).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-udmd.sh"

if ! test_have_prereq ROOT || ! test_have_prereq FUSE; then
	test_skip_all "needs root and /dev/fuse"
fi
cd "$T_TMP"
W=$T_TMP/w
mkdir -p "$W/m"

# exec_rc PATH: the exit status of executing PATH (126: denied)
exec_rc() { timeout 20 "$1" >/dev/null 2>&1; echo $?; }

# what this host has: a syslog socket, systemd-journald (the journal sink)
test -S /dev/log || test_set_prereq NO_DEVLOG
if test -S /run/systemd/journal/socket && command -v journalctl >/dev/null; then
	test_set_prereq JOURNALD
else
	test_set_prereq NO_JOURNALD
fi

# no_start ARGS...: udmd refuses to start with one line on stderr (in err), leaves nothing
no_start() {
	test_must_fail "$UDMD" --runtime-dir "$T_TMP/rtx" --state-dir "$T_TMP/stx" "$@" 2>err &&
	test "$(wc -l <err)" = 1 && ! test -S "$T_TMP/rtx/control" &&
	! grep -q " $T_TMP/rtx/" /proc/self/mountinfo
}

test_expect_success 'udmd --version and udm --version' '
	"$UDMD" --version >out && grep -qx "udmd [0-9][0-9.]*" out &&
	"$UDM" --version >out && grep -q "[0-9]\.[0-9]" out &&
	"$UDMD" --help | grep -q -- "--version"
'

test_expect_success 'a --log or --audit-log file that cannot be opened stops the start' '
	no_start --log "$T_TMP/nodir/udmd.log" && grep -q "^udmd: --log $T_TMP/nodir/udmd.log: No such file" err &&
	no_start --audit-log "$T_TMP/nodir/audit.log" &&
	grep -q "^udmd: --audit-log $T_TMP/nodir/audit.log: No such file" err
'

test_expect_success NO_DEVLOG '--log syslog with nothing on /dev/log stops the start' '
	no_start --log syslog && grep -q "^udmd: --log syslog: /dev/log: No such file" err
'

test_expect_success '--audit: unknown sinks and a file sink without a file are refused' '
	no_start --audit=file,bogus && grep -q "^udmd: --audit: unknown sink .bogus." err &&
	no_start --audit=file && grep -q "^udmd: --audit=file: needs --audit-log FILE" err &&
	no_start --audit=log --audit-log "$T_TMP/a.log" && grep -q "the file sink is not in --audit=log" err &&
	test_path_is_missing "$T_TMP/a.log"
'

test_expect_success NO_JOURNALD '--audit=journal without systemd-journald stops the start' '
	no_start --audit=journal && grep -q "^udmd: --audit=journal: /run/systemd/journal/socket" err
'

test_expect_success 'setup: a boot policy denying executions, a watched tmpfs, udmd' '
	printf "policy_name=deny-exec policy_version=0.0.1\nDEFAULT action=ALLOW\nDEFAULT op=EXECUTE action=DENY\n" \
		>"$W/boot.pol" &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
		-subj "/CN=udm-admin-test/O=udm tests" >/dev/null 2>&1 &&
	mount -t tmpfs none "$W/m" && cp /bin/true "$W/m/prog" &&
	start_udmd --boot-policy "$W/boot.pol" --trusted-certs "$W/cert.pem" --audit-log "$W/audit.log" \
		--log "$W/udmd.log" --log stderr &&
	udm watch add "$W/m" &&
	test "$(exec_rc "$W/m/prog")" = 126 &&
	grep "path=\"$W/m/prog\"" "$W/audit.log" | grep -q "rule=\"DEFAULT op=EXECUTE action=DENY\""
'
at_exit 'umount -l "$W/m" 2>/dev/null'

test_expect_success 'udm status --daemon: decisions, audit sinks, trusted certificates' '
	udm status --daemon >out &&
	grep -q "^decisions: [1-9][0-9]* denied, [0-9]* allowed$" out &&
	grep -qx "audit: file $W/audit.log: [1-9][0-9]* records, 0 dropped" out &&
	grep -qx "trusted certificate: O=udm tests,CN=udm-admin-test" out
'

test_expect_success 'SIGHUP reopens the --log and --audit-log files; udmd keeps running' '
	pid=$(udmd_pid) &&
	mv "$W/audit.log" "$W/audit.log.1" && mv "$W/udmd.log" "$W/udmd.log.1" &&
	kill -HUP "$pid" &&
	for i in $(seq 50); do test -s "$W/udmd.log" && break; sleep 0.1; done &&
	grep -q "log files reopened" "$W/udmd.log" && kill -0 "$pid" && udm ping >/dev/null &&
	test "$(exec_rc "$W/m/prog")" = 126 &&
	grep -q "path=\"$W/m/prog\"" "$W/audit.log" &&
	n=$(wc -l <"$W/audit.log.1") && test "$(exec_rc "$W/m/prog")" = 126 &&
	test "$(wc -l <"$W/audit.log.1")" = "$n"
'

test_expect_success 'the file sink is byte for byte the kernel'"'"'s line format, serials in order' '
	tail -n 2 "$W/audit.log" >two &&
	grep -Eq "^type=1420 audit\([0-9]+\.[0-9]{3}:[0-9]+\): ipe_op=EXECUTE ipe_hook=BPRM_CHECK enforcing=1 pid=[0-9]+ comm=\"[^\"]*\" path=\"$W/m/prog\" dev=\"[^\"]*\" ino=[0-9]+ rule=\"DEFAULT op=EXECUTE action=DENY\"$" two &&
	s1=$(sed -n "1s/.*:\([0-9]*\)): .*/\1/p" two) && s2=$(sed -n "2s/.*:\([0-9]*\)): .*/\1/p" two) &&
	test "$s2" = $((s1 + 1))
'

test_expect_success '--audit=file,log: the same record in the file and in the log' '
	udm shutdown && start_udmd --boot-policy "$W/boot.pol" --audit=file,log --audit-log "$W/audit2.log" \
		--log "$W/udmd2.log" &&
	udm watch list | grep -qx "$W/m" && test "$(exec_rc "$W/m/prog")" = 126 &&
	rec=$(grep "path=\"$W/m/prog\"" "$W/audit2.log" | tail -n 1) && test -n "$rec" &&
	grep -qF "]: $rec" "$W/udmd2.log" &&
	udm status --daemon >out && grep -q "^audit: file $W/audit2.log: " out && grep -q "^audit: log: " out
'

test_expect_success JOURNALD 'the journal sink: structured fields journalctl can select' '
	udm shutdown && start_udmd --boot-policy "$W/boot.pol" --audit=journal &&
	test "$(exec_rc "$W/m/prog")" = 126 &&
	for i in $(seq 50); do
		journalctl --no-pager -o export UDM_DECISION=deny UDM_PATH="$W/m/prog" >j 2>/dev/null
		grep -q "^UDM_OP=EXECUTE" j && break; sleep 0.2
	done &&
	grep -qx "UDM_HOOK=BPRM_CHECK" j && grep -qx "UDM_RULE=DEFAULT op=EXECUTE action=DENY" j &&
	grep -q "^MESSAGE=ipe_op=EXECUTE ipe_hook=BPRM_CHECK enforcing=1 " j &&
	udm status --daemon | grep -q "^audit: journal: [1-9][0-9]* records, 0 dropped"
'

# A stand-in for systemd-journald in a private mount namespace (a tmpfs on
# /run there): each datagram on /run/systemd/journal/socket, as the journal
# protocol sends it (FIELD=value lines; a value with a newline as FIELD,
# 64-bit length, bytes), decoded to FIELD=value lines, one entry per
# paragraph, in $W/journal.
cat >"$W/fake-journald.py" <<'PY'
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
os.makedirs("/run/systemd/journal", exist_ok=True)
s.bind("/run/systemd/journal/socket")
open(sys.argv[2], "w").write(str(os.getpid()))
with open(sys.argv[1], "a") as out:
    while True:
        d = s.recv(1 << 20)
        i, fields = 0, []
        while i < len(d):
            nl = d.index(b"\n", i)
            line = d[i:nl]
            if b"=" in line:
                fields.append(line.decode(errors="replace")); i = nl + 1
            else:
                n = struct.unpack("<Q", d[nl + 1:nl + 9])[0]
                v = d[nl + 9:nl + 9 + n]
                fields.append(line.decode() + "=" + v.decode(errors="replace").replace("\n", "\\n"))
                i = nl + 9 + n + 1
        out.write("\n".join(fields) + "\n\n"); out.flush()
PY

test_expect_success 'the journal sink: fields as journald receives them (a stand-in on a private /run)' '
	udm shutdown &&
	unshare -m --propagation slave sh -c "mount -t tmpfs none /run &&
		{ python3 \"$W/fake-journald.py\" \"$W/journal\" \"$W/fj.pid\" & } &&
		for i in \$(seq 50); do test -S /run/systemd/journal/socket && break; sleep 0.1; done &&
		exec \"$UDMD\" --runtime-dir \"$UDM_RT\" --state-dir \"$UDM_STATE\" --boot-policy \"$W/boot.pol\" \
			--audit=journal,file --audit-log \"$W/audit3.log\"" 2>>"$UDMD_LOG" &&
	test_when_finished "kill \$(cat \"$W/fj.pid\") 2>/dev/null; true" &&
	udm watch list | grep -qx "$W/m" && test "$(exec_rc "$W/m/prog")" = 126 &&
	for i in $(seq 50); do grep -q "^UDM_DECISION=deny" "$W/journal" 2>/dev/null && break; sleep 0.1; done &&
	rec=$(grep "path=\"$W/m/prog\"" "$W/audit3.log" | tail -n 1 | sed "s/^[^)]*): //") &&
	grep -qxF "MESSAGE=$rec" "$W/journal" &&
	grep -qx "UDM_DECISION=deny" "$W/journal" && grep -qx "UDM_ENFORCING=1" "$W/journal" &&
	grep -qx "UDM_OP=EXECUTE" "$W/journal" && grep -qx "UDM_HOOK=BPRM_CHECK" "$W/journal" &&
	grep -qx "UDM_PATH=$W/m/prog" "$W/journal" && grep -qx "UDM_RULE=DEFAULT op=EXECUTE action=DENY" "$W/journal" &&
	grep -qx "UDM_AUDIT_TYPE=1420" "$W/journal" && grep -qx "PRIORITY=5" "$W/journal" &&
	grep -qx "SYSLOG_IDENTIFIER=udmd" "$W/journal" &&
	udm status --daemon >out && grep -q "^audit: journal: [1-9][0-9]* records, 0 dropped" out
'

test_expect_success 'the journal sink: what journald does not take is counted as dropped, never waited for' '
	kill "$(cat "$W/fj.pid")" && sleep 0.2 &&
	test "$(exec_rc "$W/m/prog")" = 126 &&
	for i in $(seq 50); do udm status --daemon | grep -q "^audit: journal: .* [1-9][0-9]* dropped" && break; sleep 0.1; done &&
	udm status --daemon | grep -q "^audit: journal: .* [1-9][0-9]* dropped" &&
	grep -q "path=\"$W/m/prog\"" "$W/audit3.log"
'

test_done
