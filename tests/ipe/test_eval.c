/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IPE evaluation: every op and property (with and without a file, with
 * providers compiled out), defaults, first-match order, the rule text, and
 * the index against the linear scan on many random policies. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ipe/ipe.h"
#include "udm/udm.h"

static struct ipe_policy *parse(const char *t)
{
	struct ipe_policy *p = NULL;
	struct ipe_parse_error pe;
	if (ipe_policy_parse(t, strlen(t), &p, &pe))
		fail_msg("parse: %s line %u: %s", udm_errno_name(pe.err), pe.line, pe.reason);
	return p;
}

/* Decide with both evaluators, check they agree, return "ALLOW rule=..." text. */
static const char *decide(const struct ipe_policy *p, const struct ipe_eval_ctx *c)
{
	static char out[512];
	struct ipe_decision a, b;
	char ta[400], tb[400];
	ipe_eval_linear(p, c, &a);
	ipe_eval(p, c, &b);
	ipe_decision_format(&a, ta, sizeof(ta));
	ipe_decision_format(&b, tb, sizeof(tb));
	assert_int_equal(a.action, b.action);
	assert_int_equal(a.match, b.match);
	assert_ptr_equal(a.rule, b.rule);
	assert_string_equal(ta, tb);
	snprintf(out, sizeof(out), "%s %s", a.action == IPE_ACTION_DENY ? "DENY" : "ALLOW", ta);
	return out;
}

static const uint8_t RH[4] = { 0xde, 0xad, 0xbe, 0xef };
static const uint8_t FD[2] = { 0x01, 0x02 };

static void test_each_op_uses_its_own_table(void **state)
{
	(void)state;
	struct ipe_policy *p = parse(
		"policy_name=ops policy_version=0.0.0\n"
		"DEFAULT action=DENY\n"
		"op=EXECUTE action=ALLOW\nop=FIRMWARE action=ALLOW\nop=KMODULE action=ALLOW\n"
		"op=KEXEC_IMAGE action=ALLOW\nop=KEXEC_INITRAMFS action=ALLOW\nop=POLICY action=ALLOW\n"
		"DEFAULT op=X509_CERT action=ALLOW\n");
	static const char *const want[] = {
		"ALLOW rule=\"op=EXECUTE action=ALLOW\"", "ALLOW rule=\"op=FIRMWARE action=ALLOW\"",
		"ALLOW rule=\"op=KMODULE action=ALLOW\"", "ALLOW rule=\"op=KEXEC_IMAGE action=ALLOW\"",
		"ALLOW rule=\"op=KEXEC_INITRAMFS action=ALLOW\"", "ALLOW rule=\"op=POLICY action=ALLOW\"",
		"ALLOW rule=\"DEFAULT op=X509_CERT action=ALLOW\"",
		"DENY rule=\"DEFAULT action=DENY\"",	/* INVALID op: global default only */
	};
	for (int op = 0; op <= IPE_OP_INVALID; op++) {
		struct ipe_eval_ctx c = { .op = (enum ipe_op)op, .has_file = true };
		assert_string_equal(decide(p, &c), want[op]);
	}
	ipe_policy_put(p);
}

static void test_defaults(void **state)
{
	(void)state;
	struct ipe_eval_ctx c = { .op = IPE_OP_KMODULE, .has_file = true };
	/* all seven per-op defaults, no global: INVALID op is an implicit ALLOW */
	struct ipe_policy *p = parse(
		"policy_name=d policy_version=0.0.0\n"
		"DEFAULT op=EXECUTE action=DENY\nDEFAULT op=FIRMWARE action=DENY\n"
		"DEFAULT op=KMODULE action=DENY\nDEFAULT op=KEXEC_IMAGE action=DENY\n"
		"DEFAULT op=KEXEC_INITRAMFS action=DENY\nDEFAULT op=POLICY action=DENY\n"
		"DEFAULT op=X509_CERT action=DENY\n");
	assert_string_equal(decide(p, &c), "DENY rule=\"DEFAULT op=KMODULE action=DENY\"");
	c.op = IPE_OP_INVALID;
	assert_string_equal(decide(p, &c), "ALLOW rule=\"DEFAULT action=ALLOW\"");
	ipe_policy_put(p);
	/* no policy: allow, nothing decided */
	struct ipe_decision d;
	ipe_eval(NULL, &c, &d);
	assert_int_equal(d.action, IPE_ACTION_ALLOW);
	assert_int_equal(d.match, IPE_MATCH_NONE);
	/* per-op default wins over global; global for ops without one */
	p = parse("policy_name=d policy_version=0.0.0\nDEFAULT action=ALLOW\nDEFAULT op=EXECUTE action=DENY\n");
	c.op = IPE_OP_EXECUTE;
	assert_string_equal(decide(p, &c), "DENY rule=\"DEFAULT op=EXECUTE action=DENY\"");
	c.op = IPE_OP_POLICY;
	assert_string_equal(decide(p, &c), "ALLOW rule=\"DEFAULT action=ALLOW\"");
	ipe_policy_put(p);
}

static void test_first_match_and_and(void **state)
{
	(void)state;
	struct ipe_policy *p = parse(
		"policy_name=fm policy_version=0.0.0\nDEFAULT action=ALLOW\n"
		"op=EXECUTE boot_verified=TRUE dmverity_signature=TRUE action=DENY\n"
		"op=EXECUTE dmverity_signature=TRUE action=ALLOW\n"
		"op=EXECUTE boot_verified=TRUE action=DENY\n"
		"op=EXECUTE dmverity_roothash=sha256:DEADBEEF action=ALLOW\n"
		"op=EXECUTE dmverity_roothash=sha256:deadbeef action=DENY\n"
		"op=EXECUTE action=DENY\n");
	struct ipe_eval_ctx c = { .op = IPE_OP_EXECUTE, .has_file = true, .boot_verified = true,
				  .dmv_present = true, .dmv_signed = true };
	assert_string_equal(decide(p, &c),
		"DENY rule=\"op=EXECUTE boot_verified=TRUE dmverity_signature=TRUE action=DENY\"");
	c.boot_verified = false;
	assert_string_equal(decide(p, &c), "ALLOW rule=\"op=EXECUTE dmverity_signature=TRUE action=ALLOW\"");
	c.dmv_signed = false, c.boot_verified = true;
	assert_string_equal(decide(p, &c), "DENY rule=\"op=EXECUTE boot_verified=TRUE action=DENY\"");
	c.boot_verified = false, c.dmv_alg = "sha256", c.dmv_digest = RH, c.dmv_digest_len = 4;
	/* the first of two equal hashes wins; the text is re-serialised upper case */
	assert_string_equal(decide(p, &c),
		"ALLOW rule=\"op=EXECUTE dmverity_roothash=\"sha256\":DEADBEEF action=ALLOW\"");
	c.dmv_alg = "SHA256";	/* algorithm names compare case-sensitively */
	assert_string_equal(decide(p, &c), "DENY rule=\"op=EXECUTE action=DENY\"");
	ipe_policy_put(p);
}

/* One rule per property; check each against a context, with and without a file. */
static void test_properties(void **state)
{
	(void)state;
	static const char *const props[] = {
		"boot_verified=FALSE", "boot_verified=TRUE", "dmverity_roothash=sha256:deadbeef",
		"dmverity_signature=FALSE", "dmverity_signature=TRUE", "fsverity_digest=sha512:0102",
		"fsverity_signature=FALSE", "fsverity_signature=TRUE",
	};
	/* expected truth for: none (file, no data), anonymous, all-true file, all-true + disabled */
	static const bool want[4][8] = {
		{ 1, 0, 0, 1, 0, 0, 1, 0 },
		{ 1, 0, 0, 1, 0, 0, 1, 0 },	/* no file: =FALSE true (the code, not the doc) */
		{ 0, 1, 1, 0, 1, 1, 0, 1 },
		{ 0, 1, 0, 0, 0, 0, 0, 0 },	/* providers off: both forms false */
	};
	struct ipe_eval_ctx all = { .op = IPE_OP_EXECUTE, .has_file = true, .boot_verified = true,
				    .dmv_present = true, .dmv_alg = "sha256", .dmv_digest = RH,
				    .dmv_digest_len = 4, .dmv_signed = true, .fsv_present = true,
				    .fsv_alg = "sha512", .fsv_digest = FD, .fsv_digest_len = 2,
				    .fsv_signed = true };
	struct ipe_eval_ctx ctxs[4] = { { .op = IPE_OP_EXECUTE, .has_file = true }, all, all, all };
	ctxs[1].has_file = false;	/* anonymous, even with data set */
	ctxs[3].disabled = IPE_NO_DMV | IPE_NO_DMV_SIG | IPE_NO_FSV | IPE_NO_FSV_SIG;
	for (int k = 0; k < 8; k++) {
		char text[256], rule[200];
		snprintf(text, sizeof(text),
			 "policy_name=p policy_version=0.0.0\nDEFAULT action=DENY\nop=EXECUTE %s action=ALLOW",
			 props[k]);
		struct ipe_policy *p = parse(text);
		for (int i = 0; i < 4; i++) {
			struct ipe_decision d;
			ipe_eval(p, &ctxs[i], &d);
			if ((d.action == IPE_ACTION_ALLOW) != want[i][k])
				fail_msg("%s in context %d: want %d", props[k], i, want[i][k]);
			assert_int_equal(ipe_prop_eval(&p->ops[0].rules[0].props[0], &ctxs[i]), want[i][k]);
		}
		/* digests must match in length too */
		struct ipe_eval_ctx shortd = all;
		shortd.dmv_digest_len = 3, shortd.fsv_digest_len = 1;
		if (k == 2 || k == 5)
			assert_false(ipe_prop_eval(&p->ops[0].rules[0].props[0], &shortd));
		struct ipe_decision d;
		ipe_eval(p, &all, &d);
		ipe_decision_format(&d, rule, sizeof(rule));
		(void)rule;
		ipe_policy_put(p);
	}
}

static void test_rule_text(void **state)
{
	(void)state;
	struct ipe_policy *p = parse(
		"policy_name=t policy_version=0.0.0\nDEFAULT action=DENY\n"
		"op=KEXEC_IMAGE    boot_verified=FALSE\tfsverity_digest=:0a fsverity_signature=FALSE "
		"dmverity_roothash=we\"ird:ff action=ALLOW\n");
	struct ipe_eval_ctx c = { .op = IPE_OP_KEXEC_IMAGE, .has_file = true, .fsv_present = true,
				  .fsv_alg = "", .fsv_digest = (const uint8_t *)"\x0a", .fsv_digest_len = 1,
				  .dmv_present = true, .dmv_alg = "we\"ird",
				  .dmv_digest = (const uint8_t *)"\xff", .dmv_digest_len = 1 };
	/* empty alg is "", an alg with a quote is bare upper-case hex */
	assert_string_equal(decide(p, &c),
		"ALLOW rule=\"op=KEXEC_IMAGE boot_verified=FALSE fsverity_digest=\"\":0A "
		"fsverity_signature=FALSE dmverity_roothash=776522697264:FF action=ALLOW\"");
	/* a short buffer is truncated but the needed length is returned */
	struct ipe_decision d;
	char small[8];
	ipe_eval(p, &c, &d);
	size_t need = ipe_decision_format(&d, small, sizeof(small));
	assert_int_equal(strlen(small), 7);
	assert_true(need > 100);
	ipe_policy_put(p);
}

/* ---- index vs linear on random policies ---- */

static uint64_t rng = 0x243F6A8885A308D3ULL;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static const char *const algs[] = { "sha256", "sha512", "SHA256", "" };
/* few distinct digests so that events hit rules and rules repeat */
static void rand_digest(char *out, size_t size, uint8_t *bytes, size_t *len, const char **alg)
{
	*alg = algs[rnd(4)];
	*len = 1 + rnd(3);
	int o = snprintf(out, size, "%s:", *alg);
	for (size_t i = 0; i < *len; i++) {
		bytes[i] = (uint8_t)rnd(3);
		o += snprintf(out + o, size - (size_t)o, rnd(2) ? "%02x" : "%02X", bytes[i]);
	}
}

static const char *const fixed_props[] = {
	"boot_verified=FALSE", "boot_verified=TRUE", "dmverity_signature=FALSE",
	"dmverity_signature=TRUE", "fsverity_signature=FALSE", "fsverity_signature=TRUE",
};

static void random_policy(char *buf, size_t size)
{
	int o = snprintf(buf, size, "policy_name=r policy_version=0.0.0\n");
	bool global = rnd(2);
	if (global)
		o += snprintf(buf + o, size - (size_t)o, "DEFAULT action=%s\n", rnd(2) ? "ALLOW" : "DENY");
	else
		for (int op = 0; op < IPE_OP_COUNT; op++)
			o += snprintf(buf + o, size - (size_t)o, "DEFAULT op=%s action=DENY\n", ipe_op_name(op));
	for (int op = 0; op < IPE_OP_COUNT; op++)
		if (global && rnd(3) == 0)
			o += snprintf(buf + o, size - (size_t)o, "DEFAULT op=%s action=%s\n", ipe_op_name(op),
				      rnd(2) ? "ALLOW" : "DENY");
	int nrules = (int)rnd(40);
	for (int r = 0; r < nrules; r++) {
		o += snprintf(buf + o, size - (size_t)o, "op=%s", ipe_op_name(rnd(3)));
		int shape = (int)rnd(4), np = shape == 0 ? 0 : shape == 1 ? 1 : (int)rnd(4);
		for (int k = 0; k < np; k++) {
			char d[64];
			uint8_t b[4];
			size_t l;
			const char *a;
			switch (rnd(shape == 1 ? 2 : 4)) {
			case 0: rand_digest(d, sizeof(d), b, &l, &a);
				o += snprintf(buf + o, size - (size_t)o, " dmverity_roothash=%s", d); break;
			case 1: rand_digest(d, sizeof(d), b, &l, &a);
				o += snprintf(buf + o, size - (size_t)o, " fsverity_digest=%s", d); break;
			default: o += snprintf(buf + o, size - (size_t)o, " %s", fixed_props[rnd(6)]);
			}
		}
		o += snprintf(buf + o, size - (size_t)o, " action=%s\n", rnd(2) ? "ALLOW" : "DENY");
	}
}

static void test_index_matches_linear(void **state)
{
	(void)state;
	static char text[16384];
	unsigned long decisions = 0, rule_hits = 0;
	for (int it = 0; it < 3000; it++) {
		random_policy(text, sizeof(text));
		struct ipe_policy *p = parse(text);
		for (int e = 0; e < 40; e++) {
			char d1[64], d2[64];
			uint8_t b1[4], b2[4];
			size_t l1, l2;
			const char *a1, *a2;
			rand_digest(d1, sizeof(d1), b1, &l1, &a1);
			rand_digest(d2, sizeof(d2), b2, &l2, &a2);
			struct ipe_eval_ctx c = {
				.op = (enum ipe_op)(rnd(9) == 0 ? IPE_OP_INVALID : rnd(4)),
				.has_file = rnd(5) != 0, .boot_verified = rnd(2),
				.dmv_present = rnd(3) != 0, .dmv_alg = a1, .dmv_digest = b1,
				.dmv_digest_len = l1, .dmv_signed = rnd(2),
				.fsv_present = rnd(3) != 0, .fsv_alg = a2, .fsv_digest = b2,
				.fsv_digest_len = l2, .fsv_signed = rnd(2),
				.disabled = rnd(4) == 0 ? rnd(16) : 0,
			};
			struct ipe_decision dl, di;
			ipe_eval_linear(p, &c, &dl);
			ipe_eval(p, &c, &di);
			if (dl.action != di.action || dl.match != di.match || dl.rule != di.rule)
				fail_msg("iteration %d event %d: linear (%d,%d,line %u) vs index (%d,%d,line %u)\n%s",
					 it, e, dl.action, dl.match, dl.rule ? dl.rule->line : 0, di.action,
					 di.match, di.rule ? di.rule->line : 0, text);
			decisions++;
			rule_hits += dl.match == IPE_MATCH_RULE;
		}
		ipe_policy_put(p);
	}
	/* the generator must actually reach rules, not only defaults */
	assert_true(rule_hits > decisions / 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_op_uses_its_own_table),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_first_match_and_and),
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_rule_text),
		cmocka_unit_test(test_index_matches_linear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
