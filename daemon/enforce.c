/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The chooser of udmd's enforcement backend and the interface the rest of
 * udmd calls (enforce.h): the only file that knows which backends there are.
 * Each call goes to the backend picked at start through its enforcer_ops. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "daemon/enforce.h"
#include "daemon/events.h"
#include "daemon/udmd.h"
#include "ipe/ipe.h"

/* --enforcer=auto tries them in this order; the last one is the fallback. */
static const struct enforcer_ops *const backends[] = { &udmd_enforcer_bpf, &udmd_enforcer_fanotify };
#define N_BACKENDS (sizeof(backends) / sizeof(backends[0]))

/* The enforcer follows the policy (events.h): whatever changed it, a
 * control command or a write to RUNTIME/ipe. */
static int policy_event(struct udmd *d, const struct udmd_event *ev)
{
	if (ev->kind == UDMD_EV_POLICY_CHANGED)
		udmd_enforce_sync(d);
	return 0;
}

static void observed(void *arg, const struct udmd_binding *b, bool added)
{
	struct udmd *d = arg;
	d->enforcer->device(d->enforcer_state, b, added);
}

static void ublk_observed(void *arg, int id, bool held)
{
	struct udmd *d = arg;
	d->enforcer->ublk(d->enforcer_state, id, held);
}

bool udmd_enforce_known(const char *name, char *names, size_t len)
{
	size_t used = 0;
	bool known = strcmp(name, "auto") == 0;
	for (size_t i = 0; i < N_BACKENDS; i++) {
		if (used < len)
			used += (size_t)snprintf(names + used, len - used, "%s, ", backends[i]->name);
		known |= strcmp(name, backends[i]->name) == 0;
	}
	if (used >= 2 && used < len) {
		used -= 2;   /* "a, b, " -> "a, b or auto" */
		snprintf(names + used, len - used, " or auto");
	}
	return known;
}

int udmd_enforce_select(struct udmd *d, char *err, size_t errlen)
{
	const char *want = d->cfg.enforcer && strcmp(d->cfg.enforcer, "auto") ? d->cfg.enforcer : NULL;
	if (udmd_subscribe(policy_event)) {
		snprintf(err, errlen, "too many event subscribers");
		return -ENOSPC;
	}
	for (size_t i = 0; i < N_BACKENDS; i++) {
		const struct enforcer_ops *o = backends[i];
		bool last = i + 1 == N_BACKENDS;
		if (want && strcmp(o->name, want) != 0)
			continue;
		struct enforcer_refusal ref = { .final = false };
		if (!want && !last && o->available &&
		    !o->available(ref.why, sizeof(ref.why))) {
			udmd_log("enforcer: %s, using %s", ref.why, backends[i + 1]->name);
			continue;
		}
		void *state = NULL;
		int r = o->start(d, &state, &ref);
		if (r == 0) {
			d->enforcer_state = state;
			d->enforcer = o;
			/* the backend follows which loop device serves which udm device */
			if (o->device)
				udmd_binding_observe(d, observed, d);
			/* and which ublk devices are udmd's */
			if (o->ublk)
				udmd_ublk_observe(d, ublk_observed, d);
			return 0;
		}
		if (want || last || ref.final) {
			snprintf(err, errlen, "%s", ref.err);
			return r;
		}
		udmd_log("enforcer: %s unavailable (%s), using %s", o->name, ref.why, backends[i + 1]->name);
	}
	snprintf(err, errlen, "--enforcer: no such backend");
	return -EINVAL;
}

/* Outside the backend's lock: the observer runs under the identity lock and
 * takes it. */
static void stop_observing(struct udmd *d)
{
	if (d->enforcer && d->enforcer->device && d->identity)
		udmd_binding_observe(d, NULL, NULL);
	if (d->enforcer && d->enforcer->ublk && d->identity)
		udmd_ublk_observe(d, NULL, NULL);
}

void udmd_enforce_stop(struct udmd *d)
{
	if (!d->enforcer)
		return;
	stop_observing(d);
	d->enforcer->stop(d->enforcer_state);
}

void udmd_enforce_free(struct udmd *d)
{
	if (!d->enforcer)
		return;
	d->enforcer->free(d->enforcer_state);
	d->enforcer = NULL;
	d->enforcer_state = NULL;
}

int udmd_enforce_detach(struct udmd *d, struct udmd_out *out)
{
	if (!d->enforcer) {
		udmd_printf(out, "no enforcement is running\n");
		return 0;
	}
	stop_observing(d);
	return d->enforcer->detach(d->enforcer_state, out);
}

int udmd_enforce_handover(struct udmd *d, pid_t successor, int sock)
{
	if (!d->enforcer)
		return 0;
	stop_observing(d);
	return d->enforcer->handover ? d->enforcer->handover(d->enforcer_state, successor, sock) : 0;
}

const char *udmd_enforce_handed_over(struct udmd *d)
{
	const struct enforcer_ops *o = d->enforcer;
	return o && o->handover && o->running(d->enforcer_state) ? o->name : "none";
}

bool udmd_enforcing(struct udmd *d)
{
	bool on = d->enforcer && d->enforcer->running(d->enforcer_state);
	struct ipe_policy *pol = on && d->ipe ? ipe_store_get_active(d->ipe) : NULL;
	if (pol)
		ipe_policy_put(pol);
	return pol != NULL;
}

void udmd_enforce_status(struct udmd *d, struct udmd_out *out)
{
	if (d->enforcer)
		d->enforcer->status(d->enforcer_state, out);
}

const char *udmd_enforce_counts(struct udmd *d, unsigned long long *denied, unsigned long long *allowed)
{
	*denied = *allowed = 0;
	if (!d->enforcer)
		return "";
	d->enforcer->counts(d->enforcer_state, denied, allowed);
	return d->enforcer->counts_note;
}

void udmd_enforce_sync(struct udmd *d)
{
	if (d->enforcer && d->enforcer->policy_changed)
		d->enforcer->policy_changed(d->enforcer_state);
}

int udmd_enforce_check_policy(struct udmd *d, const struct ipe_policy *pol, char *reason, size_t rsize)
{
	if (!d->enforcer || !d->enforcer->check_policy)
		return 0;
	return d->enforcer->check_policy(d->enforcer_state, pol, reason, rsize);
}

void udmd_enforce_integrity(void *arg, dev_t udm_dev, const struct udm_integrity *blob)
{
	struct udmd *d = arg;
	if (d->enforcer && d->enforcer->integrity)
		d->enforcer->integrity(d->enforcer_state, udm_dev, blob);
}

void udmd_dev_integrity(struct udmd *d, dev_t st_dev, struct udm_integrity *blob)
{
	if (udmd_identity_integrity(d, st_dev, false, blob) == -ENODEV && d->enforcer && d->enforcer->props)
		d->enforcer->props(d->enforcer_state, st_dev, blob);
}

int udmd_watch_add(struct udmd *d, const char *path, bool wait)
{
	return d->enforcer ? d->enforcer->watch_add(d->enforcer_state, path, wait) : -ENODEV;
}

int udmd_watch_remove(struct udmd *d, const char *path)
{
	return d->enforcer ? d->enforcer->watch_remove(d->enforcer_state, path) : -ENOENT;
}

char *udmd_watch_list(struct udmd *d)
{
	return d->enforcer ? d->enforcer->watch_list(d->enforcer_state) : NULL;
}
