/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small verity image for the unit tests: pseudo-random data in a memfd, its hash tree
 * (sha256, 4 KiB blocks, no superblock, a 5-byte salt) in another, and the root hash. */
#ifndef UDM_TESTS_VERITY_IMAGE_H
#define UDM_TESTS_VERITY_IMAGE_H
#include <stddef.h>
#include <stdint.h>
#include "verity/verity.h"

struct tu_verity_image {
	struct verity_params p;
	uint8_t *data;                   /* what data_fd holds, as written */
	int data_fd, hash_fd;
	uint8_t root[64];
};

/* Deterministic bytes from seed (a linear congruential generator). */
void tu_fill(uint8_t *buf, size_t len, uint32_t seed);
/* 0, or -1 if any step failed. */
int tu_verity_image(struct tu_verity_image *im, uint64_t blocks, uint32_t seed);
void tu_verity_image_free(struct tu_verity_image *im);
#endif
