/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Exec enforcement with fanotify permission events (FAN_OPEN_EXEC_PERM): each
 * event is answered allow/deny by a decision callback. Marks are filesystem
 * marks (every mount of the superblock, in every namespace). Mount scope:
 * the filesystems mounted at the watched paths, followed across umount and
 * mount; the filesystem of / is refused so a deny-by-default policy can never
 * stop the whole machine. System scope: every filesystem of udmd's mount
 * namespace, followed as mounts come and go. */
#ifndef UDMD_ENFORCE_H
#define UDMD_ENFORCE_H
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

struct enforce_event {
	int fd;                 /* the file being executed (read-only) */
	pid_t pid;
	const struct stat *st;
	const char *path;       /* from /proc/self/fd, for audit */
	bool may_ask_fs;        /* false: a FUSE file, no ioctl (its server could hang the decision) */
};
/* Returns true to allow. Runs on the enforcer thread; must not block long. */
typedef bool (*enforce_decide_fn)(void *arg, const struct enforce_event *ev);

struct enforcer;
/* root_dev: the filesystem of / (never marked in mount scope); system: mark
 * every filesystem now and as they are mounted */
int enforcer_start(struct enforcer **out, enforce_decide_fn decide, void *arg, dev_t root_dev, bool system);
void enforcer_stop(struct enforcer *e);
int enforcer_watch_add(struct enforcer *e, const char *mount_path);
/* A watch that waits for its mount: added whatever is mounted at the path
 * now (or even if it does not exist yet), marked as soon as a filesystem is
 * mounted there. 0 (marked now), 1 (waiting, listed inactive) or -errno
 * (-EEXIST, -EPERM for /, -ENOSPC). */
int enforcer_watch_add_waiting(struct enforcer *e, const char *mount_path);
int enforcer_watch_remove(struct enforcer *e, const char *mount_path);
/* one line per watch, "PATH" while a filesystem mounted there is marked,
 * "PATH (inactive: WHY)" otherwise; caller frees */
char *enforcer_watch_list(struct enforcer *e);
/* "scope: ...\nwatches: ...\n" for udm enforce status */
void enforcer_describe(struct enforcer *e, char *buf, size_t len);

/* Which udm device is behind a file's st_dev is the daemon's record, not the
 * loop's backing file name: udmd_binding_lookup (daemon/identity.c). */
#endif
