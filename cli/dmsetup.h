/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The dmsetup personality's command line, verbs and report, shared by
 * cli/dmsetup.c (options, verb table, single requests), cli/dmsetup_local.c
 * (reports over several devices, local verbs), cli/dmsetup_report.c (column
 * and tree reports), cli/dmsetup_text.c (dmsetup's other text, from udmd's
 * records) and cli/udm_verbs.c (udm's own verbs, which take the same command
 * line). The calls go one way: dmsetup.c -> udm_verbs.c, dmsetup_local.c ->
 * dmsetup_report.c; dmsetup.c and dmsetup_local.c -> dmsetup_text.c; all of
 * them -> cli/client.c, cli/reply.c. */
#ifndef UDM_CLI_DMSETUP_H
#define UDM_CLI_DMSETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "cli/cli.h"

/* One device as udmd's report command describes it (UDM_CMD_DM_REPORT),
 * or one splitname result. */
#define DMS_ROW_LIVE      (1u << 0)
#define DMS_ROW_INACTIVE  (1u << 1)
#define DMS_ROW_SUSPENDED (1u << 2)
#define DMS_ROW_READONLY  (1u << 3)
struct dms_row {
	const char *name, *uuid;
	unsigned major, minor, flags;       /* DMS_ROW_* */
	int open;
	unsigned targets, events;
	const char *types;                  /* live target types, comma-separated */
	const char *deps;                   /* MAJ:MIN or file paths, comma-separated */
	const char *link;                   /* /dev/loopN or "" */
	const char *subsystem, *vg, *lv, *layer;   /* splitname */
};

struct dms_report_opts {
	const char *fields;                 /* -o (NULL: defaults; "+f,..." adds) */
	const char *separator;              /* --separator */
	bool noheadings, nameprefixes;
};

/* Print rows as a report; all: every device (what uses what). 0 or 1 (an
 * error line was printed). */
int dms_report_print(const char *what, const char *defaults, const struct dms_report_opts *o,
		    const struct dms_row *rows, size_t n, const struct dms_row *all, size_t nall);
void dms_report_help(FILE *f);
/* ls --tree: each device no other uses, with what it uses below it. */
int dms_tree_print(const struct dms_row *rows, size_t n);
void dms_splitname(const char *name, char *buf, size_t len, const char **vg, const char **lv,
		  const char **layer);

/* --- dmsetup_text.c: dmsetup's text from udmd's records (cli/reply.c) --- */
void dms_print_info(const struct cli_dev *d);
void dms_print_ls_line(const char *name, unsigned major, unsigned minor);
/* table (else status) entries, only those of type if given; prefix: "NAME: " */
void dms_print_entries(const struct cli_dev *d, bool table, const char *type, bool prefix);
void dms_print_deps(const struct cli_dev *d, bool prefix);
/* version's reply: "Library version:" (if library) and "Driver version:" */
int dms_print_version(const char *what, const char *reply, size_t len, bool library);
/* targets' reply: every target's line, or only's (*found: it was there) */
int dms_print_targets(const char *what, const char *reply, size_t len, const char *only, bool *found);
/* The reply to cmd as dmsetup prints it (name: the device asked about, NULL
 * for all); a text reply as it is. 0, or 1 with the error said. */
int dms_print_reply(const char *what, uint16_t cmd, const char *name, const char *reply, size_t len);

/* --- dmsetup.c and dmsetup_local.c: the verbs, their options, the requests --- */
enum {
	OPT_UUID = 1 << 0, OPT_READONLY = 1 << 1, OPT_NOTABLE = 1 << 2, OPT_TABLE = 1 << 3,
	OPT_INACTIVE = 1 << 4, OPT_NOFLUSH = 1 << 5, OPT_FORCE = 1 << 6, OPT_DEFERRED = 1 << 7,
	OPT_SETUUID = 1 << 8, OPT_NOLOCKFS = 1 << 9,
	/* accepted by every verb, as dmsetup ignores a switch a command does not use */
	OPT_GLOBAL = 1 << 10,
	OPT_DAEMON = 1 << 11,   /* status --daemon: udmd's own state, not a device's */
};

/* Local verbs: no single request, handled in dmsetup_local.c (cmd 0 + a code). */
enum { L_NONE, L_WATCH, L_HELP, L_SPLITNAME, L_UDEVCOOKIES, L_UDEVCOMPLETE, L_UDEVCOMPLETE_ALL,
       L_MANGLE, L_SETGEOMETRY, L_WIPE_TABLE, L_MEASURE, L_UDEVCREATECOOKIE, L_UDEVRELEASECOOKIE,
       L_UDEVFLAGS, L_TARGET_VERSION };

struct verb {
	const char *name;
	uint16_t cmd;
	int min_pos, max_pos;       /* positionals after the verb; -1 = any */
	unsigned opts;              /* options it accepts */
	const char *usage;
	int local;                  /* L_*: handled without (or with several) requests */
	bool devices;               /* positionals are devices (may be -u/-j -m instead; several) */
	bool own;                   /* udm's own verb (not dmsetup's): cli/udm_verbs.c runs it */
};

/* Values of the options that take one, and the global switches. */
struct gopts {
	const char *uuid, *table, *fields, *separator, *target, *major, *minor, *sort, *select;
	int verbose;
	bool columns, noheadings, nameprefixes, tree, showkeys, retry, version, help;
};

/* dmsetup_local.c: a decimal number without sign or spaces */
bool dms_is_uint(const char *s);
/* -u UUID or -j MAJOR -m MINOR resolved into a device name (into buf); 0 or 1. */
int dms_select_device(const char *rt, const char *what, const struct gopts *g, char *buf, size_t len);
/* Verbs with several devices or a report (table, status, info, deps, ls, measure); -1: the
 * plain single request does it. */
int dms_multi_verb(const char *rt, const struct verb *v, const struct gopts *g, const char **p, int np,
		   uint32_t flags);
/* The verbs done without one request of their own (L_*); -1 for the others. */
int dms_local_verb(const char *rt, const struct verb *v, const struct gopts *g, const char **p, int np,
		   uint32_t flags);

/* --- udm_verbs.c: udm's own verbs (attach, detach, watch, enforce, shutdown, ping) --- */
/* Run one (v->own), its command line checked (cli/dmsetup.c); the exit status. */
int uverb_run(const char *rt, const struct verb *v, const char **p, int np, uint32_t flags);
/* status --daemon: udmd's own state */
int uverb_daemon_status(const char *rt);

#endif
