/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udm-attack: the ways root tries to switch udm's BPF enforcement off, one
 * per verb, for the VM tests of its self-protection (t4150). Prints "ok" or
 * the errno name; exits 0 when the attempt worked, 1 when it was refused,
 * 2 on a usage or setup error.
 *   udm-attack compat-ioctl DEV CMD [FILE]  ioctl(DEV, CMD, fd of FILE or 0) through int $0x80
 *                                           (compat_sys_ioctl: the file_ioctl_compat hook)
 *   udm-attack set-offset DEV OFFSET        LOOP_GET_STATUS64, then LOOP_SET_STATUS64 with lo_offset
 *   udm-attack obj-get PATH                 bpf(BPF_OBJ_GET) of a pinned object
 *   udm-attack guarded-links                every BPF link by id: prints "guarded N", N the
 *                                           links whose fd is refused (EPERM: udm's)
 *   udm-attack prctl-exe FILE               prctl(PR_SET_MM, PR_SET_MM_EXE_FILE, fd of FILE)
 *   udm-attack ptrace-attach PID            PTRACE_ATTACH to PID, then detach
 *   udm-attack traceme CMD ARG...           run CMD under PTRACE_TRACEME, traced to its end;
 *                                           prints "exit N" (CMD's status)
 *   udm-attack nocap CMD ARG...             run CMD as root without CAP_MAC_ADMIN (bounding set)
 *   udm-attack ublk-ctrl CMD ID             one /dev/ublk-control command (STOP_DEV, DEL_DEV,
 *                                           START_USER_RECOVERY, GET_DEV_INFO: ioctl-encoded)
 *                                           on ublk device ID, through io_uring (SQE128)
 *   udm-attack open PATH                    open(PATH, O_RDWR), then close */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <liburing.h>
#include "daemon/ublk_uapi.h"
#include "probe-result.h"

/* One control command as a ublk server sends it: the kernel's result. */
static int ublk_ctrl(const char *name, __u32 id)
{
	static const struct { const char *name; unsigned op; } ops[] = {
		{ "STOP_DEV", UBLK_U_CMD_STOP_DEV }, { "DEL_DEV", UBLK_U_CMD_DEL_DEV },
		{ "START_USER_RECOVERY", UBLK_U_CMD_START_USER_RECOVERY },
		{ "GET_DEV_INFO", UBLK_U_CMD_GET_DEV_INFO },
	};
	unsigned op = 0;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, name) == 0)
			op = ops[i].op;
	if (!op) {
		fprintf(stderr, "udm-attack: unknown ublk command %s\n", name);
		exit(2);
	}
	int fd = open("/dev/ublk-control", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "udm-attack: /dev/ublk-control: %s\n", strerror(errno));
		exit(2);
	}
	struct io_uring r;
	if (io_uring_queue_init(4, &r, IORING_SETUP_SQE128)) {
		fprintf(stderr, "udm-attack: io_uring_queue_init failed\n");
		exit(2);
	}
	static struct ublksrv_ctrl_dev_info info;
	struct ublksrv_ctrl_cmd c = { .dev_id = id, .queue_id = (__u16)-1 };
	if (op == UBLK_U_CMD_GET_DEV_INFO) {
		c.addr = (__u64)(uintptr_t)&info;
		c.len = sizeof(info);
	}
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r);
	if (!sqe)
		exit(2);
	memset((void *)sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	memcpy(sqe->cmd, &c, sizeof(c));
	int ret = io_uring_submit_and_wait(&r, 1);
	struct io_uring_cqe *cqe;
	if (ret >= 0 && !(ret = io_uring_wait_cqe(&r, &cqe))) {
		ret = cqe->res;
		io_uring_cqe_seen(&r, cqe);
	}
	io_uring_queue_exit(&r);
	close(fd);
	return ret < 0 ? -ret : 0;
}


static int open_or_die(const char *p, int flags)
{
	int fd = open(p, flags | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "udm-attack: %s: %s\n", p, strerror(errno));
		exit(2);
	}
	return fd;
}

/* The i386 system call gate from a 64-bit process: ioctl is number 54 there. */
static long ioctl_int80(int fd, unsigned long cmd, unsigned long arg)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(54L), "b"((long)fd), "c"(cmd), "d"(arg) : "memory");
	return r;
}

int main(int argc, char **argv)
{
	if (argc < 2 || (argc < 3 && strcmp(argv[1], "guarded-links") != 0)) {
		fprintf(stderr, "udm-attack: bad arguments\n");
		return 2;
	}
	const char *v = argv[1];
	if (strcmp(v, "compat-ioctl") == 0 && (argc == 4 || argc == 5)) {
		int fd = open_or_die(argv[2], O_RDONLY);
		unsigned long arg = argc == 5 ? (unsigned long)open_or_die(argv[4], O_RDONLY) : 0;
		long r = ioctl_int80(fd, strtoul(argv[3], NULL, 0), arg);
		return result(r < 0 ? (int)-r : 0);
	}
	if (strcmp(v, "set-offset") == 0 && argc == 4) {
		int fd = open_or_die(argv[2], O_RDONLY);
		struct loop_info64 li;
		if (ioctl(fd, LOOP_GET_STATUS64, &li) < 0)
			return result(errno);
		li.lo_offset = strtoull(argv[3], NULL, 0);
		return result(ioctl(fd, LOOP_SET_STATUS64, &li) < 0 ? errno : 0);
	}
	if (strcmp(v, "obj-get") == 0 && argc == 3) {
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.pathname = (uint64_t)(uintptr_t)argv[2];
		long fd = syscall(SYS_bpf, BPF_OBJ_GET, &a, sizeof(a));
		return result(fd < 0 ? errno : 0);
	}
	if (strcmp(v, "guarded-links") == 0 && argc == 2) {
		union bpf_attr a;
		int n = 0;
		for (uint32_t id = 0;;) {
			memset(&a, 0, sizeof(a));
			a.start_id = id;
			if (syscall(SYS_bpf, BPF_LINK_GET_NEXT_ID, &a, sizeof(a)) < 0)
				break;
			id = a.next_id;
			memset(&a, 0, sizeof(a));
			a.link_id = id;
			long fd = syscall(SYS_bpf, BPF_LINK_GET_FD_BY_ID, &a, sizeof(a));
			if (fd >= 0)
				close((int)fd);
			else if (errno == EPERM)
				n++;
		}
		printf("guarded %d\n", n);
		return 0;
	}
	if (strcmp(v, "prctl-exe") == 0 && argc == 3) {
		int fd = open_or_die(argv[2], O_RDONLY);
		return result(prctl(PR_SET_MM, PR_SET_MM_EXE_FILE, fd, 0, 0) < 0 ? errno : 0);
	}
	if (strcmp(v, "ptrace-attach") == 0 && argc == 3) {
		pid_t pid = (pid_t)strtol(argv[2], NULL, 10);
		if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
			return result(errno);
		int st;
		waitpid(pid, &st, __WALL);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		return result(0);
	}
	if (strcmp(v, "traceme") == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
				_exit(125);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		int st;
		/* stay the tracer: let every stop go on, until the end */
		while (waitpid(pid, &st, 0) == pid && WIFSTOPPED(st)) {
			int sig = WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st);
			ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
		}
		printf("exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return 0;
	}
	if (strcmp(v, "ublk-ctrl") == 0 && argc == 4)
		return result(ublk_ctrl(argv[2], (__u32)strtoul(argv[3], NULL, 10)));
	if (strcmp(v, "open") == 0 && argc == 3) {
		int fd = open(argv[2], O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		return result(fd < 0 ? errno : 0);
	}
	if (strcmp(v, "nocap") == 0) {
		if (prctl(PR_CAPBSET_DROP, CAP_MAC_ADMIN, 0, 0, 0) < 0) {
			perror("udm-attack: PR_CAPBSET_DROP");
			return 2;
		}
		execvp(argv[2], argv + 2);
		perror("udm-attack: exec");
		return 2;
	}
	fprintf(stderr, "udm-attack: bad arguments\n");
	return 2;
}
