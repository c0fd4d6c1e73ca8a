/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The udmd control protocol codec (see proto.h): header and argv payload
 * encoding, and framed blocking I/O. Nothing here trusts a length it has not
 * checked against the buffer it came in. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "util/proto.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void udm_proto_hdr_encode(uint8_t out[UDM_PROTO_HDR_SIZE], const struct udm_proto_hdr *h)
{
	put32(out, h->magic);
	out[4] = (uint8_t)h->version;
	out[5] = (uint8_t)(h->version >> 8);
	out[6] = (uint8_t)h->cmd;
	out[7] = (uint8_t)(h->cmd >> 8);
	put32(out + 8, (uint32_t)h->status);
	put32(out + 12, h->len);
}

int udm_proto_hdr_decode(const uint8_t *buf, size_t len, size_t max_len, struct udm_proto_hdr *h)
{
	if (!buf || len < UDM_PROTO_HDR_SIZE)
		return -EBADMSG;
	h->magic = get32(buf);
	h->version = (uint16_t)(buf[4] | buf[5] << 8);
	h->cmd = (uint16_t)(buf[6] | buf[7] << 8);
	h->status = (int32_t)get32(buf + 8);
	h->len = get32(buf + 12);
	if (h->magic != UDM_PROTO_MAGIC)
		return -EBADMSG;
	if (h->version != UDM_PROTO_VERSION)
		return -EPROTO;
	if (h->len > max_len)
		return -EMSGSIZE;
	return 0;
}

int udm_proto_args_encode(unsigned argc, const char *const *argv, uint8_t **out, size_t *len)
{
	if (argc > UDM_PROTO_MAX_ARGS)
		return -E2BIG;
	size_t n = 4;
	for (unsigned i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;
		if (l > UDM_PROTO_MAX_REQUEST || n > UDM_PROTO_MAX_REQUEST - l)
			return -E2BIG;
		n += l;
	}
	uint8_t *b = malloc(n);
	if (!b)
		return -ENOMEM;
	put32(b, argc);
	size_t off = 4;
	for (unsigned i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;
		memcpy(b + off, argv[i], l);
		off += l;
	}
	*out = b;
	*len = n;
	return 0;
}

/* The arguments at the start of buf; *end: where they stop. */
static int args_decode(const uint8_t *buf, size_t len, unsigned max_args, unsigned *argc, const char **argv,
		       size_t *end)
{
	if (len < 4)
		return -EBADMSG;
	uint32_t n = get32(buf);
	if (n > max_args)
		return -E2BIG;
	size_t off = 4;
	for (uint32_t i = 0; i < n; i++) {
		if (off >= len)
			return -EBADMSG;
		const uint8_t *nul = memchr(buf + off, '\0', len - off);
		if (!nul)
			return -EBADMSG;
		argv[i] = (const char *)buf + off;
		off = (size_t)(nul - buf) + 1;
	}
	*argc = n;
	*end = off;
	return 0;
}

int udm_proto_args_decode(const uint8_t *buf, size_t len, unsigned max_args, unsigned *argc,
			  const char **argv)
{
	size_t end;
	unsigned n;
	int r = args_decode(buf, len, max_args, &n, argv, &end);
	if (r)
		return r;
	if (end != len)
		return -EBADMSG;
	*argc = n;
	return 0;
}

int udm_proto_req_encode(unsigned argc, const char *const *argv, const void *recs, size_t recs_len, uint8_t **out,
			 size_t *len)
{
	uint8_t *a;
	size_t alen;
	int r = udm_proto_args_encode(argc, argv, &a, &alen);
	if (r || !recs_len) {
		*out = r ? NULL : a;
		*len = r ? 0 : alen;
		return r;
	}
	if (recs_len > UDM_PROTO_MAX_REQUEST - alen) {
		free(a);
		return -E2BIG;
	}
	uint8_t *b = realloc(a, alen + recs_len);
	if (!b) {
		free(a);
		return -ENOMEM;
	}
	memcpy(b + alen, recs, recs_len);
	*out = b;
	*len = alen + recs_len;
	return 0;
}

int udm_proto_req_decode(const uint8_t *buf, size_t len, unsigned max_args, unsigned *argc, const char **argv,
			 const uint8_t **recs, size_t *recs_len)
{
	size_t end;
	unsigned n;
	int r = args_decode(buf, len, max_args, &n, argv, &end);
	if (r)
		return r;
	*recs = NULL;
	*recs_len = 0;
	if (end < len) {
		struct udm_rec_reader rd;
		if (udm_rec_reader_init(&rd, buf + end, len - end))
			return -EBADMSG;
		*recs = buf + end;
		*recs_len = len - end;
	}
	*argc = n;
	return 0;
}

int udm_proto_build(uint16_t cmd, int32_t status, const void *payload, size_t len, uint8_t **out,
		    size_t *outlen)
{
	if (len > UDM_PROTO_MAX_REPLY)
		return -EMSGSIZE;
	uint8_t *b = malloc(UDM_PROTO_HDR_SIZE + len);
	if (!b)
		return -ENOMEM;
	struct udm_proto_hdr h = { UDM_PROTO_MAGIC, UDM_PROTO_VERSION, cmd, status, (uint32_t)len };
	udm_proto_hdr_encode(b, &h);
	if (len)
		memcpy(b + UDM_PROTO_HDR_SIZE, payload, len);
	*out = b;
	*outlen = UDM_PROTO_HDR_SIZE + len;
	return 0;
}

int udm_proto_send(int fd, uint16_t cmd, int32_t status, const void *payload, size_t len)
{
	uint8_t *b;
	size_t n;
	int r = udm_proto_build(cmd, status, payload, len, &b, &n);
	if (r)
		return r;
	size_t off = 0;
	while (off < n) {
		ssize_t w = send(fd, b + off, n - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		off += (size_t)w;
	}
	free(b);
	return r;
}

int udm_proto_read_full(int fd, void *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = read(fd, (char *)buf + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return off ? -EBADMSG : -ECONNRESET;
		off += (size_t)n;
	}
	return 0;
}

int udm_proto_recv(int fd, size_t max_len, struct udm_proto_hdr *h, uint8_t **payload)
{
	uint8_t hb[UDM_PROTO_HDR_SIZE];
	*payload = NULL;
	int r = udm_proto_read_full(fd, hb, sizeof(hb));
	if (r)
		return r;
	if ((r = udm_proto_hdr_decode(hb, sizeof(hb), max_len, h)))
		return r;
	uint8_t *p = malloc((size_t)h->len + 1);
	if (!p)
		return -ENOMEM;
	r = udm_proto_read_full(fd, p, h->len);
	if (r) {
		free(p);
		return r == -ECONNRESET ? -EBADMSG : r;
	}
	p[h->len] = '\0';
	*payload = p;
	return 0;
}

/* --- records ------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Room for n more bytes (and the preamble first); false once failed. */
static bool rec_room(struct udm_rec_buf *b, size_t n)
{
	if (b->err)
		return false;
	size_t max = b->max ? b->max : UDM_PROTO_MAX_REPLY;
	size_t pre = b->len ? 0 : UDM_REC_PREAMBLE;
	if (n > max || b->len + pre > max - n) {
		b->err = -EMSGSIZE;
		return false;
	}
	size_t need = b->len + pre + n;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < need)
			cap = cap > max / 2 ? max : cap * 2;
		uint8_t *nb = realloc(b->buf, cap);
		if (!nb) {
			b->err = -ENOMEM;
			return false;
		}
		b->buf = nb;
		b->cap = cap;
	}
	if (pre) {
		put32(b->buf, UDM_REC_MAGIC);
		put16(b->buf + 4, UDM_REC_STREAM_VERSION);
		put16(b->buf + 6, 0);
		b->len = UDM_REC_PREAMBLE;
	}
	return true;
}

static void rec_field(struct udm_rec_buf *b, uint16_t key, uint16_t type, const void *v, size_t n,
		      bool nul)
{
	size_t vl = n + (nul ? 1 : 0);
	if (vl > UINT32_MAX || !rec_room(b, UDM_REC_FIELD_HDR + vl)) {
		if (!b->err)
			b->err = -EMSGSIZE;
		return;
	}
	uint8_t *p = b->buf + b->len;
	put16(p, key);
	put16(p + 2, type);
	put32(p + 4, (uint32_t)vl);
	if (n)
		memcpy(p + UDM_REC_FIELD_HDR, v, n);
	if (nul)
		p[UDM_REC_FIELD_HDR + n] = '\0';
	b->len += UDM_REC_FIELD_HDR + vl;
}

void udm_rec_begin(struct udm_rec_buf *b, uint16_t kind)
{
	rec_field(b, kind, UDM_REC_T_BEGIN, NULL, 0, false);
}

void udm_rec_u64(struct udm_rec_buf *b, uint16_t key, uint64_t v)
{
	uint8_t le[8];
	put32(le, (uint32_t)v);
	put32(le + 4, (uint32_t)(v >> 32));
	rec_field(b, key, UDM_REC_T_U64, le, 8, false);
}

void udm_rec_str(struct udm_rec_buf *b, uint16_t key, const char *s)
{
	s = s ? s : "";
	rec_field(b, key, UDM_REC_T_STR, s, strlen(s), true);
}

void udm_rec_bytes(struct udm_rec_buf *b, uint16_t key, const void *p, size_t n)
{
	rec_field(b, key, UDM_REC_T_BYTES, p, n, false);
}

int udm_rec_reader_init(struct udm_rec_reader *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
	if (len == 0)
		return 0;
	if (len < UDM_REC_PREAMBLE || get32(r->buf) != UDM_REC_MAGIC || get16(r->buf + 6) != 0)
		return -EBADMSG;
	if (get16(r->buf + 4) != UDM_REC_STREAM_VERSION)
		return -EPROTO;
	r->off = UDM_REC_PREAMBLE;
	return 0;
}

/* One field at r->off into f: 0, or -EBADMSG. */
static int rec_read_field(struct udm_rec_reader *r, struct udm_rec_field *f)
{
	if (r->len - r->off < UDM_REC_FIELD_HDR)
		return -EBADMSG;
	const uint8_t *p = r->buf + r->off;
	f->key = get16(p);
	f->type = get16(p + 2);
	f->len = get32(p + 4);
	if (f->len > r->len - r->off - UDM_REC_FIELD_HDR)
		return -EBADMSG;
	f->val = p + UDM_REC_FIELD_HDR;
	f->u64 = 0;
	switch (f->type) {
	case UDM_REC_T_BEGIN:
		if (f->len)
			return -EBADMSG;
		break;
	case UDM_REC_T_U64:
		if (f->len != 8)
			return -EBADMSG;
		f->u64 = (uint64_t)get32(f->val) | (uint64_t)get32((const uint8_t *)f->val + 4) << 32;
		break;
	case UDM_REC_T_STR:
		if (f->len == 0 || memchr(f->val, '\0', f->len) != (const uint8_t *)f->val + f->len - 1)
			return -EBADMSG;
		break;
	case UDM_REC_T_BYTES:
		break;
	default:
		return -EBADMSG;
	}
	r->off += UDM_REC_FIELD_HDR + f->len;
	return 0;
}

int udm_rec_next(struct udm_rec_reader *r, struct udm_rec *rec)
{
	if (r->off >= r->len)
		return 0;
	struct udm_rec_field f;
	if (rec_read_field(r, &f) || f.type != UDM_REC_T_BEGIN)
		return -EBADMSG;
	rec->kind = f.key;
	rec->n = 0;
	while (r->off < r->len) {
		size_t at = r->off;
		if (rec_read_field(r, &f))
			return -EBADMSG;
		if (f.type == UDM_REC_T_BEGIN) {
			r->off = at;   /* the next record's */
			break;
		}
		if (rec->n == UDM_REC_MAX_FIELDS)
			return -EBADMSG;
		rec->f[rec->n++] = f;
	}
	return 1;
}

const struct udm_rec_field *udm_rec_get(const struct udm_rec *rec, uint16_t key, uint16_t type)
{
	for (unsigned i = 0; i < rec->n; i++)
		if (rec->f[i].key == key && rec->f[i].type == type)
			return &rec->f[i];
	return NULL;
}

const char *udm_rec_get_str(const struct udm_rec *rec, uint16_t key)
{
	const struct udm_rec_field *f = udm_rec_get(rec, key, UDM_REC_T_STR);
	return f ? f->val : NULL;
}

uint64_t udm_rec_get_u64(const struct udm_rec *rec, uint16_t key, uint64_t dflt)
{
	const struct udm_rec_field *f = udm_rec_get(rec, key, UDM_REC_T_U64);
	return f ? f->u64 : dflt;
}
