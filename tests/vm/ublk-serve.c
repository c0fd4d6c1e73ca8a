// SPDX-License-Identifier: GPL-2.0-or-later
/* A guest-side tool for the VM tier: serves a file as a ublk device through
 * daemon/ublk.c, to test the server on its own (adds, reads and writes, kill -9
 * and takeover, stop).
 *   ublk-serve add FILE [ro]        prints "ID MAJ:MIN", serves until SIGTERM/SIGINT
 *   ublk-serve recover ID FILE [ro] takes over device ID, prints "ID MAJ:MIN"
 * SIGTERM/SIGINT: stop and delete the device; SIGKILL leaves it for recovery. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "daemon/ublk.h"

static int fd;

static int io(void *arg, enum ublk_srv_op op, uint64_t sector, uint32_t n, void *buf)
{
	(void)arg;
	size_t len = (size_t)n << 9;
	off_t off = (off_t)(sector << 9);
	ssize_t r;
	switch (op) {
	case UBLK_SRV_READ:
		r = pread(fd, buf, len, off);
		return r == (ssize_t)len ? 0 : -EIO;
	case UBLK_SRV_WRITE:
		r = pwrite(fd, buf, len, off);
		return r == (ssize_t)len ? 0 : -EIO;
	case UBLK_SRV_FLUSH:
		return fsync(fd) ? -errno : 0;
	default:
		return -EOPNOTSUPP;
	}
}

int main(int argc, char **argv)
{
	bool rec = argc >= 4 && !strcmp(argv[1], "recover");
	if (!(argc >= 3 && !strcmp(argv[1], "add")) && !rec) {
		fprintf(stderr, "usage: ublk-serve add FILE [ro] | recover ID FILE [ro]\n");
		return 2;
	}
	const char *file = argv[rec ? 3 : 2];
	bool ro = argc > (rec ? 4 : 3) && !strcmp(argv[rec ? 4 : 3], "ro");
	if ((fd = open(file, ro ? O_RDONLY : O_RDWR)) < 0) {
		fprintf(stderr, "ublk-serve: %s: %s\n", file, strerror(errno));
		return 1;
	}
	struct stat st;
	fstat(fd, &st);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);   /* queue threads inherit the mask */
	struct ublk_srv_params p = { .sectors = (uint64_t)st.st_size >> 9, .logical_block_size = 512, .readonly = ro };
	struct ublk_srv *s;
	char err[256] = "";
	int r = rec ? ublk_srv_recover(atoi(argv[2]), &p, io, NULL, &s, err, sizeof(err))
		    : ublk_srv_add(&p, io, NULL, &s, err, sizeof(err));
	if (r) {
		fprintf(stderr, "ublk-serve: %s\n", err);
		return 1;
	}
	printf("%d %u:%u\n", ublk_srv_id(s), major(ublk_srv_devt(s)), minor(ublk_srv_devt(s)));
	fflush(stdout);
	int sig;
	sigwait(&set, &sig);
	ublk_srv_remove(s);
	close(fd);
	return 0;
}
