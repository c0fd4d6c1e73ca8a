/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM tests' probes report an attempt the same way: "ok" and 0, or the errno's name and 1. */
#ifndef UDM_VM_PROBE_RESULT_H
#define UDM_VM_PROBE_RESULT_H
#include <stdio.h>
#include <string.h>

static int result(int err)
{
	if (!err) {
		puts("ok");
		return 0;
	}
	const char *n = strerrorname_np(err);
	printf("%s\n", n ? n : "errno");
	return 1;
}
#endif
