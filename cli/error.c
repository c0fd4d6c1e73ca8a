/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CLI's error line: "udm: WHAT: REASON" on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include "cli/cli.h"

void cli_verror(const char *what, const char *fmt, va_list ap)
{
	fprintf(stderr, "udm: %s: ", what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_verror(what, fmt, ap);
	va_end(ap);
}
