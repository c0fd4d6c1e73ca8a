/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ublk UAPI beyond what Debian 12's linux-libc-dev (6.1) declares.
 *
 * Origin: Linux's include/uapi/linux/ublk_cmd.h (the ioctl-encoded commands
 * came in 6.3, the device number parameters in 6.2, GET_FEATURES in 6.5, DEL_DEV_ASYNC in 6.9, UPDATE_SIZE in 6.16;
 * values checked against the 6.12 and 7.2 headers). Only what udmd uses is
 * carried, each definition guarded so that a newer system header wins. */
#ifndef UDMD_UBLK_UAPI_H
#define UDMD_UBLK_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/ublk_cmd.h>

#ifndef UBLK_U_CMD_ADD_DEV
#define UBLK_U_CMD_GET_DEV_INFO        _IOR('u', UBLK_CMD_GET_DEV_INFO, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_ADD_DEV             _IOWR('u', UBLK_CMD_ADD_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_DEL_DEV             _IOWR('u', UBLK_CMD_DEL_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_START_DEV           _IOWR('u', UBLK_CMD_START_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_STOP_DEV            _IOWR('u', UBLK_CMD_STOP_DEV, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_SET_PARAMS          _IOWR('u', UBLK_CMD_SET_PARAMS, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_GET_PARAMS          _IOR('u', UBLK_CMD_GET_PARAMS, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_START_USER_RECOVERY _IOWR('u', UBLK_CMD_START_USER_RECOVERY, struct ublksrv_ctrl_cmd)
#define UBLK_U_CMD_END_USER_RECOVERY   _IOWR('u', UBLK_CMD_END_USER_RECOVERY, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_CMD_GET_FEATURES
#define UBLK_U_CMD_GET_FEATURES        _IOR('u', 0x13, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_IO_FETCH_REQ
#define UBLK_U_IO_FETCH_REQ            _IOWR('u', UBLK_IO_FETCH_REQ, struct ublksrv_io_cmd)
#define UBLK_U_IO_COMMIT_AND_FETCH_REQ _IOWR('u', UBLK_IO_COMMIT_AND_FETCH_REQ, struct ublksrv_io_cmd)
#endif
/* 6.9: delete without waiting for the disk's last opener; 6.16: resize */
#ifndef UBLK_U_CMD_DEL_DEV_ASYNC
#define UBLK_U_CMD_DEL_DEV_ASYNC       _IOR('u', 0x14, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_CMD_UPDATE_SIZE
#define UBLK_U_CMD_UPDATE_SIZE         _IOWR('u', 0x15, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_F_UPDATE_SIZE
#define UBLK_F_UPDATE_SIZE (1ULL << 10)
#endif
#ifndef UBLK_F_CMD_IOCTL_ENCODE
#define UBLK_F_CMD_IOCTL_ENCODE (1UL << 6)
#endif
#ifndef UBLK_S_DEV_QUIESCED
#define UBLK_S_DEV_QUIESCED 2
#endif
#ifndef UBLK_ATTR_VOLATILE_CACHE
#define UBLK_ATTR_VOLATILE_CACHE (1 << 2)
#endif
#ifndef UBLK_PARAM_TYPE_DEVT
#define UBLK_PARAM_TYPE_DEVT (1 << 2)
#endif
/* The io descriptors of queue q are mapped at q times the largest queue's
 * array (UBLK_MAX_QUEUE_DEPTH descriptors), rounded up to a page. */
#define UDMD_UBLK_MAX_QUEUE_DEPTH 4096

/* 6.2's parameters: 6.1's header lacks the device numbers. The kernel takes
 * `len` bytes and ignores the types it was not given. */
struct udmd_ublk_param_devt {
	__u32 char_major, char_minor, disk_major, disk_minor;
};
struct udmd_ublk_params {
	__u32 len;
	__u32 types;
	struct ublk_param_basic basic;
	struct ublk_param_discard discard;
	struct udmd_ublk_param_devt devt;
};

#endif
