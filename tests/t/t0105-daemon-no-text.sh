#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udmd answers with records and the CLI writes dmsetup's and veritysetup's
# text (docs/architecture.md, "Control path"): scripts/check-daemon-text.sh on
# the repository, and the checker itself on small trees.
. "$(dirname "$0")/lib.sh"

CHECK=$T_ROOT/scripts/check-daemon-text.sh

test_expect_success 'the checker passes such text in cli/ and in a comment of daemon/' '
	mkdir -p ok/daemon ok/cli &&
	printf "static const char *s = \"udm own: %%s\";\n/* prints \"Name:              %%s\" */\n" >ok/daemon/a.c &&
	printf "void f(void) { printf(\"Name:              %%s\\\\n\", n); }\n" >ok/cli/a.c &&
	"$CHECK" ok >out &&
	test_must_be_empty out
'

test_expect_success 'the checker names dmsetup and veritysetup text in daemon/ and fails' '
	mkdir -p bad/daemon &&
	printf "void f(void) { p(o, \"%%s\\\\t(%%u:%%u)\\\\n\", n, a, b); }\n" >bad/daemon/ls.c &&
	printf "void g(void) { p(o, \"Device %%s already exists.\", n); }\n" >bad/daemon/v.h &&
	test_expect_code 1 "$CHECK" bad >out &&
	cat >expect <<-\EOT &&
	daemon/ls.c: dmsetup or veritysetup text: "%s\t(%u:%u)\n"
	daemon/v.h: dmsetup or veritysetup text: "Device %s already exists."
	EOT
	test_cmp expect out
'

test_expect_success 'udmd formats no dmsetup or veritysetup text; the CLI does' '
	"$CHECK" "$T_ROOT" &&
	grep -q "Name:              " "$T_ROOT/cli/dmsetup_text.c" &&
	grep -q "\[512-byte units\]" "$T_ROOT/cli/verity_open.c"
'

test_done
