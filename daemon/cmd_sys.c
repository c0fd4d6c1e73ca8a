/* Control commands of the daemon itself: ping (liveness, for scripts) and
 * shutdown (the client keeps its connection and sees EOF once udmd is gone). */
#include <errno.h>
#include <unistd.h>
#include "daemon/udmd.h"

static int cmd_ping(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)d;
	(void)req;
	udmd_printf(out, "udmd %s pid %ld\n", UDM_LIB_VERSION, (long)getpid());
	return 0;
}

static int cmd_shutdown(struct udmd *d, const struct udmd_req *req, struct udmd_out *out)
{
	(void)req;
	(void)out;
	udmd_request_stop(d);
	return 0;
}

static const struct udmd_cmd sys_cmds[] = {
	{ UDM_CMD_PING, "ping", 0, 0, false, cmd_ping },
	{ UDM_CMD_SHUTDOWN, "shutdown", 0, 0, true, cmd_shutdown },
	{ 0 }
};
UDMD_COMMANDS(sys_cmds);
