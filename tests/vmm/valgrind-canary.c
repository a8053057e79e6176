/*
 * A program with exactly the defects tests/vmm/valgrind.sh exists to catch: one block
 * lost for good, one use of memory never written, one descriptor left open. That
 * script runs it first, with its own valgrind options and checks, and stops if they
 * do not report all three, so its passes about passthru-vmm mean something.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	char *volatile lost = malloc(48);
	int *unset = malloc(sizeof(*unset));
	int status = 0;

	if (!lost || !unset)
		return 1;
	lost = NULL;
	if (*(volatile int *)unset == 7)
		status = 2;
	free(unset);
	if (open("/dev/null", O_RDONLY) < 0)
		return 1;
	return status;
}
