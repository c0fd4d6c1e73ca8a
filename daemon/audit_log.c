/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The log audit sink: each record as one line of udmd's log (--log: standard
 * error, syslog, a file), "udmd[PID]: type=1420 audit(SEC.MSEC:SERIAL): TEXT".
 * The default when there is no --audit-log. */
#include <stdio.h>
#include "daemon/audit.h"
#include "daemon/udmd.h"

static int log_open(const struct udmd_config *cfg, void **state, char *err, size_t errlen)
{
	(void)cfg;
	(void)err;
	(void)errlen;
	*state = NULL;
	return 0;
}

static int log_write(void *state, const struct udmd_audit_rec *r)
{
	(void)state;
	udmd_log("type=%d audit(%lld.%03ld:%u): %s", r->type, (long long)r->when.tv_sec, r->when.tv_nsec / 1000000,
		 r->serial, r->text);
	return 0;
}

static void log_close(void *state)
{
	(void)state;
}

const struct audit_sink_ops audit_sink_log = {
	.name = "log", .open = log_open, .write = log_write, .close = log_close,
};
