/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A context: a namespace of devices, made and freed here (freeing removes
 * its devices first), with the per-context state layers above keep in its
 * slots and the directory its devices appear under. The callbacks a program
 * sets are set beside what calls them: events.c, lifecycle.c, blockdev.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/core.h"

struct udm_ctx *udm_ctx_create(void)
{
	struct udm_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_mutex_init(&ctx->slot_lock, NULL);
	pthread_cond_init(&ctx->holders_cond, NULL);
	atomic_init(&ctx->next_table_id, 1);
	return ctx;
}

void *udm_ctx_slot_get(struct udm_ctx *ctx, const struct udm_ctx_slot *slot)
{
	void *data = NULL;
	pthread_mutex_lock(&ctx->slot_lock);
	for (size_t i = 0; i < UDM_CTX_SLOTS; i++) {
		struct udm_ctx_slot_entry *e = &ctx->slots[i];
		if (e->slot == slot) {
			data = e->data;
			break;
		}
		if (!e->slot) {
			if ((data = slot->create())) {
				e->slot = slot;
				e->data = data;
			}
			break;
		}
	}
	pthread_mutex_unlock(&ctx->slot_lock);
	return data;
}

struct udm_ctx *udm_target_ctx(const struct udm_target *ti)
{
	return ti->table->md->ctx;
}

int udm_ctx_set_mapper_dir(struct udm_ctx *ctx, const char *dir)
{
	if (strlen(dir) >= sizeof(ctx->mapper_dir))
		return -ENAMETOOLONG;
	strcpy(ctx->mapper_dir, dir);
	return 0;
}

void udm_ctx_free(struct udm_ctx *ctx)
{
	if (!ctx)
		return;
	/* Upper devices first: each removal frees the opens it held on lower ones.
	 * Devices a caller left open are leaked rather than freed under it. */
	udm_remove_all(ctx, 0);
	if (ctx->devices)
		return;
	for (size_t i = 0; i < UDM_CTX_SLOTS && ctx->slots[i].slot; i++)
		ctx->slots[i].slot->destroy(ctx->slots[i].data);
	pthread_mutex_destroy(&ctx->slot_lock);
	pthread_mutex_destroy(&ctx->lock);
	pthread_cond_destroy(&ctx->holders_cond);
	free(ctx);
}
