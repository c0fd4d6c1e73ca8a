#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udm exec --restrict-scripts on the host kernel: the securebits SECBIT_EXEC_RESTRICT_FILE and
# SECBIT_EXEC_DENY_INTERACTIVE are set and locked for CMD, and an interpreter that honours them
# (udm-probe interp, as Documentation/userspace-api/check_exec.rst tells interpreters to be) runs
# a script only if the kernel's execve check (AT_EXECVE_CHECK) allows the file: a script without
# the exec permission and one on a noexec mount are refused, as are -c and standard input; the
# same stub without udm exec runs them (the control). Before 6.14 the kernel has no such bits and
# udm exec refuses to run CMD. The decisions of IPE and udm's BPF enforcer on such checks are
# tested in the VM tier (tests/vm/t4110-ipe-compare.sh).
. "$(dirname "$0")/lib.sh"
PROBE=$UDM_BUILD/tests/vm/udm-probe
[ -x "$PROBE" ] || test_skip_all "no $PROBE (make)"
cd "$T_TMP" || exit 1
printf '#!/bin/false\necho script ran\n' >x.sh && cp x.sh plain.sh && chmod 755 x.sh && chmod 644 plain.sh
# code N CMD...: CMD exits with status N
code() { local want=$1 rc=0; shift; "$@" || rc=$?; [ "$rc" = "$want" ] || { echo "exit $rc, not $want: $*" >&2; return 1; }; }
HAVE_BITS=$("$UDM" exec --restrict-scripts -- true 2>/dev/null && echo 1 || echo 0)

test_expect_success 'usage: no option, an unknown option, no command: exit 1, one line, nothing run' '
	test_must_fail "$UDM" exec true 2>err && grep -q "^udm: exec: nothing to restrict" err &&
	test_must_fail "$UDM" exec --bogus true 2>err && grep -q "^udm: exec: unknown option .--bogus." err &&
	test_must_fail "$UDM" exec --restrict-scripts 2>err && grep -q "^udm: exec: no command given" err &&
	test_must_fail "$UDM" exec --restrict-scripts -- 2>err && grep -q "^udm: exec: no command given" err &&
	"$UDM" exec --help >out && grep -q "^usage: udm exec --restrict-scripts" out &&
	"$UDM" help exec >out2 && test_cmp out out2 &&
	"$UDM" help >out3 && grep -q "udm exec --restrict-scripts" out3
'

if [ "$HAVE_BITS" = 0 ]; then
test_expect_success 'before 6.14: udm exec refuses to run CMD unrestricted' '
	test_must_fail "$UDM" exec --restrict-scripts -- touch ran 2>err &&
	grep -q "^udm: exec: --restrict-scripts: Operation not permitted (the kernel has no SECBIT_EXEC_RESTRICT_FILE" err &&
	test ! -e ran
'
test_done
fi

command -v python3 >/dev/null && test_set_prereq PYTHON3
test_expect_success PYTHON3 'the bits are set and locked for CMD and its children (python ctypes prctl)' '
	cat >bits.py <<-\PY &&
	import ctypes, os
	libc = ctypes.CDLL(None, use_errno=True)
	b = libc.prctl(27, 0, 0, 0, 0)
	print("bits %#x" % b)
	r = libc.prctl(28, b & ~0x500, 0, 0, 0)
	print("clear", r, os.strerror(ctypes.get_errno()) if r else "ok")
	PY
	"$UDM" exec --restrict-scripts -- python3 bits.py >out &&
	grep -qx "bits 0xf00" out && grep -qx "clear -1 Operation not permitted" out &&
	python3 bits.py >out0 && grep -qx "bits 0x0" out0
'

test_expect_success 'an executable script runs; the check is the kernel'"'"'s (AT_EXECVE_CHECK)' '
	"$UDM" exec --restrict-scripts -- "$PROBE" interp x.sh >out &&
	grep -qx "interp: echo script ran" out &&
	"$PROBE" execve-check x.sh >out && grep -qx ok out
'

test_expect_success 'a script without the exec permission is refused (EACCES); without the bits it runs' '
	code 126 "$UDM" exec --restrict-scripts -- "$PROBE" interp plain.sh >out 2>err &&
	grep -qx "udm-probe interp: plain.sh: EACCES" err && test_must_be_empty out &&
	"$PROBE" interp plain.sh >out && grep -qx "interp: echo script ran" out
'

test_expect_success ROOT 'a script on a noexec mount is refused (EACCES); without the bits it runs' '
	mkdir -p nx && mount -t tmpfs -o noexec,size=1m udm-test-noexec nx &&
	test_when_finished "umount nx" &&
	cp -p x.sh nx/x.sh &&
	code 126 "$UDM" exec --restrict-scripts -- "$PROBE" interp nx/x.sh 2>err &&
	grep -qx "udm-probe interp: nx/x.sh: EACCES" err &&
	"$PROBE" interp nx/x.sh >out && grep -qx "interp: echo script ran" out
'

test_expect_success 'interactive code is refused: -c and standard input; without the bits they run' '
	code 126 "$UDM" exec --restrict-scripts -- "$PROBE" interp -c "echo hi" 2>err &&
	grep -q "refused (SECBIT_EXEC_DENY_INTERACTIVE)" err &&
	echo "echo hi" | code 126 "$UDM" exec --restrict-scripts -- "$PROBE" interp 2>err &&
	grep -q "standard input: refused" err &&
	"$PROBE" interp -c "echo hi" >out && grep -qx "interp: echo hi" out &&
	echo "echo hi" | "$PROBE" interp >out && grep -qx "interp: echo hi" out
'

test_expect_success 'a command that cannot be run: 127 not found, 126 not executable' '
	code 127 "$UDM" exec --restrict-scripts -- ./no-such-cmd 2>err &&
	grep -q "^udm: exec: ./no-such-cmd: No such file or directory" err &&
	code 126 "$UDM" exec --restrict-scripts -- ./plain.sh 2>err &&
	grep -q "^udm: exec: ./plain.sh: Permission denied" err
'
test_done
