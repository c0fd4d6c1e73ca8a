/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NBD exports through libnbd (nbd.h). Each request takes one of the export's
 * connections for itself and runs on it through libnbd's asynchronous calls
 * (so that every wait is bounded: nbd_poll with the time left), its bytes cut
 * into commands of at most PIECE bytes kept in flight together. A connection
 * that dies (or passes the timeout) is closed and connected again, at most
 * UDM_NBD_RETRIES times with doubling backoff; an error the server reports
 * on a live connection is the request's error at once. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include "nbd/libnbd.h"
#include "nbd/nbd.h"
#include "util/log.h"

/* every libnbd call through the table udm_libnbd_load filled (udm_nbd_open loads it) */
#define nbd_create (udm_libnbd.nbd_create)
#define nbd_close (udm_libnbd.nbd_close)
#define nbd_get_error (udm_libnbd.nbd_get_error)
#define nbd_get_errno (udm_libnbd.nbd_get_errno)
#define nbd_set_uri_allow_local_file (udm_libnbd.nbd_set_uri_allow_local_file)
#define nbd_set_uri_allow_transports (udm_libnbd.nbd_set_uri_allow_transports)
#define nbd_set_pread_initialize (udm_libnbd.nbd_set_pread_initialize)
#define nbd_supports_tls (udm_libnbd.nbd_supports_tls)
#define nbd_aio_connect_uri (udm_libnbd.nbd_aio_connect_uri)
#define nbd_aio_is_ready (udm_libnbd.nbd_aio_is_ready)
#define nbd_aio_is_dead (udm_libnbd.nbd_aio_is_dead)
#define nbd_aio_is_closed (udm_libnbd.nbd_aio_is_closed)
#define nbd_poll (udm_libnbd.nbd_poll)
#define nbd_aio_command_completed (udm_libnbd.nbd_aio_command_completed)
#define nbd_aio_pread (udm_libnbd.nbd_aio_pread)
#define nbd_aio_pwrite (udm_libnbd.nbd_aio_pwrite)
#define nbd_aio_trim (udm_libnbd.nbd_aio_trim)
#define nbd_aio_flush (udm_libnbd.nbd_aio_flush)
#define nbd_get_size (udm_libnbd.nbd_get_size)
#define nbd_is_read_only (udm_libnbd.nbd_is_read_only)
#define nbd_can_flush (udm_libnbd.nbd_can_flush)
#define nbd_can_trim (udm_libnbd.nbd_can_trim)
#define nbd_can_multi_conn (udm_libnbd.nbd_can_multi_conn)

#define MAX_CONNS 16u
#define PIECE (1u << 20)         /* bytes per read/write command */
#define TRIM_PIECE (1u << 30)
#define MAX_INFLIGHT 32u         /* commands in flight per connection */
#define BACKOFF_MS 100           /* first reconnect delay; doubles, at most 1.6 s */

enum op { OP_READ, OP_WRITE, OP_FLUSH, OP_TRIM };

struct conn {
	struct nbd_handle *h;        /* NULL: not connected */
	bool busy;                   /* taken by a request */
};

struct udm_nbd {
	struct udm_nbd *next;        /* registry */
	unsigned refs;               /* under reg_lock */
	char *uri;
	uint64_t size;
	bool read_only, can_flush, can_trim;
	unsigned max_conns;
	unsigned live;               /* connections open (under lock) */
	bool grow;                   /* more connections may be opened: the server took them so far */
	pthread_mutex_t lock;        /* conns, live, grow, st */
	pthread_cond_t cond;         /* a connection was given back */
	struct conn conns[MAX_CONNS];
	struct udm_nbd_stats st;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reg_cond = PTHREAD_COND_INITIALIZER;   /* an opening ended */
static struct udm_nbd *reg;
/* URIs being connected to, outside reg_lock (a slow server delays only its own users) */
static struct opening {
	const char *uri;
	struct opening *next;
} *openings;

static struct {
	int timeout_ms;
	unsigned retries, conns;
} cfg;
static pthread_once_t cfg_once = PTHREAD_ONCE_INIT;

static long env_num(const char *name, long def, long lo, long hi)
{
	const char *s = getenv(name);
	char *end;
	if (!s || !*s)
		return def;
	long v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi) {
		udm_log(LOG_WARNING, "nbd: ignoring %s=%s (not a number from %ld to %ld)", name, s, lo, hi);
		return def;
	}
	return v;
}

static void cfg_read(void)
{
	cfg.timeout_ms = (int)env_num("UDM_NBD_TIMEOUT", 10, 1, 3600) * 1000;
	cfg.retries = (unsigned)env_num("UDM_NBD_RETRIES", 4, 0, 10);
	cfg.conns = (unsigned)env_num("UDM_NBD_CONNECTIONS", 4, 1, MAX_CONNS);
}

bool udm_nbd_is_uri(const char *s)
{
	static const char *const schemes[] = { "nbd://", "nbds://", "nbd+unix://", "nbds+unix://" };
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncmp(s, schemes[i], strlen(schemes[i])) == 0)
			return true;
	return false;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
	int64_t l = deadline - now_ms();
	return l < 0 ? 0 : l > 3600000 ? 3600000 : (int)l;
}

/* libnbd's message without its "nbd_function: " prefix */
static const char *nbd_why(void)
{
	const char *m = nbd_get_error();
	if (!m || !*m)
		return "unknown error";
	const char *c = strstr(m, ": ");
	if (strncmp(m, "nbd_", 4) == 0 && c && !memchr(m, ' ', (size_t)(c - m)))
		return c + 2;
	return m;
}

static int nbd_err(int dflt)
{
	int e = nbd_get_errno();
	return e > 0 ? -e : dflt;
}

static bool conn_dead(struct nbd_handle *h)
{
	return nbd_aio_is_dead(h) == 1 || nbd_aio_is_closed(h) == 1;
}

/* A new connection to uri, ready for commands, within the timeout. */
static int conn_open(const char *uri, struct nbd_handle **out, char *err, size_t errlen)
{
	struct nbd_handle *h = nbd_create();
	int r;
	if (!h) {
		snprintf(err, errlen, "%s: %s", uri, nbd_why());
		return -ENOMEM;
	}
	/* a URI names a server, never a local file to read (tls-psk-file=) */
	nbd_set_uri_allow_local_file(h, false);
	nbd_set_uri_allow_transports(h, LIBNBD_ALLOW_TRANSPORT_TCP | LIBNBD_ALLOW_TRANSPORT_UNIX);
	/* a failed read is an error to the caller, whose buffer is then unused:
	 * no need for libnbd to zero every buffer before it is filled */
	nbd_set_pread_initialize(h, false);
	if (strncmp(uri, "nbds", 4) == 0 && nbd_supports_tls(h) != 1) {
		snprintf(err, errlen, "%s: this libnbd was built without TLS", uri);
		nbd_close(h);
		return -EPROTONOSUPPORT;
	}
	int64_t deadline = now_ms() + cfg.timeout_ms;
	if (nbd_aio_connect_uri(h, uri) == -1)
		goto fail;
	while (nbd_aio_is_ready(h) != 1) {
		if (conn_dead(h))
			goto fail;
		int ms = left_ms(deadline);
		if (ms == 0 || (r = nbd_poll(h, ms)) == 0) {
			snprintf(err, errlen, "%s: no answer from the server within %d s", uri, cfg.timeout_ms / 1000);
			nbd_close(h);
			return -ETIMEDOUT;
		}
		if (r == -1)
			goto fail;
	}
	*out = h;
	return 0;
fail:
	r = nbd_err(-EIO);
	snprintf(err, errlen, "%s: %s", uri, nbd_why());
	nbd_close(h);
	return r;
}

/* Wait for the k commands in ck (0 = done); the first error, *dead when the
 * connection is gone or the time is up (its buffers may still be written to
 * until the handle is closed). */
static int wait_all(struct nbd_handle *h, int64_t *ck, unsigned k, int64_t deadline, bool *dead)
{
	int err = 0;
	for (;;) {
		unsigned left = 0;
		for (unsigned i = 0; i < k; i++) {
			if (!ck[i])
				continue;
			int c = nbd_aio_command_completed(h, ck[i]);
			if (c == 0) {
				left++;
				continue;
			}
			if (c == -1 && !err)
				err = nbd_err(-EIO);
			ck[i] = 0;
		}
		if (!left)
			break;
		int ms = left_ms(deadline), r;
		if (conn_dead(h) || ms == 0 || (r = nbd_poll(h, ms)) == 0 || r == -1) {
			*dead = true;
			return conn_dead(h) ? -EIO : -ETIMEDOUT;
		}
	}
	if (err && conn_dead(h))
		*dead = true;
	return err;
}

/* One request on one connection, in windows of MAX_INFLIGHT commands. */
static int run(struct nbd_handle *h, enum op op, char *buf, uint64_t len, uint64_t off, bool *dead)
{
	int64_t deadline = now_ms() + cfg.timeout_ms;
	uint64_t done = 0;
	*dead = false;
	do {
		int64_t ck[MAX_INFLIGHT];
		unsigned k = 0;
		int err = 0;
		while (k < MAX_INFLIGHT && (done < len || (op == OP_FLUSH && k == 0))) {
			uint64_t piece = op == OP_TRIM ? TRIM_PIECE : PIECE;
			size_t l = (size_t)(len - done < piece ? len - done : piece);
			int64_t c;
			switch (op) {
			case OP_READ:
				c = nbd_aio_pread(h, buf + done, l, off + done, NBD_NULL_COMPLETION, 0);
				break;
			case OP_WRITE:
				c = nbd_aio_pwrite(h, buf + done, l, off + done, NBD_NULL_COMPLETION, 0);
				break;
			case OP_TRIM:
				c = nbd_aio_trim(h, l, off + done, NBD_NULL_COMPLETION, 0);
				break;
			default:
				c = nbd_aio_flush(h, NBD_NULL_COMPLETION, 0);
				break;
			}
			if (c == -1) {
				err = nbd_err(-EIO);
				if (conn_dead(h))
					*dead = true;
				break;
			}
			ck[k++] = c;
			done += l;
			if (op == OP_FLUSH)
				break;
		}
		int r = wait_all(h, ck, k, deadline, dead);
		if (!err)
			err = r;
		if (err || *dead)
			return err ? err : -EIO;
	} while (done < len);
	return 0;
}

static int conn_get(struct udm_nbd *n, struct conn **out)
{
	pthread_mutex_lock(&n->lock);
	for (;;) {
		struct conn *idle = NULL, *empty = NULL;
		for (unsigned i = 0; i < n->max_conns && !idle; i++) {
			struct conn *c = &n->conns[i];
			if (c->busy)
				continue;
			if (c->h)
				idle = c;
			else if (!empty)
				empty = c;
		}
		/* a connected one; else a new one, if the server takes more or none is open */
		struct conn *pick = idle ? idle : empty && (n->grow || n->live == 0) ? empty : NULL;
		if (pick) {
			pick->busy = true;
			n->st.requests++;
			pthread_mutex_unlock(&n->lock);
			*out = pick;
			return 0;
		}
		pthread_cond_wait(&n->cond, &n->lock);
	}
}

static void conn_put(struct udm_nbd *n, struct conn *c, bool failed)
{
	pthread_mutex_lock(&n->lock);
	c->busy = false;
	if (failed)
		n->st.failures++;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

static void backoff(unsigned attempt)
{
	unsigned ms = BACKOFF_MS << (attempt > 5 ? 4 : attempt - 1);
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* A connection for a request: the one taken, or a new one with the export's size. */
static int conn_ready(struct udm_nbd *n, struct conn *c)
{
	if (c->h)
		return 0;
	char why[512];
	int r = conn_open(n->uri, &c->h, why, sizeof(why));
	if (r) {
		udm_log(LOG_WARNING, "nbd: %s", why);
		return r;
	}
	int64_t size = nbd_get_size(c->h);
	if (size < 0 || (uint64_t)size != n->size) {
		udm_log(LOG_ERR, "nbd: %s: the export's size changed from %llu to %lld bytes", n->uri,
			(unsigned long long)n->size, (long long)size);
		nbd_close(c->h);
		c->h = NULL;
		return -EIO;
	}
	pthread_mutex_lock(&n->lock);
	n->st.connections++;
	if (n->live == 0)
		n->grow = true;   /* back from losing every connection: the server may take more now */
	n->live++;
	pthread_mutex_unlock(&n->lock);
	return 0;
}

static void conn_drop(struct udm_nbd *n, struct conn *c)
{
	nbd_close(c->h);   /* drops the commands in flight: nothing writes their buffers after this */
	c->h = NULL;
	pthread_mutex_lock(&n->lock);
	n->live--;
	pthread_mutex_unlock(&n->lock);
}

/* A further connection the server did not take (qemu-nbd serves one client
 * by default): open no more, give the slot back and take an open one. */
static bool conn_refused_extra(struct udm_nbd *n, struct conn **c)
{
	pthread_mutex_lock(&n->lock);
	bool others = n->live > 0;
	if (others) {
		if (n->grow)
			udm_log(LOG_WARNING, "nbd: %s: the server takes no more than %u connections", n->uri, n->live);
		n->grow = false;
		(*c)->busy = false;
		n->st.requests--;
	}
	pthread_mutex_unlock(&n->lock);
	if (others)
		conn_get(n, c);
	return others;
}

static int submit(struct udm_nbd *n, enum op op, void *buf, uint64_t len, uint64_t off)
{
	if (op != OP_FLUSH && (off > n->size || len > n->size - off))
		return -EIO;   /* past the end: an I/O error, never zeros */
	if (op != OP_FLUSH && !len)
		return 0;
	struct conn *c;
	conn_get(n, &c);
	int r = -EIO;
	while (!c->h && conn_ready(n, c) != 0 && conn_refused_extra(n, &c))
		;
	for (unsigned attempt = 0;; attempt++) {
		if (attempt) {
			backoff(attempt);
			pthread_mutex_lock(&n->lock);
			n->st.reconnects++;
			pthread_mutex_unlock(&n->lock);
		}
		bool dead = true;
		if (conn_ready(n, c) == 0) {
			r = run(c->h, op, buf, len, off, &dead);
			if (!dead)
				break;   /* done, or an error the server answered with */
			udm_log(LOG_WARNING, "nbd: %s: connection lost (%s)%s", n->uri,
				r == -ETIMEDOUT ? "timed out" : strerror(-r),
				attempt < cfg.retries ? ", reconnecting" : "");
			conn_drop(n, c);
		}
		if (attempt >= cfg.retries) {
			udm_log(LOG_ERR, "nbd: %s: I/O error after %u reconnects", n->uri, cfg.retries);
			r = -EIO;
			break;
		}
	}
	if (r && r != -EROFS && r != -ENOSPC && r != -ENOMEM)
		r = -EIO;   /* every other failure is an I/O error to the reader */
	conn_put(n, c, r != 0);
	return r;
}

int udm_nbd_pread(struct udm_nbd *n, void *buf, size_t len, uint64_t off)
{
	return submit(n, OP_READ, buf, len, off);
}

int udm_nbd_pwrite(struct udm_nbd *n, const void *buf, size_t len, uint64_t off)
{
	if (n->read_only)
		return -EROFS;
	return submit(n, OP_WRITE, (void *)(uintptr_t)buf, len, off);   /* only read from */
}

int udm_nbd_flush(struct udm_nbd *n)
{
	if (n->read_only || !n->can_flush)
		return 0;
	return submit(n, OP_FLUSH, NULL, 0, 0);
}

int udm_nbd_trim(struct udm_nbd *n, uint64_t off, uint64_t len)
{
	if (n->read_only)
		return -EROFS;
	if (!n->can_trim)
		return -EOPNOTSUPP;
	return submit(n, OP_TRIM, NULL, len, off);
}

static void export_free(struct udm_nbd *n)
{
	for (unsigned i = 0; i < MAX_CONNS; i++)
		if (n->conns[i].h)
			nbd_close(n->conns[i].h);
	pthread_mutex_destroy(&n->lock);
	pthread_cond_destroy(&n->cond);
	free(n->uri);
	free(n);
}

/* The first connection decides what the export is: size, read-only, flags. */
static int export_new(const char *uri, struct udm_nbd **out, char *err, size_t errlen)
{
	struct udm_nbd *n = calloc(1, sizeof(*n));
	if (!n || !(n->uri = strdup(uri))) {
		free(n);
		snprintf(err, errlen, "%s: out of memory", uri);
		return -ENOMEM;
	}
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	struct nbd_handle *h;
	int r = conn_open(uri, &h, err, errlen);
	if (r) {
		export_free(n);
		return r;
	}
	n->conns[0].h = h;
	n->st.connections = 1;
	n->live = 1;
	n->grow = true;
	int64_t size = nbd_get_size(h);
	if (size < 0) {
		r = nbd_err(-EIO);
		snprintf(err, errlen, "%s: %s", uri, nbd_why());
		export_free(n);
		return r;
	}
	n->size = (uint64_t)size;
	n->read_only = nbd_is_read_only(h) == 1;
	n->can_flush = nbd_can_flush(h) == 1;
	n->can_trim = nbd_can_trim(h) == 1;
	/* several connections see each other's writes only with multi-conn */
	n->max_conns = n->read_only || nbd_can_multi_conn(h) == 1 ? cfg.conns : 1;
	*out = n;
	return 0;
}

int udm_nbd_open(const char *uri, bool write, struct udm_nbd **out, char *err, size_t errlen)
{
	pthread_once(&cfg_once, cfg_read);
	if (!udm_nbd_is_uri(uri)) {
		snprintf(err, errlen, "%s: not an NBD URI", uri);
		return -EINVAL;
	}
	char why[160];
	int lr = udm_libnbd_load(why, sizeof(why));
	if (lr) {
		snprintf(err, errlen, "%s: %s", uri, why);
		return lr;
	}
	pthread_mutex_lock(&reg_lock);
	struct udm_nbd *n;
	int r = 0;
	for (;;) {
		for (n = reg; n; n = n->next)
			if (strcmp(n->uri, uri) == 0)
				break;
		if (n) {
			n->refs++;
			break;
		}
		struct opening *o;
		for (o = openings; o; o = o->next)
			if (strcmp(o->uri, uri) == 0)
				break;
		if (o) {   /* another thread is connecting to it: share its result */
			pthread_cond_wait(&reg_cond, &reg_lock);
			continue;
		}
		struct opening mine = { uri, openings };
		openings = &mine;
		pthread_mutex_unlock(&reg_lock);
		r = export_new(uri, &n, err, errlen);
		pthread_mutex_lock(&reg_lock);
		for (struct opening **pp = &openings; *pp; pp = &(*pp)->next)
			if (*pp == &mine) {
				*pp = mine.next;
				break;
			}
		if (!r) {
			n->refs = 1;
			n->next = reg;
			reg = n;
		}
		pthread_cond_broadcast(&reg_cond);
		break;
	}
	pthread_mutex_unlock(&reg_lock);
	if (r)
		return r;
	if (write && n->read_only) {
		snprintf(err, errlen, "%s: the export is read-only", uri);
		udm_nbd_close(n);
		return -EROFS;
	}
	*out = n;
	return 0;
}

void udm_nbd_close(struct udm_nbd *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&reg_lock);
	bool last = --n->refs == 0;
	if (last)
		for (struct udm_nbd **pp = &reg; *pp; pp = &(*pp)->next)
			if (*pp == n) {
				*pp = n->next;
				break;
			}
	pthread_mutex_unlock(&reg_lock);
	if (last)
		export_free(n);
}

const char *udm_nbd_uri(const struct udm_nbd *n) { return n->uri; }
uint64_t udm_nbd_size(const struct udm_nbd *n) { return n->size; }
bool udm_nbd_read_only(const struct udm_nbd *n) { return n->read_only; }

void udm_nbd_stats(struct udm_nbd *n, struct udm_nbd_stats *st)
{
	pthread_mutex_lock(&n->lock);
	*st = n->st;
	pthread_mutex_unlock(&n->lock);
}
