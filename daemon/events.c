/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udmd's events (events.h): the subscribers, and the callbacks of the udm
 * core and of the IPE store that feed them. A leaf: it calls no other part
 * of udmd. */
#include <errno.h>
#include <stddef.h>
#include "daemon/events.h"
#include "udm/udm.h"

#define MAX_SUBSCRIBERS 16

static udmd_event_fn subscribers[MAX_SUBSCRIBERS];
static size_t n_subscribers;

int udmd_subscribe(udmd_event_fn fn)
{
	if (n_subscribers == MAX_SUBSCRIBERS)
		return -ENOSPC;
	subscribers[n_subscribers++] = fn;
	return 0;
}

int udmd_publish(struct udmd *d, const struct udmd_event *ev)
{
	for (size_t i = 0; i < n_subscribers; i++) {
		int r = subscribers[i](d, ev);
		if (r)
			return r;
	}
	return 0;
}

int udmd_dev_removing(struct udmd *d, const char *name, bool force, struct udmd_out *out)
{
	struct udmd_event ev = { .kind = UDMD_EV_REMOVING, .name = name, .force = force, .out = out };
	return udmd_publish(d, &ev);
}

void udmd_events_core(void *arg, const struct udm_event *ce)
{
	static const enum udmd_event_kind kinds[] = {
		[UDM_EVENT_RESUMED] = UDMD_EV_RESUMED,
		[UDM_EVENT_RENAMED] = UDMD_EV_RENAMED,
		[UDM_EVENT_REMOVED] = UDMD_EV_REMOVED,
		[UDM_EVENT_REMOVE_REFUSED] = UDMD_EV_REMOVE_REFUSED,
		[UDM_EVENT_DEFERRED_CANCELLED] = UDMD_EV_DEFERRED_CANCELLED,
	};
	if ((size_t)ce->kind >= sizeof(kinds) / sizeof(kinds[0]))
		return;
	struct udmd_event ev = { .kind = kinds[ce->kind], .name = ce->name, .old_name = ce->old_name,
				 .dev = ce->dev, .swapped = ce->swapped };
	udmd_publish(arg, &ev);
}

void udmd_events_policy_changed(void *arg)
{
	struct udmd_event ev = { .kind = UDMD_EV_POLICY_CHANGED };
	udmd_publish(arg, &ev);
}
