/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The 512-byte verity superblock (cryptsetup lib/verity/verity.c layout), UUIDs and hex. */
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "verity/verity.h"
#include "util/hex.h"

#define VERITY_SIGNATURE "verity\0\0"

/* On-disk layout, every integer little-endian. */
struct verity_sb_disk {
	uint8_t signature[8];
	uint32_t version;
	uint32_t hash_type;
	uint8_t uuid[16];
	char algorithm[32];
	uint32_t data_block_size;
	uint32_t hash_block_size;
	uint64_t data_blocks;
	uint16_t salt_size;
	uint8_t pad1[6];
	uint8_t salt[256];
	uint8_t pad2[168];
} __attribute__((packed));

_Static_assert(sizeof(struct verity_sb_disk) == VERITY_SB_SIZE, "verity superblock must be 512 bytes");

bool verity_block_size_ok(uint32_t bs)
{
	return bs >= VERITY_MIN_BLOCK_SIZE && bs <= VERITY_MAX_BLOCK_SIZE && (bs & (bs - 1)) == 0;
}

void verity_sb_encode(const struct verity_params *p, uint8_t out[VERITY_SB_SIZE])
{
	struct verity_sb_disk sb;
	size_t i;

	memset(&sb, 0, sizeof(sb));
	memcpy(sb.signature, VERITY_SIGNATURE, sizeof(sb.signature));
	sb.version = htole32(1);
	sb.hash_type = htole32(p->hash_type);
	memcpy(sb.uuid, p->uuid, sizeof(sb.uuid));
	/* the kernel only knows lowercase names; at most 31 chars keep a NUL */
	for (i = 0; i < sizeof(sb.algorithm) - 1 && p->hash_name[i]; i++)
		sb.algorithm[i] = (char)tolower((unsigned char)p->hash_name[i]);
	sb.data_block_size = htole32(p->data_block_size);
	sb.hash_block_size = htole32(p->hash_block_size);
	sb.data_blocks = htole64(p->data_blocks);
	sb.salt_size = htole16(p->salt_size);
	memcpy(sb.salt, p->salt, p->salt_size);
	memcpy(out, &sb, sizeof(sb));
}

/* Messages that name a value (as veritysetup's do) are formatted here; *why
 * stays valid until this thread decodes the next superblock. */
static _Thread_local char why_buf[96];

int verity_sb_decode(const uint8_t in[VERITY_SB_SIZE], struct verity_params *p, const char **why)
{
	struct verity_sb_disk sb;
	struct verity_params r;

	memcpy(&sb, in, sizeof(sb));
	memset(&r, 0, sizeof(r));
	*why = NULL;
	if (memcmp(sb.signature, VERITY_SIGNATURE, sizeof(sb.signature)) != 0) {
		*why = "not a valid VERITY device";
		return -EINVAL;
	}
	if (le32toh(sb.version) != 1) {
		snprintf(why_buf, sizeof(why_buf), "Unsupported VERITY version %u.", le32toh(sb.version));
		*why = why_buf;
		return -EINVAL;
	}
	r.hash_type = le32toh(sb.hash_type);
	if (r.hash_type > VERITY_MAX_HASH_TYPE) {
		snprintf(why_buf, sizeof(why_buf), "Unsupported VERITY hash type %u.", r.hash_type);
		*why = why_buf;
		return -EINVAL;
	}
	r.data_block_size = le32toh(sb.data_block_size);
	r.hash_block_size = le32toh(sb.hash_block_size);
	if (!verity_block_size_ok(r.data_block_size) || !verity_block_size_ok(r.hash_block_size)) {
		*why = "Unsupported VERITY block size.";
		return -EINVAL;
	}
	r.data_blocks = le64toh(sb.data_blocks);
	/* hash_name is lowercase (verity.h): OpenSSL finds "SHA256" too, the kernel does not */
	for (size_t i = 0; i < sizeof(r.hash_name) - 1; i++)
		r.hash_name[i] = (char)tolower((unsigned char)sb.algorithm[i]);
	r.hash_name[sizeof(r.hash_name) - 1] = '\0';
	if (verity_digest_size(r.hash_name) == 0) {
		snprintf(why_buf, sizeof(why_buf), "Hash algorithm %.*s not supported.",
			 (int)strnlen((const char *)sb.algorithm, sizeof(sb.algorithm)), (const char *)sb.algorithm);
		*why = why_buf;
		return -EINVAL;
	}
	r.salt_size = le16toh(sb.salt_size);
	if (r.salt_size > VERITY_MAX_SALT_SIZE) {
		*why = "VERITY header corrupted.";
		return -EINVAL;
	}
	memcpy(r.salt, sb.salt, r.salt_size);
	memcpy(r.uuid, sb.uuid, sizeof(r.uuid));
	*p = r;
	return 0;
}

int verity_sb_read(int fd, uint64_t offset, struct verity_params *p, const char **why)
{
	uint8_t buf[VERITY_SB_SIZE];
	ssize_t n;
	int r;

	*why = NULL;
	if (offset % 512) {
		*why = "Unsupported VERITY hash offset.";
		return -EINVAL;
	}
	if (offset > INT64_MAX) {
		*why = "Unsupported VERITY hash offset.";
		return -EINVAL;
	}
	n = pread(fd, buf, sizeof(buf), (off_t)offset);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(buf)) {
		*why = "not a valid VERITY device";
		return -EINVAL;
	}
	r = verity_sb_decode(buf, p, why);
	if (r == 0)
		p->hash_area_offset = offset;
	return r;
}

int verity_sb_read_io(const struct verity_io *d, uint64_t size, uint64_t offset, struct verity_params *p,
		      const char **why)
{
	uint8_t buf[VERITY_SB_SIZE];
	int r;

	if (d->fd >= 0)
		return verity_sb_read(d->fd, offset, p, why);
	*why = NULL;
	if (offset % 512 || offset > INT64_MAX) {
		*why = "Unsupported VERITY hash offset.";
		return -EINVAL;
	}
	if (offset > size || size - offset < sizeof(buf)) {
		*why = "not a valid VERITY device";
		return -EINVAL;
	}
	r = verity_io_read(d, buf, sizeof(buf), offset);
	if (r)
		return r;
	r = verity_sb_decode(buf, p, why);
	if (r == 0)
		p->hash_area_offset = offset;
	return r;
}

int verity_sb_write_io(const struct verity_io *d, const struct verity_params *p)
{
	uint8_t buf[VERITY_SB_SIZE];

	if (d->fd >= 0)
		return verity_sb_write(d->fd, p);
	if (p->hash_area_offset % 512 || p->hash_area_offset > INT64_MAX - VERITY_SB_SIZE)
		return -EINVAL;
	verity_sb_encode(p, buf);
	return verity_io_write(d, buf, sizeof(buf), p->hash_area_offset);
}

int verity_sb_write(int fd, const struct verity_params *p)
{
	uint8_t buf[VERITY_SB_SIZE];
	ssize_t n;

	if (p->hash_area_offset % 512 || p->hash_area_offset > INT64_MAX - VERITY_SB_SIZE)
		return -EINVAL;
	verity_sb_encode(p, buf);
	n = pwrite(fd, buf, sizeof(buf), (off_t)p->hash_area_offset);
	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(buf) ? 0 : -EIO;
}

void verity_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* libuuid's textual form: 8-4-4-4-12 hex digits, bytes in textual order. */
int verity_uuid_parse(const char *s, uint8_t out[16])
{
	size_t i, j = 0;

	if (strlen(s) != 36)
		return -EINVAL;
	for (i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			i++;
			continue;
		}
		int hi = udm_hex_nibble((unsigned char)s[i]), lo = udm_hex_nibble((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[j++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

void verity_uuid_unparse(const uint8_t uuid[16], char out[37])
{
	char hex[33];
	verity_hex_encode(uuid, 16, hex);
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
}

/* Random version-4 UUID, as libuuid's uuid_generate gives with a good RNG. */
int verity_uuid_generate(uint8_t out[16])
{
	size_t got = 0;

	while (got < 16) {
		ssize_t n = getrandom(out + got, 16 - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	out[6] = (out[6] & 0x0f) | 0x40;
	out[8] = (out[8] & 0x3f) | 0x80;
	return 0;
}
