/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The udmd control protocol: a fixed 16-byte header followed by a payload of
 * NUL-terminated strings. Shared by udmd and the udm CLI; every decoder
 * bounds-checks what it reads, so it is safe on untrusted bytes.
 *
 *   request:  magic u32 | version u16 | cmd u16 | flags u32  | len u32 | payload
 *   reply:    magic u32 | version u16 | cmd u16 | status s32 | len u32 | payload
 *
 * All header fields are little-endian. A request payload is u32 argc followed
 * by argc NUL-terminated strings and nothing else. A reply payload is text:
 * the command's output on success (status 0), an optional one-line detail on
 * failure (status = -errno). */
#ifndef UDM_UTIL_PROTO_H
#define UDM_UTIL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define UDM_PROTO_MAGIC 0x434d4455u          /* "UDMC" on the wire */
#define UDM_PROTO_VERSION 1u
#define UDM_PROTO_HDR_SIZE 16u
#define UDM_PROTO_MAX_REQUEST (4u << 20)     /* request payload limit (table text) */
#define UDM_PROTO_MAX_REPLY (64u << 20)      /* reply payload limit (status of many devices) */
#define UDM_PROTO_MAX_ARGS 64u

/* Command numbers, one range per family so families never collide:
 * 0x00xx daemon, 0x01xx device-mapper, 0x02xx verity, 0x03xx policy/IPE, 0x04xx watch. */
enum udm_proto_cmd {
	UDM_CMD_PING = 0x0001,
	UDM_CMD_SHUTDOWN = 0x0002,
	UDM_CMD_DAEMON_STATUS = 0x0003,   /* udmd's own state: version, pid, policy, enforcer */
	UDM_CMD_HANDOVER = 0x0004,        /* a successor udmd takes the enforcement (SCM_RIGHTS) */

	UDM_CMD_DM_VERSION = 0x0100,
	UDM_CMD_DM_CREATE,      /* name uuid cwd [table]   flags: READONLY, NOTABLE */
	UDM_CMD_DM_LOAD,        /* name cwd table          flags: READONLY */
	UDM_CMD_DM_RESUME,      /* name */
	UDM_CMD_DM_SUSPEND,     /* name                    flags: NOFLUSH, SKIP_LOCKFS */
	UDM_CMD_DM_REMOVE,      /* name                    flags: DEFERRED, FORCE */
	UDM_CMD_DM_REMOVE_ALL,  /*                          flags: DEFERRED, FORCE */
	UDM_CMD_DM_RENAME,      /* name newval             flags: UUID */
	UDM_CMD_DM_CLEAR,       /* name */
	UDM_CMD_DM_TABLE,       /* [name]                  flags: QUERY_INACTIVE */
	UDM_CMD_DM_STATUS,      /* [name]                  flags: QUERY_INACTIVE, NOFLUSH */
	UDM_CMD_DM_INFO,        /* [name] */
	UDM_CMD_DM_LS,
	UDM_CMD_DM_DEPS,        /* [name]                  flags: QUERY_INACTIVE */
	UDM_CMD_DM_MESSAGE,     /* name sector message */
	UDM_CMD_DM_TARGETS,
	UDM_CMD_DM_WAIT,        /* name [event_nr]         flags: QUERY_INACTIVE */
	UDM_CMD_DM_ATTACH,      /* name */
	UDM_CMD_DM_DETACH,      /* name */
	UDM_CMD_DM_MKNODES,     /* [name...]: rebuild the device links */
	UDM_CMD_DM_REPORT,      /* [name...]: raw fields per device, for the CLI's reports */

	UDM_CMD_VERITY_FIRST = 0x0200,
	UDM_CMD_VERITY_OPEN = UDM_CMD_VERITY_FIRST, /* name sb_uuid sectors params opts [sig_hex] */
	UDM_CMD_VERITY_CLOSE,         /* name */
	UDM_CMD_VERITY_STATUS,        /* name */
	UDM_CMD_POLICY_FIRST = 0x0300,
	UDM_CMD_POLICY_LOAD = UDM_CMD_POLICY_FIRST, /* hex(pkcs7 blob) */
	UDM_CMD_POLICY_UPDATE,        /* name hex(pkcs7 blob) */
	UDM_CMD_POLICY_ACTIVATE,      /* name */
	UDM_CMD_POLICY_DELETE,        /* name */
	UDM_CMD_POLICY_LIST,
	UDM_CMD_POLICY_SHOW,          /* name */
	UDM_CMD_POLICY_ENFORCE_GET,
	UDM_CMD_POLICY_ENFORCE_SET,   /* 1|0 */
	UDM_CMD_POLICY_SAUDIT_GET,    /* success_audit */
	UDM_CMD_POLICY_SAUDIT_SET,    /* 1|0 */
	UDM_CMD_POLICY_FILE_PROPS,    /* MAJ:MIN of a file's st_dev -> its dm-verity properties */

	UDM_CMD_WATCH_ADD = 0x0400,   /* path */
	UDM_CMD_WATCH_REMOVE,         /* path */
	UDM_CMD_WATCH_LIST,
	UDM_CMD_ENFORCE_STATUS = 0x0410, /* which backend decides, its state */
	UDM_CMD_ENFORCE_STOP,         /* detach enforcement (the only way for BPF) */
};

/* Request flags: the UDM_F_* bits of udm.h where one applies, plus these. */
#define UDM_PROTO_F_FORCE   (1u << 30)
#define UDM_PROTO_F_RETRY   (1u << 29)   /* remove: retry a busy device for a while (dmsetup --retry) */
#define UDM_PROTO_F_CANCEL_DEFERRED (1u << 28)   /* verity_close: cancel a deferred removal instead */
#define UDM_PROTO_F_NOTABLE (1u << 31)

struct udm_proto_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t cmd;
	int32_t status;      /* request: flags (as uint32); reply: 0 or -errno */
	uint32_t len;        /* payload bytes that follow */
};

void udm_proto_hdr_encode(uint8_t out[UDM_PROTO_HDR_SIZE], const struct udm_proto_hdr *h);
/* Decode and check a header: -EBADMSG short buffer or wrong magic, -EPROTO
 * other version, -EMSGSIZE payload longer than max_len. */
int udm_proto_hdr_decode(const uint8_t *buf, size_t len, size_t max_len, struct udm_proto_hdr *h);

/* Request payload <-> argv. encode: malloc'd *out (free it). decode: argv
 * points into buf (which must stay alive); -EBADMSG on any inconsistency
 * (count, missing NUL, trailing bytes), -E2BIG beyond max_args. */
int udm_proto_args_encode(unsigned argc, const char *const *argv, uint8_t **out, size_t *len);
int udm_proto_args_decode(const uint8_t *buf, size_t len, unsigned max_args, unsigned *argc,
			  const char **argv);

/* A whole message (header + payload) in one malloc'd buffer. */
int udm_proto_build(uint16_t cmd, int32_t status, const void *payload, size_t len, uint8_t **out,
		    size_t *outlen);

/* Blocking framed I/O on a stream socket. send: 0 or -errno. recv: 0, -errno,
 * -ECONNRESET on EOF before any byte, -EBADMSG on EOF inside a message (the
 * message was truncated). *payload is malloc'd with one extra NUL byte. */
int udm_proto_send(int fd, uint16_t cmd, int32_t status, const void *payload, size_t len);
int udm_proto_recv(int fd, size_t max_len, struct udm_proto_hdr *h, uint8_t **payload);
/* Exactly len bytes: 0, -errno, -ECONNRESET at EOF before any, -EBADMSG at EOF midway. */
int udm_proto_read_full(int fd, void *buf, size_t len);

#endif
