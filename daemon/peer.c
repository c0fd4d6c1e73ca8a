/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who is on the other end: the capabilities and ptrace state of a client
 * process, read from /proc through a pidfd so that a pid reused after the
 * client exited is never mistaken for it (SO_PEERPIDFD where the kernel has it,
 * 6.5+; else a pidfd opened on SO_PEERCRED's pid, checked alive after the read). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "daemon/peer.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

static int pidfd_of(int sock, pid_t pid)
{
	int fd = -1;
	socklen_t len = sizeof(fd);
	if (sock >= 0 && getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &fd, &len) == 0 && fd >= 0)
		return fd;
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static bool alive(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	return poll(&p, 1, 0) == 0;   /* a pidfd is readable once its process has exited */
}

int udmd_peer_read(int sock, pid_t pid, struct udmd_peer *out)
{
	memset(out, 0, sizeof(*out));
	out->pid = pid;
	if (pid <= 0)
		return -ESRCH;
	int pidfd = pidfd_of(sock, pid);
	if (pidfd < 0)
		return -errno;
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	FILE *f = fopen(path, "re");
	int r = f ? 0 : -errno;
	int found = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long v;
		long t;
		if (sscanf(line, "CapEff: %llx", &v) == 1) {
			out->cap_eff = v;
			found |= 1;
		} else if (sscanf(line, "TracerPid: %ld", &t) == 1) {
			out->tracer = (pid_t)t;
			found |= 2;
		}
	}
	if (f)
		fclose(f);
	if (!r && (found != 3 || !alive(pidfd)))
		r = -ESRCH;
	close(pidfd);
	return r;
}

bool udmd_peer_mac_admin(const struct udmd_peer *p)
{
	return (p->cap_eff >> UDMD_CAP_MAC_ADMIN) & 1;
}
