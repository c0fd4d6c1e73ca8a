/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Events inside udmd: what the udm core's callbacks (device lifecycle) and
 * the IPE store's (policy) report, and what udmd's own parts announce (a
 * device about to be removed, an export withdrawn), handed to every part that
 * subscribed. The parts follow the devices and the policy without calling
 * each other and without looking at command numbers: the loop devices and
 * the FUSE export follow a table swap, the device links follow resumes,
 * renames and removals, the enforcer follows the policy; none of them knows
 * the others, nor which command or file write made the change.
 * Subscriptions are made at start, before the control socket serves anything;
 * events come on the thread that made the change, in subscription order, with
 * no lock of the core held. */
#ifndef UDMD_EVENTS_H
#define UDMD_EVENTS_H
#include <stdbool.h>
#include <sys/types.h>

struct udmd;
struct udmd_out;
struct udm_event;

enum udmd_event_kind {
	/* from the core (udm_ctx_set_event_callback) */
	UDMD_EV_RESUMED,            /* a live table runs, not suspended; swapped: a new one (another size?) */
	UDMD_EV_RENAMED,            /* name: the new name, old_name: the previous one */
	UDMD_EV_REMOVED,
	UDMD_EV_REMOVE_REFUSED,     /* a removal found it open: it is still there */
	UDMD_EV_DEFERRED_CANCELLED,
	/* from udmd's own parts */
	UDMD_EV_REMOVING,           /* about to be removed (name NULL: every device); may be refused */
	UDMD_EV_EXPORT_WITHDRAWN,   /* the loop device of dev was detached */
	/* from the IPE store (ipe_store_opts.changed) */
	UDMD_EV_POLICY_CHANGED,     /* the active IPE policy, enforce or success_audit changed */
};

struct udmd_event {
	enum udmd_event_kind kind;
	const char *name;           /* the device's name now (NULL for the policy) */
	const char *old_name;       /* RENAMED */
	dev_t dev;                  /* the udm device object */
	bool swapped;               /* RESUMED */
	bool force;                 /* REMOVING: let go even of what is in use (deferred, forced) */
	struct udmd_out *out;       /* REMOVING: where a refusal says why (may be NULL) */
};

/* Returns 0, or -errno to refuse (only REMOVING may be refused). */
typedef int (*udmd_event_fn)(struct udmd *d, const struct udmd_event *ev);

/* 0, or -ENOSPC (a fixed table: a handful of subscribers). */
int udmd_subscribe(udmd_event_fn fn);
/* Every subscriber, in order; the first refusal stops there and is returned. */
int udmd_publish(struct udmd *d, const struct udmd_event *ev);

/* A command is about to remove device name (NULL: every device): what holds
 * it for udmd's own sake (a device link's loop device) lets go. 0, or -errno
 * (-EBUSY: in use; then nothing was removed, out says why). */
int udmd_dev_removing(struct udmd *d, const char *name, bool force, struct udmd_out *out);

/* The udm core's event callback (udm_ctx_set_event_callback; arg: the udmd). */
void udmd_events_core(void *arg, const struct udm_event *ev);
/* The IPE store's change callback (ipe_store_opts.changed; arg: the udmd). */
void udmd_events_policy_changed(void *arg);
#endif
