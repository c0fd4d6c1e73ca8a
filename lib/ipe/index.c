/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPE evaluation index: the linear scan's first-match result in O(1) for
 * policies made mostly of single-digest rules (one rule per root hash or per
 * fs-verity file digest, the common shape of large policies).
 *
 * Per op, rules whose only property is one dmverity_roothash or one
 * fsverity_digest go into a hash table keyed by (property, alg, digest) that
 * keeps the smallest rule index for each key; every other rule stays in an
 * ordered list. A decision looks up the event's root hash and file digest
 * (at most two probes), then walks the other rules only while their index is
 * below the best hit: the first rule in file order that matches, exactly as
 * the linear scan finds it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ipe/ipe.h"

struct slot {
	uint64_t hash;
	uint32_t rule;		/* rule index + 1; 0 = empty */
};

struct op_index {
	uint32_t *others;	/* ascending indices of rules not in the table */
	size_t nothers;
	struct slot *slots;
	size_t mask;		/* slots - 1; 0 with slots NULL when nothing is indexed */
};

struct ipe_index {
	struct op_index op[IPE_OP_COUNT];
};

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t key_hash(enum ipe_prop_type type, const char *alg, const uint8_t *p, size_t n)
{
	const uint64_t k = 0x9E3779B97F4A7C15ULL;
	uint64_t h = (uint64_t)type * k ^ n;

	for (; *alg; alg++)
		h = (h ^ (unsigned char)*alg) * 0x100000001B3ULL;
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = rotl((h ^ w) * k, 29);
	}
	for (; n; n--, p++)
		h = (h ^ *p) * 0x100000001B3ULL;
	h ^= h >> 33;	/* murmur3 finaliser: spread into the low bits we mask */
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static bool indexable(const struct ipe_rule *r)
{
	return r->nprops == 1 && (r->props[0].type == IPE_PROP_DMV_ROOTHASH ||
				  r->props[0].type == IPE_PROP_FSV_DIGEST);
}

static bool same_key(const struct ipe_prop *a, const struct ipe_prop *b)
{
	return a->type == b->type && a->digest.len == b->digest.len &&
	       strcmp(a->digest.alg, b->digest.alg) == 0 &&
	       memcmp(a->digest.bytes, b->digest.bytes, a->digest.len) == 0;
}

static int build_op(const struct ipe_op_table *t, struct op_index *x)
{
	size_t nidx = 0;

	for (size_t i = 0; i < t->nrules; i++)
		nidx += indexable(&t->rules[i]);
	x->others = malloc((t->nrules - nidx + 1) * sizeof(*x->others));
	if (!x->others)
		return -ENOMEM;
	if (nidx) {
		size_t cap = 8;
		while (cap < 2 * nidx)
			cap *= 2;
		if (!(x->slots = calloc(cap, sizeof(*x->slots))))
			return -ENOMEM;
		x->mask = cap - 1;
	}
	for (size_t i = 0; i < t->nrules; i++) {
		const struct ipe_rule *r = &t->rules[i];
		if (!indexable(r)) {
			x->others[x->nothers++] = (uint32_t)i;
			continue;
		}
		const struct ipe_prop *p = &r->props[0];
		uint64_t h = key_hash(p->type, p->digest.alg, p->digest.bytes, p->digest.len);
		size_t s = h & x->mask;
		/* rules go in ascending order: an existing equal key is the earlier rule */
		while (x->slots[s].rule &&
		       !(x->slots[s].hash == h && same_key(&t->rules[x->slots[s].rule - 1].props[0], p)))
			s = (s + 1) & x->mask;
		if (!x->slots[s].rule)
			x->slots[s] = (struct slot){ h, (uint32_t)i + 1 };
	}
	return 0;
}

void ipe_index_free(struct ipe_policy *pol)
{
	if (!pol->ops[0].index)
		return;
	struct ipe_index *ix = pol->ops[0].index;
	for (int op = 0; op < IPE_OP_COUNT; op++) {
		free(ix->op[op].others);
		free(ix->op[op].slots);
		pol->ops[op].index = NULL;
	}
	free(ix);
}

int ipe_index_build(struct ipe_policy *pol)
{
	struct ipe_index *ix = calloc(1, sizeof(*ix));
	if (!ix)
		return -ENOMEM;
	for (int op = 0; op < IPE_OP_COUNT; op++)
		pol->ops[op].index = ix;	/* one allocation, reachable from every table */
	for (int op = 0; op < IPE_OP_COUNT; op++)
		if (build_op(&pol->ops[op], &ix->op[op]) < 0) {
			ipe_index_free(pol);
			return -ENOMEM;
		}
	return 0;
}

/* Smallest index of a table rule matching this (type, alg, digest), or limit. */
static size_t probe(const struct ipe_op_table *t, const struct op_index *x,
		    const struct ipe_eval_ctx *c, enum ipe_prop_type type, const char *alg,
		    const uint8_t *digest, size_t len, size_t limit)
{
	if (!x->slots || !alg || (!digest && len))
		return limit;
	uint64_t h = key_hash(type, alg, digest, len);
	for (size_t s = h & x->mask; x->slots[s].rule; s = (s + 1) & x->mask) {
		const struct ipe_rule *r = &t->rules[x->slots[s].rule - 1];
		if (x->slots[s].hash == h && r->props[0].type == type && ipe_prop_eval(&r->props[0], c))
			return x->slots[s].rule - 1 < limit ? x->slots[s].rule - 1 : limit;
	}
	return limit;
}

void ipe_eval(const struct ipe_policy *pol, const struct ipe_eval_ctx *c, struct ipe_decision *d)
{
	if (!pol || (unsigned)c->op >= IPE_OP_COUNT || !pol->ops[c->op].index) {
		ipe_eval_linear(pol, c, d);
		return;
	}
	const struct ipe_op_table *t = &pol->ops[c->op];
	const struct op_index *x = &pol->ops[c->op].index->op[c->op];
	size_t best = t->nrules;

	if (c->has_file && c->dmv_present && !(c->disabled & IPE_NO_DMV))
		best = probe(t, x, c, IPE_PROP_DMV_ROOTHASH, c->dmv_alg, c->dmv_digest,
			     c->dmv_digest_len, best);
	if (c->has_file && c->fsv_present && !(c->disabled & IPE_NO_FSV))
		best = probe(t, x, c, IPE_PROP_FSV_DIGEST, c->fsv_alg, c->fsv_digest,
			     c->fsv_digest_len, best);
	for (size_t i = 0; i < x->nothers && x->others[i] < best; i++) {
		const struct ipe_rule *r = &t->rules[x->others[i]];
		size_t k = 0;
		while (k < r->nprops && ipe_prop_eval(&r->props[k], c))
			k++;
		if (k == r->nprops) {
			best = x->others[i];
			break;
		}
	}
	d->op = c->op;
	if (best < t->nrules) {
		d->match = IPE_MATCH_RULE;
		d->rule = &t->rules[best];
		d->action = d->rule->action;
		return;
	}
	d->rule = NULL;
	if (t->default_action != IPE_ACTION_UNSET) {
		d->match = IPE_MATCH_TABLE;
		d->action = t->default_action;
	} else {
		d->match = IPE_MATCH_GLOBAL;
		d->action = pol->global_default;
	}
}
