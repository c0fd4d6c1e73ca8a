#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The architecture check (scripts/check-arch.sh): the tree as built passes it,
# and the check itself fails on what it exists to catch, fed small synthetic
# trees: an upward include in lib/, an upward symbol use without an include,
# an include not written from its root, a circle of calls between files of
# cli/ or daemon/ (and the allowlist: a listed daemon circle passes, a line
# no circle needs fails), and an object in libudm.a the API does not reach.
# Each case has a control: the same tree without the fault passes.
. "$(dirname "$0")/lib.sh"

command -v nm >/dev/null || test_skip_all "needs nm (binutils)"
command -v cc >/dev/null || test_skip_all "needs a C compiler (cc)"
CHECK=$T_ROOT/scripts/check-arch.sh

test_expect_success 'the tree as built passes the check' '
	{ "$CHECK" "$UDM_BUILD" >out 2>&1 || { cat out; false; }; } &&
	grep -q "^check-arch: ok" out
'

# A small tree: lib/util <- lib/core <- lib/targets, libudm.a of core + util
# with udm_api its API, cli/a -> cli/b, daemon/x -> daemon/y.
# src FILE TEXT: write FILE (under $S) and, for a .c, compile it into obj/
S=$T_TMP/tree
src() {
	mkdir -p "$(dirname "$S/$1")" && printf '%s\n' "$2" >"$S/$1" || return 1
	case $1 in
	*.c) mkdir -p "$(dirname "$S/build/obj/$1")" &&
		cc -c -Wall -I"$S/lib" -I"$S" -o "$S/build/obj/${1%.c}.o" "$S/$1" ;;
	esac
}
archive() {
	rm -f "$S/build/libudm.a" && ar rcs "$S/build/libudm.a" "$@"
}
check() { ROOT=$S "$CHECK" "$S/build" >out 2>&1; }
check_ok() { check || { cat out; return 1; }; }
DEV_C='#include "core/core.h"
#include "util/h.h"
int udm_api(void) { return udm_helper(); }'


test_expect_success 'setup: a clean synthetic tree passes (control)' '
	mkdir -p "$S/scripts" "$S/lib" &&
	printf "LIBUDM_0 {\nglobal:\n\tudm_api;\nlocal:\n\t*;\n};\n" >"$S/lib/libudm.map" &&
	src lib/util/h.h "int udm_helper(void);" &&
	src lib/util/h.c "#include \"util/h.h\"
int udm_helper(void) { return 1; }" &&
	src lib/core/core.h "int udm_api(void);" &&
	src lib/core/dev.c "$DEV_C" &&
	src lib/targets/t.c "#include \"core/core.h\"
int udm_t(void) { return udm_api(); }" &&
	src cli/a.c "int cli_b(void);
int cli_a(void) { return cli_b(); }" &&
	src cli/b.c "int cli_b(void) { return 2; }" &&
	src daemon/x.c "int d_y(void);
int d_x(void) { return d_y(); }" &&
	src daemon/y.c "int d_y(void) { return 3; }" &&
	archive "$S/build/obj/lib/core/dev.o" "$S/build/obj/lib/util/h.o" &&
	check_ok
'

test_expect_success 'an upward include in lib/ fails (core includes targets/)' '
	test_when_finished "src lib/core/dev.c \"\$DEV_C\"" &&
	: >"$S/lib/targets/t.h" &&
	src lib/core/dev.c "#include \"core/core.h\"
#include \"util/h.h\"
#include \"targets/t.h\"
int udm_api(void) { return udm_helper(); }" &&
	test_must_fail check &&
	grep "lib/core/dev.c:3: #include \"targets/t.h\"" out
'

test_expect_success 'a sideways include between layers fails too (util includes core/)' '
	test_when_finished "rm -f \"$S/lib/util/side.c\" \"$S/build/obj/lib/util/side.o\"" &&
	src lib/util/side.c "#include \"core/core.h\"" &&
	test_must_fail check && grep "lib/util/side.c:1: .*util may include only" out
'

test_expect_success 'an upward call without the include fails (core uses a targets symbol)' '
	test_when_finished "src lib/core/dev.c \"\$DEV_C\"" &&
	src lib/core/dev.c "#include \"core/core.h\"
#include \"util/h.h\"
int udm_t(void);
int udm_api(void) { return udm_helper() + udm_t(); }" &&
	test_must_fail check &&
	grep "lib/core/dev.c uses udm_t of lib/targets/t.c" out
'

test_expect_success 'an include not written from its root fails ("lib/..." and "../")' '
	test_when_finished "rm -f \"$S/cli/c.c\" \"$S/build/obj/cli/c.o\" \"$S/cli/h.h\"" &&
	: >"$S/cli/h.h" &&
	src cli/c.c "#include \"../cli/h.h\"" &&
	test_must_fail check && grep "cli/c.c:1: #include \"../cli/h.h\": write it from its root" out &&
	src cli/c.c "#include \"lib/util/h.h\"" &&
	test_must_fail check && grep "cli/c.c:1: #include \"lib/util/h.h\": write it from its root" out &&
	src cli/c.c "#include \"h.h\"" &&
	test_must_fail check && grep "cli/c.c:1: #include \"h.h\": write it from its root (\"cli/h.h\")" out &&
	src cli/c.c "#include \"cli/h.h\"" && check
'

test_expect_success 'a circle of calls between files of cli/ fails, also through a third file' '
	test_when_finished "src cli/b.c \"int cli_b(void) { return 2; }\"; rm -f \"$S/cli/c.c\" \"$S/build/obj/cli/c.o\"" &&
	src cli/b.c "int cli_a(void);
int cli_b(void) { return cli_a(); }" &&
	test_must_fail check && grep "cli/ has a circle of calls between files: a b " out &&
	src cli/b.c "int cli_c(void);
int cli_b(void) { return cli_c(); }" &&
	src cli/c.c "int cli_a(void);
int cli_c(void) { return cli_a(); }" &&
	test_must_fail check && grep "cli/ has a circle of calls between files: a b c " out
'

test_expect_success 'a callback carries the upward call: no circle (control)' '
	test_when_finished "src cli/b.c \"int cli_b(void) { return 2; }\"" &&
	src cli/b.c "static int (*up)(void);
void cli_b_set(int (*fn)(void)) { up = fn; }
int cli_b(void) { return up ? up() : 2; }" &&
	check_ok
'

test_expect_success 'a daemon/ circle fails unless scripts/arch-allow lists it' '
	test_when_finished "src daemon/y.c \"int d_y(void) { return 3; }\"; rm -f \"$S/scripts/arch-allow\"" &&
	src daemon/y.c "int d_x(void);
int d_y(void) { return d_x(); }" &&
	test_must_fail check && grep "daemon/ has a circle of calls between files: x y " out &&
	printf "# known\ndaemon: w x y\n" >"$S/scripts/arch-allow" &&
	test_must_fail check && grep "arch-allow: .daemon: w x y. has shrunk to .x y." out &&
	printf "# known\ndaemon: x y\n" >"$S/scripts/arch-allow" &&
	check_ok
'

test_expect_success 'an allowlist line no circle needs fails: the list only shrinks' '
	test_when_finished "rm -f \"$S/scripts/arch-allow\"" &&
	printf "daemon: x y\n" >"$S/scripts/arch-allow" &&
	test_must_fail check && grep "arch-allow: .daemon: x y. is no longer a circle" out
'

test_expect_success 'an object in libudm.a that the API does not reach fails' '
	test_when_finished "archive \"$S/build/obj/lib/core/dev.o\" \"$S/build/obj/lib/util/h.o\"" &&
	archive "$S/build/obj/lib/core/dev.o" "$S/build/obj/lib/util/h.o" "$S/build/obj/lib/targets/t.o" &&
	test_must_fail check && grep "^check-arch: t.o (in libudm.a) is reached by no function" out
'

test_expect_success 'after every fault is undone the synthetic tree passes again (control)' '
	check_ok
'

test_done
