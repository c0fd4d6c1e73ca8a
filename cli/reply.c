/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udmd's structured replies read into devices (cli/cli.h, cli_devs_parse):
 * what the dmsetup and veritysetup personalities render. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "util/proto.h"

/* Append one zeroed element to *arr (of *n), returning it; NULL without memory. */
static void *grow(void *arrp, size_t *n, size_t size)
{
	void **arr = arrp;
	void *na = realloc(*arr, (*n + 1) * size);
	if (!na)
		return NULL;
	*arr = na;
	void *e = (char *)na + *n * size;
	memset(e, 0, size);
	(*n)++;
	return e;
}

static const char *str_or(const struct udm_rec *rec, uint16_t key, const char *dflt)
{
	const char *s = udm_rec_get_str(rec, key);
	return s ? s : dflt;
}

static int parse(const void *reply, size_t len, struct cli_devs *out)
{
	struct udm_rec_reader rd;
	struct udm_rec rec;
	int r = udm_rec_reader_init(&rd, reply, len);
	if (r)
		return r;
	while ((r = udm_rec_next(&rd, &rec)) == 1) {
		struct cli_dev *d = out->n ? &out->dev[out->n - 1] : NULL;
		switch (rec.kind) {
		case UDM_REC_DEV:
			if (!(d = grow(&out->dev, &out->n, sizeof(*d))))
				return -ENOMEM;
			d->name = str_or(&rec, UDM_K_NAME, "");
			d->uuid = str_or(&rec, UDM_K_UUID, "");
			d->loop = str_or(&rec, UDM_K_LOOP, "");
			d->path = udm_rec_get_str(&rec, UDM_K_PATH);
			d->major = (unsigned)udm_rec_get_u64(&rec, UDM_K_MAJOR, 0);
			d->minor = (unsigned)udm_rec_get_u64(&rec, UDM_K_MINOR, 0);
			d->flags = (unsigned)udm_rec_get_u64(&rec, UDM_K_FLAGS, 0);
			d->open = (int)(int64_t)udm_rec_get_u64(&rec, UDM_K_OPEN, 0);
			d->events = (uint32_t)udm_rec_get_u64(&rec, UDM_K_EVENT, 0);
			d->targets = (uint32_t)udm_rec_get_u64(&rec, UDM_K_TARGETS, 0);
			d->sectors = udm_rec_get_u64(&rec, UDM_K_SECTORS, 0);
			d->is_signed = udm_rec_get_u64(&rec, UDM_K_SIGNED, 0) == 1;
			break;
		case UDM_REC_TABLE:
		case UDM_REC_STATUS: {
			if (!d)
				return -EBADMSG;
			bool t = rec.kind == UDM_REC_TABLE;
			struct cli_entry *e = t ? grow(&d->table, &d->ntable, sizeof(*e))
						: grow(&d->status, &d->nstatus, sizeof(*e));
			if (!e)
				return -ENOMEM;
			e->start = udm_rec_get_u64(&rec, UDM_K_START, 0);
			e->length = udm_rec_get_u64(&rec, UDM_K_LENGTH, 0);
			e->type = str_or(&rec, UDM_K_TYPE, "");
			e->params = str_or(&rec, UDM_K_PARAMS, "");
			break;
		}
		case UDM_REC_DEP: {
			if (!d)
				return -EBADMSG;
			struct cli_dep *p = grow(&d->deps, &d->ndeps, sizeof(*p));
			if (!p)
				return -ENOMEM;
			p->major = (unsigned)udm_rec_get_u64(&rec, UDM_K_MAJOR, 0);
			p->minor = (unsigned)udm_rec_get_u64(&rec, UDM_K_MINOR, 0);
			p->path = udm_rec_get_str(&rec, UDM_K_PATH);
			p->backing = udm_rec_get_str(&rec, UDM_K_BACKING);
			break;
		}
		default:
			return -EBADMSG;   /* not a device reply */
		}
	}
	return r;
}

int cli_devs_parse(const char *what, const void *reply, size_t len, struct cli_devs *out)
{
	*out = (struct cli_devs){ 0 };
	int r = parse(reply, len, out);
	if (r == 0)
		return 0;
	cli_devs_free(out);
	if (r == -ENOMEM)
		cli_error(what, "%s", strerror(ENOMEM));
	else
		cli_error(what, "malformed reply from udmd");
	return 1;
}

void cli_devs_free(struct cli_devs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->dev[i].table);
		free(d->dev[i].status);
		free(d->dev[i].deps);
	}
	free(d->dev);
	*d = (struct cli_devs){ 0 };
}
