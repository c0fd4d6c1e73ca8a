/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The objects a running udmd hands to its successor (handover_objs.h): file
 * descriptors by name, over the control connection (SCM_RIGHTS). A leaf. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "daemon/handover_objs.h"

int udmd_handover_send(int sock, const struct udmd_handover_objs *h)
{
	char text[UDMD_HANDOVER_MAX * 40];
	size_t len = 0;
	for (int i = 0; i < h->n; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", h->names[i]);
	char cbuf[CMSG_SPACE(sizeof(int) * UDMD_HANDOVER_MAX)];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = { .iov_base = text, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)h->n) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)h->n);
	memcpy(CMSG_DATA(c), h->fds, sizeof(int) * (size_t)h->n);
	return sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

int udmd_handover_recv(int sock, struct udmd_handover_objs *h)
{
	char text[UDMD_HANDOVER_MAX * 40 + 1];
	char cbuf[CMSG_SPACE(sizeof(int) * UDMD_HANDOVER_MAX)];
	struct iovec iov = { .iov_base = text, .iov_len = sizeof(text) - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n < 0 ? -errno : -ECONNRESET;
	text[n] = '\0';
	h->n = 0;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS || (m.msg_flags & MSG_CTRUNC))
		return -EBADMSG;
	int nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	int fds[UDMD_HANDOVER_MAX];
	memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)nfds);
	char *save = NULL, *name = strtok_r(text, "\n", &save);
	for (int i = 0; i < nfds; i++) {
		if (name && h->n < UDMD_HANDOVER_MAX) {
			snprintf(h->names[h->n], sizeof(h->names[0]), "%s", name);
			h->fds[h->n++] = fds[i];
		} else {
			close(fds[i]);
		}
		name = strtok_r(NULL, "\n", &save);
	}
	return h->n > 0 ? 0 : -EBADMSG;
}

void udmd_handover_free(struct udmd_handover_objs *h)
{
	for (int i = 0; i < h->n; i++)
		if (h->fds[i] >= 0)   /* -1: taken (a layout switch) */
			close(h->fds[i]);
	h->n = 0;
}
