/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fanotify backend's engine (enforce_fanotify.h): one fanotify group
 * (FAN_CLASS_CONTENT, FAN_OPEN_EXEC_PERM marks: enforce_fanotify_marks.c),
 * a thread that reads its permission events and answers them with the
 * decision the backend gives (fan_decide_fn), and a thread that follows the
 * mount table so that the marked filesystems stay those of the watched paths
 * (or every filesystem, in system scope). Closing the group, when the engine
 * stops or udmd exits, lets every exec through. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "daemon/enforce_fanotify.h"
#include "daemon/fdwatch.h"

struct fan_engine {
	int fan_fd, mounts_fd;
	pthread_t thread;          /* reads the events and decides them (engine_thread) */
	struct udmd_fdwatch *mounts;   /* follows the mount table (mounts_changed) */
	fan_batch_fn batch;
	fan_decide_fn decide;
	void *arg;
	struct fan_marks marks;
	struct fan_fstab fstab;
	/* the decision thread's read buffer (not on its stack: see engine_thread) */
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
};

struct fan_marks *fan_engine_marks(struct fan_engine *e)
{
	return &e->marks;
}

/* Decide one permission event: true to allow. */
static bool decide_event(struct fan_engine *e, const struct fanotify_event_metadata *m)
{
	struct stat st;
	uint64_t attrs;
	/* Every event comes from a mark udmd placed, and a mark is only
	 * removed on purpose: each one is decided. Fail closed: a file we
	 * cannot stat is denied. */
	if (fan_statx_cached(m->fd, "", AT_EMPTY_PATH, &st, &attrs) < 0)
		return false;
	/* Only a file with fs-verity can have fs-verity properties: the
	 * filesystem is asked for the digest of no other (the inode's flag, as
	 * statx reports it, is what FS_IOC_MEASURE_VERITY itself checks). */
	struct fan_event ev = { .fd = m->fd, .pid = m->pid, .st = &st,
				.fsverity = (attrs & STATX_ATTR_VERITY) && fan_fstab_may_be_asked(&e->fstab, st.st_dev) };
	return e->decide(e->arg, &ev);
}

/* The events one read() returned: the backend hears of the batch once, every
 * permission event is decided, then all are answered with one writev (the
 * kernel takes one response per write and loops over the vector), then
 * their files are closed. */
#define MAX_BATCH ((int)(sizeof(((struct fan_engine *)0)->buf) / FAN_EVENT_METADATA_LEN) + 1)
__attribute__((noinline)) static void handle_events(struct fan_engine *e, const void *buf, ssize_t len)
{
	struct fanotify_response resp[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	int fds[MAX_BATCH], nresp = 0, nfds = 0;
	if (e->batch)
		e->batch(e->arg);
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

/* The mount table changed (or at start): follow it. */
static void rescan(struct fan_engine *e)
{
	fan_fstab_refresh(&e->fstab);
	fan_marks_rescan(&e->marks);
}

/* No file number for an event (EMFILE): the kernel denied it; do not spin
 * while that lasts. */
__attribute__((noinline)) static void pause_a_moment(void)
{
	struct timespec ts = { 0, 1000000 };
	nanosleep(&ts, NULL);
}

/* The decision thread: one blocking read() of the events, each decided on
 * this thread and answered (handle_events), nothing else on the way of an
 * exec: no poll, no hand-off to another thread. fan_engine_stop cancels it
 * (pthread_cancel), which it allows only while it waits in read(): glibc
 * wakes that read with a signal of its own sent to this thread alone, and
 * the events of a read that returned are decided and answered first. No
 * handler of ours is installed: no other thread of udmd can see EINTR.
 * The frame that the cancellation unwinds holds no array or address-taken
 * variable (the buffer is e's; the work is in functions that return before
 * the next read): AddressSanitizer would otherwise leave its guard zones
 * poisoned on the stack glibc hands to the next thread. */
static void *engine_thread(void *arg)
{
	struct fan_engine *e = arg;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	for (;;) {
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		ssize_t len = read(e->fan_fd, e->buf, sizeof(e->buf));
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (len > 0)
			handle_events(e, e->buf, len);
		else if (len < 0 && errno != EINTR && errno != EAGAIN)
			pause_a_moment();
	}
	return NULL;
}

/* The mount table changed: the marks of the watches and, in system scope,
 * of every filesystem follow it (on the mount watch's thread). */
static void mounts_changed(void *arg, short revents)
{
	struct fan_engine *e = arg;
	if (!(revents & (POLLPRI | POLLERR)))
		return;
	udmd_fdwatch_mounts_seen(e->mounts_fd);
	rescan(e);
}

static void stop_decisions(struct fan_engine *e)
{
	/* acted upon at its next read(), which ends at once */
	pthread_cancel(e->thread);
	pthread_join(e->thread, NULL);
}

static void engine_free(struct fan_engine *e)
{
	if (e->mounts_fd >= 0)
		close(e->mounts_fd);
	/* closing the group lets every pending and future exec through */
	if (e->fan_fd >= 0)
		close(e->fan_fd);
	fan_marks_destroy(&e->marks);
	fan_fstab_destroy(&e->fstab);
	free(e);
}

int fan_engine_start(struct fan_engine **out, fan_batch_fn batch, fan_decide_fn decide, void *arg, dev_t root_dev,
		     bool system)
{
	struct fan_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->batch = batch;
	e->decide = decide;
	e->arg = arg;
	e->mounts_fd = -1;
	int r = 0;
	/* Blocking: the decision thread waits in read(). An unlimited queue: a
	 * permission event that finds the queue full (16384 by default) is not
	 * queued, and the kernel lets its exec through; with no limit an event
	 * is only ever lost when it cannot be allocated, and then it is denied. */
	e->fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_UNLIMITED_QUEUE,
				  O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (e->fan_fd < 0)
		r = -errno;
	else if ((e->mounts_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)) < 0)
		r = -errno;
	fan_marks_init(&e->marks, e->fan_fd, root_dev, system);
	fan_fstab_init(&e->fstab);
	if (!r && system)
		rescan(e);   /* every filesystem is marked before udmd reports ready */
	if (!r && pthread_create(&e->thread, NULL, engine_thread, e))
		r = -ENOMEM;
	else if (!r && (r = udmd_fdwatch_start(&e->mounts, e->mounts_fd, UDMD_FDWATCH_MOUNTS, mounts_changed, e)))
		stop_decisions(e);
	if (r) {
		engine_free(e);
		return r;
	}
	*out = e;
	return 0;
}

void fan_engine_stop(struct fan_engine *e)
{
	if (!e)
		return;
	udmd_fdwatch_stop(e->mounts);
	stop_decisions(e);
	engine_free(e);
}
