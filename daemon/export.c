/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The chooser of udmd's export backend and the interface the rest of udmd
 * calls (export.h): the only file that knows which backends there are. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "daemon/export.h"
#include "daemon/udmd.h"

static const struct export_ops *const backends[] = { &udmd_export_fuse };
#define N_BACKENDS (sizeof(backends) / sizeof(backends[0]))

/* The one chosen at start (set once by udmd_export_init). */
static const struct export_ops *ops;

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
		used += (size_t)snprintf(names + used, len - used, "%s%s", i == 0 ? "" : i + 1 == N_BACKENDS ? " or " : ", ",
					 backends[i]->name);
	return find_backend(name) != NULL;
}

int udmd_export_init(struct udmd *d)
{
	const struct export_ops *o = find_backend(d->cfg.export ? d->cfg.export : backends[0]->name);
	if (!o)
		return -EINVAL;
	int r = o->init(d);
	if (!r)
		ops = o;
	return r;
}

void udmd_export_clean_stale(struct udmd *d)
{
	if (ops)
		ops->clean_stale(d);
}

int udmd_export_start(struct udmd *d, char *err, size_t errlen)
{
	return ops ? ops->start(d, err, errlen) : -ENODEV;
}

int udmd_export_attach(struct udmd *d, const char *name, dev_t dev, bool readonly, int *minor)
{
	return ops ? ops->attach(d, name, dev, readonly, minor) : -ENODEV;
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

int udmd_export_find(struct udmd *d, dev_t dev)
{
	return ops ? ops->find(d, dev) : -1;
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
