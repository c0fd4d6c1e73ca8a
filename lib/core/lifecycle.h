/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What lifecycle.c gives control.c: the end of a removed device's live table. */
#ifndef UDM_LIFECYCLE_H
#define UDM_LIFECYCLE_H
#include "core/core.h"

/* Detach and destroy the live table of a device being freed. */
void udm_lifecycle_unbind(struct udm_dev *md);

#endif
