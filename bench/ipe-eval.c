/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IPE decision cost against policy size: the kernel's linear first-match scan
 * and udm's index, on policies of N dmverity_roothash rules (the shape of a
 * fleet allow-list), half the events hitting a random rule, half missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ipe/ipe.h"
#include "udm/udm.h"

#define NEVENTS 1024

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per decision over at least iters decisions */
static double run(const struct ipe_policy *p, const struct ipe_eval_ctx *ev, long iters, bool linear,
		  unsigned long *allows)
{
	struct ipe_decision d;
	unsigned long a = 0;
	double t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		if (linear)
			ipe_eval_linear(p, &ev[i % NEVENTS], &d);
		else
			ipe_eval(p, &ev[i % NEVENTS], &d);
		a += d.action == IPE_ACTION_ALLOW;
	}
	double t = now_ns() - t0;
	*allows = a;
	return t / (double)iters;
}

int main(void)
{
	static const int sizes[] = { 10, 100, 1000, 10000, 100000 };
	static uint8_t digests[NEVENTS][32];
	static struct ipe_eval_ctx ev[NEVENTS];

	printf("IPE decision cost, op=EXECUTE, N dmverity_roothash rules + DEFAULT action=DENY\n");
	printf("%8s %10s %16s %16s %10s\n", "rules", "parse ms", "linear ns/dec", "indexed ns/dec", "ratio");
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int n = sizes[k];
		size_t cap = (size_t)n * 120 + 256, o = 0;
		char *text = malloc(cap);
		uint8_t (*rules)[32] = malloc((size_t)n * 32);
		o += (size_t)snprintf(text, cap, "policy_name=bench policy_version=1.0.0\nDEFAULT action=DENY\n");
		for (int r = 0; r < n; r++) {
			o += (size_t)snprintf(text + o, cap - o, "op=EXECUTE dmverity_roothash=sha256:");
			for (int b = 0; b < 32; b++) {
				rules[r][b] = (uint8_t)next();
				o += (size_t)snprintf(text + o, cap - o, "%02x", rules[r][b]);
			}
			o += (size_t)snprintf(text + o, cap - o, " action=ALLOW\n");
		}
		struct ipe_policy *p;
		struct ipe_parse_error pe;
		double t0 = now_ns();
		if (ipe_policy_parse(text, o, &p, &pe) < 0) {
			fprintf(stderr, "ipe-eval: parse: %s line %u: %s\n", udm_errno_name(pe.err), pe.line, pe.reason);
			return 1;
		}
		double parse_ms = (now_ns() - t0) / 1e6;
		for (int e = 0; e < NEVENTS; e++) {
			if (e % 2)
				memcpy(digests[e], rules[next() % (uint64_t)n], 32);
			else
				for (int b = 0; b < 32; b++)
					digests[e][b] = (uint8_t)next();
			ev[e] = (struct ipe_eval_ctx){ .op = IPE_OP_EXECUTE, .has_file = true, .dmv_present = true,
						       .dmv_alg = "sha256", .dmv_digest = digests[e],
						       .dmv_digest_len = 32 };
		}
		/* a budget of about 0.2 s of linear scanning per size */
		long lin_iters = 40000000L / n < 2000 ? 2000 : 40000000L / n;
		unsigned long al, ai;
		double lin = run(p, ev, lin_iters, true, &al);
		double idx = run(p, ev, 4000000L, false, &ai);
		/* same decisions: the allow count over whole passes of the event set */
		unsigned long al2, ai2;
		run(p, ev, NEVENTS, true, &al2);
		run(p, ev, NEVENTS, false, &ai2);
		if (al2 != ai2 || al2 != NEVENTS / 2) {
			fprintf(stderr, "ipe-eval: index and linear disagree (%lu vs %lu allows)\n", al2, ai2);
			return 1;
		}
		printf("%8d %10.2f %16.1f %16.1f %9.0fx\n", n, parse_ms, lin, idx, lin / idx);
		ipe_policy_put(p);
		free(rules);
		free(text);
	}
	return 0;
}
