/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udmd's log: each line "udmd[PID]: ..." goes to every --log destination:
 * standard error, syslog (which is the journal under systemd) or an appended
 * file. Default: standard error, plus syslog when udmd daemonizes, since the
 * terminal that started it is not where anybody will look later. A
 * destination asked for that cannot be written (a file that cannot be
 * opened, syslog without /dev/log) stops the start; SIGHUP reopens the file
 * (logrotate). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>
#include "daemon/udmd.h"

static bool to_stderr = true, to_syslog;
static int log_fd = -1;
static const char *log_path;

/* Does anything listen on /dev/log (what syslog(3) writes to)? 0 or -errno. */
static int syslog_reachable(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = _PATH_LOG };
	int r = 0;
	for (int type = SOCK_DGRAM; type; type = type == SOCK_DGRAM ? SOCK_STREAM : 0) {
		int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
		close(fd);
		if (r != -EPROTOTYPE)
			break;
	}
	return r;
}
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

int udmd_log_setup(const struct udmd_config *cfg, char *err, size_t errlen)
{
	if (cfg->n_log_dest == 0) {
		to_stderr = true;
		to_syslog = !cfg->foreground;
	} else {
		to_stderr = false;
		for (size_t i = 0; i < cfg->n_log_dest; i++) {
			const char *dst = cfg->log_dest[i];
			if (strcmp(dst, "stderr") == 0) {
				to_stderr = true;
			} else if (strcmp(dst, "syslog") == 0) {
				int r = syslog_reachable();
				if (r) {
					snprintf(err, errlen, "--log syslog: %s: %s (no syslog daemon or journald?)", _PATH_LOG,
						 strerror(-r));
					return r;
				}
				to_syslog = true;
			} else if (dst[0] == '/' && log_fd < 0) {
				log_fd = open(dst, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
				if (log_fd < 0) {
					int r = -errno;
					snprintf(err, errlen, "--log %.900s: %s", dst, strerror(-r));
					return r;
				}
				log_path = dst;
			} else {
				snprintf(err, errlen, "--log %.900s: expected stderr, syslog or an absolute file name%s",
					 dst, dst[0] == '/' ? " (one file only)" : "");
				return -EINVAL;
			}
		}
	}
	if (to_syslog)
		openlog("udmd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return 0;
}

int udmd_log_reopen(void)
{
	if (!log_path)
		return 0;
	int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		int r = -errno;
		udmd_log("--log %.900s: reopen: %s (still writing to the old file)", log_path, strerror(-r));
		return r;
	}
	pthread_mutex_lock(&log_lock);
	int old = log_fd;
	log_fd = fd;
	pthread_mutex_unlock(&log_lock);
	close(old);
	return 0;
}

void udmd_log_close(void)
{
	if (to_syslog)
		closelog();
	to_syslog = false;
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	log_path = NULL;
}

void udmd_log(const char *fmt, ...)
{
	char buf[1024], line[1100];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	int n = snprintf(line, sizeof(line), "udmd[%ld]: %s\n", (long)getpid(), buf);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	pthread_mutex_lock(&log_lock);
	if (to_stderr)
		fputs(line, stderr);
	if (log_fd >= 0 && write(log_fd, line, (size_t)n) < 0) {
		/* nowhere left to say so */
	}
	if (to_syslog)
		syslog(LOG_INFO, "%s", buf);
	pthread_mutex_unlock(&log_lock);
}
