/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CLI's one way to ask udmd: connect to RUNTIME/control, send one
 * request, read its reply (docs/udmd.md, the control protocol). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "cli/cli.h"
#include "util/proto.h"

const char *cli_runtime_dir(const char *given)
{
	const char *rt = given ? given : getenv("UDM_RUNTIME_DIR");
	return rt && *rt ? rt : "/run/udm";
}

int cli_udmd_ask(const char *rt, const char *what, uint16_t cmd, uint32_t flags, unsigned argc,
		 const char *const *argv, bool quiet, struct cli_reply *rep)
{
	return cli_udmd_ask_recs(rt, what, cmd, flags, argc, argv, NULL, quiet, rep);
}

int cli_udmd_ask_recs(const char *rt, const char *what, uint16_t cmd, uint32_t flags, unsigned argc,
		      const char *const *argv, const struct udm_rec_buf *recs, bool quiet, struct cli_reply *rep)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t *payload = NULL, *text = NULL;
	size_t plen = 0;
	struct udm_proto_hdr h;
	int fd = -1, rc = 1, r;

	rep->status = 0;
	rep->text = NULL;
	rep->len = 0;
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/control", rt) >= (int)sizeof(sa.sun_path)) {
		cli_error(what, "%s/control: %s", rt, strerror(ENAMETOOLONG));
		return 1;
	}
	if (recs && recs->err) {
		cli_error(what, "%s", strerror(-recs->err));
		return 1;
	}
	if ((r = udm_proto_req_encode(argc, argv, recs ? recs->buf : NULL, recs ? recs->len : 0, &payload, &plen))) {
		cli_error(what, "%s", strerror(-r));
		return 1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (!quiet)
			cli_error(what, "cannot reach udmd at %s: %s", sa.sun_path, strerror(errno));
		rc = CLI_UDMD_UNREACHABLE;
		goto out;
	}
	if ((r = udm_proto_send(fd, cmd, (int32_t)flags, payload, plen))) {
		cli_error(what, "sending to udmd: %s", strerror(-r));
		goto out;
	}
	if ((r = udm_proto_recv(fd, UDM_PROTO_MAX_REPLY, &h, &text))) {
		cli_error(what, "no reply from udmd: %s", strerror(r == -ECONNRESET ? EPIPE : -r));
		goto out;
	}
	if (h.status > 0 || h.status < -4095) {
		cli_error(what, "bad reply status %d from udmd", h.status);
		goto out;
	}
	rep->status = h.status;
	rep->text = (char *)text;   /* NUL-terminated by udm_proto_recv */
	rep->len = h.len;
	text = NULL;
	rc = 0;
	if (rep->keep_fd) {
		rep->fd = fd;
		fd = -1;
	}
out:
	if (fd >= 0)
		close(fd);
	free(payload);
	free(text);
	return rc;
}

void cli_reply_error(const char *what, const struct cli_reply *rep)
{
	if (rep->len && rep->text[0])
		cli_error(what, "%s: %s", strerror(-rep->status), rep->text);
	else
		cli_error(what, "%s", strerror(-rep->status));
}

int cli_request(const char *rt, const char *what, uint16_t cmd, uint32_t flags, unsigned nargs,
		const char **args, char **reply, size_t *rlen)
{
	return cli_request_recs(rt, what, cmd, flags, nargs, args, NULL, reply, rlen);
}

int cli_request_recs(const char *rt, const char *what, uint16_t cmd, uint32_t flags, unsigned nargs,
		     const char **args, const struct udm_rec_buf *recs, char **reply, size_t *rlen)
{
	struct cli_reply rep = { .keep_fd = false };
	*reply = NULL;
	if (cli_udmd_ask_recs(rt, what, cmd, flags, nargs, args, recs, false, &rep))
		return 1;
	if (rep.status < 0) {
		cli_reply_error(what, &rep);
		free(rep.text);
		return 1;
	}
	*reply = rep.text;
	*rlen = rep.len;
	return 0;
}
