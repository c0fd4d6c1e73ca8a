/* Control commands of the watch family (udm watch add|remove|list): mounts
 * whose executions are checked against the active IPE policy. Stubs until the
 * enforcement part lands; the IPE work replaces these bodies. */
#include <errno.h>
#include "daemon/udmd.h"

static int cmd_watch_stub(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)d;
	(void)req;
	udmd_printf(out, "exec enforcement is not built yet");
	return -ENOSYS;
}

static const struct udmd_cmd watch_cmds[] = {
	{ UDM_CMD_WATCH_ADD, "watch add", 1, 1, true, cmd_watch_stub },
	{ UDM_CMD_WATCH_REMOVE, "watch remove", 1, 1, true, cmd_watch_stub },
	{ UDM_CMD_WATCH_LIST, "watch list", 0, 0, false, cmd_watch_stub },
	{ 0 }
};
UDMD_COMMANDS(watch_cmds);
