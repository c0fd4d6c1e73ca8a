/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The path of a watch (udm watch add, --enforce-mount), as both enforcers
 * take it (watch_path.c). */
#ifndef UDMD_WATCH_PATH_H
#define UDMD_WATCH_PATH_H
#include <limits.h>
#include <stdbool.h>

/* path made absolute into abs: resolved where it exists; a waiting watch
 * (wait) may name an absolute path that does not exist yet, taken as it is.
 * 0, -errno of the resolution, -ENAMETOOLONG, or -EPERM for / (a watch of
 * the whole system is not a watch). */
int udmd_watch_path(const char *path, bool wait, char abs[PATH_MAX]);
#endif
