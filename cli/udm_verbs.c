/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm's own verbs, which dmsetup does not have: attach and detach (a loop
 * device on a device's mapper file), watch (exec enforcement on a mount),
 * enforce, shutdown, ping and status --daemon. They share dmsetup's command
 * line and verb table (cli/dmsetup.c parses and checks it, then hands the
 * verbs marked own over here); each is one request to udmd whose reply is
 * printed as it comes. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/dmsetup.h"
#include "util/proto.h"

static int usage_error(const char *msg, const struct verb *v)
{
	cli_error(v->name, "%s", msg);
	fprintf(stderr, "usage: udm %s\n", v->usage);
	return 1;
}

/* shutdown: udmd answers, then keeps the connection until it has torn
 * everything down; 0, or 1 with the error said */
static int shutdown_request(const char *rt, const char *what, uint32_t flags)
{
	struct cli_reply rep = { .keep_fd = true };
	int rc = 1;
	if (cli_udmd_ask(rt, what, UDM_CMD_SHUTDOWN, flags, 0, NULL, false, &rep))
		return 1;
	if (rep.status < 0) {
		cli_reply_error(what, &rep);
		goto out;
	}
	if (rep.len && fwrite(rep.text, 1, rep.len, stdout) != rep.len)
		goto out;
	fflush(stdout);
	struct pollfd pf = { rep.fd, POLLIN, 0 };
	char c;
	if (poll(&pf, 1, 60000) <= 0 || read(rep.fd, &c, 1) != 0) {
		cli_error(what, "udmd did not stop within 60 s");
		goto out;
	}
	rc = 0;
out:
	close(rep.fd);   /* cli_udmd_ask answered: the connection is ours to close */
	free(rep.text);
	return rc;
}

int uverb_daemon_status(const char *rt)
{
	char *reply = NULL;
	size_t len = 0;
	if (cli_request(rt, "status --daemon", UDM_CMD_DAEMON_STATUS, 0, 0, NULL, &reply, &len))
		return 1;
	fwrite(reply, 1, len, stdout);
	free(reply);
	return fflush(stdout) == 0 ? 0 : 1;
}

int uverb_run(const char *rt, const struct verb *v, const char **p, int np, uint32_t flags)
{
	char what[300], abspath[PATH_MAX];
	const char *args[UDM_PROTO_MAX_ARGS];
	unsigned nargs = 0;
	uint16_t cmd = v->cmd;
	char *reply = NULL;
	size_t rlen = 0;
	int rc = 1;

	snprintf(what, sizeof(what), "%s%s%s", v->name, np ? " " : "", np ? p[0] : "");
	if (v->local == L_WATCH) {
		if (strcmp(p[0], "add") == 0 || strcmp(p[0], "remove") == 0) {
			if (np != 2)
				return usage_error("wrong number of arguments", v);
			cmd = p[0][0] == 'a' ? UDM_CMD_WATCH_ADD : UDM_CMD_WATCH_REMOVE;
			args[nargs++] = realpath(p[1], abspath) ? abspath : p[1];
		} else if (strcmp(p[0], "list") == 0 && np == 1) {
			cmd = UDM_CMD_WATCH_LIST;
		} else {
			return usage_error("expected add PATH, remove PATH or list", v);
		}
	} else if (cmd == UDM_CMD_ENFORCE_STATUS) {
		if (strcmp(p[0], "status") == 0)
			cmd = UDM_CMD_ENFORCE_STATUS;
		else if (strcmp(p[0], "stop") == 0)
			cmd = UDM_CMD_ENFORCE_STOP;
		else
			return usage_error("expected status or stop", v);
	} else {
		for (int k = 0; k < np; k++)
			args[nargs++] = p[k];
	}

	if (cmd == UDM_CMD_SHUTDOWN) {
		if (shutdown_request(rt, what, flags))
			goto out;
	} else {
		if (cli_request(rt, what, cmd, flags, nargs, args, &reply, &rlen))
			goto out;
		if (rlen && fwrite(reply, 1, rlen, stdout) != rlen) {
			cli_error(what, "writing output: %s", strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	if (fflush(stdout) != 0 && rc == 0) {
		cli_error(what, "writing output: %s", strerror(errno));
		rc = 1;
	}
	free(reply);
	return rc;
}
