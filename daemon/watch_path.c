/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The path of a watch, made absolute the same way for the fanotify marks
 * (enforce_fanotify_marks.c) and the BPF scope (enforce_bpf_scope.c). A
 * waiting watch's directory may not exist yet: it is looked at again at
 * every mount. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/watch_path.h"

int udmd_watch_path(const char *path, bool wait, char abs[PATH_MAX])
{
	if (!realpath(path, abs)) {
		if (!wait || path[0] != '/')
			return -errno;
		if (snprintf(abs, PATH_MAX, "%s", path) >= PATH_MAX)
			return -ENAMETOOLONG;
	}
	return strcmp(abs, "/") == 0 ? -EPERM : 0;
}
