/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fanotify backend behind struct enforcer_ops (enforce.h): exec
 * enforcement with fanotify permission events (FAN_OPEN_EXEC_PERM). One thread
 * reads the events of one fanotify group and answers them with an IPE
 * evaluation of op=EXECUTE, with the properties of the file's device read from
 * the integrity blob of the udm device object udmd bound its loop device to
 * (identity.c) at that moment; another follows the mount table so that the
 * marked filesystems stay those of the watched paths (or every filesystem, in
 * system scope).
 *
 * Marks are filesystem marks (every mount of the superblock, in every
 * namespace). Mount scope: the filesystems mounted at the watched paths,
 * followed across umount and mount; the filesystem of / is refused so a
 * deny-by-default policy can never stop the whole machine. System scope:
 * every filesystem of udmd's mount namespace, followed as mounts come and go.
 * The engine starts at the first watch (at start in system scope) and fails
 * open when udmd exits. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fsverity.h>
#include <sys/ioctl.h>
#include "daemon/audit.h"
#include "daemon/enforce.h"
#include "daemon/udmd.h"
#include "ipe/ipe.h"

#define MAX_WATCHES 64
#define MAX_DEVS 16      /* superblocks one watch has marked (one per remount at its path) */
#define MAX_MARKS 1024   /* system scope: marked superblocks */
#define MASK FAN_OPEN_EXEC_PERM

/* A watched path. A filesystem mark (FAN_MARK_FILESYSTEM) covers the whole
 * superblock: every mount of it, bind mounts and other mount namespaces
 * included. When another filesystem is mounted at the path it is marked too;
 * the earlier ones stay marked for as long as they exist (unmounting the path
 * must not free a filesystem that is still reachable through a bind mount or
 * another namespace). */
struct watch {
	char *path;
	dev_t cur;               /* the superblock mounted at path now; 0: none */
	const char *why;         /* why cur is 0 (for the list and the log) */
	dev_t devs[MAX_DEVS];    /* superblocks marked for this watch */
	int ndevs;
};

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

struct fan_engine {
	int fan_fd, stop_fd, mounts_fd;
	pthread_t thread;          /* reads the events and decides them (engine_thread) */
	pthread_t mount_thread;    /* follows the mount table (mount_thread) */
	atomic_bool stopping;
	fan_decide_fn decide;
	void *arg;
	dev_t root_dev;          /* the filesystem of /: never marked in mount scope */
	bool system;             /* every filesystem of udmd's mount namespace */
	pthread_mutex_t lock;     /* everything below */
	struct watch watches[MAX_WATCHES];
	int nwatches;
	dev_t marks[MAX_MARKS];  /* system scope: marked superblocks */
	int nmarks;
	struct { dev_t dev; bool fuse; } fs[512];   /* superblocks of udmd's mount table, FUSE or not */
	int nfs;
	dev_t refused[64];       /* system scope: superblocks that refused a mark (logged once) */
	int nrefused;
	unsigned rescans;
};

/* stat without asking the filesystem: the superblock, inode and mode are in
 * the kernel's inode. A FUSE server that never answers would otherwise hang
 * this thread, and with it every exec on a marked filesystem (in system
 * scope: every exec on the machine; any user can mount a FUSE filesystem). */
static int statx_cached(int dirfd, const char *path, int flags, struct stat *st, uint64_t *attributes)
{
	struct statx x;
	if (statx(dirfd, path, flags | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MODE | STATX_INO, &x) < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(x.stx_dev_major, x.stx_dev_minor);
	st->st_rdev = makedev(x.stx_rdev_major, x.stx_rdev_minor);
	st->st_ino = x.stx_ino;
	st->st_mode = x.stx_mode;
	if (attributes)
		*attributes = x.stx_attributes & x.stx_attributes_mask;
	return 0;
}

static int stat_cached(int dirfd, const char *path, int flags, struct stat *st)
{
	return statx_cached(dirfd, path, flags, st, NULL);
}

static bool fs_may_be_asked(struct fan_engine *e, dev_t dev);

/* Decide one permission event: true to allow. */
static bool decide_event(struct fan_engine *e, const struct fanotify_event_metadata *m)
{
	struct stat st;
	uint64_t attrs;
	/* Every event comes from a mark udmd placed, and a mark is only
	 * removed on purpose: each one is decided. Fail closed: a file we
	 * cannot stat is denied. */
	if (statx_cached(m->fd, "", AT_EMPTY_PATH, &st, &attrs) < 0)
		return false;
	/* Only a file with fs-verity can have fs-verity properties: the
	 * filesystem is asked for the digest of no other (the inode's flag, as
	 * statx reports it, is what FS_IOC_MEASURE_VERITY itself checks). */
	struct fan_event ev = { .fd = m->fd, .pid = m->pid, .st = &st,
				.fsverity = (attrs & STATX_ATTR_VERITY) && fs_may_be_asked(e, st.st_dev) };
	return e->decide(e->arg, &ev);
}

/* The events one read() returned: every permission event is decided, then
 * all are answered with one writev (the kernel takes one response per
 * write and loops over the vector), then their files are closed. */
#define MAX_BATCH ((int)(8192 / FAN_EVENT_METADATA_LEN) + 1)
static void handle_events(struct fan_engine *e, const void *buf, ssize_t len)
{
	struct fanotify_response resp[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	int fds[MAX_BATCH], nresp = 0, nfds = 0;
	for (const struct fanotify_event_metadata *m = buf; FAN_EVENT_OK(m, len) && nfds < MAX_BATCH;
	     m = FAN_EVENT_NEXT(m, len)) {
		if (m->fd < 0)
			continue;
		if (m->vers == FANOTIFY_METADATA_VERSION && (m->mask & FAN_OPEN_EXEC_PERM)) {
			resp[nresp] = (struct fanotify_response){ .fd = m->fd,
								  .response = decide_event(e, m) ? FAN_ALLOW : FAN_DENY };
			iov[nresp] = (struct iovec){ &resp[nresp], sizeof(resp[nresp]) };
			nresp++;
		}
		fds[nfds++] = m->fd;
	}
	/* A failed response leaves its exec waiting: retried on EINTR only,
	 * and the ones after it are still sent. */
	for (int i = 0; i < nresp;) {
		ssize_t n = writev(e->fan_fd, iov + i, nresp - i);
		if (n < 0 && errno == EINTR)
			continue;
		i += n <= 0 ? 1 : (int)(n / (ssize_t)sizeof(resp[0])) + (n % (ssize_t)sizeof(resp[0]) != 0);
	}
	/* The files after their answers (a closed number could be reused by the
	 * next event before its answer). One close_range when they are a run of
	 * numbers, which they are when nothing else opened a file meanwhile: a
	 * run holds only event files, as each of its numbers is open here. */
	int lo = INT_MAX, hi = -1;
	for (int i = 0; i < nfds; i++) {
		lo = fds[i] < lo ? fds[i] : lo;
		hi = fds[i] > hi ? fds[i] : hi;
	}
	if (nfds > 1 && hi - lo + 1 == nfds && close_range((unsigned)lo, (unsigned)hi, 0) == 0)
		return;
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
}

/* ---- the mount table ---- */

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* Calls fn(arg, mount point, dev) for each mount of udmd's namespace, in
 * mount order; stops when fn returns non-zero (and returns that). */
static int each_mount(int (*fn)(void *, const char *, dev_t, const char *), void *arg)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	char *line = NULL;
	size_t cap = 0;
	int r = 0;
	while (!r && getline(&line, &cap, f) > 0) {
		unsigned ma, mi;
		int n = 0;
		if (sscanf(line, "%*d %*d %u:%u %*s %n", &ma, &mi, &n) < 2 || !n)
			continue;
		char *mp = line + n, *end = strchr(mp, ' ');
		if (!end)
			continue;
		*end = '\0';
		unescape(mp);
		/* the file system type follows the " - " separator */
		char *sep = strstr(end + 1, " - "), *type = sep ? sep + 3 : (char *)"";
		type[strcspn(type, " \n")] = '\0';
		r = fn(arg, mp, makedev(ma, mi), type);
	}
	free(line);
	fclose(f);
	return r;
}

struct find_mount { dev_t dev; char path[PATH_MAX]; };

static int find_mount_fn(void *arg, const char *mp, dev_t dev, const char *type)
{
	(void)type;
	struct find_mount *fm = arg;
	struct stat st;
	/* the last mount of dev in the table whose path still shows it (not over-mounted) */
	if (dev == fm->dev && stat_cached(AT_FDCWD, mp, 0, &st) == 0 && st.st_dev == dev)
		snprintf(fm->path, sizeof(fm->path), "%s", mp);
	return 0;
}

/* A path of udmd's namespace on superblock dev, or false. */
static bool path_of_dev(dev_t dev, char *out, size_t len)
{
	struct find_mount fm = { .dev = dev };
	each_mount(find_mount_fn, &fm);
	if (!fm.path[0])
		return false;
	snprintf(out, len, "%s", fm.path);
	return true;
}

/* Only whole mounts may be watched; 0 and the superblock, or -errno. */
static int mount_point_dev(const char *abs, dev_t *dev)
{
	struct stat st, parent;
	char up[PATH_MAX + 4];
	snprintf(up, sizeof(up), "%s/..", abs);
	if (stat_cached(AT_FDCWD, abs, 0, &st) < 0 || stat_cached(AT_FDCWD, up, 0, &parent) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_dev == parent.st_dev && st.st_ino != parent.st_ino)
		return -EINVAL;   /* not a mount point */
	*dev = st.st_dev;
	return 0;
}

static int dev_refs(struct fan_engine *e, dev_t dev)
{
	int n = 0;
	for (int i = 0; i < e->nwatches; i++)
		for (int j = 0; j < e->watches[i].ndevs; j++)
			n += e->watches[i].devs[j] == dev;
	for (int i = 0; e->system && i < e->nmarks; i++)
		n += e->marks[i] == dev;
	return n;
}

/* Mark the filesystem mounted at path, which must be dev (checked again
 * after the mark: a mount racing in between is seen by the next rescan). */
static int mark_fs(struct fan_engine *e, const char *path, dev_t dev)
{
	if (fanotify_mark(e->fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, MASK, AT_FDCWD, path) < 0)
		return -errno;
	struct stat st;
	if (stat_cached(AT_FDCWD, path, 0, &st) == 0 && st.st_dev != dev)
		return -EAGAIN;
	return 0;
}

static void unmark_dev(struct fan_engine *e, dev_t dev, const char *why)
{
	if (dev_refs(e, dev))
		return;   /* still needed by another watch */
	char p[PATH_MAX];
	if (!path_of_dev(dev, p, sizeof(p))) {
		/* not in udmd's namespace (gone, or only mounted in another one): the
		 * kernel drops the mark with the filesystem; until then its files
		 * are still decided */
		udmd_log("enforcer: fanotify: %s: filesystem %u:%u is not mounted in udmd's namespace; its mark, if "
			 "it still exists, goes with the filesystem", why, major(dev), minor(dev));
		return;
	}
	if (fanotify_mark(e->fan_fd, FAN_MARK_REMOVE | FAN_MARK_FILESYSTEM, MASK, AT_FDCWD, p) < 0 &&
	    errno != ENOENT)
		udmd_log("enforcer: fanotify: %s: unmarking %s: %s", why, p, strerror(errno));
}

/* Bring one watch up to date with what is mounted at its path now. Returns
 * true when the path shows a marked filesystem. Under e->lock. */
static bool refresh_watch(struct fan_engine *e, struct watch *w)
{
	dev_t dev = 0;
	int r = mount_point_dev(w->path, &dev);
	dev_t was = w->cur;
	if (r == 0 && dev == e->root_dev)
		r = -EPERM;
	if (r) {
		w->cur = 0;
		w->why = r == -EPERM ? "the filesystem of / is mounted there, it is never marked" :
			 r == -EINVAL ? "nothing is mounted there" : strerror(-r);
		if (was)
			udmd_log("enforcer: fanotify: %s: %s; the watch waits for the next mount there", w->path, w->why);
		return false;
	}
	bool known = false;
	for (int j = 0; j < w->ndevs; j++)
		known |= w->devs[j] == dev;
	if (!known && w->ndevs == MAX_DEVS) {
		/* forget the oldest superblock that is gone from udmd's namespace */
		char p[PATH_MAX];
		for (int j = 0; j < w->ndevs; j++)
			if (!path_of_dev(w->devs[j], p, sizeof(p))) {
				w->devs[j] = w->devs[--w->ndevs];
				break;
			}
	}
	if (!known && w->ndevs == MAX_DEVS) {
		w->cur = 0;
		w->why = "too many filesystems were mounted there";
		udmd_log("enforcer: fanotify: %s: %s; not marked", w->path, w->why);
		return false;
	}
	/* marked again even when known: the same dev_t may be a new superblock
	 * (a loop device reused), and adding a mark that exists is harmless */
	if ((r = mark_fs(e, w->path, dev))) {
		w->cur = 0;
		w->why = r == -EAGAIN ? "the mount changed while it was marked" : strerror(-r);
		udmd_log("enforcer: fanotify: %s: marking filesystem %u:%u: %s", w->path, major(dev), minor(dev), w->why);
		return false;
	}
	if (!known)
		w->devs[w->ndevs++] = dev;
	if (was != dev)
		udmd_log("enforcer: fanotify: %s: filesystem %u:%u marked", w->path, major(dev), minor(dev));
	w->cur = dev;
	w->why = NULL;
	return true;
}

static int system_mark_fn(void *arg, const char *mp, dev_t dev, const char *type)
{
	(void)type;
	struct fan_engine *e = arg;
	for (int i = 0; i < e->nmarks; i++)
		if (e->marks[i] == dev)
			return 0;
	if (e->nmarks == MAX_MARKS) {
		udmd_log("enforcer: fanotify: more than %d filesystems: %s not marked", MAX_MARKS, mp);
		return 0;
	}
	int r = mark_fs(e, mp, dev);
	if (r == -EAGAIN)
		return 0;   /* over-mounted: reached through its other mounts, or not at all */
	if (r) {
		/* pseudo file systems refuse some marks (proc: EINVAL); nothing
		 * executes from them. Said once per superblock. */
		for (int i = 0; i < e->nrefused; i++)
			if (e->refused[i] == dev)
				return 0;
		if (e->nrefused < (int)(sizeof(e->refused) / sizeof(e->refused[0])))
			e->refused[e->nrefused++] = dev;
		udmd_log("enforcer: fanotify: %s: filesystem %u:%u not marked: %s", mp, major(dev), minor(dev),
			 strerror(-r));
		return 0;
	}
	e->marks[e->nmarks++] = dev;
	return 0;
}

static int fs_fn(void *arg, const char *mp, dev_t dev, const char *type)
{
	struct fan_engine *e = arg;
	(void)mp;
	for (int i = 0; i < e->nfs; i++)
		if (e->fs[i].dev == dev)
			return 0;
	if (e->nfs < (int)(sizeof(e->fs) / sizeof(e->fs[0]))) {
		e->fs[e->nfs].dev = dev;
		e->fs[e->nfs++].fuse = strncmp(type, "fuse", 4) == 0;
	}
	return 0;
}

static void refresh_fs(struct fan_engine *e)
{
	e->nfs = 0;
	each_mount(fs_fn, e);
}

/* May the decision ask the file's filesystem (an ioctl)? Not a FUSE one: its
 * server could hold this thread forever. Known from the mount table, read
 * again when the superblock is not in it yet; one only mounted in another
 * namespace is judged by its number (FUSE's are anonymous, major 0; fuseblk
 * needs root). */
static bool fs_may_be_asked(struct fan_engine *e, dev_t dev)
{
	bool may = major(dev) != 0;
	pthread_mutex_lock(&e->lock);
	for (int pass = 0; pass < 2; pass++) {
		int i = 0;
		while (i < e->nfs && e->fs[i].dev != dev)
			i++;
		if (i < e->nfs) {
			may = !e->fs[i].fuse;
			break;
		}
		if (pass == 0)
			refresh_fs(e);
	}
	pthread_mutex_unlock(&e->lock);
	return may;
}

/* The mount table changed (or at start): follow it. */
static void rescan(struct fan_engine *e)
{
	pthread_mutex_lock(&e->lock);
	refresh_fs(e);
	e->rescans++;
	for (int i = 0; i < e->nwatches; i++)
		refresh_watch(e, &e->watches[i]);
	if (e->system) {
		/* forget superblocks gone from the table (their marks went with them;
		 * a reused dev_t is then marked again as new) */
		char p[PATH_MAX];
		for (int i = 0; i < e->nmarks;)
			if (!path_of_dev(e->marks[i], p, sizeof(p)))
				e->marks[i] = e->marks[--e->nmarks];
			else
				i++;
		each_mount(system_mark_fn, e);
	}
	pthread_mutex_unlock(&e->lock);
}

/* Interrupts the decision thread's read() (engine_stop). */
#define WAKE_SIGNAL SIGUSR2
static void wake_handler(int sig)
{
	(void)sig;
}

/* The decision thread: one blocking read() of the events, each decided on
 * this thread and answered (handle_events), nothing else on the way of an
 * exec: no poll, no hand-off to another thread. engine_stop sets stopping
 * and interrupts the read with WAKE_SIGNAL (again, until the thread is gone:
 * a signal that comes just before the read is not lost on it for long). */
static void *engine_thread(void *arg)
{
	struct fan_engine *e = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	while (!atomic_load(&e->stopping)) {
		ssize_t len = read(e->fan_fd, buf, sizeof(buf));
		if (len > 0) {
			handle_events(e, buf, len);
		} else if (len < 0 && errno != EINTR && errno != EAGAIN) {
			/* no file number for an event (EMFILE): the kernel denied it;
			 * do not spin while that lasts */
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* The mount thread: follows the mount table (the marks of the watches and,
 * in system scope, of every filesystem) until engine_stop. */
static void *mount_thread(void *arg)
{
	struct fan_engine *e = arg;
	struct pollfd p[2] = { { .fd = e->stop_fd, .events = POLLIN }, { .fd = e->mounts_fd, .events = POLLPRI } };
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents & (POLLPRI | POLLERR)) {
			/* the mount table changed: re-read it from the start next time */
			lseek(e->mounts_fd, 0, SEEK_SET);
			char tmp[4096];
			while (read(e->mounts_fd, tmp, sizeof(tmp)) > 0)
				;
			rescan(e);
		}
	}
	return NULL;
}

static void stop_decisions(struct fan_engine *e)
{
	atomic_store(&e->stopping, true);
	for (;;) {
		pthread_kill(e->thread, WAKE_SIGNAL);
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 10 * 1000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
		if (pthread_timedjoin_np(e->thread, NULL, &t) == 0)
			return;
	}
}

static int engine_start(struct fan_engine **out, fan_decide_fn decide, void *arg, dev_t root_dev, bool system)
{
	struct fan_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->decide = decide;
	e->arg = arg;
	e->root_dev = root_dev;
	e->system = system;
	e->stop_fd = e->mounts_fd = -1;
	pthread_mutex_init(&e->lock, NULL);
	/* a handler without SA_RESTART: the signal ends the read with EINTR */
	struct sigaction sa = { .sa_handler = wake_handler };
	sigemptyset(&sa.sa_mask);
	sigaction(WAKE_SIGNAL, &sa, NULL);
	int r = 0;
	/* blocking: the decision thread waits in read() */
	e->fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (e->fan_fd < 0)
		r = -errno;
	else if ((e->mounts_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)) < 0 ||
		 (e->stop_fd = eventfd(0, EFD_CLOEXEC)) < 0)
		r = -errno;
	if (!r && system)
		rescan(e);   /* every filesystem is marked before udmd reports ready */
	if (!r && pthread_create(&e->thread, NULL, engine_thread, e))
		r = -ENOMEM;
	else if (!r && pthread_create(&e->mount_thread, NULL, mount_thread, e)) {
		stop_decisions(e);
		r = -ENOMEM;
	}
	if (r) {
		if (e->stop_fd >= 0)
			close(e->stop_fd);
		if (e->mounts_fd >= 0)
			close(e->mounts_fd);
		if (e->fan_fd >= 0)
			close(e->fan_fd);
		pthread_mutex_destroy(&e->lock);
		free(e);
		return r;
	}
	*out = e;
	return 0;
}

static void engine_stop(struct fan_engine *e)
{
	if (!e)
		return;
	uint64_t one = 1;
	if (write(e->stop_fd, &one, sizeof(one)) < 0)
		perror("enforcer stop");
	pthread_join(e->mount_thread, NULL);
	stop_decisions(e);
	/* closing the group lets every pending and future exec through */
	close(e->fan_fd);
	close(e->stop_fd);
	close(e->mounts_fd);
	for (int i = 0; i < e->nwatches; i++)
		free(e->watches[i].path);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

static int watch_index(struct fan_engine *e, const char *abs)
{
	for (int i = 0; i < e->nwatches; i++)
		if (strcmp(e->watches[i].path, abs) == 0)
			return i;
	return -1;
}

static int engine_watch_add(struct fan_engine *e, const char *mount_path)
{
	char abs[PATH_MAX];
	dev_t dev;
	if (!realpath(mount_path, abs))
		return -errno;
	if (strcmp(abs, "/") == 0)
		return -EPERM;
	int r = mount_point_dev(abs, &dev);
	if (r)
		return r;
	if (dev == e->root_dev)
		return -EPERM;   /* a bind mount of part of /: the mark would cover all of / */
	pthread_mutex_lock(&e->lock);
	int i = watch_index(e, abs);
	if (i >= 0) {
		/* "already watched" only when the watch is live on what is mounted
		 * there now; a waiting watch is brought up again */
		struct watch *w = &e->watches[i];
		bool live = w->cur == dev;
		r = refresh_watch(e, w) ? (live ? -EEXIST : 0) : -EIO;
	} else if (e->nwatches == MAX_WATCHES) {
		r = -ENOSPC;
	} else {
		struct watch *w = &e->watches[e->nwatches];
		memset(w, 0, sizeof(*w));
		if (!(w->path = strdup(abs))) {
			r = -ENOMEM;
		} else if ((r = mark_fs(e, abs, dev))) {
			free(w->path);
		} else {
			w->cur = w->devs[0] = dev;
			w->ndevs = 1;
			e->nwatches++;
		}
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

static int engine_watch_add_waiting(struct fan_engine *e, const char *mount_path)
{
	char abs[PATH_MAX];
	/* the directory may not exist yet either: it is looked at again at every mount */
	if (!realpath(mount_path, abs)) {
		if (mount_path[0] != '/')
			return -errno;
		if (snprintf(abs, sizeof(abs), "%s", mount_path) >= (int)sizeof(abs))
			return -ENAMETOOLONG;
	}
	if (strcmp(abs, "/") == 0)
		return -EPERM;
	pthread_mutex_lock(&e->lock);
	int r;
	if (watch_index(e, abs) >= 0) {
		r = -EEXIST;
	} else if (e->nwatches == MAX_WATCHES) {
		r = -ENOSPC;
	} else {
		struct watch *w = &e->watches[e->nwatches];
		memset(w, 0, sizeof(*w));
		if (!(w->path = strdup(abs))) {
			r = -ENOMEM;
		} else {
			e->nwatches++;
			r = refresh_watch(e, w) ? 0 : 1;
		}
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

static int engine_watch_remove(struct fan_engine *e, const char *mount_path)
{
	char abs[PATH_MAX];
	/* the path may be gone (a waiting watch whose directory was removed) */
	if (!realpath(mount_path, abs))
		snprintf(abs, sizeof(abs), "%s", mount_path);
	pthread_mutex_lock(&e->lock);
	int i = watch_index(e, abs), r = 0;
	if (i < 0) {
		r = -ENOENT;
	} else {
		struct watch w = e->watches[i];
		e->watches[i] = e->watches[--e->nwatches];
		for (int j = 0; j < w.ndevs; j++)
			unmark_dev(e, w.devs[j], w.path);
		free(w.path);
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

static char *engine_watch_list(struct fan_engine *e)
{
	pthread_mutex_lock(&e->lock);
	size_t len = 1;
	for (int i = 0; i < e->nwatches; i++)
		len += strlen(e->watches[i].path) + 128;
	char *out = calloc(1, len), *p = out;
	for (int i = 0; out && i < e->nwatches; i++) {
		const struct watch *w = &e->watches[i];
		/* a watch that marks nothing at its path now is never listed as if it did */
		if (w->cur)
			p += sprintf(p, "%s\n", w->path);
		else
			p += sprintf(p, "%s (inactive: %s)\n", w->path, w->why ? w->why : "?");
	}
	pthread_mutex_unlock(&e->lock);
	return out;
}

static void engine_describe(struct fan_engine *e, char *buf, size_t len)
{
	pthread_mutex_lock(&e->lock);
	int active = 0;
	for (int i = 0; i < e->nwatches; i++)
		active += e->watches[i].cur != 0;
	if (e->system)
		snprintf(buf, len, "scope: system (%d filesystems marked)\nwatches: %d (%d active)\n", e->nmarks,
			 e->nwatches, active);
	else
		snprintf(buf, len, "scope: mounts\nwatches: %d (%d active)\n", e->nwatches, active);
	pthread_mutex_unlock(&e->lock);
}

/* ---- the backend ---- */

struct fan_backend {
	struct udmd *d;
	pthread_mutex_t lock;       /* guards engine */
	struct fan_engine *engine;  /* NULL until the first watch (system scope: start) */
	_Atomic unsigned long long denied, allowed;   /* every decision since start */
};

/* The kernel's s_id of a block device's superblock: its disk name ("loop3"). */
static void superblock_id(dev_t dev, char *out, size_t len)
{
	char p[96], link[256];
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	ssize_t n = readlink(p, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		const char *base = strrchr(link, '/');
		snprintf(out, len, "%.60s", base ? base + 1 : link);
	} else {
		snprintf(out, len, "%u:%u", major(dev), minor(dev));
	}
}

static void process_comm(pid_t pid, char *out, size_t len)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(p, "r");
	out[0] = '\0';
	if (f) {
		if (fgets(out, (int)len, f))
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

/* fs-verity digest of the file itself, where the filesystem supports it. */
static bool fsverity_digest(int fd, char *alg, size_t alglen, uint8_t *digest, size_t *len)
{
	struct {
		struct fsverity_digest d;
		uint8_t buf[64];
	} m = { .d.digest_size = 64 };
	if (ioctl(fd, FS_IOC_MEASURE_VERITY, &m) < 0)
		return false;
	snprintf(alg, alglen, "%s", m.d.digest_algorithm == FS_VERITY_HASH_ALG_SHA512 ? "sha512" : "sha256");
	*len = m.d.digest_size;
	memcpy(digest, m.d.digest, m.d.digest_size);
	return true;
}

static bool decide_exec(void *arg, const struct fan_event *ev)
{
	struct fan_backend *f = arg;
	struct udmd *d = f->d;
	struct ipe_eval_ctx c = { .op = IPE_OP_EXECUTE, .hook = IPE_HOOK_BPRM_CHECK, .has_file = true };
	/* boot_verified, adapted: the file lives on the superblock pinned at start */
	c.boot_verified = d->boot_dev && ev->st->st_dev == d->boot_dev;

	/* Files on devices that are not udm verity devices have no dm-verity
	 * properties, as in the kernel. The blob read is one atomic snapshot of
	 * the table live now. */
	struct udm_integrity blob;
	udmd_identity_integrity(d, ev->st->st_dev, &blob);
	if (blob.has_roothash) {
		c.dmv_present = true;
		c.dmv_alg = blob.alg;
		c.dmv_digest = blob.digest;
		c.dmv_digest_len = blob.digest_len;
		c.dmv_signed = blob.sig == UDM_SIG_VALID;
	}
	char fsv_alg[16];
	uint8_t fsv_digest[64];
	size_t fsv_len = 0;
	/* only for a file with fs-verity, and not sent to a FUSE file: its
	 * server could hold the decision thread (and every exec waiting on it)
	 * forever */
	if (ev->fsverity && fsverity_digest(ev->fd, fsv_alg, sizeof(fsv_alg), fsv_digest, &fsv_len)) {
		c.fsv_present = true;
		c.fsv_alg = fsv_alg;
		c.fsv_digest = fsv_digest;
		c.fsv_digest_len = fsv_len;
	}

	struct ipe_policy *pol = d->ipe ? ipe_store_get_active(d->ipe) : NULL;
	struct ipe_decision dec;
	ipe_eval(pol, &c, &dec);
	bool enforcing = d->ipe ? ipe_store_enforcing(d->ipe) : true;
	bool success_audit = d->ipe && ipe_store_success_audit(d->ipe);
	bool allow = dec.action == IPE_ACTION_ALLOW;
	if (allow)
		f->allowed++;
	else
		f->denied++;
	if (pol && (!allow || success_audit)) {
		/* the path, the command and the disk name only for a record */
		char comm[32], dev[64], rec[2048];
		char link[64], path[PATH_MAX] = "?";
		snprintf(link, sizeof(link), "/proc/self/fd/%d", ev->fd);
		ssize_t n = readlink(link, path, sizeof(path) - 1);
		if (n >= 0)
			path[n] = '\0';
		process_comm(ev->pid, comm, sizeof(comm));
		superblock_id(ev->st->st_dev, dev, sizeof(dev));
		struct ipe_audit_subject s = { .pid = ev->pid, .comm = comm, .has_file = true, .path = path,
					       .has_inode = true, .dev = dev, .ino = ev->st->st_ino };
		ipe_audit_access(rec, sizeof(rec), &dec, IPE_HOOK_BPRM_CHECK, enforcing, &s);
		udmd_audit_access(d, rec, &dec, IPE_HOOK_BPRM_CHECK, enforcing, path, ev->pid);
	}
	if (pol)
		ipe_policy_put(pol);
	/* permissive mode: audit the denial, let it run */
	return allow || !enforcing;
}

static int fan_engine_up(struct fan_backend *f, char *err, size_t errlen)
{
	pthread_mutex_lock(&f->lock);
	int r = 0;
	if (!f->engine) {
		r = engine_start(&f->engine, decide_exec, f, f->d->boot_dev, f->d->cfg.fanotify_system);
		if (r && err)
			snprintf(err, errlen, "fanotify: %s", strerror(-r));
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static void fan_free(void *state)
{
	struct fan_backend *f = state;
	if (!f)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static int fan_start(struct udmd *d, void **state, struct enforcer_refusal *ref)
{
	struct fan_backend *f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(ref->err, sizeof(ref->err), "out of memory");
		return -ENOMEM;
	}
	f->d = d;
	pthread_mutex_init(&f->lock, NULL);
	if (d->cfg.fanotify_system) {
		/* every filesystem is marked before udmd reports ready */
		int r = fan_engine_up(f, ref->err, sizeof(ref->err));
		if (r) {
			snprintf(ref->why, sizeof(ref->why), "%.500s", ref->err);
			fan_free(f);
			return r;
		}
		udmd_log("enforcer: fanotify (system scope: every filesystem of udmd's mount namespace)");
	} else {
		udmd_log("enforcer: fanotify (mount scope: the filesystems of the watched mounts)");
	}
	*state = f;
	return 0;
}

/* executions are no longer checked from here on */
static void fan_stop(void *state)
{
	struct fan_backend *f = state;
	pthread_mutex_lock(&f->lock);
	engine_stop(f->engine);
	f->engine = NULL;
	pthread_mutex_unlock(&f->lock);
}

static int fan_detach(void *state, struct udmd_out *out)
{
	struct fan_backend *f = state;
	pthread_mutex_lock(&f->lock);
	if (f->engine) {
		engine_stop(f->engine);
		f->engine = NULL;
		udmd_log("enforcer: fanotify stopped (udm enforce stop)");
		udmd_printf(out, "fanotify enforcement stopped\n");
	} else {
		udmd_printf(out, "no enforcement is running\n");
	}
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static int fan_watch_add(void *state, const char *path, bool wait)
{
	struct fan_backend *f = state;
	int r = fan_engine_up(f, NULL, 0);
	if (r)
		return r;
	return wait ? engine_watch_add_waiting(f->engine, path) : engine_watch_add(f->engine, path);
}

static int fan_watch_remove(void *state, const char *path)
{
	struct fan_backend *f = state;
	int r = -ENOENT;
	pthread_mutex_lock(&f->lock);
	if (f->engine)
		r = engine_watch_remove(f->engine, path);
	pthread_mutex_unlock(&f->lock);
	return r;
}

static char *fan_watch_list(void *state)
{
	struct fan_backend *f = state;
	char *list = NULL;
	pthread_mutex_lock(&f->lock);
	if (f->engine)
		list = engine_watch_list(f->engine);
	pthread_mutex_unlock(&f->lock);
	return list;
}

static void fan_status(void *state, struct udmd_out *out)
{
	struct fan_backend *f = state;
	pthread_mutex_lock(&f->lock);
	if (f->engine) {
		char buf[256];
		engine_describe(f->engine, buf, sizeof(buf));
		udmd_printf(out, "enforcer: fanotify\n%srunning: yes\n", buf);
	} else {
		udmd_printf(out, "enforcer: fanotify\nscope: %s\nrunning: no\n",
			    f->d->cfg.fanotify_system ? "system" : "mounts");
	}
	pthread_mutex_unlock(&f->lock);
}

static bool fan_running(void *state)
{
	struct fan_backend *f = state;
	pthread_mutex_lock(&f->lock);
	bool on = f->engine != NULL;
	pthread_mutex_unlock(&f->lock);
	return on;
}

static void fan_counts(void *state, unsigned long long *denied, unsigned long long *allowed)
{
	struct fan_backend *f = state;
	*denied = f->denied;
	*allowed = f->allowed;
}

const struct enforcer_ops udmd_enforcer_fanotify = {
	.name = "fanotify",
	.counts_note = "",
	.start = fan_start,
	.stop = fan_stop,
	.free = fan_free,
	.detach = fan_detach,
	.watch_add = fan_watch_add,
	.watch_remove = fan_watch_remove,
	.watch_list = fan_watch_list,
	.status = fan_status,
	.running = fan_running,
	.counts = fan_counts,
};
