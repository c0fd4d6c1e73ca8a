/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Target registry: types register by name (the udm_targets linker section,
 * or at run time: lib/libudm/entry.c adds the built-in list before a
 * program's first use); the core itself names no target. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "core/core.h"

extern const struct udm_target_type *const __start_udm_targets[] __attribute__((weak));
extern const struct udm_target_type *const __stop_udm_targets[] __attribute__((weak));

#define REGISTRY_MAX 64
static const struct udm_target_type *registry[REGISTRY_MAX];
static size_t nregistry;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static int registry_index(const char *name)
{
	for (size_t i = 0; i < nregistry; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return (int)i;
	return -1;
}

static int register_locked(const struct udm_target_type *type)
{
	if (!type->name || !*type->name || strlen(type->name) > 16)
		return -EINVAL;
	if (registry_index(type->name) >= 0)
		return -EEXIST;
	if (nregistry == REGISTRY_MAX)
		return -ENOMEM;
	registry[nregistry++] = type;
	return 0;
}

/* The section holds the targets linked in as objects of the same module;
 * one registered again later is refused as a duplicate, which is harmless. */
static void registry_init(void)
{
	if (!__start_udm_targets)
		return;
	for (const struct udm_target_type *const *p = __start_udm_targets; p < __stop_udm_targets; p++)
		register_locked(*p);
}

int udm_registry_add(const struct udm_target_type *type)
{
	pthread_once(&registry_once, registry_init);
	pthread_mutex_lock(&registry_lock);
	int r = register_locked(type);
	pthread_mutex_unlock(&registry_lock);
	return r;
}

const struct udm_target_type *udm_registry_find(const char *name)
{
	pthread_once(&registry_once, registry_init);
	pthread_mutex_lock(&registry_lock);
	int i = registry_index(name);
	const struct udm_target_type *t = i >= 0 ? registry[i] : NULL;
	pthread_mutex_unlock(&registry_lock);
	return t;
}

static int cmp_version_entry(const void *a, const void *b)
{
	return strcmp(((const struct udm_version_entry *)a)->name, ((const struct udm_version_entry *)b)->name);
}

int udm_registry_list(struct udm_version_entry **out, size_t *count)
{
	pthread_once(&registry_once, registry_init);
	pthread_mutex_lock(&registry_lock);
	struct udm_version_entry *v = calloc(nregistry ? nregistry : 1, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&registry_lock);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nregistry; i++) {
		strncpy(v[i].name, registry[i]->name, sizeof(v[i].name) - 1);
		memcpy(v[i].version, registry[i]->version, sizeof(v[i].version));
	}
	*count = nregistry;
	pthread_mutex_unlock(&registry_lock);
	qsort(v, *count, sizeof(*v), cmp_version_entry);
	*out = v;
	return 0;
}

void udm_driver_version(unsigned version[3])
{
	version[0] = UDM_VERSION_MAJOR;
	version[1] = UDM_VERSION_MINOR;
	version[2] = UDM_VERSION_PATCH;
}
