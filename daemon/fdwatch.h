/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A thread that waits for one file descriptor (a uevent socket, the mount
 * table) and calls a function each time it is ready, until stopped
 * (fdwatch.c). Used by identity_cache.c, kverity.c, enforce_bpf_scope.c and
 * the fanotify engine's mount thread. */
#ifndef UDMD_FDWATCH_H
#define UDMD_FDWATCH_H
#include <poll.h>

struct udmd_fdwatch;
/* revents: what poll() said of the descriptor (POLLIN, POLLPRI, POLLERR...).
 * Runs on the watch's thread. */
typedef void (*udmd_fdwatch_fn)(void *arg, short revents);

/* Start the thread: poll(fd, events) and fn(arg, revents) at each wake. 0 or
 * -errno. fd stays the caller's (not closed by stop). */
int udmd_fdwatch_start(struct udmd_fdwatch **out, int fd, short events, udmd_fdwatch_fn fn, void *arg);
/* End the thread (after the call of fn under way, if any) and free w; NULL:
 * nothing. Not from fn. */
void udmd_fdwatch_stop(struct udmd_fdwatch *w);
/* The mount table: watched as fd = open("/proc/self/mountinfo") with
 * POLLPRI; after each change (and once before the watch starts) the table
 * is read to its end, so that the next change wakes the watch again. */
#define UDMD_FDWATCH_MOUNTS POLLPRI
void udmd_fdwatch_mounts_seen(int fd);
#endif
