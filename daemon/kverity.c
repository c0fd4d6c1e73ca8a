/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's own dm-verity devices as a property source for the BPF backend:
 * found with device-mapper's ioctls, followed through uevents, their live
 * tables' properties compiled into the BPF maps under the kseq protocol of
 * docs/kernel-verity.md (an entry is used only while its table is live). */
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include "daemon/enforce_bpf.h"
#include "daemon/fdwatch.h"
#include "daemon/udmd.h"
#include "util/hex.h"

struct udmd_kverity {
	struct udmd_bpf_backend *b;
	int nl_fd;                  /* NETLINK_KOBJECT_UEVENT, kernel group */
	struct udmd_fdwatch *watch; /* reads it as uevents come */
};

#define DM_BUF (64 * 1024)

/* One device-mapper ioctl on /dev/mapper/control with a result buffer that
 * grows while the kernel says it is full. io is freed by the caller. */
static int kdm_ioctl(unsigned long cmd, uint64_t dev, uint32_t flags, struct dm_ioctl **out)
{
	int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t size = DM_BUF;
	int r;
	for (;;) {
		struct dm_ioctl *io = calloc(1, size);
		if (!io) {
			r = -ENOMEM;
			break;
		}
		io->version[0] = DM_VERSION_MAJOR;
		io->version[1] = 0;
		io->version[2] = 0;
		io->data_size = (uint32_t)size;
		io->data_start = sizeof(*io);
		io->dev = dev;
		io->flags = flags;
		if (ioctl(fd, cmd, io) < 0) {
			r = -errno;
			free(io);
			break;
		}
		if ((io->flags & DM_BUFFER_FULL_FLAG) && size < 16 * 1024 * 1024) {
			free(io);
			size *= 4;
			continue;
		}
		*out = io;
		r = 0;
		break;
	}
	close(fd);
	return r;
}

/* A verity target's table line (STATUSTYPE_TABLE): "1 DATA HASH DBS HBS
 * BLOCKS HSTART ALG DIGEST SALT [N OPT...]". root_hash_sig_key_desc among the
 * options means the kernel verified a signature when it built this table: a
 * kernel without CONFIG_DM_VERITY_VERIFY_ROOTHASH_SIG refuses the option and
 * one with it refuses a signature that does not verify. */
static int parse_verity(const char *params, struct udm_integrity *b)
{
	char *copy = strdup(params), *save = NULL;
	if (!copy)
		return -ENOMEM;
	char *tok[64];
	int n = 0;
	for (char *t = strtok_r(copy, " \t\n", &save); t && n < 64; t = strtok_r(NULL, " \t\n", &save))
		tok[n++] = t;
	int r = -EINVAL;
	size_t dl = 0;
	if (n >= 10 && *tok[8] && strlen(tok[7]) < sizeof(b->alg)) {
		memset(b, 0, sizeof(*b));
		r = udm_hex_decode(tok[8], b->digest, sizeof(b->digest), &dl);
		if (!r) {
			b->has_roothash = true;
			b->digest_len = dl;
			snprintf(b->alg, sizeof(b->alg), "%s", tok[7]);
			b->sig = UDM_SIG_NONE;
			for (int i = 11; i < n; i++)
				if (strcmp(tok[i], "root_hash_sig_key_desc") == 0)
					b->sig = UDM_SIG_VALID;
		}
	}
	if (r)
		memset(b, 0, sizeof(*b));
	free(copy);
	return r;
}

int udmd_kverity_read(dev_t dev, struct udm_integrity *b, char *name, size_t namelen)
{
	struct dm_ioctl *io = NULL;
	memset(b, 0, sizeof(*b));
	int r = kdm_ioctl(DM_TABLE_STATUS, (uint64_t)dev, DM_STATUS_TABLE_FLAG, &io);
	if (r)
		return r;
	if (name)
		snprintf(name, namelen, "%.*s", (int)sizeof(io->name), io->name);
	/* one target, verity, over the whole device: as IPE sees it (several
	 * verity targets in one table: each preresume overwrites the last; such
	 * tables get no properties here) */
	if ((io->flags & DM_ACTIVE_PRESENT_FLAG) && io->target_count == 1 &&
	    io->data_size > io->data_start + sizeof(struct dm_target_spec)) {
		struct dm_target_spec *spec = (struct dm_target_spec *)((char *)io + io->data_start);
		char *params = (char *)(spec + 1);
		char *end = (char *)io + io->data_size;
		if (spec->sector_start == 0 && strncmp(spec->target_type, "verity", sizeof(spec->target_type)) == 0 &&
		    memchr(params, '\0', (size_t)(end - params)))
			parse_verity(params, b);
	}
	free(io);
	return 0;
}

/* The properties a decision on dev sees now (udm policy eval --file, status):
 * the entry udmd wrote, only while its table is live. */
bool udmd_kverity_props(struct udmd_bpf_backend *b, dev_t dev, struct udm_integrity *blob)
{
	memset(blob, 0, sizeof(*blob));
	bool ok = false;
	pthread_mutex_lock(&b->lock);
	if (b->maps)
		ok = udmd_bpf_kdev_get(b->maps, dev, blob) == 0;
	pthread_mutex_unlock(&b->lock);
	return ok;
}

/* Read dev's live table between two reads of its kseq and write its entry
 * for that kseq; a swap in between makes the entry unusable at once, and the
 * read is tried again. Under the backend's lock. */
static void refresh(struct udmd_bpf_backend *b, dev_t dev)
{
	struct udmd_bpf *e = b->maps;
	if (!e)
		return;
	bool setint = false;
	if (!udmd_bpf_kverity(e, &setint))
		return;
	for (int attempt = 0; attempt < 50; attempt++) {
		__u64 s1, s2;
		struct udm_integrity blob;
		if (udmd_bpf_kseq(e, dev, &s1, true))
			break;
		if (s1 & UDM_KSEQ_BUSY) {
			/* a table is being bound right now */
			struct timespec ts = { 0, 1000000L };
			pthread_mutex_unlock(&b->lock);
			nanosleep(&ts, NULL);
			pthread_mutex_lock(&b->lock);
			if (!(e = b->maps))
				return;
			continue;
		}
		/* 6.12+: what dm-verity told the LSMs for this table, as IPE has it;
		 * else (non-verity table, or bound before udm's programs) the table */
		if (!(setint && udmd_bpf_kprops(e, dev, s1, &blob) == 0)) {
			int r = udmd_kverity_read(dev, &blob, NULL, 0);
			if (r == -ENXIO || r == -ENODEV) {
				udmd_bpf_kdev_drop(e, dev, false);
				return;
			}
			if (r)
				break;
		}
		if (udmd_bpf_kseq(e, dev, &s2, false) || s2 != s1)
			continue;
		int r = udmd_bpf_kdev_set(e, dev, s1, &blob);
		if (r)
			udmd_log("kernel dm device %u:%u: %s (its files have no properties)", major(dev),
				 minor(dev), strerror(-r));
		return;
	}
	/* fails closed: no entry, no properties */
	udmd_bpf_kdev_drop(e, dev, false);
	udmd_log("kernel dm device %u:%u: its table kept changing, no properties for now", major(dev),
		 minor(dev));
}

/* The entries of a DM_LIST_DEVICES reply, bounds-checked: the first, or the
 * one after nl; NULL past the last. */
static struct dm_name_list *name_list_next(struct dm_ioctl *io, struct dm_name_list *nl)
{
	char *end = (char *)io + io->data_size;
	if (!nl)
		nl = (struct dm_name_list *)((char *)io + io->data_start);
	else if (!nl->next)
		return NULL;
	else
		nl = (struct dm_name_list *)((char *)nl + nl->next);
	return (char *)(nl + 1) <= end && nl->dev ? nl : NULL;
}

/* Every kernel dm device now. */
static void scan(struct udmd_bpf_backend *b)
{
	struct dm_ioctl *io = NULL;
	if (kdm_ioctl(DM_LIST_DEVICES, 0, 0, &io))
		return;
	dev_t devs[1024];
	size_t n = 0;
	for (struct dm_name_list *nl = name_list_next(io, NULL); nl && n < 1024; nl = name_list_next(io, nl))
		devs[n++] = (dev_t)nl->dev;
	free(io);
	pthread_mutex_lock(&b->lock);
	for (size_t i = 0; i < n; i++)
		refresh(b, devs[i]);
	pthread_mutex_unlock(&b->lock);
}

/* One kernel uevent: "ACTION@DEVPATH\0KEY=VALUE\0...". */
static void on_uevent(struct udmd_bpf_backend *b, char *buf, size_t len)
{
	const char *action = NULL, *subsystem = NULL, *devname = NULL;
	unsigned maj = 0, min = 0;
	bool have_maj = false, have_min = false;
	for (size_t off = 0; off < len;) {
		char *kv = buf + off;
		size_t l = strnlen(kv, len - off);
		if (strncmp(kv, "ACTION=", 7) == 0)
			action = kv + 7;
		else if (strncmp(kv, "SUBSYSTEM=", 10) == 0)
			subsystem = kv + 10;
		else if (strncmp(kv, "DEVNAME=", 8) == 0)
			devname = kv + 8;
		else if (strncmp(kv, "MAJOR=", 6) == 0)
			have_maj = sscanf(kv + 6, "%u", &maj) == 1;
		else if (strncmp(kv, "MINOR=", 6) == 0)
			have_min = sscanf(kv + 6, "%u", &min) == 1;
		off += l + 1;
	}
	if (!action || !subsystem || !devname || !have_maj || !have_min || strcmp(subsystem, "block") ||
	    strncmp(devname, "dm-", 3))
		return;
	dev_t dev = makedev(maj, min);
	pthread_mutex_lock(&b->lock);
	if (b->maps) {
		if (strcmp(action, "remove") == 0)
			udmd_bpf_kdev_drop(b->maps, dev, true);
		else
			refresh(b, dev);   /* add, change (resume, rename): the live table decides */
	}
	pthread_mutex_unlock(&b->lock);
}

/* The socket is readable: one uevent. */
static void on_ready(void *arg, short revents)
{
	struct udmd_kverity *k = arg;
	char buf[8192];
	(void)revents;
	struct sockaddr_nl sa;
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr m = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(k->nl_fd, &m, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == ENOBUFS)
			scan(k->b);   /* events were lost: every device again */
		return;
	}
	if (sa.nl_pid != 0)
		return;        /* only the kernel's (the ioctls decide anyway) */
	buf[n] = '\0';
	on_uevent(k->b, buf, (size_t)n);
}

int udmd_kverity_start(struct udmd_bpf_backend *b)
{
	struct udmd_kverity *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->b = b;
	k->nl_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int rcv = 4 * 1024 * 1024;
	int r = 0;
	if (k->nl_fd < 0 || bind(k->nl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = -errno;
	if (!r) {
		setsockopt(k->nl_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
		/* subscribed first, then the scan: no change falls in between */
		scan(b);
		r = udmd_fdwatch_start(&k->watch, k->nl_fd, POLLIN, on_ready, k);
	}
	if (r) {
		if (k->nl_fd >= 0)
			close(k->nl_fd);
		free(k);
		return r;
	}
	b->kverity = k;
	return 0;
}

void udmd_kverity_stop(struct udmd_bpf_backend *b)
{
	struct udmd_kverity *k = b->kverity;
	if (!k)
		return;
	b->kverity = NULL;
	udmd_fdwatch_stop(k->watch);
	close(k->nl_fd);
	free(k);
}

void udmd_kverity_status(struct udmd_bpf_backend *b, struct udmd_out *out)
{
	struct dm_ioctl *io = NULL;
	if (kdm_ioctl(DM_LIST_DEVICES, 0, 0, &io))
		return;
	for (struct dm_name_list *nl = name_list_next(io, NULL); nl; nl = name_list_next(io, nl)) {
		struct udm_integrity blob;
		dev_t dev = (dev_t)nl->dev;
		if (udmd_kverity_props(b, dev, &blob)) {
			udmd_printf(out, "kernel dm-verity: dm-%u (%u:%u) %s dmverity_roothash=%s:", minor(dev),
				    major(dev), minor(dev), nl->name, blob.alg);
			for (size_t i = 0; i < blob.digest_len; i++)
				udmd_printf(out, "%02x", blob.digest[i]);
			udmd_printf(out, " dmverity_signature=%d\n", blob.sig == UDM_SIG_VALID);
		}
	}
	free(io);
}
