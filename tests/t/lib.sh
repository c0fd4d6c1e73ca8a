# Shared helpers for the shell tests (git t/ style): TAP output, prerequisites,
# a private udmd on a temporary runtime dir, cleanup on exit even on failure.
set -u
T_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
UDM_BUILD=${UDM_BUILD:-$T_ROOT/build}
UDM=$UDM_BUILD/udm
UDMD=$UDM_BUILD/udmd
T_NR=0
T_TMP=$(mktemp -d /tmp/udm-test.XXXXXX)
T_CLEANUPS=()
at_exit() { T_CLEANUPS+=("$1"); }
t_cleanup() {
	local i
	for ((i=${#T_CLEANUPS[@]}-1; i>=0; i--)); do eval "${T_CLEANUPS[$i]}" >/dev/null 2>&1 || true; done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

declare -A T_PREREQ=()
test_set_prereq() { T_PREREQ[$1]=1; }
test_have_prereq() { [ -n "${T_PREREQ[$1]:-}" ]; }
[ "$(id -u)" = 0 ] && test_set_prereq ROOT
command -v veritysetup >/dev/null && test_set_prereq VERITYSETUP
[ -e /dev/fuse ] && test_set_prereq FUSE
command -v losetup >/dev/null && [ -e /dev/loop-control ] && test_set_prereq LOOP
# erofs: the tool, and the kernel's file system (loaded if it is a module and we may)
if command -v mkfs.erofs >/dev/null; then
	grep -qw erofs /proc/filesystems || { [ "$(id -u)" = 0 ] && modprobe erofs 2>/dev/null; }
	grep -qw erofs /proc/filesystems && test_set_prereq EROFS
fi
# test_skip_unless PREREQ...: skip the whole file, naming the first one missing
test_skip_unless() {
	local p
	for p in "$@"; do test_have_prereq "$p" || test_skip_all "needs $p"; done
}

_t_run() { # $1 expect(success|failure) $2 prereqs $3 name $4 body
	T_NR=$((T_NR + 1))
	local p
	for p in ${2//,/ }; do
		if ! test_have_prereq "$p"; then
			echo "ok $T_NR # SKIP $3 (missing $p)"; return 0
		fi
	done
	local out
	if out=$( (set -e; cd "$T_TMP"; eval "$4") 2>&1); then
		if [ "$1" = success ]; then echo "ok $T_NR - $3"
		else echo "ok $T_NR - $3 # known gap now fixed, make it test_expect_success"; fi
	else
		if [ "$1" = success ]; then
			echo "not ok $T_NR - $3"; sed 's/^/#   /' <<<"$out" | tail -30
		else echo "not ok $T_NR - $3 # TODO still open"; fi
	fi
}
# test_expect_success [PREREQ,...] 'name' 'body'
test_expect_success() { if [ $# = 3 ]; then _t_run success "$1" "$2" "$3"; else _t_run success "" "$1" "$2"; fi; }
test_expect_failure() { if [ $# = 3 ]; then _t_run failure "$1" "$2" "$3"; else _t_run failure "" "$1" "$2"; fi; }
test_skip_all() { echo "ok 1 # SKIP $1"; exit 0; }
test_done() { echo "1..$T_NR"; }

# test_cmp EXPECTED ACTUAL: exact bytes, with a diff on mismatch
test_cmp() { diff -u "$1" "$2"; }
# expect a command to fail with a one-line message matching a pattern
test_must_fail() { if "$@"; then echo "unexpected success: $*" >&2; return 1; fi; return 0; }
test_must_be_empty() { if [ -s "$1" ]; then echo "'$1' is not empty:"; cat "$1"; return 1; fi; }
# test_expect_code N CMD...: CMD must exit with status N
test_expect_code() { local want=$1; shift; "$@"; local rc=$?; [ "$rc" = "$want" ] || { echo "exit $rc, expected $want: $*" >&2; return 1; }; }
