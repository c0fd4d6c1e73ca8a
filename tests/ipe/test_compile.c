/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compiled decisions (the BPF enforcer's maps) against ipe_eval_linear on
 * random policies and random machines: a per-device entry, the entry of the
 * boot superblock, and the NOPROPS / NOFILE defaults, looked up exactly as
 * daemon/bpf/enforce.bpf.c does, must give the kernel's first match. */
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
		fail_msg("parse: %s line %u: %s\n%s", udm_errno_name(pe.err), pe.line, pe.reason, t);
	return p;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static const char *const algs[] = { "sha256", "sha512", "SHA256" };
static void rand_digest(char *out, size_t size, uint8_t *bytes, size_t *len, const char **alg)
{
	*alg = algs[rnd(3)];
	*len = 1 + rnd(2);
	int o = snprintf(out, size, "%s:", *alg);
	for (size_t i = 0; i < *len; i++) {
		bytes[i] = (uint8_t)rnd(3);
		o += snprintf(out + o, size - (size_t)o, "%02x", bytes[i]);
	}
}

static const char *const fixed_props[] = {
	"boot_verified=FALSE", "boot_verified=TRUE", "dmverity_signature=FALSE", "dmverity_signature=TRUE",
};

/* Policies without fs-verity properties (those are refused in BPF mode). */
static void random_policy(char *buf, size_t size)
{
	int o = snprintf(buf, size, "policy_name=r policy_version=0.0.0\n");
	bool global = rnd(2);
	if (global)
		o += snprintf(buf + o, size - (size_t)o, "DEFAULT action=%s\n", rnd(2) ? "ALLOW" : "DENY");
	else
		for (int op = 0; op < IPE_OP_COUNT; op++)
			o += snprintf(buf + o, size - (size_t)o, "DEFAULT op=%s action=%s\n", ipe_op_name(op),
				      rnd(2) ? "ALLOW" : "DENY");
	for (int op = 0; global && op < IPE_OP_COUNT; op++)
		if (rnd(3) == 0)
			o += snprintf(buf + o, size - (size_t)o, "DEFAULT op=%s action=%s\n", ipe_op_name(op),
				      rnd(2) ? "ALLOW" : "DENY");
	int nrules = (int)rnd(30);
	for (int r = 0; r < nrules; r++) {
		o += snprintf(buf + o, size - (size_t)o, "op=%s", ipe_op_name(rnd(IPE_OP_COUNT)));
		int np = (int)rnd(4);
		for (int k = 0; k < np; k++) {
			char d[64];
			uint8_t b[4];
			size_t l;
			const char *a;
			if (rnd(3) == 0) {
				rand_digest(d, sizeof(d), b, &l, &a);
				o += snprintf(buf + o, size - (size_t)o, " dmverity_roothash=%s", d);
			} else {
				o += snprintf(buf + o, size - (size_t)o, " %s", fixed_props[rnd(4)]);
			}
		}
		o += snprintf(buf + o, size - (size_t)o, " action=%s\n", rnd(2) ? "ALLOW" : "DENY");
	}
}

#define NDEV 5
struct dev_model {
	bool has_entry;     /* a udm device udmd wrote, or the boot superblock */
	struct ipe_eval_ctx props;
	uint8_t digest[4];
	struct ipe_compiled entry;
};

static void same(const struct ipe_decision *want, const struct ipe_decision *got, const char *what,
		 const char *text)
{
	if (want->action != got->action || want->match != got->match || want->rule != got->rule ||
	    want->op != got->op)
		fail_msg("%s: kernel (%d,%d,line %u,op %d) vs compiled (%d,%d,line %u,op %d)\n%s", what,
			 want->action, want->match, want->rule ? want->rule->line : 0, want->op,
			 got->action, got->match, got->rule ? got->rule->line : 0, got->op, text);
}

static void test_compiled_matches_kernel(void **state)
{
	(void)state;
	static char text[16384];
	unsigned long decisions = 0, rule_hits = 0, denies = 0;
	for (int it = 0; it < 3000; it++) {
		random_policy(text, sizeof(text));
		struct ipe_policy *p = parse(text);
		assert_int_equal(ipe_policy_check_compilable(p, NULL, 0), 0);
		/* the machine: dev 0 is the boot superblock, 1-3 udm devices with
		 * random integrity, 4 a filesystem udmd knows nothing about */
		struct dev_model devs[NDEV];
		memset(devs, 0, sizeof(devs));
		for (int i = 0; i < NDEV; i++) {
			struct ipe_eval_ctx *c = &devs[i].props;
			c->has_file = true;
			c->boot_verified = i == 0;
			devs[i].has_entry = i < 4;
			if (i >= 1 && i <= 3 && rnd(4)) {
				char d[64];
				size_t l;
				const char *a;
				rand_digest(d, sizeof(d), devs[i].digest, &l, &a);
				c->dmv_present = true;
				c->dmv_alg = a;
				c->dmv_digest = devs[i].digest;
				c->dmv_digest_len = l;
				c->dmv_signed = rnd(2);
			}
			if (devs[i].has_entry)
				ipe_compile(p, c, &devs[i].entry);
		}
		struct ipe_compiled noprops, nofile;
		struct ipe_eval_ctx np = { .has_file = true }, nf = { .has_file = false };
		ipe_compile(p, &np, &noprops);
		ipe_compile(p, &nf, &nofile);

		for (int e = 0; e < 60; e++) {
			int where = (int)rnd(NDEV + 1);   /* NDEV: no file */
			unsigned op = rnd(IPE_COMPILED_OPS);
			struct ipe_eval_ctx c = where < NDEV ? devs[where].props : nf;
			c.op = op < IPE_OP_COUNT ? (enum ipe_op)op : IPE_OP_INVALID;
			struct ipe_decision want, got;
			ipe_eval_linear(p, &c, &want);
			/* enforce.bpf.c evaluate(): the device's entry, else a
			 * file takes NOPROPS, no file takes NOFILE */
			const struct ipe_compiled *entry = where == NDEV ? &nofile
				: devs[where].has_entry ? &devs[where].entry : &noprops;
			ipe_compiled_decision(p, entry, op, &got);
			same(&want, &got, "lookup", text);
			decisions++;
			rule_hits += want.match == IPE_MATCH_RULE;
			denies += want.action == IPE_ACTION_DENY;
		}
		ipe_policy_put(p);
	}
	/* the generator reaches rules and both actions, not only defaults */
	assert_true(rule_hits > decisions / 5);
	assert_true(denies > decisions / 5 && denies < decisions * 4 / 5);
}

static void test_fsverity_refused(void **state)
{
	(void)state;
	const char *pols[] = {
		"policy_name=a policy_version=0.0.0\nDEFAULT action=DENY\nop=EXECUTE fsverity_signature=TRUE action=ALLOW\n",
		"policy_name=a policy_version=0.0.0\nDEFAULT action=DENY\nop=KMODULE action=ALLOW\nop=EXECUTE fsverity_digest=sha256:00 action=ALLOW\n",
	};
	for (size_t i = 0; i < 2; i++) {
		struct ipe_policy *p = parse(pols[i]);
		char why[200] = "";
		assert_int_equal(ipe_policy_check_compilable(p, why, sizeof(why)), -EOPNOTSUPP);
		assert_non_null(strstr(why, "fs-verity"));
		assert_non_null(strstr(why, i == 0 ? "line 3" : "line 4"));
		/* with bpf_get_fsverity_digest: the digest is readable, the signature never */
		why[0] = '\0';
		assert_int_equal(ipe_policy_check_compilable_fsv(p, true, why, sizeof(why)),
				 i == 0 ? -EOPNOTSUPP : 0);
		if (i == 0) {
			assert_non_null(strstr(why, "fsverity_signature"));
			assert_non_null(strstr(why, "line 3"));
		}
		ipe_policy_put(p);
	}
	struct ipe_policy *ok = parse("policy_name=a policy_version=0.0.0\nDEFAULT action=DENY\n"
				      "op=EXECUTE dmverity_signature=TRUE action=ALLOW\n");
	assert_int_equal(ipe_policy_check_compilable(ok, NULL, 0), 0);
	ipe_policy_put(ok);
}

/* A rule index that the policy does not have (a stale audit event) never
 * names another rule. */
static void test_stale_rule_index(void **state)
{
	(void)state;
	struct ipe_policy *p = parse("policy_name=a policy_version=0.0.0\nDEFAULT action=DENY\n"
				     "op=EXECUTE boot_verified=TRUE action=ALLOW\n");
	struct ipe_compiled c;
	memset(&c, 0, sizeof(c));
	c.match[0] = IPE_MATCH_RULE;
	c.rule[0] = 7;
	struct ipe_decision d;
	ipe_compiled_decision(p, &c, 0, &d);
	assert_null(d.rule);
	assert_int_equal(d.match, IPE_MATCH_GLOBAL);
	ipe_policy_put(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compiled_matches_kernel),
		cmocka_unit_test(test_fsverity_refused),
		cmocka_unit_test(test_stale_rule_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
