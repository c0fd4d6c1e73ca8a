/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mapped devices and the control operations of dm-ioctl.c: create, remove,
 * rename, load, clear, info, status, deps, message, list, wait, with the
 * kernel's errno for every failure. Suspend and resume live in lifecycle.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include "core/core.h"
#include "core/lifecycle.h"

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

void udm_ctx_set_export_callback(struct udm_ctx *ctx, dev_t (*fn)(void *, dev_t), void *arg)
{
	ctx->export_fn = fn;
	ctx->export_arg = arg;
}

void udm_ctx_set_integrity_callback(struct udm_ctx *ctx,
				     void (*fn)(void *, dev_t, const struct udm_integrity *), void *arg)
{
	ctx->integrity_fn = fn;
	ctx->integrity_arg = arg;
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

/* dm-ioctl.c check_name() (and an empty name, which dm_hash_insert cannot
 * index): no '/', and not "control", "." or "..", which would clash with the
 * control node and the directory itself under /dev/mapper. */
bool udm_name_is_valid(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, "control") && strcmp(name, ".") &&
	       strcmp(name, "..");
}

/* Over-long strings in the ioctl header are truncated, not refused. */
static void copy_trunc(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static struct udm_dev *find_by_name(struct udm_ctx *ctx, const char *name)
{
	for (struct udm_dev *md = ctx->devices; md; md = md->next)
		if (strcmp(md->name, name) == 0)
			return md;
	return NULL;
}

static struct udm_dev *find_by_uuid(struct udm_ctx *ctx, const char *uuid)
{
	for (struct udm_dev *md = ctx->devices; md; md = md->next)
		if (md->uuid[0] && strcmp(md->uuid, uuid) == 0)
			return md;
	return NULL;
}

static struct udm_dev *find_by_devt(struct udm_ctx *ctx, dev_t dev)
{
	for (struct udm_dev *md = ctx->devices; md; md = md->next)
		if (md->dev == dev)
			return md;
	return NULL;
}

/* __find_device_hash_cell(), ctx->lock held: uuid beats name beats dev. */
static int find_locked(struct udm_ctx *ctx, struct udm_dev_id id, struct udm_dev **out)
{
	char name[UDM_NAME_LEN], uuid[UDM_UUID_LEN];
	copy_trunc(name, sizeof(name), id.name);
	copy_trunc(uuid, sizeof(uuid), id.uuid);
	struct udm_dev *md = NULL;
	if (name[0] && uuid[0])
		return -EINVAL;
	if (uuid[0])
		md = id.dev ? NULL : find_by_uuid(ctx, uuid);
	else if (name[0])
		md = id.dev ? NULL : find_by_name(ctx, name);
	else if (id.dev)
		md = find_by_devt(ctx, id.dev);
	if (!md)
		return -ENXIO;
	*out = md;
	return 0;
}

/* Find and pin a device so it is not freed under the caller. */
int udm_dev_pin(struct udm_ctx *ctx, struct udm_dev_id id, struct udm_dev **out)
{
	pthread_mutex_lock(&ctx->lock);
	int r = find_locked(ctx, id, out);
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

void udm_dev_table_event(struct udm_dev *md)
{
	pthread_mutex_lock(&md->io_lock);
	md->event_nr++;
	pthread_cond_broadcast(&md->event_cond);
	pthread_mutex_unlock(&md->io_lock);
	atomic_fetch_add(&md->ctx->global_event, 1);
}

/* Event on the live table only (dm_table_event on md->map). */
static void live_table_event(struct udm_dev *md)
{
	pthread_mutex_lock(&md->io_lock);
	bool live = md->map != NULL;
	pthread_mutex_unlock(&md->io_lock);
	if (live)
		udm_dev_table_event(md);
}

int udm_dev_create(struct udm_ctx *ctx, const char *name, const char *uuid, unsigned flags, dev_t dev,
		   struct udm_info *info)
{
	char n[UDM_NAME_LEN], u[UDM_UUID_LEN];
	copy_trunc(n, sizeof(n), name);
	copy_trunc(u, sizeof(u), uuid);
	if (!udm_name_is_valid(n))
		return -EINVAL;
	struct udm_dev *md = calloc(1, sizeof(*md));
	if (!md)
		return -ENXIO;   /* alloc_dev failure surfaces as ENXIO */
	pthread_mutex_lock(&ctx->lock);
	unsigned minor_nr = 0;
	if (flags & UDM_F_PERSISTENT_DEV) {
		minor_nr = minor(dev);
		if (minor_nr >= UDM_MAX_MINOR || find_by_devt(ctx, makedev(UDM_MAJOR, minor_nr))) {
			pthread_mutex_unlock(&ctx->lock);
			free(md);
			return -ENXIO;
		}
	} else {
		while (minor_nr < UDM_MAX_MINOR && find_by_devt(ctx, makedev(UDM_MAJOR, minor_nr)))
			minor_nr++;
		if (minor_nr == UDM_MAX_MINOR) {
			pthread_mutex_unlock(&ctx->lock);
			free(md);
			return -ENXIO;
		}
	}
	if (find_by_name(ctx, n) || (u[0] && find_by_uuid(ctx, u))) {
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
	pthread_mutex_lock(&md->io_lock);
	struct udm_table *inactive = md->new_map;
	md->new_map = NULL;
	pthread_mutex_unlock(&md->io_lock);
	if (inactive) {
		udm_table_sync(inactive);
		udm_table_destroy(inactive);
	}

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

int udm_dev_remove(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags)
{
	struct udm_dev *md;
	char name[UDM_NAME_LEN] = "";
	dev_t dev = 0;
	pthread_mutex_lock(&ctx->lock);
	int r = find_locked(ctx, id, &md);
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
	live_table_event(md);
	atomic_fetch_add(&ctx->global_event, 1);
	dev_destroy(md);
	udm_ctx_event(ctx, UDM_EVENT_REMOVED, name, NULL, dev, false);
	return 0;
}

static int cmp_dev_name(const void *a, const void *b)
{
	return strcmp((*(struct udm_dev *const *)a)->name, (*(struct udm_dev *const *)b)->name);
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
		for (struct udm_dev *md = ctx->devices; md; md = md->next)
			n++;
		struct udm_dev **v = malloc((n ? n : 1) * sizeof(*v));
		if (!v) {
			pthread_mutex_unlock(&ctx->lock);
			return -ENOMEM;
		}
		n = 0;
		for (struct udm_dev *md = ctx->devices; md; md = md->next)
			v[n++] = md;
		qsort(v, n, sizeof(*v), cmp_dev_name);
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
		dev_t vdev = victim->dev;
		live_table_event(victim);
		atomic_fetch_add(&ctx->global_event, 1);
		dev_destroy(victim);
		udm_ctx_event(ctx, UDM_EVENT_REMOVED, vname, NULL, vdev, false);
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
	copy_trunc(n, sizeof(n), name);
	pthread_mutex_lock(&ctx->lock);
	struct udm_dev *md;
	int r = 0;
	if (set_uuid ? find_by_uuid(ctx, newval) != NULL : find_by_name(ctx, newval) != NULL)
		r = -EBUSY;
	else if (!n[0] || !(md = find_by_name(ctx, n)) || md->deleting)
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
	live_table_event(md);
	atomic_fetch_add(&ctx->global_event, 1);
	udm_dev_fill_info(md, 0, info);
	if (!set_uuid)
		udm_ctx_event(ctx, UDM_EVENT_RENAMED, newname, n, md->dev, false);
	udm_dev_unpin(md);
	return 0;
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

int udm_table_load(struct udm_ctx *ctx, struct udm_dev_id id, const struct udm_target_spec *specs, size_t count,
		   unsigned flags, char *errbuf, size_t errlen, size_t *bad_target, struct udm_info *info)
{
	return udm_table_load_at(ctx, id, AT_FDCWD, specs, count, flags, errbuf, errlen, bad_target, info);
}

int udm_table_load_at(struct udm_ctx *ctx, struct udm_dev_id id, int dirfd, const struct udm_target_spec *specs,
		      size_t count, unsigned flags, char *errbuf, size_t errlen, size_t *bad_target,
		      struct udm_info *info)
{
	if (errbuf && errlen)
		errbuf[0] = '\0';
	size_t bad = UDM_NO_TARGET;
	if (bad_target)
		*bad_target = UDM_NO_TARGET;
	struct udm_dev *md;
	int r = udm_dev_pin(ctx, id, &md);
	if (r)
		return r;
	if (count > UDM_MAX_TARGETS) {
		udm_dev_unpin(md);
		return -EOVERFLOW;
	}
	if (count == 0) {
		if (errbuf)
			snprintf(errbuf, errlen, "populate_table: no targets specified");
		udm_dev_unpin(md);
		return -EINVAL;
	}
	struct udm_table *t = udm_table_create(md, flags & UDM_F_READONLY);
	if (!t) {
		udm_dev_unpin(md);
		return -ENOMEM;
	}
	t->dirfd = dirfd;
	for (size_t i = 0; i < count && !r; i++)
		if ((r = udm_table_add_target(t, &specs[i], errbuf, errlen)))
			bad = i;

	pthread_mutex_lock(&md->suspend_lock);   /* type_lock analog */
	pthread_mutex_lock(&md->io_lock);
	const struct udm_target_type *live_immutable = md->immutable_type;
	bool first_load = md->map == NULL && md->sectors == 0;
	pthread_mutex_unlock(&md->io_lock);
	if (!r && live_immutable && t->immutable_type != live_immutable && !t->has_wildcard) {
		if (errbuf)
			snprintf(errbuf, errlen, "table: can't replace immutable target type %s", live_immutable->name);
		r = -EINVAL;
	}
	/* Device areas are checked at the first load, later only at resume. */
	t->dirfd = AT_FDCWD;   /* the caller's fd is only borrowed for the constructors */
	if (!r && first_load)
		r = udm_table_validate_areas(t, errbuf, errlen, &bad);
	struct udm_table *old = NULL;
	if (!r) {
		pthread_mutex_lock(&ctx->lock);
		bool gone = md->deleting;
		pthread_mutex_unlock(&ctx->lock);
		if (gone) {
			r = -ENXIO;
		} else {
			pthread_mutex_lock(&md->io_lock);
			old = md->new_map;
			md->new_map = t;
			pthread_mutex_unlock(&md->io_lock);
		}
	}
	pthread_mutex_unlock(&md->suspend_lock);
	if (r) {
		udm_table_destroy(t);
	} else if (old) {
		udm_table_sync(old);
		udm_table_destroy(old);
	}
	if (!r)
		udm_dev_fill_info(md, 0, info);
	else if (bad_target)
		*bad_target = bad;
	udm_dev_unpin(md);
	return r;
}

int udm_table_clear(struct udm_ctx *ctx, struct udm_dev_id id, struct udm_info *info)
{
	struct udm_dev *md;
	int r = udm_dev_pin(ctx, id, &md);
	if (r)
		return r;
	pthread_mutex_lock(&md->io_lock);
	struct udm_table *old = md->new_map;
	md->new_map = NULL;
	pthread_mutex_unlock(&md->io_lock);
	if (old) {
		udm_table_sync(old);
		udm_table_destroy(old);
	}
	udm_dev_fill_info(md, 0, info);
	udm_dev_unpin(md);
	return 0;
}

/* Take a reader reference on the live or inactive table. */
static struct udm_table *table_get(struct udm_dev *md, unsigned flags)
{
	pthread_mutex_lock(&md->io_lock);
	struct udm_table *t = (flags & UDM_F_QUERY_INACTIVE) ? md->new_map : md->map;
	if (t)
		udm_table_get_reader(t);
	pthread_mutex_unlock(&md->io_lock);
	return t;
}

int udm_table_status(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, struct udm_target_status **out,
		     size_t *count, struct udm_info *info)
{
	struct udm_dev *md;
	int r = udm_dev_pin(ctx, id, &md);
	if (r)
		return r;
	*out = NULL;
	*count = 0;
	struct udm_table *t = table_get(md, flags);
	if (t) {
		struct udm_target_status *st = calloc(t->num_targets, sizeof(*st));
		enum udm_status_type type = (flags & UDM_F_STATUS_TABLE) ? UDM_STATUS_TABLE : UDM_STATUS_INFO;
		const size_t maxlen = 64 * 1024;
		for (size_t i = 0; st && i < t->num_targets; i++) {
			struct udm_target *ti = &t->targets[i];
			st[i].start = ti->begin;
			st[i].length = ti->len;
			strcpy(st[i].type, ti->type->name);
			st[i].text = calloc(1, maxlen);
			if (!st[i].text) {
				udm_target_status_free(st, i);
				st = NULL;
				break;
			}
			if (ti->type->status)
				ti->type->status(ti, type, (flags & UDM_F_NOFLUSH) ? UDM_STATUS_NOFLUSH_FLAG : 0,
						 st[i].text, maxlen);
		}
		if (st) {
			*out = st;
			*count = t->num_targets;
		} else {
			r = -ENOMEM;
		}
		udm_table_put_reader(t);
	}
	if (!r)
		udm_dev_fill_info(md, flags, info);
	udm_dev_unpin(md);
	return r;
}

unsigned udm_dev_logical_block_size(struct udm_dev *md)
{
	struct udm_table *t = table_get(md, 0);
	unsigned lbs = t ? udm_table_logical_block_size(t) : UDM_SECTOR_SIZE;
	if (t)
		udm_table_put_reader(t);
	return lbs;
}

static unsigned umax(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

int udm_dev_io_limits(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, struct udm_io_limits *out)
{
	static const struct udm_io_limits defaults = { UDM_SECTOR_SIZE, UDM_SECTOR_SIZE, UDM_SECTOR_SIZE, 0 };
	struct udm_dev *md;
	int r = udm_dev_pin(ctx, id, &md);
	if (r)
		return r;
	*out = defaults;
	struct udm_table *t = table_get(md, flags);
	for (size_t i = 0; t && i < t->num_targets; i++) {
		struct udm_target *ti = &t->targets[i];
		struct udm_io_limits l = defaults;
		if (ti->type->io_hints)
			ti->type->io_hints(ti, &l);
		/* blk_stack_limits: every target's requirement holds for the device */
		out->logical_block_size = umax(out->logical_block_size, l.logical_block_size);
		out->physical_block_size = umax(out->physical_block_size, l.physical_block_size);
		out->io_min = umax(out->io_min, l.io_min);
		out->io_opt = umax(out->io_opt, l.io_opt);
	}
	if (t)
		udm_table_put_reader(t);
	udm_dev_unpin(md);
	return 0;
}

void udm_target_status_free(struct udm_target_status *st, size_t count)
{
	for (size_t i = 0; st && i < count; i++)
		free(st[i].text);
	free(st);
}

int udm_table_deps(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, dev_t **devs, char ***names,
		   size_t *count, struct udm_info *info)
{
	struct udm_dev *md;
	int r = udm_dev_pin(ctx, id, &md);
	if (r)
		return r;
	*devs = NULL;
	*names = NULL;
	*count = 0;
	struct udm_table *t = table_get(md, flags);
	if (t) {
		size_t n = 0;
		for (struct udm_blockdev *bd = t->devices; bd; bd = bd->next)
			n++;
		dev_t *d = calloc(n ? n : 1, sizeof(*d));
		char **nm = calloc(n ? n : 1, sizeof(*nm));
		size_t i = 0;
		for (struct udm_blockdev *bd = t->devices; d && nm && bd; bd = bd->next, i++) {
			d[i] = bd->devt;
			if (!(nm[i] = strdup(bd->name)))
				break;
		}
		if (!d || !nm || i < n) {
			udm_deps_free(d, nm, n);
			r = -ENOMEM;
		} else {
			*devs = d;
			*names = nm;
			*count = n;
		}
		udm_table_put_reader(t);
	}
	if (!r)
		udm_dev_fill_info(md, flags, info);
	udm_dev_unpin(md);
	return r;
}

void udm_deps_free(dev_t *devs, char **names, size_t count)
{
	for (size_t i = 0; names && i < count; i++)
		free(names[i]);
	free(names);
	free(devs);
}

int udm_dev_message(struct udm_ctx *ctx, struct udm_dev_id id, uint64_t sector, const char *msg, char *result,
		    size_t maxlen)
{
	unsigned argc;
	char **argv;
	int r = udm_split_args(msg, &argc, &argv);
	if (r)
		return r;
	if (result && maxlen)
		result[0] = '\0';
	struct udm_dev *md = NULL;
	if (argc == 0) {
		r = -EINVAL;
		goto out;
	}
	if ((r = udm_dev_pin(ctx, id, &md)))
		goto out;
	if (argv[0][0] == '@') {
		if (strcmp(argv[0], "@cancel_deferred_remove") != 0 || argc != 1) {
			r = -EINVAL;
		} else {
			char name[UDM_NAME_LEN];
			pthread_mutex_lock(&ctx->lock);
			if (md->deleting)
				r = -EBUSY;
			else
				md->deferred_remove = false;
			strcpy(name, md->name);
			pthread_mutex_unlock(&ctx->lock);
			if (!r)
				udm_ctx_event(ctx, UDM_EVENT_DEFERRED_CANCELLED, name, NULL, md->dev, false);
		}
		goto out;
	}
	struct udm_table *t = table_get(md, 0);
	if (!t) {
		r = 2;   /* the kernel's quirk: no live table returns the internal value 2 */
		goto out;
	}
	struct udm_target *ti = udm_table_find_target(t, sector);
	if (!ti || !ti->type->message)
		r = -EINVAL;
	else
		r = ti->type->message(ti, argc, argv, result, maxlen);
	udm_table_put_reader(t);
out:
	if (md)
		udm_dev_unpin(md);
	free(argv);
	return r;
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
	for (struct udm_dev *md = ctx->devices; md; md = md->next)
		n++;
	struct udm_dev **v = malloc((n ? n : 1) * sizeof(*v));
	struct udm_name_entry *e = calloc(n ? n : 1, sizeof(*e));
	if (!v || !e) {
		pthread_mutex_unlock(&ctx->lock);
		free(v);
		free(e);
		return -ENOMEM;
	}
	n = 0;
	for (struct udm_dev *md = ctx->devices; md; md = md->next)
		v[n++] = md;
	qsort(v, n, sizeof(*v), cmp_dev_name);
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

/* Block-device opener count (dm_blk_open / dm_blk_close). */
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

void udm_dev_close(struct udm_dev *md)
{
	struct udm_ctx *ctx = md->ctx;
	pthread_mutex_lock(&ctx->lock);
	bool run_deferred = --md->open_count == 0 && md->deferred_remove;
	pthread_mutex_unlock(&ctx->lock);
	if (run_deferred)
		remove_all(ctx, 0, true);
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

uint64_t udm_dev_live_table_id(struct udm_ctx *ctx, dev_t dev)
{
	struct udm_dev *md = udm_dev_lookup_devt(ctx, dev);
	if (!md)
		return 0;
	pthread_mutex_lock(&md->io_lock);
	uint64_t id = md->map ? md->map->id : 0;
	pthread_mutex_unlock(&md->io_lock);
	udm_dev_unpin(md);
	return id;
}
