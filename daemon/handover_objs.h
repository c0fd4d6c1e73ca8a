/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The objects a running udmd hands to its successor (udmd --takeover,
 * handover.c), sent over the control connection with SCM_RIGHTS, by name:
 * what the enforcement backend keeps alive across udmd's restarts (the BPF
 * backend: maps by their names, links by their pin names "link_PROG"). */
#ifndef UDMD_HANDOVER_OBJS_H
#define UDMD_HANDOVER_OBJS_H

#define UDMD_HANDOVER_MAX 64
struct udmd_handover_objs {
	int n;
	int fds[UDMD_HANDOVER_MAX];
	char names[UDMD_HANDOVER_MAX][40];
};

/* 0 or -errno. recv: -EBADMSG when nothing usable came. */
int udmd_handover_send(int sock, const struct udmd_handover_objs *h);
int udmd_handover_recv(int sock, struct udmd_handover_objs *h);
/* Close every fd it holds (what was taken from it, the taker dup()ed). */
void udmd_handover_free(struct udmd_handover_objs *h);
#endif
