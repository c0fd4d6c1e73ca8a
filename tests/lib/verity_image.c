/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "verity_image.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void tu_fill(uint8_t *buf, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1664525u + 1013904223u;
		buf[i] = (uint8_t)(seed >> 24);
	}
}

int tu_verity_image(struct tu_verity_image *im, uint64_t blocks, uint32_t seed)
{
	size_t len = (size_t)blocks * 4096;
	memset(im, 0, sizeof(*im));
	strcpy(im->p.hash_name, "sha256");
	im->p.hash_type = 1;
	im->p.data_block_size = im->p.hash_block_size = 4096;
	im->p.data_blocks = blocks;
	im->p.no_superblock = true;
	im->p.salt_size = 5;
	tu_fill(im->p.salt, 5, seed + 6);
	im->data = malloc(len);
	im->data_fd = memfd_create("data", 0);
	im->hash_fd = memfd_create("hash", 0);
	if (!im->data || im->data_fd < 0 || im->hash_fd < 0)
		return -1;
	tu_fill(im->data, len, seed);
	if (pwrite(im->data_fd, im->data, len, 0) != (ssize_t)len)
		return -1;
	return verity_tree_create(&im->p, im->data_fd, im->hash_fd, 2, im->root) ? -1 : 0;
}

void tu_verity_image_free(struct tu_verity_image *im)
{
	if (im->data_fd >= 0)
		close(im->data_fd);
	if (im->hash_fd >= 0)
		close(im->hash_fd);
	free(im->data);
}
