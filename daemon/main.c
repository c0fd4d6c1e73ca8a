/* udmd: the daemon that holds udm devices (placeholder until the daemon lands). */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "udmd: not built yet\n");
	return 1;
}
