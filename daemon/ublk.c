/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A ublk device served from this process.
 *
 * Control: each command (add, parameters, start, stop, delete, recovery) is a
 * uring_cmd on /dev/ublk-control through a small ring of its own.
 * Data: one thread per queue owns a ring on /dev/ublkcN; it first posts a
 * FETCH_REQ for every tag, then, for each completion, reads the request's
 * descriptor from the mapped array, serves it into the tag's buffer (copy mode:
 * the kernel copies between that buffer and the request's pages, so the data
 * passes through this process, as a verifying server needs) and posts
 * COMMIT_AND_FETCH_REQ with the result.
 * Recovery: devices are added with UBLK_F_USER_RECOVERY and _REISSUE, so when
 * the server dies the kernel holds new requests, requeues the ones in flight,
 * and a new process takes the device over (START/END_USER_RECOVERY) with no
 * error seen by readers.
 * Pitfalls followed: the queue threads are I/O flushers (PR_SET_IO_FLUSHER:
 * memory reclaim while serving a request must not wait on this device); each
 * queue is served by the one thread that posted its commands; START_DEV and
 * END_USER_RECOVERY are sent only once every queue has posted its fetches
 * (the kernel waits for them). */
#include "daemon/ublk.h"
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include "daemon/ublk_uapi.h"

#define CONTROL "/dev/ublk-control"
#define MAX_IO_BYTES (512u << 10)    /* per request; the verity read-ahead works in 256 KiB chunks */
#define MAX_QUEUES 4u
#define DEFAULT_DEPTH 32u

struct queue {
	struct ublk_srv *s;
	unsigned q;
	pthread_t th;
	bool started;
	struct io_uring ring;
	const struct ublksrv_io_desc *iod;
	size_t iod_len;
	void **buf;
	unsigned live;                  /* tags with a fetch posted */
};

struct ublk_srv {
	int id;
	int cfd;
	dev_t devt;
	unsigned nq, depth;
	ublk_srv_io_fn io;
	void *arg;
	atomic_bool quit;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned ready;                 /* queues that posted their fetches (or failed) */
	int qerr;                       /* the first queue's failure */
	struct queue *qs;
};

/* A 128-byte entry (IORING_SETUP_SQE128) cleared, the uring_cmd's payload included. */
static struct io_uring_sqe *sqe_get(struct io_uring *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);
	if (sqe)
		memset((void *)sqe, 0, 2 * sizeof(*sqe));
	return sqe;
}

static void msleep(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* One control command; the kernel's result (>= 0) or -errno. */
static int ctrl(unsigned op, struct ublksrv_ctrl_cmd *c)
{
	int fd = open(CONTROL, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct io_uring r;
	int ret = io_uring_queue_init(4, &r, IORING_SETUP_SQE128);
	if (ret) {
		close(fd);
		return ret;
	}
	struct io_uring_sqe *sqe = sqe_get(&r);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	memcpy(sqe->cmd, c, sizeof(*c));
	ret = io_uring_submit_and_wait(&r, 1);
	if (ret >= 0) {
		struct io_uring_cqe *cqe;
		if (!(ret = io_uring_wait_cqe(&r, &cqe))) {
			ret = cqe->res;
			io_uring_cqe_seen(&r, cqe);
		}
	}
	io_uring_queue_exit(&r);
	close(fd);
	return ret;
}

static int ctrl_dev(unsigned op, int id, void *addr, size_t len, uint64_t data)
{
	struct ublksrv_ctrl_cmd c = {
		.dev_id = (__u32)id,
		.queue_id = (__u16)-1,
		.addr = (uintptr_t)addr,
		.len = (__u16)len,
		.data = { data },
	};
	return ctrl(op, &c);
}

bool ublk_srv_available(void)
{
	int fd = open(CONTROL, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void post(struct queue *Q, unsigned tag, unsigned op, int result)
{
	struct io_uring_sqe *sqe = sqe_get(&Q->ring);   /* the ring has room for every tag's command */
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = 0;                      /* the char device, registered as fixed file 0 */
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->cmd_op = op;
	sqe->user_data = tag;
	struct ublksrv_io_cmd *c = (struct ublksrv_io_cmd *)sqe->cmd;
	c->q_id = (__u16)Q->q;
	c->tag = (__u16)tag;
	c->result = result;
	c->addr = (uintptr_t)Q->buf[tag];
}

static int serve(struct queue *Q, unsigned tag)
{
	const struct ublksrv_io_desc *d = &Q->iod[tag];
	uint32_t n = d->nr_sectors;
	uint64_t bytes = (uint64_t)n << 9;
	struct ublk_srv *s = Q->s;
	int r;
	switch (d->op_flags & 0xff) {
	case UBLK_IO_OP_READ:
	case UBLK_IO_OP_WRITE:
		if (bytes > MAX_IO_BYTES)
			return -EIO;
		r = s->io(s->arg, (d->op_flags & 0xff) == UBLK_IO_OP_READ ? UBLK_SRV_READ : UBLK_SRV_WRITE,
			  d->start_sector, n, Q->buf[tag]);
		return r ? r : (int)bytes;
	case UBLK_IO_OP_FLUSH:
		return s->io(s->arg, UBLK_SRV_FLUSH, 0, 0, NULL);
	case UBLK_IO_OP_DISCARD:
		r = s->io(s->arg, UBLK_SRV_DISCARD, d->start_sector, n, NULL);
		return r ? r : (int)bytes;
	default:
		return -EOPNOTSUPP;
	}
}

static void queue_ready(struct ublk_srv *s, int err)
{
	pthread_mutex_lock(&s->lock);
	if (err && !s->qerr)
		s->qerr = err;
	s->ready++;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static int queue_setup(struct queue *Q)
{
	struct ublk_srv *s = Q->s;
	struct io_uring_params prm = { .flags = IORING_SETUP_SQE128 | IORING_SETUP_COOP_TASKRUN };
	int r = io_uring_queue_init_params(2 * s->depth, &Q->ring, &prm);
	if (r == -EINVAL) {               /* before 5.19: no cooperative task running */
		memset(&prm, 0, sizeof(prm));
		prm.flags = IORING_SETUP_SQE128;
		r = io_uring_queue_init_params(2 * s->depth, &Q->ring, &prm);
	}
	if (r)
		return r;
	if ((r = io_uring_register_files(&Q->ring, &s->cfd, 1))) {
		io_uring_queue_exit(&Q->ring);
		return r;
	}
	for (unsigned t = 0; t < s->depth; t++)
		post(Q, t, UBLK_U_IO_FETCH_REQ, -1);
	Q->live = s->depth;
	r = io_uring_submit(&Q->ring);
	if (r < 0) {
		io_uring_queue_exit(&Q->ring);
		return r;
	}
	return 0;
}

static void *queue_main(void *arg)
{
	struct queue *Q = arg;
	struct ublk_srv *s = Q->s;
	/* reclaim while serving a request must not wait on this device */
	(void)prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0);
	int r = queue_setup(Q);
	queue_ready(s, r);
	if (r)
		return NULL;
	while (Q->live && !atomic_load(&s->quit)) {
		struct io_uring_cqe *cqe;
		struct __kernel_timespec ts = { .tv_nsec = 200 * 1000 * 1000 };
		r = io_uring_wait_cqe_timeout(&Q->ring, &cqe, &ts);
		if (r == -ETIME || r == -EINTR)
			continue;
		if (r)
			break;
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&Q->ring, head, cqe) {
			unsigned tag = (unsigned)cqe->user_data;
			seen++;
			if (tag >= s->depth)
				continue;
			if (cqe->res != UBLK_IO_RES_OK) {   /* ABORT: the device goes away; or refused */
				Q->live--;
				continue;
			}
			post(Q, tag, UBLK_U_IO_COMMIT_AND_FETCH_REQ, serve(Q, tag));
		}
		io_uring_cq_advance(&Q->ring, seen);
		io_uring_submit(&Q->ring);
	}
	io_uring_queue_exit(&Q->ring);     /* cancels the fetches still posted */
	return NULL;
}

static int queues_start(struct ublk_srv *s)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t stride = ((size_t)UDMD_UBLK_MAX_QUEUE_DEPTH * sizeof(struct ublksrv_io_desc) + (size_t)pg - 1) &
			~((size_t)pg - 1);
	if (!(s->qs = calloc(s->nq, sizeof(*s->qs))))
		return -ENOMEM;
	for (unsigned q = 0; q < s->nq; q++) {
		struct queue *Q = &s->qs[q];
		Q->s = s;
		Q->q = q;
		Q->iod_len = ((size_t)s->depth * sizeof(struct ublksrv_io_desc) + (size_t)pg - 1) & ~((size_t)pg - 1);
		void *m = mmap(NULL, Q->iod_len, PROT_READ, MAP_SHARED | MAP_POPULATE, s->cfd,
			       (off_t)(UBLKSRV_CMD_BUF_OFFSET + q * stride));
		if (m == MAP_FAILED)
			return -errno;
		Q->iod = m;
		if (!(Q->buf = calloc(s->depth, sizeof(*Q->buf))))
			return -ENOMEM;
		for (unsigned t = 0; t < s->depth; t++)
			if (posix_memalign(&Q->buf[t], (size_t)pg, MAX_IO_BYTES))
				return -ENOMEM;
	}
	for (unsigned q = 0; q < s->nq; q++) {
		if (pthread_create(&s->qs[q].th, NULL, queue_main, &s->qs[q]))
			return -EAGAIN;
		s->qs[q].started = true;
	}
	pthread_mutex_lock(&s->lock);
	while (s->ready < s->nq)
		pthread_cond_wait(&s->cond, &s->lock);
	int r = s->qerr;
	pthread_mutex_unlock(&s->lock);
	return r;
}

static void queues_stop(struct ublk_srv *s)
{
	atomic_store(&s->quit, true);
	for (unsigned q = 0; s->qs && q < s->nq; q++) {
		struct queue *Q = &s->qs[q];
		if (Q->started)
			pthread_join(Q->th, NULL);
		if (Q->iod)
			munmap((void *)Q->iod, Q->iod_len);
		for (unsigned t = 0; Q->buf && t < s->depth; t++)
			free(Q->buf[t]);
		free(Q->buf);
	}
	free(s->qs);
	s->qs = NULL;
}

static int open_char(int id)
{
	char path[64];
	snprintf(path, sizeof(path), "/dev/ublkc%d", id);
	for (int i = 0; i < 100; i++) {   /* devtmpfs may show the node a moment after the add */
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != ENOENT && errno != EBUSY)
			return -errno;
		msleep(10);
	}
	return -errno;
}

static struct ublk_srv *srv_new(const struct ublk_srv_params *p, ublk_srv_io_fn io, void *arg)
{
	struct ublk_srv *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	s->id = -1;
	s->cfd = -1;
	s->nq = p->queues ? p->queues : (unsigned)(cpus < 1 ? 1 : cpus);
	if (s->nq > MAX_QUEUES)
		s->nq = MAX_QUEUES;
	s->depth = p->depth ? p->depth : DEFAULT_DEPTH;
	s->io = io;
	s->arg = arg;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	return s;
}

/* Delete device id: without waiting for the last opener of its (stopped)
 * disk where the kernel can (6.9), so a forced removal under a mount returns. */
static void delete_dev(int id)
{
	int r = ctrl_dev(UBLK_U_CMD_DEL_DEV_ASYNC, id, NULL, 0, 0);
	if (r == -EINVAL || r == -EOPNOTSUPP || r == -ENOTTY)
		(void)ctrl_dev(UBLK_U_CMD_DEL_DEV, id, NULL, 0, 0);
}

static void srv_free(struct ublk_srv *s, bool del)
{
	queues_stop(s);
	if (s->cfd >= 0)
		close(s->cfd);
	if (del && s->id >= 0)
		delete_dev(s->id);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

static int read_devt(struct ublk_srv *s)
{
	struct udmd_ublk_params prm = { .len = sizeof(prm), .types = UBLK_PARAM_TYPE_DEVT };
	int r = ctrl_dev(UBLK_U_CMD_GET_PARAMS, s->id, &prm, sizeof(prm), 0);
	if (r < 0)
		return r;
	if (!(prm.types & UBLK_PARAM_TYPE_DEVT))
		return -EOPNOTSUPP;
	s->devt = makedev(prm.devt.disk_major, prm.devt.disk_minor);
	return 0;
}

static unsigned shift_of(unsigned v)
{
	unsigned s = 0;
	while ((1u << s) < v)
		s++;
	return s;
}

static int set_params(struct ublk_srv *s, const struct ublk_srv_params *p)
{
	unsigned lbs = p->logical_block_size ? p->logical_block_size : 512;
	struct udmd_ublk_params prm = {
		.len = sizeof(prm),
		.types = UBLK_PARAM_TYPE_BASIC | (p->discard ? UBLK_PARAM_TYPE_DISCARD : 0),
		.basic = {
			.attrs = p->readonly ? UBLK_ATTR_READ_ONLY : UBLK_ATTR_VOLATILE_CACHE,
			.logical_bs_shift = (__u8)shift_of(lbs),
			.physical_bs_shift = (__u8)shift_of(lbs < 4096 ? 4096 : lbs),
			.io_opt_shift = 12,
			.io_min_shift = (__u8)shift_of(lbs),
			.max_sectors = MAX_IO_BYTES >> 9,
			.dev_sectors = p->sectors,
		},
		.discard = {
			.discard_granularity = lbs,
			.max_discard_sectors = MAX_IO_BYTES >> 9,
			.max_discard_segments = 1,
		},
	};
	return ctrl_dev(UBLK_U_CMD_SET_PARAMS, s->id, &prm, sizeof(prm), 0);
}

#define FAIL(fmt, ...) snprintf(err, errlen, fmt, __VA_ARGS__)

int ublk_srv_add(const struct ublk_srv_params *p, ublk_srv_io_fn io, void *arg, struct ublk_srv **out,
		 char *err, size_t errlen)
{
	struct ublk_srv *s = srv_new(p, io, arg);
	if (!s)
		return -ENOMEM;
	struct ublksrv_ctrl_dev_info info = {
		.nr_hw_queues = (__u16)s->nq,
		.queue_depth = (__u16)s->depth,
		.max_io_buf_bytes = MAX_IO_BYTES,
		.dev_id = (__u32)-1,
		/* older kernels clear the flags they do not know (UPDATE_SIZE before 6.16) */
		.flags = UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_REISSUE | UBLK_F_CMD_IOCTL_ENCODE |
			 UBLK_F_UPDATE_SIZE,
	};
	int r = ctrl_dev(UBLK_U_CMD_ADD_DEV, -1, &info, sizeof(info), 0);
	if (r < 0) {
		FAIL("ublk: cannot add a device: %s", strerror(-r));
		srv_free(s, false);
		return r;
	}
	s->id = (int)info.dev_id;
	if (p->added)
		p->added(arg, s->id);
	const char *what;
	if ((r = set_params(s, p)) < 0)
		what = "set its parameters";
	else if ((r = s->cfd = open_char(s->id)) < 0)
		what = "open its char device";
	else if ((r = queues_start(s)))
		what = "start its queues";
	else if ((r = ctrl_dev(UBLK_U_CMD_START_DEV, s->id, NULL, 0, (uint64_t)getpid())) < 0)
		what = "start it";
	else if ((r = read_devt(s)))
		what = "read its device number";
	else {
		*out = s;
		return 0;
	}
	FAIL("ublk: device %d: cannot %s: %s", s->id, what, strerror(-r));
	(void)ctrl_dev(UBLK_U_CMD_STOP_DEV, s->id, NULL, 0, 0);
	srv_free(s, true);
	return r;
}

int ublk_srv_recover(int id, const struct ublk_srv_params *p, ublk_srv_io_fn io, void *arg,
		     struct ublk_srv **out, char *err, size_t errlen)
{
	struct ublk_srv *s = srv_new(p, io, arg);
	if (!s)
		return -ENOMEM;
	struct ublksrv_ctrl_dev_info info;
	int r;
	/* the kernel quiesces the device once it has seen its server go: wait a little */
	for (int i = 0;; i++) {
		memset(&info, 0, sizeof(info));
		if ((r = ctrl_dev(UBLK_U_CMD_GET_DEV_INFO, id, &info, sizeof(info), 0)) < 0)
			break;
		if (info.state == UBLK_S_DEV_QUIESCED || i >= 100) {
			r = info.state == UBLK_S_DEV_QUIESCED ? 0 : -EBUSY;
			break;
		}
		msleep(50);
	}
	if (r) {
		FAIL("ublk: device %d cannot be taken over: %s", id,
		     r == -EBUSY ? "it still has a server" : strerror(-r));
		srv_free(s, false);
		return r;
	}
	s->nq = info.nr_hw_queues;
	s->depth = info.queue_depth;
	const char *what;
	for (int i = 0;; i++) {
		r = ctrl_dev(UBLK_U_CMD_START_USER_RECOVERY, id, NULL, 0, 0);
		if (r != -EBUSY || i >= 100)
			break;
		msleep(50);
	}
	s->id = id;
	if (r < 0)
		what = "start its recovery";
	else if ((r = s->cfd = open_char(id)) < 0)
		what = "open its char device";
	else if ((r = queues_start(s)))
		what = "start its queues";
	else if ((r = ctrl_dev(UBLK_U_CMD_END_USER_RECOVERY, id, NULL, 0, (uint64_t)getpid())) < 0)
		what = "end its recovery";
	else if ((r = read_devt(s)))
		what = "read its device number";
	else {
		*out = s;
		return 0;
	}
	FAIL("ublk: device %d: cannot %s: %s", id, what, strerror(-r));
	s->id = -1;                      /* left for another attempt, not deleted */
	srv_free(s, false);
	return r;
}

int ublk_srv_resize(struct ublk_srv *s, uint64_t sectors)
{
	int r = ctrl_dev(UBLK_U_CMD_UPDATE_SIZE, s->id, NULL, 0, sectors);
	return r < 0 ? (r == -EINVAL || r == -ENOTTY ? -EOPNOTSUPP : r) : 0;
}

void ublk_srv_delete(int id)
{
	(void)ctrl_dev(UBLK_U_CMD_STOP_DEV, id, NULL, 0, 0);
	delete_dev(id);
}

/* One line of sysfs file name under directory dir, or -errno. */
static int sysfs_read(int dir, const char *name, char *buf, size_t len)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

int ublk_srv_diskseq(const struct ublk_srv *s, uint64_t *seq)
{
	/* By the disk's name, which only the disk of the id we hold can have
	 * (its char device open here keeps the id ours), through one directory:
	 * both reads are of that disk, or fail once it is gone. */
	char p[64], dev[32], num[32];
	snprintf(p, sizeof(p), "/sys/block/ublkb%d", s->id);
	int dir = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	unsigned ma, mi;
	char *end;
	int r = sysfs_read(dir, "dev", dev, sizeof(dev));
	if (!r)
		r = sysfs_read(dir, "diskseq", num, sizeof(num));
	close(dir);
	if (r)
		return r;
	if (sscanf(dev, "%u:%u", &ma, &mi) != 2 || makedev(ma, mi) != s->devt)
		return -ENXIO;   /* not the disk GET_PARAMS named: it went meanwhile */
	errno = 0;
	unsigned long long v = strtoull(num, &end, 10);
	if (errno || end == num || (*end != '\n' && *end != '\0'))
		return -EIO;
	*seq = v;
	return 0;
}

int ublk_srv_id(const struct ublk_srv *s) { return s->id; }
dev_t ublk_srv_devt(const struct ublk_srv *s) { return s->devt; }

void ublk_srv_remove(struct ublk_srv *s)
{
	if (!s)
		return;
	(void)ctrl_dev(UBLK_U_CMD_STOP_DEV, s->id, NULL, 0, 0);
	srv_free(s, true);
}
