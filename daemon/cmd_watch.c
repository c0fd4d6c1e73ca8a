/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control commands of the watch family (udm watch add|remove|list): the mounts
 * whose executions are checked against the active IPE policy; and udm enforce
 * status|stop: which backend decides, and the authorised way to end it.
 * Watches added here persist in STATE_DIR/watches (one path per line,
 * replaced atomically) and come back at the next start, as policies do,
 * waiting for their mounts if need be; only `udm watch remove` drops one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon/enforce.h"
#include "daemon/udmd.h"

#define MAX_WATCHES 256

static pthread_mutex_t file_lock = PTHREAD_MUTEX_INITIALIZER;

static void watches_path(const struct udmd *d, char *p, size_t len)
{
	snprintf(p, len, "%s/watches", d->cfg.state_dir);
}

/* Read STATE_DIR/watches: n paths (malloc'd) into v. */
static size_t watches_read(const struct udmd *d, char **v)
{
	char p[4200], line[4200];
	watches_path(d, p, sizeof(p));
	FILE *f = fopen(p, "re");
	size_t n = 0;
	if (!f)
		return 0;
	while (n < MAX_WATCHES && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '/' && (v[n] = strdup(line)))
			n++;
	}
	fclose(f);
	return n;
}

static int watches_write(const struct udmd *d, char **v, size_t n)
{
	char p[4200], tmp[4300];
	watches_path(d, p, sizeof(p));
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return -errno;
	for (size_t i = 0; i < n; i++)
		if (v[i])
			fprintf(f, "%s\n", v[i]);
	int r = fflush(f) != 0 || fsync(fileno(f)) != 0 ? -errno : 0;
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, p) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

/* Add path to (add) or drop it from the persisted watches. */
static void watches_update(struct udmd *d, const char *path, bool add)
{
	if (strchr(path, '\n')) {
		udmd_log("watch %s: a path with a newline is not persisted", path);
		return;
	}
	char *v[MAX_WATCHES + 1];
	pthread_mutex_lock(&file_lock);
	size_t n = watches_read(d, v);
	bool found = false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], path) == 0) {
			found = true;
			if (!add) {
				free(v[i]);
				v[i] = NULL;
			}
		}
	int r = 0;
	if (add && !found && n < MAX_WATCHES) {
		if ((v[n] = strdup(path)))
			n++;
	}
	if (add != found)
		r = watches_write(d, v, n);
	if (r)
		udmd_log("%s/watches: %s", d->cfg.state_dir, strerror(-r));
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	pthread_mutex_unlock(&file_lock);
}

void udmd_watch_restore(struct udmd *d)
{
	char *v[MAX_WATCHES];
	pthread_mutex_lock(&file_lock);
	size_t n = watches_read(d, v);
	pthread_mutex_unlock(&file_lock);
	for (size_t i = 0; i < n; i++) {
		/* a mount that is not there yet (udmd starts before its mounts) is
		 * waited for; only `udm watch remove` drops a watch from the file */
		int r = udmd_watch_add(d, v[i], true);
		if (r == 0)
			udmd_log("watch %s restored", v[i]);
		else if (r == 1)
			udmd_log("watch %s restored, waiting for its mount (nothing is mounted there yet)", v[i]);
		else if (r != -EEXIST)
			udmd_log("watch %s not restored: %s (kept in %s/watches)", v[i],
				 r == -EPERM ? "the filesystem of / is never watched" : strerror(-r), d->cfg.state_dir);
		free(v[i]);
	}
}

static int cmd_watch_add(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	int r = udmd_watch_add(d, req->argv[0], false);
	if (r == -EPERM)
		udmd_printf(out, "%s: refusing to enforce on the filesystem of / (it would stop every program)", req->argv[0]);
	else if (r == -EINVAL)
		udmd_printf(out, "%s: not a mount point", req->argv[0]);
	else if (r == -EEXIST)
		udmd_printf(out, "%s: already watched", req->argv[0]);
	else if (r == -EIO)
		udmd_printf(out, "%s: watched, but what is mounted there cannot be marked (see udmd's log)", req->argv[0]);
	else if (r)
		udmd_printf(out, "%s", req->argv[0]);
	if (!r)
		watches_update(d, req->argv[0], true);
	return r;
}

static int cmd_watch_remove(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	int r = udmd_watch_remove(d, req->argv[0]);
	if (r == -ENOENT)
		udmd_printf(out, "%s: not watched", req->argv[0]);
	if (!r)
		watches_update(d, req->argv[0], false);
	return r;
}

static int cmd_watch_list(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)req;
	char *list = udmd_watch_list(d);
	if (list)
		udmd_printf(out, "%s", list);
	free(list);
	return 0;
}

static int cmd_enforce_status(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)req;
	udmd_enforce_status(d, out);
	return 0;
}

static int cmd_enforce_stop(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)req;
	return udmd_enforce_detach(d, out);
}

static const struct udmd_cmd watch_cmds[] = {
	{ .id = UDM_CMD_WATCH_ADD, .name = "watch add", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_watch_add },
	{ .id = UDM_CMD_WATCH_REMOVE, .name = "watch remove", .min_args = 1, .max_args = 1, .mutating = true, .fn = cmd_watch_remove, .weakens = udmd_weakens_always },
	{ .id = UDM_CMD_WATCH_LIST, .name = "watch list", .min_args = 0, .max_args = 0, .mutating = false, .fn = cmd_watch_list },
	{ .id = UDM_CMD_ENFORCE_STATUS, .name = "enforce status", .min_args = 0, .max_args = 0, .mutating = false, .fn = cmd_enforce_status },
	{ .id = UDM_CMD_ENFORCE_STOP, .name = "enforce stop", .min_args = 0, .max_args = 0, .mutating = true, .fn = cmd_enforce_stop, .weakens = udmd_weakens_always },
	{ 0 }
};
UDMD_COMMANDS(watch_cmds);
