/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel audit sink (--audit=kernel): each record as a user message on
 * the audit netlink socket (libaudit's audit_send), its text IPE's record
 * text, so the kernel stamps it (pid, uid, auid, ses, subj) and auditd
 * writes it to audit.log, where `ausearch -m USER_AVC` and `aureport` find
 * it; with no auditd the kernel prints it (dmesg) like its own records.
 * Types: access USER_AVC (1107), policy load USER_MAC_POLICY_LOAD (2310),
 * activation USER_MAC_CONFIG_CHANGE (2312), enforce USER_MAC_STATUS (2313).
 * Written from audit.c's thread: the kernel may make a sender wait for its
 * backlog; that costs dropped records (counted), never a decision's time. A
 * record the kernel refuses is counted too, and what the kernel itself drops
 * from its backlog is its "lost" counter, shown with the sink. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libaudit.h>
#include "daemon/audit.h"
#include "daemon/udmd.h"
#include "ipe/ipe.h"

/* Exported by libaudit since its start (audit_log_user_message sends with
 * it) but not declared in every version's libaudit.h. */
extern int audit_send(int fd, int type, const void *data, unsigned int size);

struct kernel_sink {
	int fd;
};

static int kernel_open(const struct udmd_config *cfg, void **state, char *err, size_t errlen)
{
	(void)cfg;
	set_aumessage_mode(MSG_QUIET, DBG_NO);   /* libaudit says nothing on its own */
	struct kernel_sink *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "--audit=kernel: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if ((s->fd = audit_open()) < 0) {
		int r = errno ? -errno : -EPROTONOSUPPORT;
		snprintf(err, errlen, "--audit=kernel: audit netlink socket: %s", strerror(-r));
		free(s);
		return r;
	}
	*state = s;
	return 0;
}

static int user_type(int ipe_type)
{
	/* udm's own records already have a user message type */
	if ((ipe_type >= AUDIT_FIRST_USER_MSG && ipe_type <= AUDIT_LAST_USER_MSG) ||
	    (ipe_type >= AUDIT_FIRST_USER_MSG2 && ipe_type <= AUDIT_LAST_USER_MSG2))
		return ipe_type;
	switch (ipe_type) {
	case IPE_AUDIT_ACCESS: return AUDIT_USER_AVC;
	case IPE_AUDIT_POLICY_LOAD: return AUDIT_USER_MAC_POLICY_LOAD;
	case IPE_AUDIT_CONFIG_CHANGE: return AUDIT_USER_MAC_CONFIG_CHANGE;
	case IPE_AUDIT_MAC_STATUS: return AUDIT_USER_MAC_STATUS;
	default: return AUDIT_TRUSTED_APP;
	}
}

static int kernel_write(void *state, const struct udmd_audit_rec *r)
{
	struct kernel_sink *s = state;
	int e = audit_send(s->fd, user_type(r->type), r->text, (unsigned)strlen(r->text) + 1);
	return e < 0 ? e : 0;
}

/* The kernel's own counters (AUDIT_GET), on a socket of its own: the
 * thread's may be waiting for an acknowledgement. */
static void kernel_describe(void *state, char *buf, size_t len)
{
	(void)state;
	int fd = audit_open();
	if (fd < 0)
		return;
	struct audit_reply rep;
	bool got = false;
	if (audit_request_status(fd) > 0) {
		for (int i = 0; i < 5 && !got; i++) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			if (poll(&p, 1, 200) <= 0)
				break;
			if (audit_get_reply(fd, &rep, GET_REPLY_NONBLOCKING, 0) > 0 && rep.type == AUDIT_GET)
				got = true;
		}
	}
	if (got)
		snprintf(buf, len, "(kernel: enabled %u, auditd pid %u, lost %u, backlog %u)", rep.status->enabled,
			 rep.status->pid, rep.status->lost, rep.status->backlog);
	audit_close(fd);
}

static void kernel_close(void *state)
{
	struct kernel_sink *s = state;
	if (!s)
		return;
	audit_close(s->fd);
	free(s);
}

const struct audit_sink_ops audit_sink_kernel = {
	.name = "kernel", .async = true, .open = kernel_open, .write = kernel_write,
	.describe = kernel_describe, .close = kernel_close,
};
