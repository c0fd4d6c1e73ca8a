/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fdwatch.h: one thread per watched descriptor, polling it beside an
 * eventfd that stop writes; a poll interrupted by a signal is simply
 * polled again. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "daemon/fdwatch.h"

struct udmd_fdwatch {
	int fd, stop_fd;
	short events;
	udmd_fdwatch_fn fn;
	void *arg;
	pthread_t thread;
};

static void *watch_thread(void *arg)
{
	struct udmd_fdwatch *w = arg;
	struct pollfd p[2] = { { .fd = w->fd, .events = w->events }, { .fd = w->stop_fd, .events = POLLIN } };
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (p[0].revents)
			w->fn(w->arg, p[0].revents);
	}
	return NULL;
}

int udmd_fdwatch_start(struct udmd_fdwatch **out, int fd, short events, udmd_fdwatch_fn fn, void *arg)
{
	struct udmd_fdwatch *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct udmd_fdwatch){ .fd = fd, .events = events, .fn = fn, .arg = arg };
	if ((w->stop_fd = eventfd(0, EFD_CLOEXEC)) < 0) {
		int r = -errno;
		free(w);
		return r;
	}
	int r = pthread_create(&w->thread, NULL, watch_thread, w);
	if (r) {
		close(w->stop_fd);
		free(w);
		return -r;
	}
	*out = w;
	return 0;
}

void udmd_fdwatch_mounts_seen(int fd)
{
	char tmp[4096];
	lseek(fd, 0, SEEK_SET);
	while (read(fd, tmp, sizeof(tmp)) > 0)
		;
}

void udmd_fdwatch_stop(struct udmd_fdwatch *w)
{
	if (!w)
		return;
	uint64_t one = 1;
	/* an eventfd's counter takes 1 unless it is near 2^64: never fails here */
	while (write(w->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(w->thread, NULL);
	close(w->stop_fd);
	free(w);
}
