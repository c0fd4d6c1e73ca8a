/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Structured replies (daemon/reply.h): records into a command's output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "daemon/reply.h"

int udmd_reply_records(struct udmd_out *out, struct udm_rec_buf *b)
{
	int r = b->err;
	if (!r && b->len) {
		if (out->len + b->len > out->cap) {
			char *nb = realloc(out->buf, out->len + b->len);
			if (!nb) {
				r = -ENOMEM;
				goto done;
			}
			out->buf = nb;
			out->cap = out->len + b->len;
		}
		memcpy(out->buf + out->len, b->buf, b->len);
		out->len += b->len;
	}
done:
	free(b->buf);
	*b = (struct udm_rec_buf){ 0 };
	return r;
}

int udmd_reply_why(struct udmd_out *out, int r, unsigned why, const char *name, const char *blk)
{
	struct udm_rec_buf b = { 0 };
	udm_rec_begin(&b, UDM_REC_ERROR);
	udm_rec_u64(&b, UDM_K_WHY, why);
	udm_rec_str(&b, UDM_K_NAME, name);
	if (blk)
		udm_rec_str(&b, UDM_K_LOOP, blk);
	out->len = 0;   /* nothing else: the reason is the detail */
	udmd_reply_records(out, &b);
	return r;
}

void udmd_rec_dev(struct udm_rec_buf *b, const struct udm_info *i)
{
	udm_rec_begin(b, UDM_REC_DEV);
	udm_rec_str(b, UDM_K_NAME, i->name);
	udm_rec_str(b, UDM_K_UUID, i->uuid);
	udm_rec_u64(b, UDM_K_MAJOR, major(i->dev));
	udm_rec_u64(b, UDM_K_MINOR, minor(i->dev));
	udm_rec_u64(b, UDM_K_FLAGS, i->flags);
	udm_rec_u64(b, UDM_K_OPEN, (uint64_t)(int64_t)i->open_count);
	udm_rec_u64(b, UDM_K_EVENT, i->event_nr);
	udm_rec_u64(b, UDM_K_TARGETS, i->target_count);
	udm_rec_u64(b, UDM_K_SECTORS, i->sectors);
}
