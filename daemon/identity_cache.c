/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The identity cache (identity_cache.h): a kernel uevent socket
 * (NETLINK_KOBJECT_UEVENT) read by a thread of its own, and on demand by a
 * decision, remembering per block device the highest diskseq any uevent
 * carried and the highest one of a uevent that may have changed what the
 * device serves. Whatever the kernel does to a loop device that could change
 * the blocks it serves sends a uevent before the ioctl returns: LOOP_CHANGE_FD
 * and LOOP_CLR_FD a media change (DISK_MEDIA_CHANGE=1, with the diskseq it
 * had, bumped right after), LOOP_SET_STATUS of another offset or size limit a
 * resize (RESIZE=1), LOOP_CTL_REMOVE a remove. A ublk disk keeps its diskseq
 * from its add to its remove (STOP_DEV); a new disk given its number comes
 * with a higher one. A binding of diskseq D stays
 * trusted while no uevent of its device carried a higher diskseq, none that
 * could change it carried D or higher, and no uevent can have been lost since
 * the binding's epoch. The uevent of a change is queued before its ioctl
 * returns, so a decision that reads the queue after it got its event sees
 * every change made before the exec began (docs/enforcement.md). */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "daemon/fdwatch.h"
#include "daemon/identity_cache.h"
#include "daemon/udmd.h"

#define MAX_RECS 1024                  /* block devices remembered; more: an epoch */
#define PROC_USER_INIT_INO 0xEFFFFFFDU /* the initial user namespace's inode in nsfs */

struct rec {
	dev_t dev;
	uint64_t any;      /* highest diskseq of any uevent */
	uint64_t bad;      /* highest diskseq of a uevent that may change what it serves */
	bool has_bad;
};

struct udmd_idcache {
	int sock;
	struct udmd_fdwatch *watch;   /* drains the socket as uevents come */
	pthread_mutex_t lock;   /* the socket's reads and everything below */
	uint64_t epoch;
	struct rec recs[MAX_RECS];
	int nrecs;
};

static struct rec *rec_of(struct udmd_idcache *c, dev_t dev, bool add)
{
	for (int i = 0; i < c->nrecs; i++)
		if (c->recs[i].dev == dev)
			return &c->recs[i];
	if (!add)
		return NULL;
	if (c->nrecs == MAX_RECS) {
		/* forget them all: every binding made before is no longer trusted */
		c->nrecs = 0;
		c->epoch++;
	}
	struct rec *r = &c->recs[c->nrecs++];
	memset(r, 0, sizeof(*r));
	r->dev = dev;
	return r;
}

static bool num(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*v = x;
	return true;
}

/* One kernel uevent: "ACTION@DEVPATH\0KEY=VALUE\0...". Under c->lock. */
static void take(struct udmd_idcache *c, const char *msg, size_t len)
{
	const char *action = NULL, *subsystem = NULL;
	uint64_t major = 0, minor = 0, seq = 0;
	bool has_major = false, has_minor = false, has_seq = false, changes = false;
	for (size_t off = 0; off < len;) {
		const char *kv = msg + off;
		size_t n = strnlen(kv, len - off);
		if (off + n == len)
			break;   /* not terminated: a truncated message ends here */
		if (!strncmp(kv, "ACTION=", 7))
			action = kv + 7;
		else if (!strncmp(kv, "SUBSYSTEM=", 10))
			subsystem = kv + 10;
		else if (!strncmp(kv, "MAJOR=", 6))
			has_major = num(kv + 6, &major);
		else if (!strncmp(kv, "MINOR=", 6))
			has_minor = num(kv + 6, &minor);
		else if (!strncmp(kv, "DISKSEQ=", 8))
			has_seq = num(kv + 8, &seq);
		else if (!strncmp(kv, "DISK_MEDIA_CHANGE=", 18) || !strncmp(kv, "RESIZE=", 7))
			changes = true;
		off += n + 1;
	}
	if (!action || !subsystem || strcmp(subsystem, "block") || !has_major || !has_minor)
		return;
	/* anything but a plain change or an add may have changed it; one
	 * without a diskseq is after every diskseq. An add makes a disk, with
	 * a diskseq above that of every disk before it (a binding of an earlier
	 * one sees it as higher) and equal to that of a ublk binding of the new
	 * one (its own add, which must not withdraw it); a synthetic add
	 * (udevadm trigger) repeats the disk's number. */
	if (strcmp(action, "change") && strcmp(action, "add"))
		changes = true;
	if (!has_seq)
		seq = UINT64_MAX;
	struct rec *r = rec_of(c, makedev(major, minor), true);
	if (seq > r->any)
		r->any = seq;
	if (changes && (!r->has_bad || seq > r->bad)) {
		r->bad = seq;
		r->has_bad = true;
	}
}

/* Everything queued now. Under c->lock. */
static void drain(struct udmd_idcache *c)
{
	char buf[8192];
	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { buf, sizeof(buf) - 1 };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(c->sock, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* uevents were dropped: nothing made before is trusted */
				c->epoch++;
				c->nrecs = 0;
				continue;
			}
			return;   /* EAGAIN: all read */
		}
		/* from the kernel only (others can only cost trust, but need not) */
		if (mh.msg_namelen != sizeof(from) || from.nl_pid != 0 || (mh.msg_flags & MSG_TRUNC)) {
			if (mh.msg_flags & MSG_TRUNC) {
				c->epoch++;
				c->nrecs = 0;
			}
			continue;
		}
		buf[n] = '\0';
		take(c, buf, (size_t)n + 1);
	}
}

static void on_ready(void *arg, short revents)
{
	struct udmd_idcache *c = arg;
	(void)revents;
	pthread_mutex_lock(&c->lock);
	drain(c);
	pthread_mutex_unlock(&c->lock);
}

/* Untagged uevents (block devices) reach only the network namespaces of the
 * initial user namespace: elsewhere the socket would stay silent. */
static bool uevents_reach_us(void)
{
	int ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return false;
	int user = ioctl(ns, NS_GET_USERNS);
	close(ns);
	if (user < 0)
		return false;
	struct stat st;
	bool ok = fstat(user, &st) == 0 && st.st_ino == PROC_USER_INIT_INO;
	close(user);
	return ok;
}

int udmd_idcache_open(struct udmd_idcache **out)
{
	*out = NULL;
	if (!uevents_reach_us())
		return -ENOTSUP;
	struct udmd_idcache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
	int r = 0;
	if (c->sock < 0) {
		r = -errno;
	} else {
		/* room for bursts (udev coldplug); a loss only costs trust */
		int size = 4 << 20;
		if (setsockopt(c->sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
			setsockopt(c->sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };   /* the kernel's group */
		if (bind(c->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			r = -errno;
	}
	pthread_mutex_init(&c->lock, NULL);
	if (!r)
		r = udmd_fdwatch_start(&c->watch, c->sock, POLLIN, on_ready, c);
	if (r) {
		if (c->sock >= 0)
			close(c->sock);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

void udmd_idcache_close(struct udmd_idcache *c)
{
	if (!c)
		return;
	udmd_fdwatch_stop(c->watch);
	close(c->sock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

uint64_t udmd_idcache_epoch(struct udmd_idcache *c)
{
	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	uint64_t e = c->epoch;
	pthread_mutex_unlock(&c->lock);
	return e;
}

void udmd_idcache_sync(struct udmd_idcache *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	drain(c);
	pthread_mutex_unlock(&c->lock);
}

bool udmd_idcache_unchanged(struct udmd_idcache *c, dev_t dev, uint64_t diskseq, uint64_t epoch, bool sync)
{
	if (!c)
		return false;
	pthread_mutex_lock(&c->lock);
	if (sync)
		drain(c);
	bool ok = c->epoch == epoch;
	const struct rec *r = ok ? rec_of(c, dev, false) : NULL;
	if (r)
		ok = r->any <= diskseq && (!r->has_bad || r->bad < diskseq);
	pthread_mutex_unlock(&c->lock);
	return ok;
}
