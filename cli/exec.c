/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm exec --restrict-scripts -- CMD [ARG...]: run CMD with the securebits that make
 * script interpreters ask the kernel before they run a file (Linux 6.14+,
 * Documentation/userspace-api/check_exec.rst): SECBIT_EXEC_RESTRICT_FILE (a
 * script runs only if execveat(..., AT_EXECVE_CHECK) allows it, which IPE or
 * udm's BPF enforcer decides as an exec) and SECBIT_EXEC_DENY_INTERACTIVE (no
 * commands from a terminal, standard input or -c), both locked so that CMD
 * and its children cannot clear them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "cli/cli.h"

#ifndef SECBIT_EXEC_RESTRICT_FILE
#define SECBIT_EXEC_RESTRICT_FILE (1 << 8)
#define SECBIT_EXEC_RESTRICT_FILE_LOCKED (1 << 9)
#define SECBIT_EXEC_DENY_INTERACTIVE (1 << 10)
#define SECBIT_EXEC_DENY_INTERACTIVE_LOCKED (1 << 11)
#endif

#define EXEC_USAGE "usage: udm exec --restrict-scripts [--] CMD [ARG...]\n"

int cli_exec_main(int argc, char **argv)
{
	bool restrict_scripts = false;
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(EXEC_USAGE "  --restrict-scripts  set and lock SECBIT_EXEC_RESTRICT_FILE and "
			      "SECBIT_EXEC_DENY_INTERACTIVE (Linux 6.14+),\n"
			      "                      then execute CMD: interpreters that honour them run a script "
			      "only if\n"
			      "                      the kernel allows executing it (AT_EXECVE_CHECK)\n", stdout);
			return fflush(stdout) ? 1 : 0;
		}
		if (strcmp(argv[i], "--restrict-scripts") == 0) {
			restrict_scripts = true;
			continue;
		}
		if (argv[i][0] == '-') {
			cli_error("exec", "unknown option '%s'", argv[i]);
			fputs(EXEC_USAGE, stderr);
			return 1;
		}
		break;
	}
	if (!restrict_scripts || i >= argc) {
		cli_error("exec", restrict_scripts ? "no command given" : "nothing to restrict: --restrict-scripts is the option");
		fputs(EXEC_USAGE, stderr);
		return 1;
	}
	int bits = prctl(PR_GET_SECUREBITS);
	if (bits < 0) {
		cli_error("exec", "PR_GET_SECUREBITS: %s", strerror(errno));
		return 1;
	}
	bits |= SECBIT_EXEC_RESTRICT_FILE | SECBIT_EXEC_RESTRICT_FILE_LOCKED | SECBIT_EXEC_DENY_INTERACTIVE |
		SECBIT_EXEC_DENY_INTERACTIVE_LOCKED;
	if (prctl(PR_SET_SECUREBITS, (unsigned long)bits) < 0) {
		/* before 6.14 the kernel knows no such bits (EPERM): never run CMD unrestricted */
		int e = errno;
		cli_error("exec", "--restrict-scripts: %s%s", strerror(e),
			  e == EPERM ? " (the kernel has no SECBIT_EXEC_RESTRICT_FILE: Linux 6.14 or later needed)" : "");
		return 1;
	}
	execvp(argv[i], argv + i);
	int e = errno;
	cli_error("exec", "%s: %s", argv[i], strerror(e));
	return e == ENOENT ? 127 : 126;
}
