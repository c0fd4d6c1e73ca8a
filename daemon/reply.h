/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A command's structured reply: the records it built (lib/util/proto.h), made
 * the reply's payload. The CLI renders them; udmd formats no dmsetup or
 * veritysetup text. */
#ifndef UDM_DAEMON_REPLY_H
#define UDM_DAEMON_REPLY_H

#include "daemon/udmd.h"
#include "util/proto.h"

/* Append b's stream to out and free b's buffer. 0, or b's error (-ENOMEM,
 * -EMSGSIZE), or -ENOMEM if out could not grow. */
int udmd_reply_records(struct udmd_out *out, struct udm_rec_buf *b);
/* A failure's reason for the CLI to word (UDM_REC_ERROR): out's only
 * content; returns r. blk: the block device in the way (/dev/loopN), or NULL. */
int udmd_reply_why(struct udmd_out *out, int r, unsigned why, const char *name, const char *blk);
/* The record of a device (UDM_REC_DEV) from its info. */
void udmd_rec_dev(struct udm_rec_buf *b, const struct udm_info *i);

#endif
