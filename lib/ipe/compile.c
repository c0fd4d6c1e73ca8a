/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A policy compiled for one set of file properties: the first-match decision
 * of every op, which an in-kernel enforcer then only has to look up. */
#include <errno.h>
#include <stdio.h>
#include "ipe/ipe.h"

void ipe_compile(const struct ipe_policy *pol, const struct ipe_eval_ctx *props,
		 struct ipe_compiled *out)
{
	for (unsigned op = 0; op < IPE_COMPILED_OPS; op++) {
		struct ipe_eval_ctx c = *props;
		struct ipe_decision d;
		c.op = op < IPE_OP_COUNT ? (enum ipe_op)op : IPE_OP_INVALID;
		ipe_eval(pol, &c, &d);
		out->action[op] = d.action == IPE_ACTION_DENY ? IPE_ACTION_DENY : IPE_ACTION_ALLOW;
		out->match[op] = (uint8_t)d.match;
		out->rule[op] = d.rule ? (uint32_t)(d.rule - pol->ops[op].rules) : 0;
	}
}

void ipe_compiled_decision(const struct ipe_policy *pol, const struct ipe_compiled *c,
			   unsigned op, struct ipe_decision *d)
{
	if (op >= IPE_COMPILED_OPS)
		op = IPE_COMPILED_OPS - 1;
	d->op = op < IPE_OP_COUNT ? (enum ipe_op)op : IPE_OP_INVALID;
	d->action = c->action[op] == IPE_ACTION_DENY ? IPE_ACTION_DENY : IPE_ACTION_ALLOW;
	d->match = (enum ipe_match)c->match[op];
	d->rule = NULL;
	if (!pol) {
		d->match = IPE_MATCH_NONE;
	} else if (d->match == IPE_MATCH_RULE) {
		if (op < IPE_OP_COUNT && c->rule[op] < pol->ops[op].nrules)
			d->rule = &pol->ops[op].rules[c->rule[op]];
		else   /* a rule index the policy does not have: say so, never guess */
			d->match = IPE_MATCH_GLOBAL;
	}
}

int ipe_policy_check_compilable_fsv(const struct ipe_policy *pol, bool fsv_digest_ok, char *reason,
				    size_t rsize)
{
	for (unsigned op = 0; pol && op < IPE_OP_COUNT; op++)
		for (size_t i = 0; i < pol->ops[op].nrules; i++) {
			const struct ipe_rule *r = &pol->ops[op].rules[i];
			for (size_t k = 0; k < r->nprops; k++) {
				enum ipe_prop_type t = r->props[k].type;
				if (t == IPE_PROP_FSV_SIG_FALSE || t == IPE_PROP_FSV_SIG_TRUE) {
					/* the built-in signature state has no kfunc */
					if (reason)
						snprintf(reason, rsize,
							 "policy line %u uses fsverity_signature, an fs-verity property the BPF enforcer cannot read (no kernel function gives a file's signature state)",
							 r->line);
					return -EOPNOTSUPP;
				}
				if (t == IPE_PROP_FSV_DIGEST && !fsv_digest_ok) {
					if (reason)
						snprintf(reason, rsize,
							 "policy line %u uses fsverity_digest, an fs-verity property the BPF enforcer cannot read on this kernel (no bpf_get_fsverity_digest kfunc: Linux 6.8 or later)",
							 r->line);
					return -EOPNOTSUPP;
				}
			}
		}
	return 0;
}

int ipe_policy_check_compilable(const struct ipe_policy *pol, char *reason, size_t rsize)
{
	return ipe_policy_check_compilable_fsv(pol, false, reason, rsize);
}
