/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Root-hash signature trust of a context's verity devices: the verity
 * target's own state per udm context (the kernel holds it in process-global
 * keyrings and a module parameter), kept in a slot of the context that the
 * core holds without knowing what it is. */
#ifndef UDM_TARGETS_VERITY_KEYS_H
#define UDM_TARGETS_VERITY_KEYS_H

#include "udm/udm.h"
#include "verity/verity.h"

/* The keyring of ctx's verity devices, made on first use and freed with the
 * context; NULL only if it could not be made (the verity functions then
 * trust nobody). Defined with the target (lib/targets/verity.c). */
struct verity_keyring *udm_verity_keyring(struct udm_ctx *ctx);

#endif
