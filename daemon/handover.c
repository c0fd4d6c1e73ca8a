/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Handover of the enforcement to a successor udmd (an upgrade, a planned
 * restart): `udmd --takeover` asks the running udmd over its control socket.
 * The running one checks the caller (CAP_MAC_ADMIN, through the command table;
 * not traced; no loader variables that would run foreign code inside it),
 * tears its devices down while it still owns them, names the successor as the
 * owner the BPF programs trust and sends it the maps and links (SCM_RIGHTS),
 * then exits. The successor waits for it to be gone (its locks), then starts
 * on the objects it was given: the decisions never stop. docs/enforcement.md
 * "Self-protection". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "daemon/audit.h"
#include "daemon/enforce.h"
#include "daemon/udmd.h"
#include "daemon/peer.h"
#include "daemon/handover_objs.h"

/* Variables with which the dynamic loader runs code of the caller's choosing
 * inside the successor before its main(): refused. (The process can rewrite
 * its own environment block, so this only stops the plain misuse; the
 * capability is the real gate.) */
static bool loader_hijacked(pid_t pid, char *which, size_t len)
{
	char path[64], buf[65536];
	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;    /* unreadable: fail closed */
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return true;
	buf[n] = '\0';
	static const char *const bad[] = { "LD_PRELOAD=", "LD_AUDIT=", "LD_LIBRARY_PATH=" };
	for (char *v = buf; v < buf + n; v += strlen(v) + 1)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (strncmp(v, bad[i], strlen(bad[i])) == 0) {
				snprintf(which, len, "%.*s", (int)strlen(bad[i]) - 1, bad[i]);
				return true;
			}
	return false;
}

static int cmd_handover(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	struct udmd_peer p;
	char why[64] = "";
	if (udmd_peer_read(req->conn_fd, req->pid, &p)) {
		udmd_printf(out, "the successor (pid %ld) cannot be inspected", (long)req->pid);
		return -ESRCH;
	}
	if (p.tracer) {
		udmd_printf(out, "the successor (pid %ld) is traced by pid %ld", (long)req->pid, (long)p.tracer);
		return -EPERM;
	}
	if (loader_hijacked(req->pid, why, sizeof(why))) {
		udmd_printf(out, "the successor (pid %ld) runs with %s", (long)req->pid, why[0] ? why : "an unreadable environment");
		return -EPERM;
	}
	if (d->successor) {
		udmd_printf(out, "already handing over to pid %ld", (long)d->successor);
		return -EBUSY;
	}
	int fd = dup(req->conn_fd);
	if (fd < 0)
		return -errno;
	d->successor = req->pid;
	d->successor_fd = fd;
	char rec[256];
	snprintf(rec, sizeof(rec), "lsm=udm op=handover successor=%ld pid=%ld res=1", (long)req->pid, (long)getpid());
	udmd_audit(d, UDMD_AUDIT_CONTROL, rec);
	udmd_log("handing over to pid %ld", (long)req->pid);
	udmd_printf(out, "%s\n", udmd_enforce_handed_over(d));
	return 0;
}

/* Only now may teardown start: it sends the objects on the same connection,
 * and they must not overtake the reply. */
static void handover_replied(struct udmd *d)
{
	udmd_request_stop(d);
}

static const struct udmd_cmd handover_cmds[] = {
	{ .id = UDM_CMD_HANDOVER, .name = "handover", .min_args = 0, .max_args = 0, .mutating = true, .fn = cmd_handover, .weakens = udmd_weakens_always, .hold = true,
	  .after_reply = handover_replied },
	{ 0 }
};
UDMD_COMMANDS(handover_cmds);

void udmd_handover_finish(struct udmd *d)
{
	if (!d->successor)
		return;
	int r = udmd_enforce_handover(d, d->successor, d->successor_fd);
	if (r)
		udmd_log("handover to pid %ld: %s", (long)d->successor, strerror(-r));
	close(d->successor_fd);
	d->successor = 0;
	d->successor_fd = -1;
}

int udmd_takeover(struct udmd *d, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control", d->cfg.runtime_dir) >= (int)sizeof(sa.sun_path)) {
		snprintf(err, errlen, "--takeover: %s/control: path too long", d->cfg.runtime_dir);
		return -ENAMETOOLONG;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		snprintf(err, errlen, "--takeover: %s: %s (no udmd to take over from)", sa.sun_path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	struct udm_proto_hdr h;
	uint8_t *payload = NULL;
	uint8_t *args = NULL;
	size_t alen = 0;
	int r = udm_proto_args_encode(0, NULL, &args, &alen);
	if (!r)
		r = udm_proto_send(fd, UDM_CMD_HANDOVER, 0, args, alen);
	free(args);
	if (!r)
		r = udm_proto_recv(fd, UDM_PROTO_MAX_REPLY, &h, &payload);
	if (!r && h.status < 0) {
		snprintf(err, errlen, "--takeover: refused: %.*s", (int)h.len, payload ? (char *)payload : "");
		r = h.status;
	} else if (r) {
		snprintf(err, errlen, "--takeover: %s", strerror(-r));
	}
	bool bpf = !r && payload && h.len >= 3 && memcmp(payload, "bpf", 3) == 0;
	free(payload);
	if (!r && bpf) {
		struct udmd_handover_objs *ho = calloc(1, sizeof(*ho));
		if (!ho || (r = udmd_handover_recv(fd, ho))) {
			r = ho ? r : -ENOMEM;
			snprintf(err, errlen, "--takeover: the objects did not arrive: %s", strerror(-r));
			free(ho);
		} else {
			d->handover = ho;
		}
	}
	if (!r) {
		/* the predecessor keeps the connection until it exits */
		char c;
		while (read(fd, &c, 1) > 0)
			;
	}
	close(fd);
	return r;
}

void udmd_takeover_free(struct udmd *d)
{
	if (d->handover) {
		udmd_handover_free(d->handover);
		free(d->handover);
		d->handover = NULL;
	}
}
