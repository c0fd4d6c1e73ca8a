/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The targets libudm ships, named so that libudm registers them
 * (lib/libudm/entry.c): a static link keeps an archive member only when
 * something references it, so the linker-section registration alone would
 * lose every target with libudm.a. */
#ifndef UDM_TARGETS_BUILTIN_H
#define UDM_TARGETS_BUILTIN_H

#include "udm/target.h"

extern const struct udm_target_type udm_delay_target;
extern const struct udm_target_type udm_error_target;
extern const struct udm_target_type udm_flakey_target;
extern const struct udm_target_type udm_linear_target;
extern const struct udm_target_type udm_stripe_target;
extern const struct udm_target_type udm_verity_target;
extern const struct udm_target_type udm_zero_target;

/* Every type above, NULL-terminated; the registry registers them on first use. */
extern const struct udm_target_type *const udm_builtin_targets[];

#endif
