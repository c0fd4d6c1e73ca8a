/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The control operations of dm-ioctl.c that make, unmake and rename a
 * device: create, remove (also deferred, at the last close), remove all,
 * rename, with the kernel's errno for every failure. Suspend and resume are
 * lifecycle.c's, the tables table_slots.c's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "core/core.h"
#include "core/lifecycle.h"

int udm_dev_create(struct udm_ctx *ctx, const char *name, const char *uuid, unsigned flags, dev_t dev,
		   struct udm_info *info)
{
	char n[UDM_NAME_LEN], u[UDM_UUID_LEN];
	udm_copy_trunc(n, sizeof(n), name);
	udm_copy_trunc(u, sizeof(u), uuid);
	if (!udm_name_is_valid(n))
		return -EINVAL;
	struct udm_dev *md = calloc(1, sizeof(*md));
	if (!md)
		return -ENXIO;   /* alloc_dev failure surfaces as ENXIO */
	pthread_mutex_lock(&ctx->lock);
	unsigned minor_nr = 0;
	if (flags & UDM_F_PERSISTENT_DEV) {
		minor_nr = minor(dev);
		if (minor_nr >= UDM_MAX_MINOR || udm_dev_find_devt(ctx, makedev(UDM_MAJOR, minor_nr))) {
			pthread_mutex_unlock(&ctx->lock);
			free(md);
			return -ENXIO;
		}
	} else {
		while (minor_nr < UDM_MAX_MINOR && udm_dev_find_devt(ctx, makedev(UDM_MAJOR, minor_nr)))
			minor_nr++;
		if (minor_nr == UDM_MAX_MINOR) {
			pthread_mutex_unlock(&ctx->lock);
			free(md);
			return -ENXIO;
		}
	}
	if (udm_dev_find_name(ctx, n) || (u[0] && udm_dev_find_uuid(ctx, u))) {
		pthread_mutex_unlock(&ctx->lock);
		free(md);
		return -EBUSY;
	}
	md->ctx = ctx;
	strcpy(md->name, n);
	strcpy(md->uuid, u);
	md->dev = makedev(UDM_MAJOR, minor_nr);
	pthread_mutex_init(&md->suspend_lock, NULL);
	pthread_mutex_init(&md->io_lock, NULL);
	pthread_mutex_init(&md->blob_lock, NULL);
	pthread_cond_init(&md->io_cond, NULL);
	pthread_cond_init(&md->event_cond, NULL);
	md->next = ctx->devices;
	ctx->devices = md;
	pthread_mutex_unlock(&ctx->lock);
	atomic_fetch_add(&ctx->global_event, 1);
	udm_dev_fill_info(md, 0, info);
	return 0;
}

static void dev_free(struct udm_dev *md)
{
	pthread_mutex_destroy(&md->suspend_lock);
	pthread_mutex_destroy(&md->io_lock);
	pthread_mutex_destroy(&md->blob_lock);
	pthread_cond_destroy(&md->io_cond);
	pthread_cond_destroy(&md->event_cond);
	free(md);
}

/* Second half of dev_remove once the device is unlinked and marked deleting
 * (caller holds one pin): inactive table first, then presuspend/postsuspend if
 * running (no drain), wait for other holders, unbind and destroy the live table. */
static void dev_destroy(struct udm_dev *md)
{
	struct udm_ctx *ctx = md->ctx;
	udm_dev_drop_inactive(md);

	pthread_mutex_lock(&md->suspend_lock);
	pthread_mutex_lock(&md->io_lock);
	struct udm_table *map = md->map;
	bool was_suspended = md->suspended;
	md->suspended = true;
	pthread_mutex_unlock(&md->io_lock);
	if (!was_suspended) {
		udm_table_presuspend(map);
		udm_table_postsuspend(map);
	}
	pthread_mutex_lock(&md->io_lock);
	md->block_io = true;
	md->freeing = true;             /* queued I/O now fails with ENXIO */
	pthread_cond_broadcast(&md->io_cond);
	pthread_cond_broadcast(&md->event_cond);
	pthread_mutex_unlock(&md->io_lock);
	pthread_mutex_unlock(&md->suspend_lock);

	pthread_mutex_lock(&ctx->lock);
	while (md->holders > 1)
		pthread_cond_wait(&ctx->holders_cond, &ctx->lock);
	pthread_mutex_unlock(&ctx->lock);

	udm_lifecycle_unbind(md);
	dev_free(md);
}

/* dm_lock_for_deletion + __hash_remove, ctx->lock held. */
static int remove_locked(struct udm_ctx *ctx, struct udm_dev *md, unsigned flags)
{
	if (md->deleting)
		return -ENXIO;
	if (md->open_count > 0) {
		if (flags & UDM_F_DEFERRED_REMOVE) {
			md->deferred_remove = true;
			return 1;   /* deferred: reported as success */
		}
		return -EBUSY;
	}
	md->deleting = true;
	md->holders++;
	for (struct udm_dev **pp = &ctx->devices; *pp; pp = &(*pp)->next)
		if (*pp == md) {
			*pp = md->next;
			break;
		}
	return 0;
}

/* After remove_locked, ctx->lock no longer held: the last table event, the
 * destruction, then the program hears of it (name and dev copied before). */
static void remove_unlinked(struct udm_ctx *ctx, struct udm_dev *md, const char *name, dev_t dev)
{
	udm_dev_live_table_event(md);
	atomic_fetch_add(&ctx->global_event, 1);
	dev_destroy(md);
	udm_ctx_event(ctx, UDM_EVENT_REMOVED, name, NULL, dev, false);
}

int udm_dev_remove(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags)
{
	struct udm_dev *md;
	char name[UDM_NAME_LEN] = "";
	dev_t dev = 0;
	pthread_mutex_lock(&ctx->lock);
	int r = udm_dev_find_locked(ctx, id, &md);
	if (!r) {
		r = remove_locked(ctx, md, flags);
		strcpy(name, md->name);
		dev = md->dev;
	}
	pthread_mutex_unlock(&ctx->lock);
	if (r == -EBUSY)
		udm_ctx_event(ctx, UDM_EVENT_REMOVE_REFUSED, name, NULL, dev, false);
	if (r)
		return r > 0 ? 0 : r;
	remove_unlinked(ctx, md, name, dev);
	return 0;
}

/* dm_hash_remove_all(): in name order, skipping open devices, restarting after
 * each removal because removing one may close another. */
static int remove_all(struct udm_ctx *ctx, unsigned flags, bool only_deferred)
{
	int left;
	/* the open devices of the last pass: their removal was refused */
	struct { char name[UDM_NAME_LEN]; dev_t dev; } *busy = NULL;
	for (;;) {
		struct udm_dev *victim = NULL;
		char vname[UDM_NAME_LEN];
		left = 0;
		free(busy);
		busy = NULL;
		pthread_mutex_lock(&ctx->lock);
		size_t n = 0;
		struct udm_dev **v = udm_dev_sorted(ctx, &n);
		if (!v) {
			pthread_mutex_unlock(&ctx->lock);
			return -ENOMEM;
		}
		if (!only_deferred)
			busy = calloc(n ? n : 1, sizeof(*busy));
		for (size_t i = 0; i < n; i++) {
			struct udm_dev *md = v[i];
			if (md->deleting || (only_deferred && !md->deferred_remove))
				continue;
			if (md->open_count > 0) {
				if (flags & UDM_F_DEFERRED_REMOVE)
					md->deferred_remove = true;
				if (busy) {
					strcpy(busy[left].name, md->name);
					busy[left].dev = md->dev;
				}
				left++;
				continue;
			}
			if (remove_locked(ctx, md, 0) == 0) {
				victim = md;
				strcpy(vname, md->name);
				break;
			}
		}
		free(v);
		pthread_mutex_unlock(&ctx->lock);
		if (!victim)
			break;
		remove_unlinked(ctx, victim, vname, victim->dev);
	}
	for (int i = 0; busy && i < left; i++)
		udm_ctx_event(ctx, UDM_EVENT_REMOVE_REFUSED, busy[i].name, NULL, busy[i].dev, false);
	free(busy);
	return left;
}

int udm_remove_all(struct udm_ctx *ctx, unsigned flags)
{
	return remove_all(ctx, flags, false);
}

/* dm_blk_close: the last close runs a deferred removal. */
void udm_dev_close(struct udm_dev *md)
{
	struct udm_ctx *ctx = md->ctx;
	pthread_mutex_lock(&ctx->lock);
	bool run_deferred = --md->open_count == 0 && md->deferred_remove;
	pthread_mutex_unlock(&ctx->lock);
	if (run_deferred)
		remove_all(ctx, 0, true);
}

int udm_dev_rename(struct udm_ctx *ctx, const char *name, const char *newval, unsigned flags,
		   struct udm_info *info)
{
	bool set_uuid = flags & UDM_F_UUID;
	size_t max = set_uuid ? UDM_UUID_LEN - 1 : UDM_NAME_LEN - 1;
	if (!newval || !*newval || strlen(newval) > max)
		return -EINVAL;
	if (!set_uuid && !udm_name_is_valid(newval))
		return -EINVAL;
	char n[UDM_NAME_LEN];
	udm_copy_trunc(n, sizeof(n), name);
	pthread_mutex_lock(&ctx->lock);
	struct udm_dev *md;
	int r = 0;
	if (set_uuid ? udm_dev_find_uuid(ctx, newval) != NULL : udm_dev_find_name(ctx, newval) != NULL)
		r = -EBUSY;
	else if (!n[0] || !(md = udm_dev_find_name(ctx, n)) || md->deleting)
		r = -ENXIO;
	else if (set_uuid && md->uuid[0])
		r = -EINVAL;
	char newname[UDM_NAME_LEN] = "";
	if (!r) {
		strcpy(set_uuid ? md->uuid : md->name, newval);
		strcpy(newname, md->name);
		md->holders++;
	}
	pthread_mutex_unlock(&ctx->lock);
	if (r)
		return r;
	udm_dev_live_table_event(md);
	atomic_fetch_add(&ctx->global_event, 1);
	udm_dev_fill_info(md, 0, info);
	if (!set_uuid)
		udm_ctx_event(ctx, UDM_EVENT_RENAMED, newname, n, md->dev, false);
	udm_dev_unpin(md);
	return 0;
}
