/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IPE parser: every case of the kernel's kunit parser test (policy_tests.c)
 * with the kernel's result, then the grammar corners (security/ipe/policy_parser.c)
 * one by one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "ipe/ipe.h"
#include "udm/udm.h"

struct pcase { const char *text; size_t len; int err; const char *desc; };
#define S(s) s, sizeof(s) - 1

/* The kunit table, in its order; len is the full literal so that the
 * embedded-NUL cases exercise our own truncation (kunit passes strlen). */
static const struct pcase kunit_cases[] = {
	{ S("policy_name=allowall policy_version=0.0.0\nDEFAULT action=ALLOW"), 0, "basic" },
	{ S("policy_name=trailing_comment policy_version=152.0.0 #This is comment\n"
	    "DEFAULT action=ALLOW"), 0, "trailing comment" },
	{ S("policy_name=allowallnewline policy_version=0.2.0\nDEFAULT action=ALLOW\n\n"), 0,
	  "trailing newline" },
	{ S("policy_name=carriagereturnlinefeed policy_version=0.0.1\nDEFAULT action=ALLOW\n\r\n"), 0,
	  "clrf newline" },
	{ S("policy_name=whitespace policy_version=0.0.0\n"
	    "DEFAULT\taction=ALLOW\n"
	    "     \t     DEFAULT \t    op=EXECUTE      action=DENY\n"
	    "op=EXECUTE boot_verified=TRUE action=ALLOW\n"
	    "# this is a\tcomment\t\t\t\t\n"
	    "DEFAULT \t op=KMODULE\t\t\t  action=DENY\r\n"
	    "op=KMODULE boot_verified=TRUE action=ALLOW\n"), 0, "various whitespaces and nested default" },
	{ S("policy_name=boot_verified policy_version=-1236.0.0\nDEFAULT\taction=ALLOW\n"), EINVAL,
	  "negative version" },
	{ S("policy_name=$@!*&^%%\\:;{}() policy_version=0.0.0\nDEFAULT action=ALLOW"), 0,
	  "special characters" },
	{ S("policy_name=test policy_version=999999.0.0\nDEFAULT action=ALLOW"), ERANGE, "overflow version" },
	{ S("policy_name=test policy_version=255.0\nDEFAULT action=ALLOW"), EBADMSG, "incomplete version" },
	{ S("policy_name=test policy_version=111.0.0.0\nDEFAULT action=ALLOW"), EBADMSG, "extra version" },
	{ S(""), EBADMSG, "0-length policy" },
	{ S("policy_name=test\0policy_version=0.0.0\nDEFAULT action=ALLOW"), EBADMSG,
	  "random null in header" },
	{ S("policy_name=test policy_version=0.0.0\n\0DEFAULT action=ALLOW"), EBADMSG,
	  "incomplete policy from NULL" },
	{ S("policy_name=test policy_version=0.0.0\nDEFAULT action=DENY\n\0"
	    "op=EXECUTE dmverity_signature=TRUE action=ALLOW\n"), 0, "NULL truncates policy" },
	{ S("policy_name=test policy_version=0.0.0\nDEFAULT action=ALLOW\n"
	    "op=EXECUTE dmverity_signature=abc action=ALLOW"), EBADMSG, "invalid property type" },
	{ S("DEFAULT action=ALLOW"), EBADMSG, "missing policy header" },
	{ S("policy_name=test policy_version=0.0.0\n"), EBADMSG, "missing default definition" },
	{ S("policy_name=test policy_version=0.0.0\nDEFAULT action=ALLOW\n"
	    "dmverity_signature=TRUE op=EXECUTE action=ALLOW"), EBADMSG, "invalid rule ordering" },
	{ S("policy_name=test policy_version=0.0.0\nDEFAULT action=ALLOW\n"
	    "action=ALLOW op=EXECUTE dmverity_signature=TRUE"), EBADMSG, "invalid rule ordering (2)" },
	{ S("policy_name=test policy_version=0.0\nDEFAULT action=ALLOW\n"
	    "op=EXECUTE dmverity_signature=TRUE action=ALLOW"), EBADMSG, "invalid version" },
	{ S("policy_name=test policy_version=0.0.0\nDEFAULT action=ALLOW\n"
	    "op=UNKNOWN dmverity_signature=TRUE action=ALLOW"), EBADMSG, "unknown operation" },
	{ S("policy_name=asdvpolicy_version=0.0.0\nDEFAULT action=ALLOW\n"), EBADMSG,
	  "missing space after policy name" },
	{ S("policy_name=test\xFF\xEF policy_version=0.0.0\nDEFAULT action=ALLOW\n"
	    "op=EXECUTE dmverity_signature=TRUE action=ALLOW"), 0, "expanded ascii" },
	{ S("policy_name=test\xFF\xEF policy_version=0.0.0\nDEFAULT action=ALLOW\n"
	    "op=EXECUTE dmverity_roothash=GOOD_DOG action=ALLOW"), EBADMSG, "invalid property value (2)" },
	{ S("policy_name=test policy_version=0.0.0\npolicy_name=test policy_version=0.1.0\n"
	    "DEFAULT action=ALLOW"), EBADMSG, "double header" },
	{ S("policy_name=test policy_version=0.0.0\nDEFAULT action=ALLOW\nDEFAULT action=ALLOW\n"),
	  EBADMSG, "double default" },
	{ S("policy_name=test policy_version=0.0.0\nDEFAULT action=ALLOW\n"
	    "DEFAULT op=EXECUTE action=DENY\nDEFAULT op=EXECUTE action=ALLOW\n"), EBADMSG,
	  "double operation default" },
	{ S("policy_name=test policy_version=0.0.0\nDEFAULT action=ALLOW\nDEFAULT op=EXECUTE action=DEN\n"),
	  EBADMSG, "invalid action value" },
	{ S("policy_name=test policy_version=0.0.0\nDEFAULT action=ALLOW\nDEFAULT op=EXECUTE action\n"),
	  EBADMSG, "invalid action value (2)" },
	{ S("policy_name=test policy_version=0.0.0\nDEFAULT action=ALLOW\nUNKNOWN value=true\n"),
	  EBADMSG, "unrecognized statement" },
	{ S("policy_name=test policy_version=0.0.0\nDEFAULT action=ALLOW\n"
	    "op=EXECUTE dmverity_roothash=1c0d7ee1f8343b7fbe418378e8eb22c061d7dec7 action=DENY\n"),
	  EBADMSG, "old-style digest" },
	{ S("policy_name=test policy_version=0.0.0\nDEFAULT action=ALLOW\n"
	    "op=EXECUTE fsverity_digest=1c0d7ee1f8343b7fbe418378e8eb22c061d7dec7 action=DENY\n"),
	  EBADMSG, "old-style digest (fsverity)" },
};

static int parse_err(const char *text, size_t len, struct ipe_parse_error *pe)
{
	struct ipe_policy *p = NULL;
	int rc = ipe_policy_parse(text, len, &p, pe);
	if (rc == 0) {
		assert_non_null(p);
		ipe_policy_put(p);
	} else {
		assert_null(p);
	}
	return -rc;
}

static void test_kunit_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kunit_cases) / sizeof(kunit_cases[0]); i++) {
		const struct pcase *c = &kunit_cases[i];
		struct ipe_parse_error pe;
		int got = parse_err(c->text, c->len, &pe);
		int got_strlen = parse_err(c->text, strlen(c->text), NULL);
		if (got != c->err || got_strlen != c->err)
			fail_msg("kunit case %zu '%s': want %s, got %s (strlen: %s) at line %u: %s", i + 1,
				 c->desc, udm_errno_name(c->err), udm_errno_name(got),
				 udm_errno_name(got_strlen), pe.line, pe.reason);
		if (c->err)
			assert_string_not_equal(pe.reason, "");
	}
}

/* ipe_parser_widestring_test: UTF-16LE text is cut at its first NUL ("p"). */
static void test_widestring(void **state)
{
	(void)state;
	const char *a = "policy_name=Test policy_version=0.0.0\nDEFAULT action=ALLOW";
	char w[128];
	size_t n = strlen(a);
	for (size_t i = 0; i < n; i++) {
		w[2 * i] = a[i];
		w[2 * i + 1] = 0;
	}
	assert_int_equal(parse_err(w, 2 * n, NULL), EBADMSG);
}

/* The parsed form of the "various whitespaces" case, which kunit never inspects. */
static void test_parsed_form(void **state)
{
	(void)state;
	struct ipe_policy *p;
	const char *t = kunit_cases[4].text;
	assert_int_equal(ipe_policy_parse(t, strlen(t), &p, NULL), 0);
	assert_string_equal(p->name, "whitespace");
	assert_int_equal(p->global_default, IPE_ACTION_ALLOW);
	assert_int_equal(p->ops[IPE_OP_EXECUTE].default_action, IPE_ACTION_DENY);
	assert_int_equal(p->ops[IPE_OP_KMODULE].default_action, IPE_ACTION_DENY);
	assert_int_equal(p->ops[IPE_OP_FIRMWARE].default_action, IPE_ACTION_UNSET);
	assert_int_equal(p->nrules, 2);
	assert_int_equal(p->ops[IPE_OP_EXECUTE].nrules, 1);
	assert_int_equal(p->ops[IPE_OP_EXECUTE].rules[0].line, 4);
	assert_int_equal(p->ops[IPE_OP_KMODULE].rules[0].line, 7);
	assert_int_equal(p->ops[IPE_OP_KMODULE].rules[0].props[0].type, IPE_PROP_BOOT_VERIFIED_TRUE);
	ipe_policy_put(p);

	/* parsing stops at a NUL, but the policy text keeps every byte (the policy file) */
	const struct pcase *nul = &kunit_cases[13];
	assert_int_equal(ipe_policy_parse(nul->text, nul->len, &p, NULL), 0);
	assert_int_equal(p->textlen, nul->len);
	assert_memory_equal(p->text, nul->text, nul->len);
	assert_int_equal(p->nrules, 0);
	ipe_policy_put(p);

	t = "policy_name=v policy_version=+01.002.65535\nDEFAULT action=DENY";
	assert_int_equal(ipe_policy_parse(t, strlen(t), &p, NULL), 0);
	assert_int_equal(p->version[0], 1);
	assert_int_equal(p->version[1], 2);
	assert_int_equal(p->version[2], 65535);
	assert_true(ipe_policy_version_key(p) == ((1ull << 32) | (2ull << 16) | 65535));
	ipe_policy_put(p);

	/* '#' anywhere starts a comment, even inside a name */
	t = "policy_name=a#b policy_version=0.0.0\nDEFAULT action=DENY";
	assert_int_equal(parse_err(t, strlen(t), NULL), EBADMSG);
	t = "policy_name=a#b\nDEFAULT action=DENY";
	assert_int_equal(parse_err(t, strlen(t), NULL), EBADMSG);
	t = "  \n# c\npolicy_name=a=b policy_version=0.0.0 # c\nDEFAULT action=DENY#x";
	assert_int_equal(ipe_policy_parse(t, strlen(t), &p, NULL), 0);
	assert_string_equal(p->name, "a=b");
	ipe_policy_put(p);
}

struct ecase { const char *body; int err; unsigned line; };

/* Rule-line and header corners of the kernel's parser; body follows a header
 * line (line 1) unless it starts with "!" (then it is the whole text). */
static const struct ecase corners[] = {
	/* version: left to right, first failure wins */
	{ "!policy_name=x policy_version=99999.0\nDEFAULT action=ALLOW", ERANGE, 1 },
	{ "!policy_name=x policy_version=0.x.0.0\nDEFAULT action=ALLOW", EINVAL, 1 },
	{ "!policy_name=x policy_version=1.2.3.\nDEFAULT action=ALLOW", EBADMSG, 1 },
	{ "!policy_name=x policy_version=0.\nDEFAULT action=ALLOW", EINVAL, 1 },
	{ "!policy_name=x policy_version=0.0.\nDEFAULT action=ALLOW", EINVAL, 1 },
	{ "!policy_name=x policy_version=.0.0\nDEFAULT action=ALLOW", EINVAL, 1 },
	{ "!policy_name=x policy_version=0x1.0.0\nDEFAULT action=ALLOW", EINVAL, 1 },
	{ "!policy_name=x policy_version=0\nDEFAULT action=ALLOW", EBADMSG, 1 },
	{ "!policy_name=x policy_version=-0.0.0\nDEFAULT action=ALLOW", EINVAL, 1 },
	{ "!policy_name=x policy_version=++1.0.0\nDEFAULT action=ALLOW", EINVAL, 1 },
	{ "!policy_name=x policy_version=65536.0.0\nDEFAULT action=ALLOW", ERANGE, 1 },
	{ "!policy_name=x policy_version=99999999999999999999999x.0.0\nDEFAULT action=ALLOW", ERANGE, 1 },
	{ "!policy_name=x policy_version=70000x.0.0\nDEFAULT action=ALLOW", EINVAL, 1 },
	/* header tokens */
	{ "!policy_version=0.0.0 policy_name=x\nDEFAULT action=ALLOW", EBADMSG, 1 },
	{ "!polici_name=x policy_version=0.0.0\nDEFAULT action=ALLOW", EBADMSG, 1 },
	{ "!policy_name=x policy_versio=0.0.0\nDEFAULT action=ALLOW", EBADMSG, 1 },
	{ "!policy_name= policy_version=0.0.0\nDEFAULT action=ALLOW", EBADMSG, 1 },
	{ "!policy_name=x policy_version=0.0.0 unknown_header=fail\nDEFAULT action=ALLOW", EBADMSG, 1 },
	{ "!policy_name=x\nDEFAULT action=ALLOW", EBADMSG, 1 },
	{ "!policy_name=x\vpolicy_version=0.0.0\nDEFAULT action=ALLOW", EBADMSG, 1 },
	{ "!\n\n  policy_name=x\t \tpolicy_version=0.0.0 \xA0\v\f\nDEFAULT action=ALLOW", 0, 0 },
	{ "!# only comments\n   \n\t#\n", EBADMSG, 4 },
	/* rule lines */
	{ "DEFAULT action=ALLOW\nop=EXECUTE action=ALLOW", 0, 0 },
	{ "DEFAULT action=ALLOW\nDEFAULT DEFAULT action=ALLOW", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\ndefault action=DENY", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\nDEFAULT", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\naction=ALLOW", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\nboot_verified=TRUE action=DENY", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE action=allow", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE op=KMODULE action=DENY", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE action=DENY action=DENY", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE\vboot_verified=TRUE action=DENY", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\nop=execute action=DENY", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\nDEFAULT op=EXECUTE dmverity_signature=TRUE action=DENY", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\nDEFAULT dmverity_signature=TRUE action=DENY", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE magic_property=TRUE action=DENY", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE boot_verified=true action=DENY", EBADMSG, 3 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE dmverity_roothash= action=DENY", EBADMSG, 3 },
	/* a bad property is reported before a bad action */
	{ "DEFAULT action=ALLOW\nop=EXECUTE fsverity_digest=sha256:0 action=BAD", EINVAL, 3 },
	/* digests */
	{ "DEFAULT action=ALLOW\nop=EXECUTE dmverity_roothash=sha256:abc action=DENY", EINVAL, 3 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE dmverity_roothash=sha256:zz action=DENY", EINVAL, 3 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE dmverity_roothash=sha256:ab:cd action=DENY", EINVAL, 3 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE dmverity_roothash=sha256: action=DENY", 0, 0 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE dmverity_roothash=:AbCd action=DENY", 0, 0 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE fsverity_digest=whatever:00 action=DENY", 0, 0 },
	{ "DEFAULT action=ALLOW\nop=EXECUTE dmverity_roothash=sha256:ab#cd action=DENY", EBADMSG, 3 },
	/* accepted without checks */
	{ "DEFAULT action=ALLOW\nop=EXECUTE boot_verified=TRUE boot_verified=FALSE action=DENY\n"
	  "op=EXECUTE boot_verified=TRUE boot_verified=FALSE action=DENY", 0, 0 },
	/* defaults: global + per-op, or all seven per-op */
	{ "DEFAULT op=EXECUTE action=ALLOW", EBADMSG, 2 },
	{ "DEFAULT op=EXECUTE action=ALLOW\nDEFAULT op=FIRMWARE action=ALLOW\n"
	  "DEFAULT op=KMODULE action=ALLOW\nDEFAULT op=KEXEC_IMAGE action=ALLOW\n"
	  "DEFAULT op=KEXEC_INITRAMFS action=ALLOW\nDEFAULT op=POLICY action=ALLOW\n"
	  "DEFAULT op=X509_CERT action=DENY", 0, 0 },
	{ "DEFAULT op=EXECUTE action=ALLOW\nDEFAULT op=FIRMWARE action=ALLOW\n"
	  "DEFAULT op=KMODULE action=ALLOW\nDEFAULT op=KEXEC_IMAGE action=ALLOW\n"
	  "DEFAULT op=KEXEC_INITRAMFS action=ALLOW\nDEFAULT op=POLICY action=ALLOW", EBADMSG, 7 },
	{ "op=EXECUTE action=DENY\nDEFAULT action=ALLOW", 0, 0 },
	/* line numbers: CRLF is one line, a lone CR is a line break */
	{ "DEFAULT action=ALLOW\r\n\r\nop=BAD action=DENY", EBADMSG, 4 },
	{ "DEFAULT action=ALLOW\rop=BAD action=DENY", EBADMSG, 3 },
};

static void test_grammar_corners(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(corners) / sizeof(corners[0]); i++) {
		char text[1024];
		const struct ecase *c = &corners[i];
		if (c->body[0] == '!')
			snprintf(text, sizeof(text), "%s", c->body + 1);
		else
			snprintf(text, sizeof(text), "policy_name=t policy_version=0.0.0\n%s", c->body);
		struct ipe_parse_error pe;
		int got = parse_err(text, strlen(text), &pe);
		if (got != c->err || (c->err && pe.line != c->line))
			fail_msg("corner %zu (%s): want %s at line %u, got %s at line %u: %s", i, c->body,
				 udm_errno_name(c->err), c->line, udm_errno_name(got), pe.line, pe.reason);
	}
}

static void test_digest_decoding(void **state)
{
	(void)state;
	struct ipe_policy *p;
	const char *t = "policy_name=t policy_version=0.0.0\nDEFAULT action=ALLOW\n"
			"op=EXECUTE dmverity_roothash=sha256:0aBf fsverity_digest=:  action=DENY\n"
			"op=X509_CERT fsverity_digest=sha256: action=DENY";
	/* "fsverity_digest=:" has an empty alg and empty hex: accepted */
	assert_int_equal(ipe_policy_parse(t, strlen(t), &p, NULL), 0);
	const struct ipe_rule *r = &p->ops[IPE_OP_EXECUTE].rules[0];
	assert_int_equal(r->nprops, 2);
	assert_string_equal(r->props[0].digest.alg, "sha256");
	assert_int_equal(r->props[0].digest.len, 2);
	assert_int_equal(r->props[0].digest.bytes[0], 0x0a);
	assert_int_equal(r->props[0].digest.bytes[1], 0xbf);
	assert_string_equal(r->props[1].digest.alg, "");
	assert_int_equal(r->props[1].digest.len, 0);
	assert_int_equal(p->ops[IPE_OP_X509_CERT].rules[0].props[0].digest.len, 0);
	ipe_policy_put(p);
}

static void test_bool_and_names(void **state)
{
	(void)state;
	static const struct { const char *s; int rc; bool v; } b[] = {
		{ "1", 0, true }, { "y", 0, true }, { "Y\n", 0, true }, { "on", 0, true }, { "ON", 0, true },
		{ "0", 0, false }, { "n", 0, false }, { "N", 0, false }, { "off", 0, false }, { "oF", 0, false },
		{ "", -EINVAL, false }, { "2", -EINVAL, false }, { "o", -EINVAL, false },
		{ "true", -EINVAL, false }, { "x1", -EINVAL, false },
	};
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		bool v = !b[i].v;
		assert_int_equal(ipe_parse_bool(b[i].s, strlen(b[i].s), &v), b[i].rc);
		if (!b[i].rc)
			assert_int_equal(v, b[i].v);
	}
	assert_int_equal(ipe_op_from_name("KEXEC_INITRAMFS"), IPE_OP_KEXEC_INITRAMFS);
	assert_int_equal(ipe_op_from_name("UNKNOWN"), -1);
	assert_string_equal(ipe_op_name(IPE_OP_INVALID), "UNKNOWN");
	assert_string_equal(ipe_hook_name(IPE_HOOK_KERNEL_LOAD), "KERNEL_LOAD");
	assert_string_equal(ipe_hook_name(IPE_HOOK_BPRM_CREDS_FOR_EXEC), "BPRM_CREDS_FOR_EXEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kunit_cases),
		cmocka_unit_test(test_widestring),
		cmocka_unit_test(test_parsed_form),
		cmocka_unit_test(test_grammar_corners),
		cmocka_unit_test(test_digest_decoding),
		cmocka_unit_test(test_bool_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
