/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FUSE mounts served by a thread of their own (see fuse_mount.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "daemon/fuse_mount.h"
#include "daemon/udmd.h"

static void *loop_thread(void *arg)
{
	struct udmd_fuse_mount *m = arg;
	struct fuse_loop_config *lc = fuse_loop_cfg_create();
	if (lc) {
		fuse_loop_cfg_set_max_threads(lc, m->max_threads);
		fuse_loop_cfg_set_idle_threads(lc, m->idle_threads);
		if (m->clone_fd)
			fuse_loop_cfg_set_clone_fd(lc, 1);
	}
	fuse_loop_mt(m->f, lc);
	fuse_loop_cfg_destroy(lc);
	return NULL;
}

int udmd_fuse_mount_start(struct udmd_fuse_mount *m, const char *dir, const char *opts,
			  const struct fuse_operations *ops, void *data, char *err, size_t errlen)
{
	snprintf(m->dir, sizeof(m->dir), "%s", dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int r = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return r;
	}
	char *argv[] = { "udmd", "-o", (char *)opts, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	m->f = fuse_new(&args, ops, sizeof(*ops), data);
	fuse_opt_free_args(&args);
	if (!m->f) {
		snprintf(err, errlen, "%s: cannot set up FUSE", dir);
		return -EIO;
	}
	if (fuse_mount(m->f, dir) != 0) {
		snprintf(err, errlen, "%s: cannot mount FUSE (is /dev/fuse usable?)", dir);
		fuse_destroy(m->f);
		m->f = NULL;
		return -EIO;
	}
	if (pthread_create(&m->th, NULL, loop_thread, m) != 0) {
		snprintf(err, errlen, "cannot start FUSE threads");
		fuse_unmount(m->f);
		fuse_destroy(m->f);
		m->f = NULL;
		return -EAGAIN;
	}
	m->running = true;
	return 0;
}

bool udmd_fuse_mount_stop(struct udmd_fuse_mount *m)
{
	if (m->running) {
		fuse_exit(m->f);
		/* Workers blocked on a suspended device that is still open cannot
		 * finish: abort the connection so the loop returns. */
		udmd_fuse_abort(udmd_fuse_conn_of(m->dir));
		/* Detach, not fuse_unmount(): that would close the session fd
		 * under workers still reading it (found by TSan). */
		if (umount2(m->dir, MNT_DETACH) < 0)
			fuse_unmount(m->f);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		if (pthread_timedjoin_np(m->th, NULL, &ts) != 0) {
			udmd_log("%s: FUSE workers did not stop; leaving them", m->dir);
			m->running = false;
			return false;   /* the process exits anyway */
		}
		fuse_unmount(m->f);   /* the workers are gone: closes the fd */
		m->running = false;
	}
	if (m->f)
		fuse_destroy(m->f);
	m->f = NULL;
	return true;
}

/* Never stat()s the mount: a stat is a GETATTR request (or waits for INIT)
 * that nobody may ever answer once fuse_exit() was called. */
long udmd_fuse_conn_of(const char *dir)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	char line[8192];
	long conn = -1;
	while (fgets(line, sizeof(line), f)) {
		char mnt[4096], fstype[64];
		unsigned maj, min;
		/* id parent maj:min root mountpoint opts ... - fstype source superopts */
		if (sscanf(line, "%*s %*s %u:%u %*s %4095s", &maj, &min, mnt) != 3)
			continue;
		char *dash = strstr(line, " - ");
		if (!dash || sscanf(dash + 3, "%63s", fstype) != 1)
			continue;
		if (strcmp(mnt, dir) == 0 && strncmp(fstype, "fuse", 4) == 0 && maj == 0)
			conn = (long)min;
	}
	fclose(f);
	return conn;
}

/* Without fusectl on /sys/fs/fuse/connections this does nothing; the detach
 * that follows ends the connection once the mount has no users left. */
void udmd_fuse_abort(long conn)
{
	if (conn < 0)
		return;
	char p[128];
	snprintf(p, sizeof(p), "/sys/fs/fuse/connections/%ld/abort", conn);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			udmd_log("%s: %s", p, strerror(errno));
		close(fd);
	}
}

void udmd_fuse_uncached(struct fuse_config *cfg)
{
	cfg->direct_io = 1;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->kernel_cache = 0;
}
