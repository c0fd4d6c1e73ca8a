/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The events the core raises: a device's event counter (what udm_dev_wait
 * waits on), the context's global counter, and the program's callbacks for
 * a table swap and for the lifecycle (udm_ctx_set_swap_callback,
 * udm_ctx_set_event_callback). Calls no other file of the core. */
#include "core/core.h"

void udm_ctx_set_swap_callback(struct udm_ctx *ctx, void (*fn)(void *, const char *, dev_t), void *arg)
{
	ctx->swap_fn = fn;
	ctx->swap_arg = arg;
}

void udm_ctx_set_event_callback(struct udm_ctx *ctx, void (*fn)(void *, const struct udm_event *), void *arg)
{
	ctx->event_fn = fn;
	ctx->event_arg = arg;
}

void udm_ctx_event(struct udm_ctx *ctx, enum udm_event_kind kind, const char *name, const char *old_name,
		   dev_t dev, bool swapped)
{
	if (!ctx->event_fn)
		return;
	struct udm_event ev = { .kind = kind, .name = name, .old_name = old_name, .dev = dev, .swapped = swapped };
	ctx->event_fn(ctx->event_arg, &ev);
}

void udm_ctx_swapped(struct udm_ctx *ctx, const char *name, dev_t dev)
{
	if (ctx->swap_fn)
		ctx->swap_fn(ctx->swap_arg, name, dev);
}

void udm_dev_table_event(struct udm_dev *md)
{
	pthread_mutex_lock(&md->io_lock);
	md->event_nr++;
	pthread_cond_broadcast(&md->event_cond);
	pthread_mutex_unlock(&md->io_lock);
	atomic_fetch_add(&md->ctx->global_event, 1);
}

void udm_dev_live_table_event(struct udm_dev *md)
{
	pthread_mutex_lock(&md->io_lock);
	bool live = md->map != NULL;
	pthread_mutex_unlock(&md->io_lock);
	if (live)
		udm_dev_table_event(md);
}
