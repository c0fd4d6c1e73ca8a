/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The journal audit sink (--audit=journal): each record as one journal entry
 * (sd_journal_sendv) with IPE's record text as MESSAGE and structured fields,
 * so that `journalctl -u udmd UDM_DECISION=deny` finds the denials:
 *   UDM_AUDIT_TYPE=1420|1421|1422|1404   UDM_AUDIT_SERIAL=N (as in --audit-log)
 * and for access records (type 1420)
 *   UDM_DECISION=allow|deny  UDM_ENFORCING=1|0  UDM_OP=EXECUTE  UDM_HOOK=BPRM_CHECK
 *   UDM_PATH=/mnt/prog  UDM_RULE=DEFAULT action=DENY  UDM_PID=N
 * Denials have PRIORITY=5 (notice), everything else 6 (info). Written from
 * audit.c's thread: a journald that is slow or gone costs dropped records
 * (counted), never a decision's time. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include <systemd/sd-journal.h>
#include "daemon/audit.h"
#include "daemon/udmd.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static int journal_open(const struct udmd_config *cfg, void **state, char *err, size_t errlen)
{
	(void)cfg;
	/* a destination that cannot be written stops the start: is journald there? */
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	if (r) {
		snprintf(err, errlen, "--audit=journal: %s: %s (is systemd-journald running?)", JOURNAL_SOCKET,
			 strerror(-r));
		return r;
	}
	*state = NULL;
	return 0;
}

/* "NAME=value" into v[*n] (malloc'd), unless value is NULL */
static void field(struct iovec *v, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void field(struct iovec *v, size_t *n, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int len = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	v[*n].iov_base = s;
	v[*n].iov_len = (size_t)len;
	(*n)++;
}

static int journal_write(void *state, const struct udmd_audit_rec *r)
{
	(void)state;
	struct iovec v[16];
	size_t n = 0;
	bool deny = r->decision && strcmp(r->decision, "deny") == 0;
	field(v, &n, "MESSAGE=%s", r->text);
	field(v, &n, "PRIORITY=%d", deny ? 5 : 6);
	field(v, &n, "SYSLOG_IDENTIFIER=udmd");
	field(v, &n, "UDM_AUDIT_TYPE=%d", r->type);
	field(v, &n, "UDM_AUDIT_SERIAL=%u", r->serial);
	if (r->decision) {
		field(v, &n, "UDM_DECISION=%s", r->decision);
		field(v, &n, "UDM_ENFORCING=%d", r->enforcing);
		field(v, &n, "UDM_OP=%s", r->op ? r->op : "");
		field(v, &n, "UDM_HOOK=%s", r->hook ? r->hook : "");
		if (r->path)
			field(v, &n, "UDM_PATH=%s", r->path);
		field(v, &n, "UDM_RULE=%s", r->rule ? r->rule : "");
		field(v, &n, "UDM_PID=%d", r->pid);
	}
	int e = n == (r->decision ? (r->path ? 12u : 11u) : 5u) ? sd_journal_sendv(v, (int)n) : -ENOMEM;
	for (size_t i = 0; i < n; i++)
		free(v[i].iov_base);
	return e < 0 ? e : 0;
}

static void journal_close(void *state)
{
	(void)state;
}

const struct audit_sink_ops audit_sink_journal = {
	.name = "journal", .async = true, .open = journal_open, .write = journal_write, .close = journal_close,
};
