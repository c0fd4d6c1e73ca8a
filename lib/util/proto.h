/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The udmd control protocol: a fixed 16-byte header followed by a payload of
 * NUL-terminated strings. Shared by udmd and the udm CLI; every decoder
 * bounds-checks what it reads, so it is safe on untrusted bytes.
 *
 *   request:  magic u32 | version u16 | cmd u16 | flags u32  | len u32 | payload
 *   reply:    magic u32 | version u16 | cmd u16 | status s32 | len u32 | payload
 *
 * All header fields are little-endian. A request payload is u32 argc followed
 * by argc NUL-terminated strings, then, for the commands that take one (a
 * table, verity's parameters), a record stream (below); nothing else. A reply
 * payload on success (status 0) is the command's data as a record stream (the
 * commands whose output udm renders: device info, table entries, target
 * status, versions) or text (the others); on failure (status = -errno) an
 * optional one-line detail. */
#ifndef UDM_UTIL_PROTO_H
#define UDM_UTIL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define UDM_PROTO_MAGIC 0x434d4455u          /* "UDMC" on the wire */
#define UDM_PROTO_VERSION 1u
#define UDM_PROTO_HDR_SIZE 16u
#define UDM_PROTO_MAX_REQUEST (32u << 20)    /* request payload limit (a table as records) */
#define UDM_PROTO_MAX_TEXT (4u << 20)        /* text the CLI sends: a table's (its records stay
					      * below UDM_PROTO_MAX_REQUEST: at most ~7 times the
					      * text), a policy's (as hex, with the arguments) */
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

/* --- records: structured data in a request or a reply ---------------------
 *
 *   stream:  magic u32 "UDMR" | version u16 | reserved u16 (0) | field...
 *   field:   key u16 | type u16 | len u32 | len bytes of value
 *
 * Little-endian. A field of type BEGIN (len 0) starts a record, its key the
 * record's kind (UDM_REC_*); the fields after it, up to the next BEGIN, are
 * the record's (UDM_K_*). U64: len 8. STR: the bytes and one NUL (len >= 1, no
 * NUL before the last byte). BYTES: raw. An empty payload is a stream of no
 * records; a non-empty one starts with the magic and this version. Decoding
 * checks every length against the buffer: safe on untrusted bytes. */
#define UDM_REC_MAGIC 0x524d4455u            /* "UDMR" on the wire */
#define UDM_REC_STREAM_VERSION 1u
#define UDM_REC_PREAMBLE 8u
#define UDM_REC_FIELD_HDR 8u
#define UDM_REC_MAX_FIELDS 32u                /* per record */

enum udm_rec_type { UDM_REC_T_BEGIN = 1, UDM_REC_T_U64 = 2, UDM_REC_T_STR = 3, UDM_REC_T_BYTES = 4 };

/* Record kinds. */
enum udm_rec_kind {
	UDM_REC_DEV = 1,       /* a device: NAME UUID MAJOR MINOR FLAGS OPEN EVENT TARGETS SECTORS
				* [LOOP: report] [SIGNED: verity_status] */
	UDM_REC_TABLE = 2,     /* a table entry (of the DEV before it, or of a request):
				* START LENGTH TYPE PARAMS [LINE: its line in the table text, when not
				 * the line after the previous entry's (the first's: line 1)] */
	UDM_REC_STATUS = 3,    /* a target's status entry (of the DEV before it): START LENGTH TYPE PARAMS */
	UDM_REC_DEP = 4,       /* a device the table of the DEV before it uses: MAJOR MINOR (0 0: a file)
				* [PATH: the file, or where the device is seen] [BACKING: a loop's file] */
	UDM_REC_VERSION = 5,   /* NAME MAJOR MINOR PATCH [LIBRARY] */
	UDM_REC_MESSAGE = 6,   /* TEXT: a target message's answer */
	UDM_REC_VERITY = 7,    /* verity_open's parameters (UDM_K_V_*) */
	UDM_REC_ERROR = 8,     /* why a command failed, where the CLI has its own sentence for it:
				* WHY (UDM_WHY_*) NAME [LOOP] (the payload of a failure reply) */
};

/* Reasons of an ERROR record. */
enum udm_rec_why {
	UDM_WHY_EXISTS = 1,          /* a device of that name exists */
	UDM_WHY_NOT_ACTIVE,          /* no such active device (of that kind) */
	UDM_WHY_IN_USE,              /* open, or attached to LOOP */
	UDM_WHY_SIG_REQUIRED,        /* a root hash signature is required */
	UDM_WHY_KEYRING,             /* the signature could not be kept for the target */
	UDM_WHY_CANCEL_DEFERRED,     /* its deferred removal could not be cancelled */
};

/* Field keys (one number space for every kind). */
enum udm_rec_key {
	UDM_K_NAME = 1, UDM_K_UUID, UDM_K_MAJOR, UDM_K_MINOR, UDM_K_FLAGS /* UDM_F_* */, UDM_K_OPEN,
	UDM_K_EVENT, UDM_K_TARGETS, UDM_K_SECTORS, UDM_K_LOOP /* /dev/loopN it is attached to */,
	UDM_K_START = 16, UDM_K_LENGTH, UDM_K_TYPE, UDM_K_PARAMS, UDM_K_LINE /* the entry's line in the table text */,
	UDM_K_PATH = 24, UDM_K_BACKING,
	UDM_K_PATCH = 28, UDM_K_LIBRARY, UDM_K_TEXT, UDM_K_SIGNED /* 1: the live root hash has a valid signature */,
	UDM_K_WHY,
	/* verity_open: dm-verity's table (docs/udm-verity.md) and the signature */
	UDM_K_V_HASH_TYPE = 40, UDM_K_V_DATA, UDM_K_V_HASH, UDM_K_V_DATA_BLOCK, UDM_K_V_HASH_BLOCK,
	UDM_K_V_DATA_BLOCKS, UDM_K_V_HASH_START, UDM_K_V_ALG, UDM_K_V_ROOT, UDM_K_V_SALT,
	UDM_K_V_OPTS /* UDM_VOPT_* */, UDM_K_V_FEC_DEV, UDM_K_V_FEC_START, UDM_K_V_FEC_BLOCKS, UDM_K_V_FEC_ROOTS,
	UDM_K_V_SB_UUID, UDM_K_V_SIG,
};

/* verity_open's optional table words, in cryptsetup's order. */
#define UDM_VOPT_IGNORE_CORRUPTION  (1u << 0)
#define UDM_VOPT_RESTART_ON_CORRUPTION (1u << 1)
#define UDM_VOPT_PANIC_ON_CORRUPTION (1u << 2)
#define UDM_VOPT_RESTART_ON_ERROR   (1u << 3)
#define UDM_VOPT_PANIC_ON_ERROR     (1u << 4)
#define UDM_VOPT_IGNORE_ZERO_BLOCKS (1u << 5)
#define UDM_VOPT_CHECK_AT_MOST_ONCE (1u << 6)
#define UDM_VOPT_TASKLET            (1u << 7)

/* Encoding: a growing buffer; the first failure (-ENOMEM, or -EMSGSIZE past
 * max, 0 meaning UDM_PROTO_MAX_REPLY) sticks in err and later puts do nothing.
 * The preamble is written by the first udm_rec_begin. Free buf when done. */
struct udm_rec_buf {
	uint8_t *buf;
	size_t len, cap, max;
	int err;
};
void udm_rec_begin(struct udm_rec_buf *b, uint16_t kind);
void udm_rec_u64(struct udm_rec_buf *b, uint16_t key, uint64_t v);
void udm_rec_str(struct udm_rec_buf *b, uint16_t key, const char *s);
void udm_rec_bytes(struct udm_rec_buf *b, uint16_t key, const void *p, size_t n);

/* Decoding: records one at a time; each field's value points into the buffer
 * (which must stay alive). */
struct udm_rec_field {
	uint16_t key, type;
	uint32_t len;
	uint64_t u64;          /* U64 */
	const void *val;       /* STR (NUL-terminated), BYTES */
};
struct udm_rec {
	uint16_t kind;
	unsigned n;
	struct udm_rec_field f[UDM_REC_MAX_FIELDS];
};
struct udm_rec_reader {
	const uint8_t *buf;
	size_t len, off;
};
/* 0; -EBADMSG a short preamble or wrong magic, -EPROTO another version. */
int udm_rec_reader_init(struct udm_rec_reader *r, const void *buf, size_t len);
/* The next record: 1, 0 at the end, -EBADMSG on any inconsistency (a field
 * before the first BEGIN, a length past the end, a bad U64 or STR, an unknown
 * type, more than UDM_REC_MAX_FIELDS fields). */
int udm_rec_next(struct udm_rec_reader *r, struct udm_rec *rec);
/* A field of rec by key (the first), NULL if it has none of that type. */
const char *udm_rec_get_str(const struct udm_rec *rec, uint16_t key);
const struct udm_rec_field *udm_rec_get(const struct udm_rec *rec, uint16_t key, uint16_t type);
/* The U64 field key, or dflt. */
uint64_t udm_rec_get_u64(const struct udm_rec *rec, uint16_t key, uint64_t dflt);

/* A request payload with a record stream after the arguments (recs may be
 * NULL). decode: *recs and *recs_len the stream (NULL/0 without one); -EBADMSG
 * if what follows the arguments does not start with the records' magic. */
int udm_proto_req_encode(unsigned argc, const char *const *argv, const void *recs, size_t recs_len, uint8_t **out,
			 size_t *len);
int udm_proto_req_decode(const uint8_t *buf, size_t len, unsigned max_args, unsigned *argc, const char **argv,
			 const uint8_t **recs, size_t *recs_len);

#endif
