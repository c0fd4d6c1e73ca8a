/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm-probe: the ways to execute code that an enforcer must see, one per
 * verb, for the VM tests. Prints "ok" or the errno name and exits 0, or 1
 * when the attempt was refused (any errno), 2 on a usage or setup error.
 *   udm-probe                      exit 0 (a program to execute)
 *   udm-probe mmap FILE            mmap(PROT_READ|PROT_EXEC) of FILE
 *   udm-probe mprotect FILE        mmap(PROT_READ) then mprotect(+PROT_EXEC)
 *   udm-probe anon                 anonymous mmap(PROT_EXEC)
 *   udm-probe anon-mprotect        anonymous mmap(PROT_READ) then mprotect(+PROT_EXEC)
 *   udm-probe memfd FILE ARG...    copy FILE into a memfd and fexecve it
 *   udm-probe dlopen FILE          dlopen(FILE, RTLD_NOW)
 *   udm-probe finit FILE           finit_module(FILE): a module load from a file (KERNEL_READ)
 *   udm-probe initmod FILE         init_module of FILE's bytes: a module load from a buffer (KERNEL_LOAD)
 *   udm-probe delmod NAME          delete_module(NAME): unload where a policy denies rmmod's program
 *   udm-probe exec-loop FILE SECS  execute FILE repeatedly; counts "ok N denied M other K"
 *   udm-probe bench FILE N         execute FILE N times, print nanoseconds per exec
 *   udm-probe race PROG LIB SECS   for SECS, alternately execute PROG and mmap(PROT_EXEC) LIB, telling the
 *                                  lower layer's data from what `overwrite` put in the upper: PROG exits 0,
 *                                  the upper's script exits 3; LIB's mapping starts with "\177ELF", the
 *                                  upper's with what was written; counts "exec-lower N exec-upper N
 *                                  exec-denied N mmap-lower N mmap-upper N mmap-denied N other N"
 *   udm-probe overwrite FILE TEXT  open FILE for writing (an overlay copy-up), retrying while it is being
 *                                  executed (ETXTBSY), and write TEXT (\n: newline) at offset 0
 *   udm-probe setxattr FILE NAME VALUE   setxattr(2) (an overlay metacopy entry of a data-only layer)
 *   udm-probe execve-check FILE    execveat(fd, "", ..., AT_EMPTY_PATH | AT_EXECVE_CHECK) (6.14+)
 *   udm-probe interp [-c TEXT | SCRIPT]
 *                                  a script interpreter as Documentation/userspace-api/check_exec.rst
 *                                  tells them to be: with SECBIT_EXEC_RESTRICT_FILE it runs SCRIPT only
 *                                  if the kernel allows executing it (AT_EXECVE_CHECK), with
 *                                  SECBIT_EXEC_DENY_INTERACTIVE no -c TEXT nor standard input; it
 *                                  "runs" a script by printing "interp: LINE" for each line; exit 126
 *                                  when it refuses (the errno name on stderr) */
#ifndef UDM_PROBE_STATIC
#include <dlfcn.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include "probe-result.h"


static int open_file(const char *p)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "udm-probe: %s: %s\n", p, strerror(errno));
		exit(2);
	}
	return fd;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 0 exit status, 1 exec refused (child exits 126), 2 other */
static int run(const char *file)
{
	pid_t pid = fork();
	if (pid == 0) {
		execl(file, file, (char *)NULL);
		_exit(errno == EACCES || errno == EPERM ? 126 : 127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 2;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : WIFEXITED(st) && WEXITSTATUS(st) == 126 ? 1 : 2;
}

#ifndef AT_EXECVE_CHECK
#define AT_EXECVE_CHECK 0x10000
#endif
#ifndef SECBIT_EXEC_RESTRICT_FILE
#define SECBIT_EXEC_RESTRICT_FILE (1 << 8)
#define SECBIT_EXEC_DENY_INTERACTIVE (1 << 10)
#endif

/* 0 the kernel allows executing fd's file, else the errno */
static int execve_check(int fd, char **argv)
{
	extern char **environ;
	return syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH | AT_EXECVE_CHECK) ? errno : 0;
}

static int interp(int argc, char **argv)
{
	int bits = prctl(PR_GET_SECUREBITS);
	if (bits < 0)
		bits = 0;
	FILE *in = stdin;
	if (argc >= 4 && strcmp(argv[2], "-c") == 0) {
		if (bits & SECBIT_EXEC_DENY_INTERACTIVE) {
			fprintf(stderr, "udm-probe interp: -c: refused (SECBIT_EXEC_DENY_INTERACTIVE)\n");
			return 126;
		}
		printf("interp: %s\n", argv[3]);
		return 0;
	}
	if (argc >= 3) {
		int fd = open_file(argv[2]);
		if (bits & SECBIT_EXEC_RESTRICT_FILE) {
			int e = execve_check(fd, argv + 2);
			if (e) {
				const char *n = strerrorname_np(e);
				fprintf(stderr, "udm-probe interp: %s: %s\n", argv[2], n ? n : "errno");
				return 126;
			}
		}
		in = fdopen(fd, "r");
		if (!in)
			return 2;
	} else if (bits & SECBIT_EXEC_DENY_INTERACTIVE) {
		fprintf(stderr, "udm-probe interp: standard input: refused (SECBIT_EXEC_DENY_INTERACTIVE)\n");
		return 126;
	}
	char line[512];
	while (fgets(line, sizeof(line), in))
		if (line[0] != '#')
			printf("interp: %s", line);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 0;
	const char *v = argv[1];
	long pg = sysconf(_SC_PAGESIZE);
	if (strcmp(v, "execve-check") == 0 && argc == 3)
		return result(execve_check(open_file(argv[2]), argv + 2));
	if (strcmp(v, "interp") == 0)
		return interp(argc, argv);
	if (strcmp(v, "mmap") == 0 && argc == 3) {
		int fd = open_file(argv[2]);
		void *p = mmap(NULL, (size_t)pg, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		return result(p == MAP_FAILED ? errno : 0);
	}
	if (strcmp(v, "mprotect") == 0 && argc == 3) {
		int fd = open_file(argv[2]);
		void *p = mmap(NULL, (size_t)pg, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			return result(errno);
		return result(mprotect(p, (size_t)pg, PROT_READ | PROT_EXEC) ? errno : 0);
	}
	if (strcmp(v, "anon") == 0) {
		void *p = mmap(NULL, (size_t)pg, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return result(p == MAP_FAILED ? errno : 0);
	}
	if (strcmp(v, "anon-mprotect") == 0) {
		void *p = mmap(NULL, (size_t)pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return result(errno);
		return result(mprotect(p, (size_t)pg, PROT_READ | PROT_EXEC) ? errno : 0);
	}
	if (strcmp(v, "memfd") == 0 && argc >= 3) {
		int fd = open_file(argv[2]);
		int m = memfd_create("udm-probe", MFD_CLOEXEC);
		char buf[65536];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write(m, buf, (size_t)n) != n)
				return 2;
		fexecve(m, argv + 2, (char *const[]){ NULL });
		return result(errno);
	}
#ifndef UDM_PROBE_STATIC   /* a static program cannot dlopen (glibc needs its own loader) */
	if (strcmp(v, "dlopen") == 0 && argc == 3) {
		void *h = dlopen(argv[2], RTLD_NOW);
		if (!h)
			fprintf(stderr, "udm-probe: %s\n", dlerror());
		return result(h ? 0 : EACCES);
	}
#endif
	/* the syscalls themselves: busybox's insmod falls back from finit_module
	 * to init_module, which would mix the two hooks in one case */
	if (strcmp(v, "finit") == 0 && argc == 3) {
		int fd = open_file(argv[2]);
		return result(syscall(SYS_finit_module, fd, "", 0) ? errno : 0);
	}
	if (strcmp(v, "initmod") == 0 && argc == 3) {
		int fd = open_file(argv[2]);
		static char img[4 << 20];
		ssize_t n, len = 0;
		while ((n = read(fd, img + len, sizeof(img) - (size_t)len)) > 0)
			len += n;
		if (n < 0 || len == (ssize_t)sizeof(img))
			return 2;
		return result(syscall(SYS_init_module, img, (unsigned long)len, "") ? errno : 0);
	}
	if (strcmp(v, "delmod") == 0 && argc == 3)
		return result(syscall(SYS_delete_module, argv[2], O_NONBLOCK) ? errno : 0);
	if (strcmp(v, "exec-loop") == 0 && argc == 4) {
		double end = now() + atof(argv[3]);
		unsigned long c[3] = { 0, 0, 0 };
		while (now() < end)
			c[run(argv[2])]++;
		printf("ok %lu denied %lu other %lu\n", c[0], c[1], c[2]);
		return 0;
	}
	if (strcmp(v, "race") == 0 && argc == 5) {
		double end = now() + atof(argv[4]);
		unsigned long c[7] = { 0 };   /* exec lower, upper, denied; mmap lower, upper, denied; other */
		while (now() < end) {
			pid_t pid = fork();
			if (pid == 0) {
				execl(argv[2], argv[2], (char *)NULL);
				_exit(errno == EACCES ? 126 : 127);
			}
			int st;
			if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
				c[6]++;
			else
				c[WEXITSTATUS(st) == 0 ? 0 : WEXITSTATUS(st) == 3 ? 1 : WEXITSTATUS(st) == 126 ? 2 : 6]++;
			int fd = open(argv[3], O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				c[6]++;
				continue;
			}
			unsigned char *p = mmap(NULL, (size_t)pg, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
			if (p == MAP_FAILED)
				c[errno == EACCES ? 5 : 6]++;
			else {
				c[memcmp(p, "\177ELF", 4) == 0 ? 3 : 4]++;
				munmap(p, (size_t)pg);
			}
			close(fd);
		}
		printf("exec-lower %lu exec-upper %lu exec-denied %lu mmap-lower %lu mmap-upper %lu mmap-denied %lu "
		       "other %lu\n", c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
		return 0;
	}
	if (strcmp(v, "setxattr") == 0 && argc == 5)
		return result(setxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0) ? errno : 0);
	if (strcmp(v, "overwrite") == 0 && argc == 4) {
		char text[256];
		size_t n = 0;
		for (const char *t = argv[3]; *t && n < sizeof(text); t++) {
			if (t[0] == '\\' && t[1] == 'n') {
				text[n++] = '\n';
				t++;
			} else {
				text[n++] = *t;
			}
		}
		double end = now() + 10;
		int fd;
		while ((fd = open(argv[2], O_WRONLY | O_CLOEXEC)) < 0 && errno == ETXTBSY && now() < end)
			usleep(1000);
		if (fd < 0)
			return result(errno);
		return result(pwrite(fd, text, n, 0) == (ssize_t)n && close(fd) == 0 ? 0 : errno);
	}
	if (strcmp(v, "bench") == 0 && argc == 4) {
		long n = atol(argv[3]);
		double t0 = now();
		for (long i = 0; i < n; i++)
			if (run(argv[2]) != 0)
				return 2;
		printf("%.0f\n", (now() - t0) / (double)n * 1e9);
		return 0;
	}
	fprintf(stderr, "udm-probe: bad arguments\n");
	return 2;
}
