/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small I/O helpers shared by lib/verity: whole-buffer pread/pwrite, thread counts and
 * working buffers mapped in advance. */
#ifndef UDM_VERITY_IO_H
#define UDM_VERITY_IO_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

/* The whole of len bytes at off, read into buf or written from it. -EIO on a short
 * transfer (end of device), -errno otherwise. */
static inline int verity_io_full(int fd, bool write, uint8_t *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write ? pwrite(fd, buf + done, len - done, (off_t)(off + done))
				  : pread(fd, buf + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* Reads exactly len bytes; -EIO on a short read (end of device), -errno otherwise. */
static inline int verity_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	return verity_io_full(fd, false, buf, len, off);
}

static inline int verity_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	return verity_io_full(fd, true, (uint8_t *)(uintptr_t)buf, len, off);   /* only read from */
}

static inline unsigned verity_default_threads(unsigned threads)
{
	long n;
	if (threads)
		return threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > 64 ? 64 : (unsigned)n;
}

/* A working buffer that will be written all over (a worker's slots, a hashing manager),
 * with its pages mapped in one request instead of a fault per page at first touch: under a
 * hypervisor a fault costs 10-100 us, a page mapped in advance about one (bench/README.md).
 * Zero-filled; NULL if out of memory. Freed with verity_buf_free and the same size. */
static inline void *verity_buf_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static inline void verity_buf_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

#endif
