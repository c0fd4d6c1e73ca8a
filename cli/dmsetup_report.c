/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dmsetup's column reports (info -c, -o FIELDS, --noheadings, --separator,
 * --nameprefixes, splitname), laid out as libdm-report does: with aligned
 * output every field is padded to its width (the larger of the field's own
 * width and its longest value; strings left, numbers right, headings always
 * left), the last one included; --separator or --noheadings turn alignment
 * off (--noheadings also makes ':' the separator and drops the headings). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/dmsetup.h"

enum kind { STR, NUM };
enum sect { S_NAME, S_INFO, S_DEPS, S_SPLIT };

struct field {
	const char *id, *heading;
	int width;
	enum kind kind;
	enum sect sect;
	const char *desc;
};

static const struct field fields[] = {
	{ "name", "Name", 16, STR, S_NAME, "Name of mapped device." },
	{ "mangled_name", "MangledName", 16, STR, S_NAME, "Mangled name of mapped device." },
	{ "unmangled_name", "UnmangledName", 16, STR, S_NAME, "Unmangled name of mapped device." },
	{ "uuid", "UUID", 32, STR, S_NAME, "Unique (optional) identifier for mapped device." },
	{ "mangled_uuid", "MangledUUID", 32, STR, S_NAME, "Mangled unique (optional) identifier for mapped device." },
	{ "unmangled_uuid", "UnmangledUUID", 32, STR, S_NAME, "Unmangled unique (optional) identifier for mapped device." },
	{ "read_ahead", "RAhead", 6, NUM, S_NAME, "Read ahead value." },
	{ "blkdevname", "BlkDevName", 16, STR, S_INFO, "Name of block device." },
	{ "attr", "Stat", 4, STR, S_INFO, "(L)ive, (I)nactive, (s)uspended, (r)ead-only, read-(w)rite." },
	{ "tables_loaded", "Tables", 6, STR, S_INFO, "Which of the live and inactive table slots are filled." },
	{ "suspended", "Suspended", 9, STR, S_INFO, "Whether the device is suspended." },
	{ "readonly", "Read-only", 9, STR, S_INFO, "Whether the device is read-only or writeable." },
	{ "devno", "DevNo", 5, STR, S_INFO, "Device major and minor numbers" },
	{ "major", "Maj", 3, NUM, S_INFO, "Block device major number." },
	{ "minor", "Min", 3, NUM, S_INFO, "Block device minor number." },
	{ "open", "Open", 4, NUM, S_INFO, "Number of references to open device, if requested." },
	{ "segments", "Targ", 4, NUM, S_INFO, "Number of segments in live table, if present." },
	{ "events", "Event", 6, NUM, S_INFO, "Number of most recent event." },
	{ "device_count", "#Devs", 5, NUM, S_DEPS, "Number of devices used by this one." },
	{ "devs_used", "DevNamesUsed", 16, STR, S_DEPS, "List of names of mapped devices used by this one." },
	{ "devnos_used", "DevNosUsed", 16, STR, S_DEPS, "List of device numbers of devices used by this one." },
	{ "blkdevs_used", "BlkDevNamesUsed", 16, STR, S_DEPS, "List of names of block devices used by this one." },
	{ "device_ref_count", "#Refs", 5, NUM, S_DEPS, "Number of mapped devices referencing this one." },
	{ "names_using_dev", "RefNames", 8, STR, S_DEPS, "List of names of mapped devices using this one." },
	{ "devnos_using_dev", "RefDevNos", 9, STR, S_DEPS, "List of device numbers of mapped devices using this one." },
	{ "subsystem", "Subsys", 6, STR, S_SPLIT, "Userspace subsystem responsible for this device." },
	{ "vg_name", "VG", 4, STR, S_SPLIT, "LVM Volume Group name." },
	{ "lv_name", "LV", 4, STR, S_SPLIT, "LVM Logical Volume name." },
	{ "lv_layer", "LVLayer", 7, STR, S_SPLIT, "LVM device layer." },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const struct {
	const char *all, *title;
} sections[] = {
	[S_NAME] = { "name_all", "Mapped Device Name Fields" },
	[S_INFO] = { "info_all", "Mapped Device Information Fields" },
	[S_DEPS] = { "deps_all", "Mapped Device Relationship Information Fields" },
	[S_SPLIT] = { "splitname_all", "Mapped Device Name Components Fields" },
};

void dms_report_help(FILE *f)
{
	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		size_t tl = strlen(sections[s].title);
		fprintf(f, "%s\n", sections[s].title);
		for (size_t i = 0; i < tl; i++)
			fputc('-', f);
		fprintf(f, "\n  %-21s - All fields in this section.\n", sections[s].all);
		for (size_t i = 0; i < NFIELDS; i++)
			if (fields[i].sect == (enum sect)s)
				fprintf(f, "  %-21s - %s\n", fields[i].id, fields[i].desc);
		fprintf(f, " \n");
	}
	fprintf(f, "Special Fields\n--------------\n  %-21s - Show help.\n  %-21s - Show help.\n \n", "help", "?");
}

/* Comma-joined names or numbers of the udm devices among a deps list. */
static void join_dm(const struct dms_row *rows, size_t n, const char *deps, bool names, char *out, size_t len)
{
	out[0] = '\0';
	size_t used = 0;
	char *copy = strdup(deps ? deps : "");
	for (char *save = NULL, *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		unsigned ma, mi;
		char c;
		if (sscanf(t, "%u:%u%c", &ma, &mi, &c) != 2)
			continue;
		for (size_t k = 0; k < n; k++)
			if (rows[k].major == ma && rows[k].minor == mi) {
				if (names)
					used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%s",
								 used ? "," : "", rows[k].name);
				break;
			}
	}
	free(copy);
}

/* The value of field f for row r, into buf. */
static const char *value(const struct field *f, const struct dms_row *r, const struct dms_row *rows, size_t n,
			 char *buf, size_t len)
{
	const char *id = f->id;
	bool live = r->flags & DMS_ROW_LIVE, inact = r->flags & DMS_ROW_INACTIVE;
	if (!strcmp(id, "name") || !strcmp(id, "mangled_name") || !strcmp(id, "unmangled_name"))
		return r->name;
	if (!strcmp(id, "uuid") || !strcmp(id, "mangled_uuid") || !strcmp(id, "unmangled_uuid"))
		return r->uuid ? r->uuid : "";
	if (!strcmp(id, "read_ahead"))
		return "256";
	if (!strcmp(id, "blkdevname"))
		return r->link && !strncmp(r->link, "/dev/", 5) ? r->link + 5 : "";
	if (!strcmp(id, "attr")) {
		snprintf(buf, len, "%c%c%c%c", live ? 'L' : '-', inact ? 'I' : '-', (r->flags & DMS_ROW_SUSPENDED) ? 's' : '-',
			 (r->flags & DMS_ROW_READONLY) ? 'r' : 'w');
		return buf;
	}
	if (!strcmp(id, "tables_loaded"))
		return live ? (inact ? "Both" : "Live") : inact ? "Inactive" : "None";
	if (!strcmp(id, "suspended"))
		return (r->flags & DMS_ROW_SUSPENDED) ? "Suspended" : "Active";
	if (!strcmp(id, "readonly"))
		return (r->flags & DMS_ROW_READONLY) ? "Read-only" : "Writeable";
	if (!strcmp(id, "devno")) {
		snprintf(buf, len, "%u:%u", r->major, r->minor);
		return buf;
	}
	long v = 0;
	if (!strcmp(id, "major"))
		v = r->major;
	else if (!strcmp(id, "minor"))
		v = r->minor;
	else if (!strcmp(id, "open"))
		v = r->open;
	else if (!strcmp(id, "segments"))
		v = r->targets;
	else if (!strcmp(id, "events"))
		v = r->events;
	if (f->kind == NUM && strcmp(id, "device_count") && strcmp(id, "device_ref_count")) {
		snprintf(buf, len, "%ld", v);
		return buf;
	}
	if (!strcmp(id, "device_count")) {
		long c = r->deps && *r->deps ? 1 : 0;
		for (const char *p = r->deps; p && *p; p++)
			c += *p == ',';
		snprintf(buf, len, "%ld", c);
		return buf;
	}
	if (!strcmp(id, "devnos_used") || !strcmp(id, "blkdevs_used"))
		return r->deps ? r->deps : "";
	if (!strcmp(id, "devs_used")) {
		join_dm(rows, n, r->deps, true, buf, len);
		return buf;
	}
	if (!strcmp(id, "device_ref_count") || !strcmp(id, "names_using_dev") || !strcmp(id, "devnos_using_dev")) {
		char me[32];
		snprintf(me, sizeof(me), "%u:%u", r->major, r->minor);
		size_t used = 0, count = 0;
		buf[0] = '\0';
		for (size_t k = 0; k < n; k++) {
			bool uses = false;
			char *copy = strdup(rows[k].deps ? rows[k].deps : "");
			for (char *save = NULL, *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !uses;
			     t = strtok_r(NULL, ",", &save))
				uses = strcmp(t, me) == 0;
			free(copy);
			if (!uses)
				continue;
			count++;
			if (id[0] == 'n')
				used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? "," : "",
							 rows[k].name);
			else if (id[0] == 'd' && id[1] == 'e' && id[2] == 'v')
				used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%u:%u", used ? "," : "",
							 rows[k].major, rows[k].minor);
		}
		if (!strcmp(id, "device_ref_count"))
			snprintf(buf, len, "%zu", count);
		return buf;
	}
	if (!strcmp(id, "subsystem"))
		return r->subsystem ? r->subsystem : "";
	if (!strcmp(id, "vg_name"))
		return r->vg ? r->vg : "";
	if (!strcmp(id, "lv_name"))
		return r->lv ? r->lv : "";
	if (!strcmp(id, "lv_layer"))
		return r->layer ? r->layer : "";
	return "";
}

/* Parse a field list ("+f" adds to the defaults) into idx[]; -1 unknown. */
static int parse_fields(const char *what, const char *defaults, const char *opt, size_t *idx, size_t max, size_t *nidx)
{
	char spec[4096];
	if (opt && opt[0] == '+')
		snprintf(spec, sizeof(spec), "%s,%s", defaults, opt + 1);
	else
		snprintf(spec, sizeof(spec), "%s", opt ? opt : defaults);
	*nidx = 0;
	for (char *save = NULL, *t = strtok_r(spec, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool found = false;
		for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++)
			if (strcmp(t, sections[s].all) == 0) {
				for (size_t i = 0; i < NFIELDS && *nidx < max; i++)
					if (fields[i].sect == (enum sect)s)
						idx[(*nidx)++] = i;
				found = true;
			}
		for (size_t i = 0; i < NFIELDS && !found; i++)
			if (strcmp(t, fields[i].id) == 0) {
				if (*nidx < max)
					idx[(*nidx)++] = i;
				found = true;
			}
		if (!found) {
			if (strcmp(t, "help") == 0 || strcmp(t, "?") == 0) {
				dms_report_help(stderr);
				return 1;
			}
			cli_error(what, "Unrecognised field: %s", t);
			fprintf(stderr, "Fields: 'udm help -c'.\n");
			return -1;
		}
	}
	return 0;
}

int dms_report_print(const char *what, const char *defaults, const struct dms_report_opts *o,
		    const struct dms_row *rows, size_t n, const struct dms_row *all, size_t nall)
{
	size_t idx[128], ni;
	int r = parse_fields(what, defaults, o->fields, idx, 128, &ni);
	if (r)
		return r < 0 ? 1 : 0;
	bool aligned = true, headings = true, prefixes = o->nameprefixes;
	const char *sep = " ";
	if (o->noheadings) {
		sep = ":";
		aligned = false;
		headings = false;
	}
	if (prefixes)
		aligned = false;
	if (o->separator) {
		sep = o->separator;
		aligned = false;
	}
	/* values, then widths */
	size_t nv = n * ni;
	char **val = calloc(nv ? nv : 1, sizeof(*val));
	int width[128];
	if (!val) {
		cli_error(what, "out of memory");
		return 1;
	}
	for (size_t f = 0; f < ni; f++)
		width[f] = fields[idx[f]].width;
	char buf[8192];
	for (size_t i = 0; i < n; i++)
		for (size_t f = 0; f < ni; f++) {
			val[i * ni + f] = strdup(value(&fields[idx[f]], &rows[i], all, nall, buf, sizeof(buf)));
			if (val[i * ni + f] && (int)strlen(val[i * ni + f]) > width[f])
				width[f] = (int)strlen(val[i * ni + f]);
		}
	if (headings) {
		for (size_t f = 0; f < ni; f++) {
			if (aligned)
				printf("%-*.*s", width[f], width[f], fields[idx[f]].heading);
			else
				printf("%s", fields[idx[f]].heading);
			if (f + 1 < ni)
				fputs(sep, stdout);
		}
		putchar('\n');
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t f = 0; f < ni; f++) {
			const char *v = val[i * ni + f] ? val[i * ni + f] : "";
			if (prefixes) {
				printf("DM_");
				for (const char *p = fields[idx[f]].id; *p; p++)
					putchar(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
				printf("='%s'", v);
			} else if (aligned) {
				printf(fields[idx[f]].kind == NUM ? "%*.*s" : "%-*.*s", width[f], width[f], v);
			} else {
				printf("%s", v);
			}
			if (f + 1 < ni)
				fputs(sep, stdout);
		}
		putchar('\n');
	}
	for (size_t i = 0; i < nv; i++)
		free(val[i]);
	free(val);
	return 0;
}

/* libdm's _unquote(): unquote a component in place up to its first lone '-'
 * ("--" stands for '-'; a '-' at the very end is kept); returns the rest. */
static char *unquote(char *c)
{
	char *o = c;
	while (*c) {
		if (c[1] && *c == '-') {
			if (c[1] != '-')
				break;
			c++;
		}
		*o++ = *c++;
	}
	char *rest = *c ? c + 1 : c;
	*o = '\0';
	return rest;
}

/* dm_split_lvm_name(): VG-LV-LAYER. */
void dms_splitname(const char *name, char *buf, size_t len, const char **vg, const char **lv, const char **layer)
{
	snprintf(buf, len, "%s", name);
	char *l = unquote(buf), *y = unquote(l);
	unquote(y);
	*vg = buf;
	*lv = l;
	*layer = y;
}

/* ls --tree */
static int tree_width;
static void tree_node(const struct dms_row *rows, size_t nrows, const char *dep, int depth, bool *more, bool last, bool utf)
{
	const char *branch = utf ? "\342\224\234\342\224\200" : "|-";
	const char *lastb = utf ? "\342\224\224\342\224\200" : "`-";
	const char *vert = utf ? "\342\224\202 " : "| ";
	more[depth] = !last;
	for (int d = 0; d < depth; d++) {
		putchar(' ');
		fputs(d == depth - 1 ? (!more[depth] ? lastb : branch) : more[d + 1] ? vert : "  ", stdout);
	}
	unsigned ma, mi;
	char c;
	const struct dms_row *r = NULL;
	if (sscanf(dep, "%u:%u%c", &ma, &mi, &c) == 2)
		for (size_t k = 0; k < nrows && !r; k++)
			if (rows[k].major == ma && rows[k].minor == mi)
				r = &rows[k];
	if (!r) {
		printf(" (%s)\n", dep);
		return;
	}
	printf("%s (%u:%u)\n", r->name, r->major, r->minor);
	if (depth + 2 >= tree_width || !r->deps || !*r->deps)
		return;
	char *copy = strdup(r->deps);
	char *items[256];
	int n = 0;
	for (char *save = NULL, *t = copy ? strtok_r(copy, ",", &save) : NULL; t && n < 256; t = strtok_r(NULL, ",", &save))
		items[n++] = t;
	for (int k = 0; k < n; k++)
		tree_node(rows, nrows, items[k], depth + 1, more, k == n - 1, utf);
	free(copy);
}

static bool used_by_other(const struct dms_row *rows, size_t n, const struct dms_row *r)
{
	char me[32];
	snprintf(me, sizeof(me), "%u:%u", r->major, r->minor);
	for (size_t k = 0; k < n; k++) {
		if (&rows[k] == r)
			continue;
		char *copy = strdup(rows[k].deps ? rows[k].deps : "");
		bool uses = false;
		for (char *save = NULL, *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !uses; t = strtok_r(NULL, ",", &save))
			uses = strcmp(t, me) == 0;
		free(copy);
		if (uses)
			return true;
	}
	return false;
}

int dms_tree_print(const struct dms_row *rows, size_t n)
{
	const char *cs = getenv("LC_ALL");
	if (!cs || !*cs)
		cs = getenv("LC_CTYPE");
	if (!cs || !*cs)
		cs = getenv("LANG");
	bool utf = cs && (strstr(cs, "UTF-8") || strstr(cs, "utf8") || strstr(cs, "UTF8") || strstr(cs, "utf-8"));
	bool more[102] = { false };
	tree_width = 100;
	if (n == 0)
		printf("No devices found\n");
	for (size_t i = 0; i < n; i++) {
		if (used_by_other(rows, n, &rows[i]))
			continue;
		char dn[32];
		snprintf(dn, sizeof(dn), "%u:%u", rows[i].major, rows[i].minor);
		tree_node(rows, n, dn, 0, more, true, utf);
	}
	return 0;
}
