/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The chooser of udmd's export backend and the interface the rest of udmd
 * calls (export.h): the only file that knows which backends there are. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "daemon/export.h"
#include "daemon/udmd.h"

/* The first is the default; "auto" tries them from the last to the first. */
static const struct export_ops *const backends[] = { &udmd_export_fuse, &udmd_export_ublk };
#define N_BACKENDS (sizeof(backends) / sizeof(backends[0]))

/* The one chosen at start (set once by udmd_export_init). */
static const struct export_ops *ops;
static bool auto_chosen;   /* by --export=auto */

static const struct export_ops *find_backend(const char *name)
{
	for (size_t i = 0; i < N_BACKENDS; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

bool udmd_export_known(const char *name, char *names, size_t len)
{
	size_t used = 0;
	for (size_t i = 0; i < N_BACKENDS && used < len; i++)
		used += (size_t)snprintf(names + used, len - used, "%s%s", i == 0 ? "" : ", ", backends[i]->name);
	if (used < len)
		snprintf(names + used, len - used, " or auto");
	return strcmp(name, "auto") == 0 || find_backend(name) != NULL;
}

int udmd_export_init(struct udmd *d)
{
	const char *want = d->cfg.export ? d->cfg.export : backends[0]->name;
	int r = -EINVAL;
	if (strcmp(want, "auto") == 0) {
		/* the first that starts, from the last: ublk where the kernel has it */
		for (size_t i = N_BACKENDS; i-- > 0 && r;)
			if (!(r = backends[i]->init(d)))
				ops = backends[i];
	} else {
		const struct export_ops *o = find_backend(want);
		if (o && !(r = o->init(d)))
			ops = o;
	}
	auto_chosen = strcmp(want, "auto") == 0;
	return r;
}

void udmd_export_clean_stale(struct udmd *d)
{
	if (ops)
		ops->clean_stale(d);
}

int udmd_export_start(struct udmd *d, char *err, size_t errlen)
{
	int r = ops ? ops->start(d, err, errlen) : -ENODEV;
	if (!r)   /* once the start can no longer fail for another reason */
		udmd_log("export: %s%s", ops->name, auto_chosen ? " (auto)" : "");
	return r;
}

int udmd_export_attach(struct udmd *d, const char *name, dev_t dev, bool readonly, struct export_blk *blk)
{
	return ops ? ops->attach(d, name, dev, readonly, blk) : -ENODEV;
}

int udmd_export_detach(struct udmd *d, dev_t dev, bool force)
{
	return ops ? ops->detach(d, dev, force) : -ENXIO;
}

void udmd_export_detach_all(struct udmd *d)
{
	if (ops)
		ops->detach_all(d);
}

int udmd_export_find(struct udmd *d, dev_t dev, struct export_blk *blk)
{
	return ops ? ops->find(d, dev, blk) : -ENXIO;
}

const char *udmd_export_name(void)
{
	return ops ? ops->name : "none";
}

const char *udmd_export_blk_noun(void)
{
	return ops ? ops->blk_noun : "block device";
}

bool udmd_export_claimed(struct udmd *d, dev_t dev)
{
	return ops && ops->claimed(d, dev);
}

int udmd_export_rename(struct udmd *d, const char *name, const char *newname)
{
	return ops && ops->rename ? ops->rename(d, name, newname) : -ENOENT;
}

void udmd_export_stop(struct udmd *d)
{
	if (ops)
		ops->stop(d);
}

void udmd_export_free(struct udmd *d)
{
	if (ops)
		ops->free(d);
	ops = NULL;
}
