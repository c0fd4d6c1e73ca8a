/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnbd loaded at first use (libnbd.h says why). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include "nbd/libnbd.h"

struct udm_libnbd udm_libnbd;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_err;
static char load_why[160];

static void load(void)
{
	/* kept open until exit: the process may use it again at any time */
	void *so = dlopen(UDM_LIBNBD_SONAME, RTLD_NOW | RTLD_LOCAL);
	struct udm_libnbd t;

	if (!so) {
		const char *e = dlerror();
		snprintf(load_why, sizeof(load_why), "libnbd is not available (%s)", e ? e : UDM_LIBNBD_SONAME);
		load_err = -ELIBACC;
		return;
	}
#define UDM_LIBNBD_SYM(f)                                                                         \
	if (!(*(void **)&t.f = dlsym(so, #f))) {                                                  \
		snprintf(load_why, sizeof(load_why), "libnbd (%s) has no %s", UDM_LIBNBD_SONAME, #f); \
		load_err = -ELIBACC;                                                              \
		return;                                                                           \
	}
	UDM_LIBNBD_FUNCS(UDM_LIBNBD_SYM)
#undef UDM_LIBNBD_SYM
	udm_libnbd = t;
}

int udm_libnbd_load(char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (load_err && err && errlen)
		snprintf(err, errlen, "%s", load_why);
	return load_err;
}
