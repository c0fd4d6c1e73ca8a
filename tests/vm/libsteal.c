/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libsteal.so: LD_PRELOADed into a process running udmd's binary, it tries to
 * get udm's pinned config map before udmd's main() runs and prints what the
 * kernel said ("steal: ok" or "steal: EPERM"), then exits: the identity of a
 * binary must give nothing (t4150). */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((constructor)) static void steal(void)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	const char *pin = getenv("STEAL_PIN") ? getenv("STEAL_PIN") : "/sys/fs/bpf/udm/udm_config";
	a.pathname = (uint64_t)(uintptr_t)pin;
	long fd = syscall(SYS_bpf, BPF_OBJ_GET, &a, sizeof(a));
	const char *n = fd < 0 ? strerrorname_np(errno) : "ok";
	printf("steal: %s\n", n ? n : "errno");
	fflush(stdout);
	_exit(0);
}
