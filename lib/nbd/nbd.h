/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/nbd: NBD exports (nbd://, nbds://, nbd+unix://) through libnbd, as
 * devices readable and writable by byte offset. One export object per URI in
 * the process, shared by every user that names it (reference-counted), with a
 * few connections for requests in parallel. A connection that dies is
 * reconnected a bounded number of times with backoff; every attempt is bounded
 * by a timeout, so no call blocks longer than
 *     (1 + UDM_NBD_RETRIES) * UDM_NBD_TIMEOUT + the backoff (at most 3.1 s).
 * Environment (read once per process):
 *     UDM_NBD_TIMEOUT      seconds per connect or request attempt (default 10, 1..3600)
 *     UDM_NBD_RETRIES      reconnects after a connection failure (default 4, 0..10)
 *     UDM_NBD_CONNECTIONS  connections per export (default 4, 1..16; 1 for a
 *                          writable export that does not allow several) */
#ifndef UDM_NBD_H
#define UDM_NBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct udm_nbd;

/* Whether s is an NBD URI (nbd:, nbds:, nbd+unix:, nbds+unix:), which udm
 * then never treats as a path. */
bool udm_nbd_is_uri(const char *s);

/* Connect to (or share) the export named by uri. write: the caller will
 * write, refused (-EROFS) for a read-only export. On failure err gets one line
 * "URI: reason" and nothing is left open. */
int udm_nbd_open(const char *uri, bool write, struct udm_nbd **out, char *err, size_t errlen);
void udm_nbd_close(struct udm_nbd *n);

const char *udm_nbd_uri(const struct udm_nbd *n);
uint64_t udm_nbd_size(const struct udm_nbd *n);          /* bytes */
bool udm_nbd_read_only(const struct udm_nbd *n);

/* The whole of len bytes or an error: -EIO past the end of the export, for an
 * error the server reports, and once the reconnects are spent; never zeros
 * instead of data. */
int udm_nbd_pread(struct udm_nbd *n, void *buf, size_t len, uint64_t off);
int udm_nbd_pwrite(struct udm_nbd *n, const void *buf, size_t len, uint64_t off);
int udm_nbd_flush(struct udm_nbd *n);
int udm_nbd_trim(struct udm_nbd *n, uint64_t off, uint64_t len);

/* The counters of an export since it was opened (tests, bench): requests,
 * reconnect attempts, failed requests, connections made (the first, the
 * further ones of the pool, and reconnections). */
struct udm_nbd_stats {
	uint64_t requests, reconnects, failures;
	unsigned connections;
};
void udm_nbd_stats(struct udm_nbd *n, struct udm_nbd_stats *st);

#endif
