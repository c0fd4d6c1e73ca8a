/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A device's two table slots, live (md->map) and inactive (md->new_map), as
 * dm-ioctl.c's table_load, table_clear, table_status, table_deps and
 * target_message use them: a load fills the inactive slot (resume moves it
 * to the live one: lifecycle.c), and what is read through a slot holds a
 * reader reference on its table so the table is not destroyed under it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/core.h"

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

void udm_dev_drop_inactive(struct udm_dev *md)
{
	pthread_mutex_lock(&md->io_lock);
	struct udm_table *old = md->new_map;
	md->new_map = NULL;
	pthread_mutex_unlock(&md->io_lock);
	if (old) {
		udm_table_sync(old);
		udm_table_destroy(old);
	}
}

int udm_table_clear(struct udm_ctx *ctx, struct udm_dev_id id, struct udm_info *info)
{
	struct udm_dev *md;
	int r = udm_dev_pin(ctx, id, &md);
	if (r)
		return r;
	udm_dev_drop_inactive(md);
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

/* Pin the device, run read on the table of the slot flags name (NULL without
 * one) under a reader reference, then fill info if read succeeded. */
static int read_slot(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, struct udm_info *info,
		     int (*read)(struct udm_table *t, unsigned flags, void *arg), void *arg)
{
	struct udm_dev *md;
	int r = udm_dev_pin(ctx, id, &md);
	if (r)
		return r;
	struct udm_table *t = table_get(md, flags);
	r = read(t, flags, arg);
	if (t)
		udm_table_put_reader(t);
	if (!r)
		udm_dev_fill_info(md, flags, info);
	udm_dev_unpin(md);
	return r;
}

struct status_out {
	struct udm_target_status **out;
	size_t *count;
};

static int read_status(struct udm_table *t, unsigned flags, void *arg)
{
	struct status_out *o = arg;
	*o->out = NULL;
	*o->count = 0;
	if (!t)
		return 0;
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
			return -ENOMEM;
		}
		if (ti->type->status)
			ti->type->status(ti, type, (flags & UDM_F_NOFLUSH) ? UDM_STATUS_NOFLUSH_FLAG : 0, st[i].text,
					 maxlen);
	}
	if (!st)
		return -ENOMEM;
	*o->out = st;
	*o->count = t->num_targets;
	return 0;
}

int udm_table_status(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, struct udm_target_status **out,
		     size_t *count, struct udm_info *info)
{
	return read_slot(ctx, id, flags, info, read_status, &(struct status_out){ out, count });
}

void udm_target_status_free(struct udm_target_status *st, size_t count)
{
	for (size_t i = 0; st && i < count; i++)
		free(st[i].text);
	free(st);
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

static int read_limits(struct udm_table *t, unsigned flags, void *arg)
{
	static const struct udm_io_limits defaults = { UDM_SECTOR_SIZE, UDM_SECTOR_SIZE, UDM_SECTOR_SIZE, 0 };
	struct udm_io_limits *out = arg;
	(void)flags;
	*out = defaults;
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
	return 0;
}

int udm_dev_io_limits(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, struct udm_io_limits *out)
{
	return read_slot(ctx, id, flags, NULL, read_limits, out);
}

struct deps_out {
	dev_t **devs;
	char ***names;
	size_t *count;
};

static int read_deps(struct udm_table *t, unsigned flags, void *arg)
{
	struct deps_out *o = arg;
	(void)flags;
	*o->devs = NULL;
	*o->names = NULL;
	*o->count = 0;
	if (!t)
		return 0;
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
		return -ENOMEM;
	}
	*o->devs = d;
	*o->names = nm;
	*o->count = n;
	return 0;
}

int udm_table_deps(struct udm_ctx *ctx, struct udm_dev_id id, unsigned flags, dev_t **devs, char ***names,
		   size_t *count, struct udm_info *info)
{
	return read_slot(ctx, id, flags, info, read_deps, &(struct deps_out){ devs, names, count });
}

void udm_deps_free(dev_t *devs, char **names, size_t count)
{
	for (size_t i = 0; names && i < count; i++)
		free(names[i]);
	free(names);
	free(devs);
}

/* target_message: "@cancel_deferred_remove" for the device, anything else for
 * the live table's target at sector. */
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
