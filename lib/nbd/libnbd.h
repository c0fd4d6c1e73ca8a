/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnbd, loaded (dlopen) at the first NBD URI rather than at every start of a
 * program: it brings some twenty libraries with it (GnuTLS, libxml2, ICU, the C++
 * runtime), whose loading and relocation cost a short command such as
 * `udm verity format` about 12 ms on each run (bench/README.md). Only
 * lib/nbd/export.c calls it, through the table below. */
#ifndef UDM_NBD_LIBNBD_H
#define UDM_NBD_LIBNBD_H

#include <stddef.h>
#include <libnbd.h>

#define UDM_LIBNBD_SONAME "libnbd.so.0"

#define UDM_LIBNBD_FUNCS(X) \
	X(nbd_create) X(nbd_close) X(nbd_get_error) X(nbd_get_errno) \
	X(nbd_set_uri_allow_local_file) X(nbd_set_uri_allow_transports) X(nbd_set_pread_initialize) \
	X(nbd_supports_tls) X(nbd_aio_connect_uri) X(nbd_aio_is_ready) X(nbd_aio_is_dead) \
	X(nbd_aio_is_closed) X(nbd_poll) X(nbd_aio_command_completed) X(nbd_aio_pread) \
	X(nbd_aio_pwrite) X(nbd_aio_trim) X(nbd_aio_flush) X(nbd_get_size) X(nbd_is_read_only) \
	X(nbd_can_flush) X(nbd_can_trim) X(nbd_can_multi_conn)

struct udm_libnbd {
#define UDM_LIBNBD_MEMBER(f) __typeof__(&f) f;
	UDM_LIBNBD_FUNCS(UDM_LIBNBD_MEMBER)
#undef UDM_LIBNBD_MEMBER
};

/* The table, filled by a successful udm_libnbd_load (and never changed after). */
extern struct udm_libnbd udm_libnbd;

/* Loads libnbd once per process: 0, or -ELIBACC with err saying why (the
 * library or one of its functions missing). Thread-safe. */
int udm_libnbd_load(char *err, size_t errlen);

#endif
