/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Suspend and resume in the kernel's hook order (dm.c: __dm_suspend,
 * dm_swap_table/__bind, __dm_resume), and the integrity blob, which a target
 * stages from preresume and the core publishes only when its table goes live
 * (to the program's integrity callback; udm_dev_get_integrity reads it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/lifecycle.h"

static const struct udm_integrity no_integrity;

void udm_ctx_set_integrity_callback(struct udm_ctx *ctx,
				     void (*fn)(void *, dev_t, const struct udm_integrity *), void *arg)
{
	ctx->integrity_fn = fn;
	ctx->integrity_arg = arg;
}

/* Tell the context's observer what md->blob is now. blob_lock held. */
static void blob_changed(struct udm_dev *md)
{
	if (md->ctx->integrity_fn)
		md->ctx->integrity_fn(md->ctx->integrity_arg, md->dev, &md->blob);
}

/* Blob readers see "none" from now until a resume succeeds. io_lock held. */
static void blob_clear(struct udm_dev *md)
{
	pthread_mutex_lock(&md->blob_lock);
	bool had = md->blob.has_roothash;
	md->blob = no_integrity;
	md->staging_table = NULL;
	if (had)
		blob_changed(md);
	pthread_mutex_unlock(&md->blob_lock);
}

/* __dm_suspend + postsuspend. suspend_lock held; device not suspended. */
static int dev_suspend_locked(struct udm_dev *md, unsigned flags)
{
	bool noflush = flags & UDM_F_NOFLUSH;
	pthread_mutex_lock(&md->io_lock);
	struct udm_table *map = md->map;
	if (noflush)
		md->noflush_suspending = true;   /* must precede presuspend */
	pthread_mutex_unlock(&md->io_lock);

	udm_table_presuspend(map);
	if (udm_fault("suspend.interrupt")) {
		/* an interrupted suspend: undo presuspend, stay running */
		pthread_mutex_lock(&md->io_lock);
		md->noflush_suspending = false;
		pthread_mutex_unlock(&md->io_lock);
		udm_table_presuspend_undo(map);
		return -EINTR;
	}
	pthread_mutex_lock(&md->io_lock);
	md->block_io = true;
	while (md->pending_io)
		pthread_cond_wait(&md->io_cond, &md->io_lock);
	md->suspended = true;
	md->noflush_suspending = false;
	pthread_mutex_unlock(&md->io_lock);
	udm_table_postsuspend(map);
	return 0;
}

int udm_dev_suspend(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, struct udm_info *info)
{
	struct udm_dev *md;
	int r = udm_dev_pin(ctx, id, &md);
	if (r)
		return r;
	pthread_mutex_lock(&md->suspend_lock);
	pthread_mutex_lock(&md->io_lock);
	bool suspended = md->suspended, freeing = md->freeing;
	pthread_mutex_unlock(&md->io_lock);
	if (freeing)
		r = -ENXIO;
	else if (!suspended)   /* suspending a suspended device is a no-op */
		r = dev_suspend_locked(md, flags);
	pthread_mutex_unlock(&md->suspend_lock);
	if (!r)
		udm_dev_fill_info(md, 0, info);
	udm_dev_unpin(md);
	return r;
}

/* dm_swap_table + __bind: the device is suspended. On failure the new table
 * is destroyed and the old one stays live. On success returns the old table. */
static int swap_table(struct udm_dev *md, struct udm_table *new, struct udm_table **old_out)
{
	pthread_mutex_lock(&md->io_lock);
	bool suspended = md->suspended;
	pthread_mutex_unlock(&md->io_lock);
	int r = suspended ? 0 : -EINVAL;
	if (!r)
		r = udm_table_validate_areas(new, NULL, 0, NULL);
	if (!r && udm_fault("resume.bind"))
		r = -ENOMEM;
	if (r) {
		udm_table_destroy(new);
		return r;
	}
	pthread_mutex_lock(&md->io_lock);
	struct udm_table *old = md->map;
	md->map = new;
	new->bound = true;
	if (old)
		old->bound = false;
	md->immutable_type = new->immutable_type;
	md->sectors = udm_table_size(new);
	md->readonly = new->readonly;
	/* The blob described the old table: from here it describes nothing. */
	blob_clear(md);
	pthread_mutex_unlock(&md->io_lock);
	if (old)
		udm_table_sync(old);
	atomic_fetch_add(&md->ctx->global_event, 1);
	*old_out = old;
	return 0;
}

/* __dm_resume: preresume on every target (first failure aborts), resume on
 * every target, publish the staged blob and release I/O, all or nothing. */
static int dev_resume_targets(struct udm_dev *md)
{
	pthread_mutex_lock(&md->io_lock);
	struct udm_table *map = md->map;
	bool suspended = md->suspended;
	pthread_mutex_unlock(&md->io_lock);
	if (!suspended)
		return 0;
	if (!map || udm_table_size(map) == 0)
		return -EINVAL;

	pthread_mutex_lock(&md->blob_lock);
	bool had = md->blob.has_roothash;
	md->blob = no_integrity;
	md->staged = no_integrity;
	md->staging_table = map;
	md->staging_error = 0;
	if (had)
		blob_changed(md);
	pthread_mutex_unlock(&md->blob_lock);

	int r = udm_fault("resume.alloc") ? -ENOMEM : 0;
	for (size_t i = 0; !r && i < map->num_targets; i++) {
		struct udm_target *ti = &map->targets[i];
		if (udm_fault("resume.preresume"))
			r = -EIO;
		else if (ti->type->preresume)
			r = ti->type->preresume(ti);
	}
	if (!r) {
		pthread_mutex_lock(&md->blob_lock);
		r = md->staging_error;
		pthread_mutex_unlock(&md->blob_lock);
	}
	if (!r && udm_fault("resume.blob"))
		r = -ENOMEM;
	if (r) {
		pthread_mutex_lock(&md->io_lock);
		blob_clear(md);
		pthread_mutex_unlock(&md->io_lock);
		return r;
	}
	for (size_t i = 0; i < map->num_targets; i++)
		if (map->targets[i].type->resume)
			map->targets[i].type->resume(&map->targets[i]);
	if (udm_fault("resume.resume")) {
		pthread_mutex_lock(&md->io_lock);
		blob_clear(md);
		pthread_mutex_unlock(&md->io_lock);
		return -EIO;
	}
	/* Go live: the blob and the I/O gate change under the same lock, so no
	 * reader pairs this table's I/O with another table's blob. */
	pthread_mutex_lock(&md->io_lock);
	pthread_mutex_lock(&md->blob_lock);
	md->blob = md->staged;
	md->blob.table_id = map->id;
	md->staging_table = NULL;
	blob_changed(md);
	pthread_mutex_unlock(&md->blob_lock);
	md->block_io = false;
	md->suspended = false;
	pthread_cond_broadcast(&md->io_cond);
	pthread_mutex_unlock(&md->io_lock);
	return 0;
}

int udm_dev_resume(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, struct udm_info *info)
{
	struct udm_dev *md;
	int r = udm_dev_pin(ctx, id, &md);
	if (r)
		return r;
	pthread_mutex_lock(&md->suspend_lock);
	pthread_mutex_lock(&md->io_lock);
	bool freeing = md->freeing;
	/* The staged table is consumed whether or not the resume succeeds. */
	struct udm_table *new = freeing ? NULL : md->new_map;
	if (new)
		md->new_map = NULL;
	bool suspended = md->suspended;
	pthread_mutex_unlock(&md->io_lock);

	struct udm_table *old = NULL;
	bool swapped = false;
	if (freeing) {
		r = -ENXIO;
	} else if (new) {
		udm_table_sync(new);   /* status readers of the inactive slot */
		if (!suspended)
			dev_suspend_locked(md, flags);   /* its result is ignored, as in do_resume */
		r = swap_table(md, new, &old);
		if (!r) {
			swapped = true;
			r = dev_resume_targets(md);
		}
	} else {
		r = dev_resume_targets(md);
	}
	pthread_mutex_unlock(&md->suspend_lock);
	/* The old table goes after the new one's resume, success or not. */
	udm_table_destroy(old);
	if (!r && swapped)
		udm_ctx_swapped(ctx, md->name, md->dev);
	if (!r && ctx->event_fn) {
		char name[UDM_NAME_LEN];
		pthread_mutex_lock(&ctx->lock);
		strcpy(name, md->name);
		pthread_mutex_unlock(&ctx->lock);
		udm_ctx_event(ctx, UDM_EVENT_RESUMED, name, NULL, md->dev, swapped);
	}
	if (!r)
		udm_dev_fill_info(md, 0, info);
	udm_dev_unpin(md);
	return r;
}

void udm_lifecycle_unbind(struct udm_dev *md)
{
	pthread_mutex_lock(&md->io_lock);
	struct udm_table *map = md->map;
	md->map = NULL;
	if (map)
		map->bound = false;
	blob_clear(md);
	pthread_mutex_unlock(&md->io_lock);
	if (map) {
		udm_table_sync(map);
		udm_table_destroy(map);
	}
}

int udm_setintegrity(struct udm_target *ti, enum udm_integrity_type type, const void *value, size_t size)
{
	struct udm_dev *md = ti->table->md;
	int r = 0;
	pthread_mutex_lock(&md->blob_lock);
	if (md->staging_table != ti->table) {
		r = -EINVAL;   /* only from preresume of the table being resumed */
	} else if (type == UDM_INT_DMVERITY_ROOTHASH) {
		const struct udm_roothash_digest *d = value;
		if (!d) {
			md->staged.has_roothash = false;   /* NULL clears, like IPE's hook */
			md->staged.digest_len = 0;
		} else if (size != sizeof(*d) || !d->alg || strlen(d->alg) >= sizeof(md->staged.alg) ||
		    d->digest_len > sizeof(md->staged.digest)) {
			r = -EINVAL;
		} else {
			strcpy(md->staged.alg, d->alg);
			memcpy(md->staged.digest, d->digest, d->digest_len);
			md->staged.digest_len = d->digest_len;
			md->staged.has_roothash = true;
		}
	} else if (type == UDM_INT_DMVERITY_SIG_VALID) {
		md->staged.sig = value ? UDM_SIG_VALID : UDM_SIG_NONE;
	} else {
		r = -EINVAL;
	}
	if (r && md->staging_table == ti->table)
		md->staging_error = r;
	pthread_mutex_unlock(&md->blob_lock);
	return r;
}

int udm_dev_get_integrity(struct udm_ctx *ctx, dev_t dev, struct udm_integrity *out)
{
	struct udm_dev *md = udm_dev_lookup_devt(ctx, dev);
	if (!md)
		return -ENXIO;
	pthread_mutex_lock(&md->blob_lock);
	*out = md->blob;
	pthread_mutex_unlock(&md->blob_lock);
	udm_dev_unpin(md);
	return 0;
}
