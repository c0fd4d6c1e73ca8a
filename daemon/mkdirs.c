/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mkdir -p for udmd's folders (runtime, state, --dev-dir). A leaf. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include "daemon/udmd.h"

int udmd_mkdirs(const char *path, mode_t mode)
{
	char p[4096];
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return -errno;
			*s = '/';
		}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}
