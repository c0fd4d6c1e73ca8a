/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tables: construction and validation of target lists exactly as dm-table.c
 * does it (dm_table_add_target, adjacency, singleton/immutable rules), the
 * dmsetup table-text parser, and the per-table suspend hooks. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/core.h"

struct udm_table *udm_table_create(struct udm_dev *md, bool readonly)
{
	struct udm_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->md = md;
	t->readonly = readonly;
	t->dirfd = AT_FDCWD;
	t->id = atomic_fetch_add(&md->ctx->next_table_id, 1);
	return t;
}

bool udm_table_is_readonly(const struct udm_table *t) { return t->readonly; }

uint64_t udm_table_size(const struct udm_table *t)
{
	if (!t || !t->num_targets)
		return 0;
	const struct udm_target *last = &t->targets[t->num_targets - 1];
	return last->begin + last->len;
}

static int add_error(char *errbuf, size_t errlen, const char *type, const char *msg, int r)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s%s%s", type ? type : "", type ? ": " : "", msg);
	return r;
}

int udm_table_add_target(struct udm_table *t, const struct udm_target_spec *spec, char *errbuf, size_t errlen)
{
	const char *tn = spec->type;
	if (t->singleton)
		return add_error(errbuf, errlen, t->targets[0].type->name,
				 "target type must appear alone in table", -EINVAL);
	/* Both refusals are about the table, not a target: the kernel names no type. */
	if (spec->length == 0)
		return add_error(errbuf, errlen, NULL, "zero-length target", -EINVAL);
	/* The device's size in bytes must fit a loff_t (dm_table_add_target). */
	if (spec->start + spec->length < spec->start || spec->start + spec->length > (uint64_t)INT64_MAX >> UDM_SECTOR_SHIFT)
		return add_error(errbuf, errlen, NULL, "too large device", -EINVAL);
	const struct udm_target_type *type = udm_registry_find(tn);
	if (!type)
		return add_error(errbuf, errlen, tn, "unknown target type", -EINVAL);
	if (type->features & UDM_TARGET_SINGLETON) {
		if (t->num_targets)
			return add_error(errbuf, errlen, tn, "target type must appear alone in table", -EINVAL);
	}
	if ((type->features & UDM_TARGET_ALWAYS_WRITEABLE) && t->readonly)
		return add_error(errbuf, errlen, tn, "target type may not be included in a read-only table", -EINVAL);
	if (t->immutable_type) {
		if (t->immutable_type != type)
			return add_error(errbuf, errlen, tn, "immutable target type cannot be mixed with other target types", -EINVAL);
	} else if (type->features & UDM_TARGET_IMMUTABLE) {
		if (t->num_targets)
			return add_error(errbuf, errlen, tn, "immutable target type cannot be mixed with other target types", -EINVAL);
	}
	/* adjoin(): first target at 0, each next one right after the previous. */
	uint64_t expect = udm_table_size(t);
	if (spec->start != expect || spec->start + spec->length < spec->start)
		return add_error(errbuf, errlen, tn, "Gap in table", -EINVAL);

	if (t->num_targets == t->alloc_targets) {
		size_t n = t->alloc_targets ? t->alloc_targets * 2 : 4;
		struct udm_target *nt = realloc(t->targets, n * sizeof(*nt));
		if (!nt)
			return add_error(errbuf, errlen, tn, "Cannot allocate target", -ENOMEM);
		t->targets = nt;
		t->alloc_targets = n;
	}
	struct udm_target *ti = &t->targets[t->num_targets];
	memset(ti, 0, sizeof(*ti));
	ti->table = t;
	ti->type = type;
	ti->begin = spec->start;
	ti->len = spec->length;

	unsigned argc;
	char **argv;
	if (udm_split_args(spec->params, &argc, &argv))
		return add_error(errbuf, errlen, tn, "couldn't split parameters", -ENOMEM);
	int r = udm_fault("table.ctr") ? -ENOMEM : type->ctr ? type->ctr(ti, argc, argv) : 0;
	free(argv);
	if (r) {
		/* The failing target gets no dtr; release any device it left behind. */
		const char *msg = ti->error ? ti->error : "constructor failed";
		if (t->dev_error[0] && errbuf && errlen) {
			/* the device knows more (an NBD URI and why): one line with both */
			snprintf(errbuf, errlen, "%s: %s: %s", tn, msg, t->dev_error);
			t->dev_error[0] = '\0';
			return r;
		}
		return add_error(errbuf, errlen, tn, msg, r);
	}
	t->num_targets++;
	if (type->features & UDM_TARGET_SINGLETON)
		t->singleton = true;
	if (type->features & UDM_TARGET_IMMUTABLE)
		t->immutable_type = type;
	if (type->features & UDM_TARGET_WILDCARD)
		t->has_wildcard = true;
	return 0;
}

void udm_table_destroy(struct udm_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->num_targets; i++)
		if (t->targets[i].type->dtr)
			t->targets[i].type->dtr(&t->targets[i]);
	/* Devices a target forgot to put ("dm_put_device call missing"). */
	while (t->devices) {
		struct udm_blockdev *bd = t->devices;
		t->devices = bd->next;
		udm_blockdev_close(bd);
	}
	free(t->targets);
	free(t);
}

struct udm_target *udm_table_find_target(struct udm_table *t, uint64_t sector)
{
	size_t lo = 0, hi = t->num_targets;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		struct udm_target *ti = &t->targets[mid];
		if (sector < ti->begin)
			hi = mid;
		else if (sector >= ti->begin + ti->len)
			lo = mid + 1;
		else
			return ti;
	}
	return NULL;
}

struct area_check {
	char *errbuf;
	size_t errlen;
	unsigned lbs;            /* the target's logical block size, bytes */
};

/* dm_set_device_limits: a target's logical block size is the largest of its devices'. */
static int device_lbs(struct udm_target *ti, struct udm_blockdev *dev, uint64_t start, uint64_t len, void *data)
{
	(void)ti, (void)start, (void)len;
	unsigned *lbs = data, l = udm_blockdev_logical_block_size(dev);
	if (l > *lbs)
		*lbs = l;
	return 0;
}

/* A target's logical block size from its devices alone, or also with its io_hints. */
static unsigned target_lbs(struct udm_target *ti, bool hints)
{
	unsigned lbs = UDM_SECTOR_SIZE;
	if (ti->type->iterate_devices)
		ti->type->iterate_devices(ti, device_lbs, &lbs);
	if (hints && ti->type->io_hints) {
		struct udm_io_limits l = { lbs, lbs, lbs, 0 };
		ti->type->io_hints(ti, &l);
		if (l.logical_block_size > lbs)
			lbs = l.logical_block_size;
	}
	return lbs;
}

unsigned udm_table_logical_block_size(struct udm_table *t)
{
	unsigned lbs = UDM_SECTOR_SIZE;
	for (size_t i = 0; t && i < t->num_targets; i++) {
		unsigned l = target_lbs(&t->targets[i], true);
		if (l > lbs)
			lbs = l;
	}
	return lbs;
}

/* device_area_is_invalid(): a target area must lie inside its device (a device
 * of size 0 is not checked) and be aligned to the target's logical block size. */
static int check_area(struct udm_target *ti, struct udm_blockdev *dev, uint64_t start, uint64_t len, void *data)
{
	struct area_check *ac = data;
	uint64_t size = udm_blockdev_sectors(dev);
	uint64_t lbs = ac->lbs >> UDM_SECTOR_SHIFT;
	(void)ti;
	if (!size)
		return 0;
	if (start >= size || start + len < start || start + len > size) {
		if (ac->errbuf)
			snprintf(ac->errbuf, ac->errlen, "%s too small for target: start=%llu, len=%llu, dev_size=%llu",
				 udm_blockdev_name(dev), (unsigned long long)start, (unsigned long long)len,
				 (unsigned long long)size);
		return -EINVAL;
	}
	if (lbs > 1 && ((start | len) & (lbs - 1))) {
		bool s = start & (lbs - 1);
		if (ac->errbuf)
			snprintf(ac->errbuf, ac->errlen, "%s=%llu not aligned to h/w logical block size %u of %s",
				 s ? "start" : "len", (unsigned long long)(s ? start : len), ac->lbs,
				 udm_blockdev_name(dev));
		return -EINVAL;
	}
	return 0;
}

/* dm_calculate_queue_limits: every device area checked against the target's
 * limits, then validate_hardware_logical_block_alignment: a request aligned to
 * the device's logical block size and split at a target boundary must leave
 * each piece aligned to the logical block size of the target serving it. */
int udm_table_validate_areas(struct udm_table *t, char *errbuf, size_t errlen, size_t *bad)
{
	struct area_check ac = { errbuf, errlen, 0 };
	unsigned dev_lbs = UDM_SECTOR_SIZE;
	for (size_t i = 0; i < t->num_targets; i++) {
		struct udm_target *ti = &t->targets[i];
		ac.lbs = target_lbs(ti, true);
		if (ac.lbs > dev_lbs)
			dev_lbs = ac.lbs;
		if (ti->type->iterate_devices) {
			int r = ti->type->iterate_devices(ti, check_area, &ac);
			if (r) {
				if (bad)
					*bad = i;
				return r;
			}
		}
	}
	uint64_t dev_sects = dev_lbs >> UDM_SECTOR_SHIFT, next = 0, remaining = 0;
	size_t i;
	for (i = 0; i < t->num_targets; i++) {
		struct udm_target *ti = &t->targets[i];
		uint64_t ti_sects = target_lbs(ti, false) >> UDM_SECTOR_SHIFT;
		if (remaining < ti->len && (remaining & (ti_sects - 1)))
			break;
		next = (next + ti->len) & (dev_sects - 1);
		remaining = next ? dev_sects - next : 0;
	}
	if (remaining) {
		/* the kernel's "line" is the index of the target it stopped at (the count when none) */
		const struct udm_target *ti = &t->targets[i < t->num_targets ? i : t->num_targets - 1];
		if (errbuf)
			snprintf(errbuf, errlen, "table line %zu (start sect %llu len %llu) not aligned to h/w logical block size %u",
				 i, (unsigned long long)ti->begin, (unsigned long long)ti->len, dev_lbs);
		if (bad)
			*bad = UDM_NO_TARGET;
		return -EINVAL;
	}
	return 0;
}

void udm_table_presuspend(struct udm_table *t)
{
	for (size_t i = 0; t && i < t->num_targets; i++)
		if (t->targets[i].type->presuspend)
			t->targets[i].type->presuspend(&t->targets[i]);
}

void udm_table_presuspend_undo(struct udm_table *t)
{
	for (size_t i = 0; t && i < t->num_targets; i++)
		if (t->targets[i].type->presuspend_undo)
			t->targets[i].type->presuspend_undo(&t->targets[i]);
}

void udm_table_postsuspend(struct udm_table *t)
{
	for (size_t i = 0; t && i < t->num_targets; i++)
		if (t->targets[i].type->postsuspend)
			t->targets[i].type->postsuspend(&t->targets[i]);
}

void udm_table_event(struct udm_table *t)
{
	if (t->bound)
		udm_dev_table_event(t->md);
}

/* dmsetup's table text: "<start> <length> <type> <params...>" per line,
 * '#' comments and blank lines skipped. Specs point into *storage. */
int udm_table_text_parse(const char *text, struct udm_target_spec **specs, size_t *count,
			 char **storage, unsigned *bad_line)
{
	char *buf = strdup(text ? text : "");
	if (!buf)
		return -ENOMEM;
	size_t n = 0, alloc = 0;
	struct udm_target_spec *v = NULL;
	unsigned lineno = 0;
	char *save = NULL;
	int r = 0;
	/* strtok_r would merge empty lines and lose line numbers: walk by hand. */
	for (char *line = buf; line; line = save) {
		lineno++;
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		while (isspace((unsigned char)*line))
			line++;
		if (!*line)
			continue;
		/* "<start> <length> <type> ": two strict decimal numbers (no sign,
		 * nothing glued on, no overflow) and a type the ioctl's 16-byte
		 * field holds with its NUL (DM_MAX_TYPE_NAME; libdevmapper refuses
		 * a longer one before the kernel sees it). */
		char *tok[3], *p = line;
		for (int k = 0; k < 3; k++) {
			while (isspace((unsigned char)*p))
				p++;
			tok[k] = p;
			while (*p && !isspace((unsigned char)*p))
				p++;
			if (*p)
				*p++ = '\0';
		}
		uint64_t start, len;
		if (udm_parse_u64(tok[0], &start) || udm_parse_u64(tok[1], &len) || !*tok[2] ||
		    strlen(tok[2]) >= 16) {
			r = -EINVAL;
			break;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			struct udm_target_spec *nv = realloc(v, alloc * sizeof(*v));
			if (!nv) { r = -ENOMEM; break; }
			v = nv;
		}
		char *params = p;
		size_t pl = strlen(params);
		while (pl && isspace((unsigned char)params[pl - 1]))
			params[--pl] = '\0';
		v[n].start = start;
		v[n].length = len;
		strcpy(v[n].type, tok[2]);
		v[n].params = params;
		n++;
	}
	if (r) {
		if (bad_line)
			*bad_line = lineno;
		free(v);
		free(buf);
		return r;
	}
	*specs = v;
	*count = n;
	*storage = buf;
	return 0;
}
