/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The client process behind a connection or a FUSE request (peer.c). */
#ifndef UDMD_PEER_H
#define UDMD_PEER_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define UDMD_CAP_MAC_ADMIN 33

struct udmd_peer {
	pid_t pid;
	uint64_t cap_eff;           /* effective capability set */
	pid_t tracer;               /* 0: not traced */
};

/* Read process pid's state; sock (or -1) is its connection, for SO_PEERPIDFD.
 * 0, or -errno (-ESRCH: it is gone, or its pid now names another process). */
int udmd_peer_read(int sock, pid_t pid, struct udmd_peer *out);
/* CAP_MAC_ADMIN in its effective set, as the kernel's IPE asks of securityfs writers. */
bool udmd_peer_mac_admin(const struct udmd_peer *p);
#endif
