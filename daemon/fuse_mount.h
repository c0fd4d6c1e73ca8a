/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A FUSE file system served by its own multithreaded loop, and the stop
 * sequence that never hangs: shared by mapper/ (fuse.c) and ipe/ (fuse_ipe.c). */
#ifndef UDMD_FUSE_MOUNT_H
#define UDMD_FUSE_MOUNT_H
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#endif
#include <fuse.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct udmd_fuse_mount {
	struct fuse *f;
	pthread_t th;
	bool running;
	char dir[600];
	unsigned max_threads, idle_threads;
	bool clone_fd;
};

/* Mount ops at dir with the -o options opts and start the loop thread;
 * 0 or -errno with one line in err. m's thread settings are read first. */
int udmd_fuse_mount_start(struct udmd_fuse_mount *m, const char *dir, const char *opts,
			  const struct fuse_operations *ops, void *data, char *err, size_t errlen);
/* Stop and unmount. false: the workers did not stop within 5 s and were left
 * running, so what they use must not be freed (the process is exiting). */
bool udmd_fuse_mount_stop(struct udmd_fuse_mount *m);
/* The FUSE connection of the topmost FUSE mount at dir (from mountinfo, never
 * a stat of the mount), or -1; and aborting it (needs fusectl). */
long udmd_fuse_conn_of(const char *dir);
void udmd_fuse_abort(long conn);
/* The settings both of udmd's file systems share: no page cache, no attribute, entry or
 * negative caching (a device, a policy, can change at any time). */
void udmd_fuse_uncached(struct fuse_config *cfg);

#endif
