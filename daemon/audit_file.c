/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file audit sink (--audit-log FILE): one line per record, appended and
 * flushed, "type=1420 audit(SEC.MSEC:SERIAL): TEXT" as the kernel prints
 * records when no audit daemon takes them. SIGHUP reopens the file (logrotate). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon/audit.h"
#include "daemon/udmd.h"

struct file_sink {
	const char *path;
	FILE *f;
};

static FILE *open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "a");
	if (!f) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

static int file_open(const struct udmd_config *cfg, void **state, char *err, size_t errlen)
{
	struct file_sink *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "--audit-log: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	s->path = cfg->audit_log;
	if (!(s->f = open_append(s->path))) {
		int r = -errno;
		snprintf(err, errlen, "--audit-log %.900s: %s", s->path, strerror(-r));
		free(s);
		return r;
	}
	*state = s;
	return 0;
}

static int file_write(void *state, const struct udmd_audit_rec *r)
{
	struct file_sink *s = state;
	fprintf(s->f, "type=%d audit(%lld.%03ld:%u): %s\n", r->type, (long long)r->when.tv_sec,
		r->when.tv_nsec / 1000000, r->serial, r->text);
	if (fflush(s->f) != 0) {
		int e = errno;
		udmd_log("--audit-log: %s", strerror(e));
		clearerr(s->f);
		return -e;
	}
	return 0;
}

static int file_reopen(void *state)
{
	struct file_sink *s = state;
	FILE *f = open_append(s->path);
	if (!f)
		return -errno;
	fclose(s->f);
	s->f = f;
	return 0;
}

static void file_describe(void *state, char *buf, size_t len)
{
	struct file_sink *s = state;
	snprintf(buf, len, "%s", s->path);
}

static void file_close(void *state)
{
	struct file_sink *s = state;
	if (!s)
		return;
	fclose(s->f);
	free(s);
}

const struct audit_sink_ops audit_sink_file = {
	.name = "file", .open = file_open, .write = file_write, .reopen = file_reopen,
	.describe = file_describe, .close = file_close,
};
