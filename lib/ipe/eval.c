/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPE evaluation: property semantics, the kernel's linear first-match walk,
 * and the rule text the access record shows for a decision. */
#include <stdio.h>
#include <string.h>
#include "ipe/ipe.h"

/* ipe_digest_eval: length, algorithm name (case-sensitive) and bytes. */
static bool digest_eq(const struct ipe_digest *want, const char *alg,
		      const uint8_t *bytes, size_t len)
{
	return want->len == len && alg && strcmp(want->alg, alg) == 0 &&
	       memcmp(want->bytes, bytes, len) == 0;
}

/* The kernel code (not its documentation): with no file, every =FALSE
 * property is true; a compiled-out provider makes TRUE and FALSE both false. */
bool ipe_prop_eval(const struct ipe_prop *p, const struct ipe_eval_ctx *c)
{
	bool dmv = c->has_file && c->dmv_present;
	bool fsv = c->has_file && c->fsv_present;

	switch (p->type) {
	case IPE_PROP_BOOT_VERIFIED_FALSE:
		return !(c->has_file && c->boot_verified);
	case IPE_PROP_BOOT_VERIFIED_TRUE:
		return c->has_file && c->boot_verified;
	case IPE_PROP_DMV_ROOTHASH:
		return !(c->disabled & IPE_NO_DMV) && dmv &&
		       digest_eq(&p->digest, c->dmv_alg, c->dmv_digest, c->dmv_digest_len);
	case IPE_PROP_DMV_SIG_FALSE:
		return !(c->disabled & IPE_NO_DMV_SIG) && !(dmv && c->dmv_signed);
	case IPE_PROP_DMV_SIG_TRUE:
		return !(c->disabled & IPE_NO_DMV_SIG) && dmv && c->dmv_signed;
	case IPE_PROP_FSV_DIGEST:
		return !(c->disabled & IPE_NO_FSV) && fsv &&
		       digest_eq(&p->digest, c->fsv_alg, c->fsv_digest, c->fsv_digest_len);
	case IPE_PROP_FSV_SIG_FALSE:
		return !(c->disabled & IPE_NO_FSV_SIG) && !(fsv && c->fsv_signed);
	case IPE_PROP_FSV_SIG_TRUE:
		return !(c->disabled & IPE_NO_FSV_SIG) && fsv && c->fsv_signed;
	}
	return false;
}

static bool rule_matches(const struct ipe_rule *r, const struct ipe_eval_ctx *c)
{
	for (size_t i = 0; i < r->nprops; i++)
		if (!ipe_prop_eval(&r->props[i], c))
			return false;
	return true;
}

void ipe_eval_linear(const struct ipe_policy *pol, const struct ipe_eval_ctx *ctx,
		     struct ipe_decision *d)
{
	d->op = ctx->op;
	d->rule = NULL;
	if (!pol) {
		d->action = IPE_ACTION_ALLOW;
		d->match = IPE_MATCH_NONE;
		return;
	}
	d->match = IPE_MATCH_GLOBAL;
	if ((unsigned)ctx->op >= IPE_OP_COUNT) {
		/* the kernel WARNs and allows when there is no global default */
		d->op = IPE_OP_INVALID;
		d->action = pol->global_default == IPE_ACTION_DENY ? IPE_ACTION_DENY : IPE_ACTION_ALLOW;
		return;
	}
	const struct ipe_op_table *t = &pol->ops[ctx->op];
	for (size_t i = 0; i < t->nrules; i++)
		if (rule_matches(&t->rules[i], ctx)) {
			d->match = IPE_MATCH_RULE;
			d->rule = &t->rules[i];
			d->action = d->rule->action;
			return;
		}
	if (t->default_action != IPE_ACTION_UNSET) {
		d->match = IPE_MATCH_TABLE;
		d->action = t->default_action;
	} else {
		d->action = pol->global_default;
	}
}

#include "ipe/sbuf.h"

static const char *const prop_text[] = {
	"boot_verified=FALSE", "boot_verified=TRUE", "dmverity_roothash=",
	"dmverity_signature=FALSE", "dmverity_signature=TRUE", "fsverity_digest=",
	"fsverity_signature=FALSE", "fsverity_signature=TRUE",
};

static void sb_decision(struct sbuf *b, const struct ipe_decision *d)
{
	const char *act = d->action == IPE_ACTION_DENY ? "DENY" : "ALLOW";

	if (d->match == IPE_MATCH_RULE) {
		sb_str(b, "rule=\"op=");
		sb_str(b, ipe_op_name(d->rule->op));
		sb_put(b, " ", 1);
		for (size_t i = 0; i < d->rule->nprops; i++) {
			const struct ipe_prop *p = &d->rule->props[i];
			sb_str(b, prop_text[p->type]);
			if (p->type == IPE_PROP_DMV_ROOTHASH || p->type == IPE_PROP_FSV_DIGEST) {
				sb_untrusted(b, p->digest.alg);
				sb_put(b, ":", 1);
				sb_hex(b, p->digest.bytes, p->digest.len);
			}
			sb_put(b, " ", 1);
		}
		sb_str(b, "action=");
	} else if (d->match == IPE_MATCH_TABLE) {
		sb_str(b, "rule=\"DEFAULT op=");
		sb_str(b, ipe_op_name(d->op));
		sb_str(b, " action=");
	} else {
		sb_str(b, "rule=\"DEFAULT action=");
	}
	sb_str(b, act);
	sb_put(b, "\"", 1);
}

size_t ipe_decision_format(const struct ipe_decision *d, char *buf, size_t size)
{
	struct sbuf b = { buf, size, 0 };
	if (size)
		buf[0] = '\0';
	sb_decision(&b, d);
	return b.len;
}
