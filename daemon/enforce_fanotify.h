/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fanotify backend's parts, private to it. Calls go down this list:
 *   enforce_fanotify.c         the backend behind struct enforcer_ops, the decision
 *   enforce_fanotify_record.c  a decision's AUDIT_IPE_ACCESS record
 *   enforce_fanotify_engine.c  the fanotify group, its event loop, the mount thread
 *   enforce_fanotify_marks.c   the watched paths and the marked filesystems
 *   enforce_fanotify_mounts.c  udmd's mount table: mount points, FUSE or not
 * What flows up (an event to decide) goes through a callback (fan_decide_fn). */
#ifndef UDMD_ENFORCE_FANOTIFY_H
#define UDMD_ENFORCE_FANOTIFY_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "ipe/ipe.h"

struct udmd;

/* ---- enforce_fanotify_mounts.c: the mount table ---- */

/* stat without asking the filesystem (AT_STATX_DONT_SYNC; superblock,
 * inode, mode, the statx attributes if asked): a FUSE server that never
 * answers cannot hold the caller. 0 or -1 (errno). */
int fan_statx_cached(int dirfd, const char *path, int flags, struct stat *st, uint64_t *attributes);
/* Calls fn(arg, mount point, dev, type) for each mount of udmd's namespace,
 * in mount order; stops when fn returns non-zero (and returns that). */
int fan_each_mount(int (*fn)(void *arg, const char *mp, dev_t dev, const char *type), void *arg);
/* A path of udmd's namespace on superblock dev, or false. */
bool fan_path_of_dev(dev_t dev, char *out, size_t len);
/* Only whole mounts may be watched: 0 and the superblock at abs, or -errno
 * (-ENOTDIR, -EINVAL: not a mount point). */
int fan_mount_point_dev(const char *abs, dev_t *dev);

/* The superblocks of udmd's mount table, FUSE or not (its own lock). */
struct fan_fstab {
	pthread_mutex_t lock;
	struct { dev_t dev; bool fuse; } fs[512];
	int nfs;
};
void fan_fstab_init(struct fan_fstab *t);
void fan_fstab_destroy(struct fan_fstab *t);
/* Read the mount table again (it changed). */
void fan_fstab_refresh(struct fan_fstab *t);
/* May a decision ask dev's filesystem (an ioctl)? Not a FUSE one. */
bool fan_fstab_may_be_asked(struct fan_fstab *t, dev_t dev);

/* ---- enforce_fanotify_marks.c: the watched paths and their marks ---- */

#define FAN_MAX_WATCHES 64
#define FAN_MAX_DEVS 16      /* superblocks one watch has marked (one per remount at its path) */
#define FAN_MAX_MARKS 1024   /* system scope: marked superblocks */

/* A watched path. A filesystem mark (FAN_MARK_FILESYSTEM) covers the whole
 * superblock: every mount of it, bind mounts and other mount namespaces
 * included. When another filesystem is mounted at the path it is marked too;
 * the earlier ones stay marked for as long as they exist (unmounting the path
 * must not free a filesystem that is still reachable through a bind mount or
 * another namespace). */
struct fan_watch {
	char *path;
	dev_t cur;               /* the superblock mounted at path now; 0: none */
	const char *why;         /* why cur is 0 (for the list and the log) */
	dev_t devs[FAN_MAX_DEVS];   /* superblocks marked for this watch */
	int ndevs;
};

struct fan_marks {
	int fan_fd;              /* the group the marks are placed on */
	dev_t root_dev;          /* the filesystem of /: never marked in mount scope */
	bool system;             /* every filesystem of udmd's mount namespace */
	pthread_mutex_t lock;    /* everything below */
	struct fan_watch watches[FAN_MAX_WATCHES];
	int nwatches;
	dev_t marks[FAN_MAX_MARKS];   /* system scope: marked superblocks */
	int nmarks;
	dev_t refused[64];       /* system scope: superblocks that refused a mark (logged once) */
	int nrefused;
	unsigned rescans;
};
void fan_marks_init(struct fan_marks *m, int fan_fd, dev_t root_dev, bool system);
void fan_marks_destroy(struct fan_marks *m);   /* the marks go with the group */
/* The mount table changed (or at start): every watch and, in system scope,
 * every filesystem marked as it is mounted now. */
void fan_marks_rescan(struct fan_marks *m);
/* Watch the filesystem mounted at path. wait: the path may show nothing
 * markable yet (returns 1, and the watch is brought up at a later mount);
 * else it must be a mount point marked now. 0, 1 or -errno (-EEXIST: live
 * already). */
int fan_marks_watch(struct fan_marks *m, const char *path, bool wait);
int fan_marks_unwatch(struct fan_marks *m, const char *path);
char *fan_marks_list(struct fan_marks *m);   /* "PATH\n" or "PATH (inactive: WHY)\n" each; free() */
void fan_marks_describe(struct fan_marks *m, char *buf, size_t len);

/* ---- enforce_fanotify_engine.c: the group and its threads ---- */

struct fan_event {
	int fd;                 /* the file being executed (read-only) */
	pid_t pid;
	const struct stat *st;
	/* the file has fs-verity (statx says so) and its filesystem may be
	 * asked for the digest (not FUSE: its server could hang the decision) */
	bool fsverity;
};
/* Returns true to allow. Runs on the engine's thread; must not block long. */
typedef bool (*fan_decide_fn)(void *arg, const struct fan_event *ev);
/* A batch of events was read, their decisions follow (same thread and arg). */
typedef void (*fan_batch_fn)(void *arg);

struct fan_engine;
/* Make the group and start its threads (system scope: every filesystem is
 * marked before this returns). 0 or -errno. */
int fan_engine_start(struct fan_engine **out, fan_batch_fn batch, fan_decide_fn decide, void *arg, dev_t root_dev,
		     bool system);
/* Closing the group lets every pending and future exec through. */
void fan_engine_stop(struct fan_engine *e);
struct fan_marks *fan_engine_marks(struct fan_engine *e);

/* ---- enforce_fanotify_record.c: a decision's record ---- */

/* The AUDIT_IPE_ACCESS record of decision dec on event ev, to udmd's sinks. */
void fan_record(struct udmd *d, const struct fan_event *ev, const struct ipe_decision *dec, bool enforcing);
#endif
