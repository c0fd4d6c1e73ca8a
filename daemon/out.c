/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A command's output (struct udmd_out, udmd.h): a growing buffer every part
 * of udmd writes its text into. A leaf: it calls nothing of udmd. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "daemon/udmd.h"

void udmd_printf(struct udmd_out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || o->oom)
		return;
	if (o->len + (size_t)n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		while (cap < o->len + (size_t)n + 1)
			cap *= 2;
		char *b = realloc(o->buf, cap);
		if (!b) {
			o->oom = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}
