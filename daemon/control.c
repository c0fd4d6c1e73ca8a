/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket: accepts clients, reads framed requests with every size
 * checked before use, checks the caller's credentials (SO_PEERCRED) for
 * commands that change anything, dispatches through the command table and
 * replies with -errno + text. A malformed request gets an error reply; only
 * the offending connection is affected. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "daemon/audit.h"
#include "daemon/enforce.h"
#include "daemon/udmd.h"
#include "daemon/peer.h"

#define MAX_CONNECTIONS 128
#define IDLE_TIMEOUT_S 60
/* Clients that may not change anything get neither all the connections (root
 * must always be able to get in) nor the 4 MiB table-sized requests: reading
 * verbs take a device name. Bounds what any local user can make udmd hold to
 * (MAX_CONNECTIONS - RESERVED_CONNECTIONS) * UNPRIV_MAX_REQUEST. */
#define RESERVED_CONNECTIONS 16
#define UNPRIV_MAX_REQUEST (64u << 10)

static atomic_int active_conns;
static atomic_bool stop_flag;

extern const struct udmd_cmd *const __start_udmd_cmds[];
extern const struct udmd_cmd *const __stop_udmd_cmds[];

const struct udmd_cmd *udmd_cmd_find(uint16_t id)
{
	for (const struct udmd_cmd *const *t = __start_udmd_cmds; t < __stop_udmd_cmds; t++)
		for (const struct udmd_cmd *c = *t; c->fn; c++)
			if (c->id == id)
				return c;
	return NULL;
}

struct conn {
	struct udmd *d;
	int fd;
	struct ucred cred;
};

static bool privileged(const struct udmd *d, const struct ucred *cr)
{
	if (cr->uid == 0)
		return true;
	for (size_t i = 0; i < d->cfg.n_allow_uid; i++)
		if (d->cfg.allow_uid[i] == cr->uid)
			return true;
	for (size_t i = 0; i < d->cfg.n_allow_gid; i++)
		if (d->cfg.allow_gid[i] == cr->gid)
			return true;
	return false;
}

bool udmd_weakens_always(struct udmd *d, const struct udmd_req *req)
{
	(void)d;
	(void)req;
	return true;
}

bool udmd_weakens_if_enforcing(struct udmd *d, const struct udmd_req *req)
{
	(void)req;
	return udmd_enforcing(d);
}

/* A request that weakens enforcement: CAP_MAC_ADMIN, as the kernel's IPE asks
 * of its securityfs writers, and a record either way (pid, uid, capabilities). */
static int mac_admin_gate(struct conn *c, const struct udmd_cmd *cmd, const struct udmd_req *req)
{
	struct udmd_peer p;
	int r = udmd_peer_read(c->fd, c->cred.pid, &p);
	bool ok = r == 0 && udmd_peer_mac_admin(&p);
	if (ok && cmd->ipe_audited)
		return 0;
	uint32_t auid, ses;
	udmd_audit_ids(req->pid, &auid, &ses);
	char rec[512];
	snprintf(rec, sizeof(rec),
		 "lsm=udm op=control request=\"%s\" pid=%ld uid=%u auid=%u ses=%u cap_effective=%016llx res=%d",
		 cmd->name, (long)c->cred.pid, (unsigned)c->cred.uid, auid, ses,
		 (unsigned long long)p.cap_eff, ok);
	udmd_audit(c->d, UDMD_AUDIT_CONTROL, rec);
	return ok ? 0 : -EPERM;
}

static void reply_text(int fd, uint16_t cmd, int status, const char *text)
{
	udm_proto_send(fd, cmd, status, text, text ? strlen(text) : 0);
}

/* Handle one well-framed request. Sets *hold when the connection must stay
 * open until the daemon exits (shutdown: the client waits for EOF). */
static void handle(struct conn *c, const struct udm_proto_hdr *h, const uint8_t *payload, bool *hold)
{
	const struct udmd_cmd *cmd = udmd_cmd_find(h->cmd);
	if (!cmd) {
		char msg[64];
		snprintf(msg, sizeof(msg), "unknown command 0x%04x", h->cmd);
		reply_text(c->fd, h->cmd, -ENOTTY, msg);
		return;
	}
	const char *argv[UDM_PROTO_MAX_ARGS + 1];
	unsigned argc = 0;
	const uint8_t *recs;
	size_t recs_len;
	int r = udm_proto_req_decode(payload, h->len, UDM_PROTO_MAX_ARGS, &argc, argv, &recs, &recs_len);
	if (r) {
		reply_text(c->fd, h->cmd, r, "malformed request arguments");
		return;
	}
	argv[argc] = NULL;
	if (argc < cmd->min_args || argc > cmd->max_args) {
		reply_text(c->fd, h->cmd, -EINVAL, "wrong number of arguments");
		return;
	}
	if (cmd->mutating && !privileged(c->d, &c->cred)) {
		reply_text(c->fd, h->cmd, -EACCES, NULL);
		return;
	}
	struct udmd_req req = {
		.cmd = h->cmd, .flags = (uint32_t)h->status, .argc = argc, .argv = argv,
		.uid = c->cred.uid, .gid = c->cred.gid, .pid = c->cred.pid, .conn_fd = c->fd,
		.recs = recs, .recs_len = recs_len,
	};
	if (cmd->weakens && cmd->weakens(c->d, &req) && mac_admin_gate(c, cmd, &req)) {
		reply_text(c->fd, h->cmd, -EPERM, "this weakens enforcement: CAP_MAC_ADMIN is required");
		return;
	}
	struct udmd_out out = { 0 };
	r = cmd->fn(c->d, &req, &out);
	if (out.oom) {
		r = -ENOMEM;
		out.len = 0;
	}
	udm_proto_send(c->fd, h->cmd, r, out.buf, out.len);
	free(out.buf);
	if (cmd->after_reply && r == 0)
		cmd->after_reply(c->d);
	if (cmd->hold && r == 0)
		*hold = true;
}

static const char *framing_error(int r)
{
	switch (r) {
	case -EBADMSG: return "malformed or truncated message";
	case -EPROTO: return "unsupported protocol version";
	case -EMSGSIZE: return "message too large";
	case -EAGAIN: return "timed out inside a message";
	default: return NULL;
	}
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	bool hold = false;
	for (;;) {
		struct udm_proto_hdr h = { 0 };
		uint8_t *payload = NULL;
		size_t max = privileged(c->d, &c->cred) ? UDM_PROTO_MAX_REQUEST : UNPRIV_MAX_REQUEST;
		int r = udm_proto_recv(c->fd, max, &h, &payload);
		if (r == -ECONNRESET)
			break;
		if (r) {
			/* The stream cannot be resynchronized: reply and close. */
			reply_text(c->fd, h.cmd, r, framing_error(r));
			break;
		}
		handle(c, &h, payload, &hold);
		free(payload);
		if (hold) {
			/* Keep the connection open: the client sees EOF when udmd exits. */
			for (;;)
				pause();
		}
	}
	close(c->fd);
	free(c);
	atomic_fetch_sub(&active_conns, 1);
	return NULL;
}

int udmd_control_listen(struct udmd *d, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (snprintf(d->control_path, sizeof(d->control_path), "%s/control", d->cfg.runtime_dir) >=
	    (int)sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s/control: path too long for a socket", d->cfg.runtime_dir);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, d->control_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	/* A socket file nobody listens on is a leftover of a killed udmd. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		snprintf(err, errlen, "%s: another udmd is running", d->control_path);
		return -EADDRINUSE;
	}
	unlink(d->control_path);
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(d->control_path, 0666) < 0 || listen(fd, 64) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", d->control_path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	d->listen_fd = fd;
	if (pipe2(d->wake_fd, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

bool udmd_stop_requested(void)
{
	return atomic_load(&stop_flag);
}

void udmd_request_stop(struct udmd *d)
{
	atomic_store(&stop_flag, true);
	if (write(d->wake_fd[1], "x", 1) < 0) {
		/* the pipe is full: a wake-up is already pending */
	}
}

void udmd_control_run(struct udmd *d)
{
	while (!udmd_stop_requested()) {
		struct pollfd p[2] = { { d->listen_fd, POLLIN, 0 }, { d->wake_fd[0], POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			udmd_log("poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		struct conn *c = calloc(1, sizeof(*c));
		socklen_t sl = sizeof(c ? c->cred : (struct ucred){ 0 });
		if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &sl) < 0) {
			free(c);
			close(fd);
			continue;
		}
		int limit = privileged(d, &c->cred) ? MAX_CONNECTIONS : MAX_CONNECTIONS - RESERVED_CONNECTIONS;
		if (atomic_fetch_add(&active_conns, 1) >= limit) {
			reply_text(fd, 0, -EAGAIN, "too many connections");
			close(fd);
			free(c);
			atomic_fetch_sub(&active_conns, 1);
			continue;
		}
		struct timeval tv = { .tv_sec = IDLE_TIMEOUT_S };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		c->d = d;
		c->fd = fd;
		pthread_t th;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&th, &attr, conn_thread, c) != 0) {
			close(fd);
			free(c);
			atomic_fetch_sub(&active_conns, 1);
		}
		pthread_attr_destroy(&attr);
	}
}

void udmd_control_close(struct udmd *d)
{
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		d->listen_fd = -1;
		unlink(d->control_path);
	}
}
