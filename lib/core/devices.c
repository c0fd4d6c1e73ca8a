/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A context's devices as dm-ioctl.c's hash cells: names, lookup (uuid beats
 * name beats dev), pins that keep a device from being freed under a caller,
 * opener counts, and what a caller reads of a device: info, the list of
 * devices, waiting for its next event. Creating and removing them is
 * control.c's; their tables are table_slots.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/core.h"

/* dm-ioctl.c check_name() (and an empty name, which dm_hash_insert cannot
 * index): no '/', and not "control", "." or "..", which would clash with the
 * control node and the directory itself under /dev/mapper. */
bool udm_name_is_valid(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, "control") && strcmp(name, ".") &&
	       strcmp(name, "..");
}

void udm_copy_trunc(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

struct udm_dev *udm_dev_find_name(struct udm_ctx *ctx, const char *name)
{
	for (struct udm_dev *md = ctx->devices; md; md = md->next)
		if (strcmp(md->name, name) == 0)
			return md;
	return NULL;
}

struct udm_dev *udm_dev_find_uuid(struct udm_ctx *ctx, const char *uuid)
{
	for (struct udm_dev *md = ctx->devices; md; md = md->next)
		if (md->uuid[0] && strcmp(md->uuid, uuid) == 0)
			return md;
	return NULL;
}

struct udm_dev *udm_dev_find_devt(struct udm_ctx *ctx, dev_t dev)
{
	for (struct udm_dev *md = ctx->devices; md; md = md->next)
		if (md->dev == dev)
			return md;
	return NULL;
}

/* __find_device_hash_cell(). */
int udm_dev_find_locked(struct udm_ctx *ctx, struct udm_dev_id id, struct udm_dev **out)
{
	char name[UDM_NAME_LEN], uuid[UDM_UUID_LEN];
	udm_copy_trunc(name, sizeof(name), id.name);
	udm_copy_trunc(uuid, sizeof(uuid), id.uuid);
	struct udm_dev *md = NULL;
	if (name[0] && uuid[0])
		return -EINVAL;
	if (uuid[0])
		md = id.dev ? NULL : udm_dev_find_uuid(ctx, uuid);
	else if (name[0])
		md = id.dev ? NULL : udm_dev_find_name(ctx, name);
	else if (id.dev)
		md = udm_dev_find_devt(ctx, id.dev);
	if (!md)
		return -ENXIO;
	*out = md;
	return 0;
}

static int cmp_dev_name(const void *a, const void *b)
{
	return strcmp((*(struct udm_dev *const *)a)->name, (*(struct udm_dev *const *)b)->name);
}

struct udm_dev **udm_dev_sorted(struct udm_ctx *ctx, size_t *count)
{
	size_t n = 0;
	for (struct udm_dev *md = ctx->devices; md; md = md->next)
		n++;
	struct udm_dev **v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return NULL;
	n = 0;
	for (struct udm_dev *md = ctx->devices; md; md = md->next)
		v[n++] = md;
	qsort(v, n, sizeof(*v), cmp_dev_name);
	*count = n;
	return v;
}

int udm_dev_pin(struct udm_ctx *ctx, struct udm_dev_id id, struct udm_dev **out)
{
	pthread_mutex_lock(&ctx->lock);
	int r = udm_dev_find_locked(ctx, id, out);
	if (!r)
		(*out)->holders++;
	pthread_mutex_unlock(&ctx->lock);
	return r;
}

struct udm_dev *udm_dev_lookup_devt(struct udm_ctx *ctx, dev_t dev)
{
	struct udm_dev *md = NULL;
	if (udm_dev_pin(ctx, (struct udm_dev_id){ .dev = dev }, &md))
		return NULL;
	return md;
}

void udm_dev_unpin(struct udm_dev *md)
{
	struct udm_ctx *ctx = md->ctx;
	pthread_mutex_lock(&ctx->lock);
	md->holders--;
	pthread_cond_broadcast(&ctx->holders_cond);
	pthread_mutex_unlock(&ctx->lock);
}

/* __dev_status(). */
void udm_dev_fill_info(struct udm_dev *md, unsigned flags, struct udm_info *info)
{
	if (!info)
		return;
	memset(info, 0, sizeof(*info));
	pthread_mutex_lock(&md->ctx->lock);
	strcpy(info->name, md->name);
	strcpy(info->uuid, md->uuid);
	info->open_count = md->open_count;
	if (md->deferred_remove)
		info->flags |= UDM_F_DEFERRED_REMOVE;
	pthread_mutex_unlock(&md->ctx->lock);
	info->dev = md->dev;
	pthread_mutex_lock(&md->io_lock);
	info->event_nr = md->event_nr;
	if (md->suspended)
		info->flags |= UDM_F_SUSPEND;
	if (md->map)
		info->flags |= UDM_F_ACTIVE_PRESENT;
	if (md->new_map)
		info->flags |= UDM_F_INACTIVE_PRESENT;
	if (flags & UDM_F_QUERY_INACTIVE) {
		if (md->new_map) {
			info->target_count = (uint32_t)md->new_map->num_targets;
			info->sectors = udm_table_size(md->new_map);
			if (md->new_map->readonly)
				info->flags |= UDM_F_READONLY;
		}
	} else if (md->map) {
		info->target_count = (uint32_t)md->map->num_targets;
		info->sectors = md->sectors;
		if (md->readonly)
			info->flags |= UDM_F_READONLY;
	}
	pthread_mutex_unlock(&md->io_lock);
}

int udm_dev_info(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, struct udm_info *info)
{
	struct udm_dev *md;
	int r = udm_dev_pin(ctx, id, &md);
	if (r)
		return r;
	udm_dev_fill_info(md, flags, info);
	udm_dev_unpin(md);
	return 0;
}

int udm_dev_wait(struct udm_ctx *ctx, struct udm_dev_id id, uint32_t event_nr, int timeout_ms,
		 struct udm_info *info)
{
	struct udm_dev *md;
	int r = udm_dev_pin(ctx, id, &md);
	if (r)
		return r;
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	if (timeout_ms >= 0) {
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&md->io_lock);
	while (md->event_nr == event_nr && !md->freeing && !r) {
		if (timeout_ms < 0)
			pthread_cond_wait(&md->event_cond, &md->io_lock);
		else if (pthread_cond_timedwait(&md->event_cond, &md->io_lock, &deadline) == ETIMEDOUT)
			r = -ETIMEDOUT;
	}
	if (md->event_nr != event_nr)
		r = 0;
	pthread_mutex_unlock(&md->io_lock);
	if (!r)
		udm_dev_fill_info(md, 0, info);
	udm_dev_unpin(md);
	return r;
}

int udm_list_devices(struct udm_ctx *ctx, struct udm_name_entry **out, size_t *count)
{
	pthread_mutex_lock(&ctx->lock);
	size_t n = 0;
	struct udm_dev **v = udm_dev_sorted(ctx, &n);
	struct udm_name_entry *e = v ? calloc(n ? n : 1, sizeof(*e)) : NULL;
	if (!e) {
		pthread_mutex_unlock(&ctx->lock);
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		strcpy(e[i].name, v[i]->name);
		strcpy(e[i].uuid, v[i]->uuid);
		e[i].dev = v[i]->dev;
	}
	pthread_mutex_unlock(&ctx->lock);
	for (size_t i = 0; i < n; i++) {
		struct udm_dev *md = udm_dev_lookup_devt(ctx, e[i].dev);
		if (md) {
			pthread_mutex_lock(&md->io_lock);
			e[i].event_nr = md->event_nr;
			pthread_mutex_unlock(&md->io_lock);
			udm_dev_unpin(md);
		}
	}
	free(v);
	*out = e;
	*count = n;
	return 0;
}

/* Block-device opener count (dm_blk_open; dm_blk_close is control.c's
 * udm_dev_close, which may run a deferred removal). */
int udm_dev_open_md(struct udm_dev *md)
{
	struct udm_ctx *ctx = md->ctx;
	pthread_mutex_lock(&ctx->lock);
	int r = md->deleting ? -ENXIO : 0;
	if (!r)
		md->open_count++;
	pthread_mutex_unlock(&ctx->lock);
	return r;
}

int udm_dev_open(struct udm_ctx *ctx, struct udm_dev_id id, struct udm_dev **dev)
{
	struct udm_dev *md;
	int r = udm_dev_pin(ctx, id, &md);
	if (r)
		return r;
	r = udm_dev_open_md(md);
	udm_dev_unpin(md);
	if (!r)
		*dev = md;
	return r;
}
