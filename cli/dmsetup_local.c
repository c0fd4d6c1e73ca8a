/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The dmsetup verbs that are more than one request and its reply (udmd's records,
 * rendered by dmsetup_text.c): reports over several devices (table, status, info -c, deps, ls, measure, --target, -v), device selection by
 * uuid or number, and the verbs done here without a request of their own (help,
 * splitname, the udev cookie verbs, mangle, setgeometry, wipe_table, target-version). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/dmsetup.h"
#include "udm/udm.h"
#include "util/proto.h"

bool dms_is_uint(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Rows of udmd's report, with the strings they point to. */
struct report {
	char *buf;
	struct cli_devs devs;
	char **strs;                 /* two per row: types, deps */
	struct dms_row *rows;
	size_t n;
};

/* Comma-joined: the types of a device's live table, or its deps (MAJ:MIN, or a file's path). */
static char *join(const struct cli_dev *d, bool types)
{
	size_t n = types ? d->ntable : d->ndeps, len = 1;
	for (size_t k = 0; k < n; k++)
		len += (types ? strlen(d->table[k].type) : d->deps[k].path ? strlen(d->deps[k].path) : 0) + 24;
	char *s = malloc(len), *p = s;
	if (!s)
		return NULL;
	*p = '\0';
	for (size_t k = 0; k < n; k++) {
		const char *sep = k ? "," : "";
		if (types)
			p += sprintf(p, "%s%s", sep, d->table[k].type);
		else if (d->deps[k].major || d->deps[k].minor || !d->deps[k].path)
			p += sprintf(p, "%s%u:%u", sep, d->deps[k].major, d->deps[k].minor);
		else
			p += sprintf(p, "%s%s", sep, d->deps[k].path);
	}
	return s;
}

/* udmd's report of the devices named (all: nnames 0); 0, or 1 with the error said.
 * free_report in both cases. */
static int get_report(const char *rt, const char *what, unsigned nnames, const char **names, uint32_t flags,
		      struct report *rep)
{
	size_t len = 0;
	memset(rep, 0, sizeof(*rep));
	if (cli_request(rt, what, UDM_CMD_DM_REPORT, flags, nnames, names, &rep->buf, &len))
		return 1;
	if (cli_devs_parse(what, rep->buf, len, &rep->devs))
		return 1;
	size_t n = rep->devs.n;
	rep->rows = calloc(n ? n : 1, sizeof(*rep->rows));
	rep->strs = calloc(2 * n + 1, sizeof(*rep->strs));
	if (!rep->rows || !rep->strs) {
		cli_error(what, "%s", strerror(ENOMEM));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct cli_dev *d = &rep->devs.dev[i];
		unsigned fl = d->flags;
		if (!(rep->strs[2 * i] = join(d, true)) || !(rep->strs[2 * i + 1] = join(d, false))) {
			cli_error(what, "%s", strerror(ENOMEM));
			return 1;
		}
		rep->rows[rep->n++] = (struct dms_row){
			.name = d->name, .uuid = d->uuid, .major = d->major, .minor = d->minor,
			.flags = ((fl & UDM_F_ACTIVE_PRESENT) ? DMS_ROW_LIVE : 0) | ((fl & UDM_F_INACTIVE_PRESENT) ? DMS_ROW_INACTIVE : 0) |
				 ((fl & UDM_F_SUSPEND) ? DMS_ROW_SUSPENDED : 0) | ((fl & UDM_F_READONLY) ? DMS_ROW_READONLY : 0),
			.open = d->open, .targets = d->targets, .events = d->events,
			.types = rep->strs[2 * i], .deps = rep->strs[2 * i + 1], .link = d->loop,
		};
	}
	return 0;
}

static void free_report(struct report *rep)
{
	for (size_t i = 0; rep->strs && rep->strs[i]; i++)
		free(rep->strs[i]);
	free(rep->strs);
	free(rep->rows);
	cli_devs_free(&rep->devs);
	free(rep->buf);
}

static bool has_type(const char *types, const char *type)
{
	size_t tl = strlen(type);
	for (const char *p = types; p && *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == tl && strncmp(p, type, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* Resolve -u UUID or -j MAJOR -m MINOR into a name (into buf). */
int dms_select_device(const char *rt, const char *what, const struct gopts *g, char *buf, size_t len)
{
	struct report rep;
	if (get_report(rt, what, 0, NULL, 0, &rep)) {
		free_report(&rep);
		return 1;
	}
	const struct dms_row *hit = NULL;
	for (size_t i = 0; i < rep.n && !hit; i++) {
		if (g->uuid && strcmp(rep.rows[i].uuid, g->uuid) == 0)
			hit = &rep.rows[i];
		else if (!g->uuid && rep.rows[i].major == (unsigned)atoi(g->major) &&
			 rep.rows[i].minor == (unsigned)atoi(g->minor))
			hit = &rep.rows[i];
	}
	if (hit)
		snprintf(buf, len, "%s", hit->name);
	else
		cli_error(what, "%s", strerror(ENXIO));
	free_report(&rep);
	return hit ? 0 : 1;
}

/* Verbs with several devices or a report: table, status, info, deps, ls, measure. */
int dms_multi_verb(const char *rt, const struct verb *v, const struct gopts *g, const char **p, int np,
		      uint32_t flags)
{
	const char *what = v->name;
	bool report_needed = (v->cmd == UDM_CMD_DM_INFO && g->columns) || g->target || g->tree || g->verbose ||
			     v->local == L_MEASURE || np > 1;
	if (!report_needed)
		return -1;   /* the plain single request does it */
	struct report rep;
	if (get_report(rt, what, (unsigned)np, p, flags & UDM_F_QUERY_INACTIVE, &rep)) {
		free_report(&rep);
		return 1;
	}
	int rc = 0;
	if (v->cmd == UDM_CMD_DM_INFO && g->columns) {
		struct dms_report_opts o = { g->fields, g->separator, g->noheadings, g->nameprefixes };
		struct report all = rep;
		/* what uses a device is known from all devices */
		if (np && get_report(rt, what, 0, NULL, 0, &all)) {
			free_report(&all);
			rc = 1;
			goto out;
		}
		if (rep.n == 0 && np == 0)
			printf("No devices found\n");
		else
			rc = dms_report_print(what, "name,major,minor,attr,open,segments,events,uuid", &o, rep.rows, rep.n,
					     all.rows, all.n);
		if (np)
			free_report(&all);
		goto out;
	}
	if (v->cmd == UDM_CMD_DM_LS && g->tree) {
		rc = dms_tree_print(rep.rows, rep.n);
		goto out;
	}
	if (v->cmd == UDM_CMD_DM_LS) {
		for (size_t i = 0; i < rep.n; i++)
			if (!g->target || has_type(rep.rows[i].types, g->target))
				dms_print_ls_line(rep.rows[i].name, rep.rows[i].major, rep.rows[i].minor);
		if (!rep.n)
			printf("No devices found\n");
		goto out;
	}
	if (rep.n == 0) {
		printf("No devices found\n");
		goto out;
	}
	bool multiple = np != 1;
	uint16_t cmd = v->local == L_MEASURE ? UDM_CMD_DM_TABLE : v->cmd;
	for (size_t i = 0; i < rep.n && rc == 0; i++) {
		const char *name = rep.rows[i].name;
		char *reply = NULL;
		size_t len = 0;
		if (g->target && !has_type(rep.rows[i].types, g->target) && (cmd == UDM_CMD_DM_TABLE || cmd == UDM_CMD_DM_STATUS))
			continue;
		struct cli_devs devs;
		if (g->verbose && cmd != UDM_CMD_DM_INFO) {
			if ((rc = cli_request(rt, what, UDM_CMD_DM_INFO, flags & UDM_F_QUERY_INACTIVE, 1, &name, &reply, &len)))
				break;
			/* dmsetup -v: the device's info block (ending with a blank line), then its lines */
			rc = dms_print_reply(what, UDM_CMD_DM_INFO, name, reply, len);
			free(reply);
			reply = NULL;
			if (rc)
				break;
		}
		if ((rc = cli_request(rt, what, cmd, flags, 1, &name, &reply, &len)))
			break;
		if ((rc = cli_devs_parse(what, reply, len, &devs))) {
			free(reply);
			break;
		}
		for (size_t k = 0; k < devs.n; k++) {
			const struct cli_dev *d = &devs.dev[k];
			if (cmd == UDM_CMD_DM_TABLE || cmd == UDM_CMD_DM_STATUS)
				dms_print_entries(d, cmd == UDM_CMD_DM_TABLE, g->target, multiple && !g->verbose);
			else if (cmd == UDM_CMD_DM_DEPS)
				dms_print_deps(d, multiple);
			else
				dms_print_info(d);
		}
		cli_devs_free(&devs);
		if (g->verbose && multiple && cmd != UDM_CMD_DM_INFO)
			putchar('\n');
		free(reply);
	}
out:
	free_report(&rep);
	return rc;
}

int dms_local_verb(const char *rt, const struct verb *v, const struct gopts *g, const char **p, int np,
		      uint32_t flags)
{
	const char *what = v->name;
	switch (v->local) {
	case L_SPLITNAME: {
		char buf[4096];
		const char *vg = "", *lv = "", *layer = "";
		const char *subsys = np > 1 ? p[1] : "LVM";
		if (strcmp(subsys, "LVM") == 0)
			dms_splitname(p[0], buf, sizeof(buf), &vg, &lv, &layer);
		struct dms_row row = { .name = p[0], .subsystem = subsys, .vg = vg, .lv = lv, .layer = layer };
		struct dms_report_opts o = { g->fields, g->separator, g->noheadings, g->nameprefixes };
		return dms_report_print(what, "vg_name,lv_name,lv_layer", &o, &row, 1, &row, 1);
	}
	case L_UDEVCOOKIES:
		/* udm has no udev synchronization: never a cookie to list */
		printf("Cookie       Semid      Value      Last semop time           Last change time\n");
		return 0;
	case L_UDEVCOMPLETE:
	case L_UDEVFLAGS:
	case L_UDEVRELEASECOOKIE: {
		if (np == 0)
			return 0;
		char *e;
		errno = 0;
		unsigned long c = strtoul(p[0], &e, 0);
		if (!*p[0] || *e || errno || c == 0 || c > UINT32_MAX) {
			cli_error(what, "Incorrect cookie value.");
			return 1;
		}
		return 0;   /* nothing waits on a udm cookie */
	}
	case L_UDEVCREATECOOKIE:
		return 0;
	case L_UDEVCOMPLETE_ALL:
		if (np && !dms_is_uint(p[0])) {
			cli_error(what, "Incorrect age value.");
			return 1;
		}
		return 0;
	case L_MANGLE:
	case L_SETGEOMETRY: {
		/* udm names are used as given (no mangling to undo) and udm
		 * devices have no geometry to keep: check the devices exist */
		if (v->local == L_SETGEOMETRY)
			for (int k = 1; k < 5; k++)
				if (!dms_is_uint(p[k])) {
					cli_error(what, "Invalid geometry value %s.", p[k]);
					return 1;
				}
		struct report rep;
		int rc = get_report(rt, what, v->local == L_SETGEOMETRY ? 1 : (unsigned)np, p, 0, &rep);
		free_report(&rep);
		return rc;
	}
	case L_WIPE_TABLE: {
		/* dmsetup: load an error table of the same size, then resume */
		for (int k = 0; k < np; k++) {
			char *reply = NULL, what2[300];
			size_t len = 0;
			snprintf(what2, sizeof(what2), "%s %s", what, p[k]);
			if (cli_request(rt, what2, UDM_CMD_DM_TABLE, 0, 1, &p[k], &reply, &len))
				return 1;
			struct cli_devs devs;
			if (cli_devs_parse(what2, reply, len, &devs)) {
				free(reply);
				return 1;
			}
			uint64_t size = 0;
			for (size_t i = 0; i < devs.n; i++)
				for (size_t t = 0; t < devs.dev[i].ntable; t++)
					if (devs.dev[i].table[t].start + devs.dev[i].table[t].length > size)
						size = devs.dev[i].table[t].start + devs.dev[i].table[t].length;
			cli_devs_free(&devs);
			free(reply);
			if (size == 0) {
				cli_error(what2, "device has no live table");
				return 1;
			}
			struct udm_rec_buf table = { 0 };
			udm_rec_begin(&table, UDM_REC_TABLE);
			udm_rec_u64(&table, UDM_K_START, 0);
			udm_rec_u64(&table, UDM_K_LENGTH, size);
			udm_rec_str(&table, UDM_K_TYPE, "error");
			udm_rec_str(&table, UDM_K_PARAMS, "");
			const char *largs[2] = { p[k], "/" };
			int lr = cli_request_recs(rt, what2, UDM_CMD_DM_LOAD, 0, 2, largs, &table, &reply, &len);
			free(table.buf);
			if (lr)
				return 1;
			free(reply);
			if (cli_request(rt, what2, UDM_CMD_DM_RESUME, flags & (UDM_F_NOFLUSH | UDM_F_SKIP_LOCKFS), 1, &p[k],
				    &reply, &len))
				return 1;
			free(reply);
		}
		return 0;
	}
	case L_TARGET_VERSION: {
		char *reply = NULL;
		size_t len = 0;
		if (cli_request(rt, what, UDM_CMD_DM_TARGETS, 0, 0, NULL, &reply, &len))
			return 1;
		int rc = 0;
		for (int k = 0; k < np && rc < 2; k++) {
			bool found = false;
			if (dms_print_targets(what, reply, len, p[k], &found))
				rc = 2;
			else if (!found) {
				cli_error(what, "Target %s not found.", p[k]);
				rc = 1;
			}
		}
		if (np == 0 && dms_print_targets(what, reply, len, NULL, NULL))
			rc = 1;
		free(reply);
		return rc ? 1 : 0;
	}
	default:
		return -1;
	}
}
