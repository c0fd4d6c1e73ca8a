/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libudm's entry points that need more than one layer: a context, and the
 * registry as a program sees it, always come with the built-in targets.
 * The core names no target; this layer, above the core and the targets,
 * puts them together. Referencing the built-in list from here is also what
 * makes a static link (libudm.a) keep every target's object: every program
 * reaches one of these four functions before its first table load. */
#include <pthread.h>
#include "core/core.h"
#include "targets/builtin.h"

static pthread_once_t builtins_once = PTHREAD_ONCE_INIT;

static void register_builtins(void)
{
	for (const struct udm_target_type *const *p = udm_builtin_targets; *p; p++)
		udm_registry_add(*p);
}

static void builtins(void)
{
	pthread_once(&builtins_once, register_builtins);
}

struct udm_ctx *udm_ctx_new(void)
{
	builtins();
	return udm_ctx_create();
}

int udm_target_register(const struct udm_target_type *type)
{
	builtins();
	return udm_registry_add(type);
}

const struct udm_target_type *udm_target_find(const char *name)
{
	builtins();
	return udm_registry_find(name);
}

int udm_list_versions(struct udm_version_entry **out, size_t *count)
{
	builtins();
	return udm_registry_list(out, count);
}
