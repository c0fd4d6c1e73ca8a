/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: IPE policy text -> ipe_policy_parse -> evaluate a fixed set
 * of contexts for every operation, plus contexts carrying the digests the policy
 * names, through both the index (ipe_eval) and the kernel's linear walk
 * (ipe_eval_linear): any disagreement aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ipe/ipe.h"

static void compare(const struct ipe_policy *pol, const struct ipe_eval_ctx *c)
{
	struct ipe_decision a, b;
	ipe_eval(pol, c, &a);
	ipe_eval_linear(pol, c, &b);
	if (a.action != b.action || a.match != b.match || a.op != b.op || a.rule != b.rule)
		abort();
	if (a.action != IPE_ACTION_ALLOW && a.action != IPE_ACTION_DENY)
		abort();
	char buf[512];
	size_t need = ipe_decision_format(&a, buf, sizeof(buf));
	if (need < sizeof(buf) && strlen(buf) != need)
		abort();
	struct ipe_audit_subject s = { .pid = 1, .comm = "fuzz", .has_file = c->has_file, .path = "/x",
				       .has_inode = c->has_file, .dev = "loop0", .ino = 2 };
	(void)ipe_audit_access(buf, sizeof(buf), &a, c->hook, true, &s);
}

/* Every op, hook and boolean state, with the digest (if any) given. */
static void eval_all(const struct ipe_policy *pol, const struct ipe_digest *dmv, const struct ipe_digest *fsv,
		     unsigned salt)
{
	for (unsigned op = 0; op <= IPE_OP_INVALID; op++) {
		for (unsigned bits = 0; bits < 16; bits++) {
			unsigned v = bits ^ salt;
			struct ipe_eval_ctx c = { .op = (enum ipe_op)op, .hook = (enum ipe_hook)(v % 6) };
			c.has_file = !(v & 1);
			c.boot_verified = v & 2;
			if (dmv) {
				c.dmv_present = true;
				c.dmv_alg = dmv->alg;
				c.dmv_digest = dmv->bytes;
				c.dmv_digest_len = dmv->len;
				c.dmv_signed = v & 4;
			}
			if (fsv) {
				c.fsv_present = true;
				c.fsv_alg = fsv->alg;
				c.fsv_digest = fsv->bytes;
				c.fsv_digest_len = fsv->len;
				c.fsv_signed = v & 8;
			}
			c.disabled = (v >> 4) & 15;
			compare(pol, &c);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	struct ipe_policy *pol;
	struct ipe_parse_error perr;
	int r = ipe_policy_parse((const char *)data, size, &pol, &perr);
	if (r) {
		if (r != -perr.err || perr.reason[0] == '\0')
			abort();
		return 0;
	}
	static const uint8_t zeros[64];
	struct ipe_digest none = { .alg = "sha256", .bytes = (uint8_t *)zeros, .len = 32 };
	eval_all(pol, NULL, NULL, 0);
	eval_all(pol, &none, &none, 5);
	/* contexts that match each digest the policy names (the index's hash lookups) */
	unsigned budget = 32;
	for (unsigned op = 0; op < IPE_OP_COUNT && budget; op++) {
		const struct ipe_op_table *t = &pol->ops[op];
		for (size_t i = 0; i < t->nrules && budget; i++)
			for (size_t k = 0; k < t->rules[i].nprops && budget; k++) {
				const struct ipe_prop *p = &t->rules[i].props[k];
				if (p->type == IPE_PROP_DMV_ROOTHASH || p->type == IPE_PROP_FSV_DIGEST) {
					budget--;
					eval_all(pol, &p->digest, &p->digest, (unsigned)(i + k));
					eval_all(pol, &p->digest, NULL, 3);
				}
			}
	}
	char rec[1024];
	(void)ipe_audit_policy_load(rec, sizeof(rec), pol, 0, IPE_AUID_UNSET, 0, false);
	ipe_policy_put(pol);
	return 0;
}
