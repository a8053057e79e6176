/*
 * Fault points for the crash-safety tests. Compiled in only for the test binary
 * tests/host/passthru-ctl-faults (-DPT_FAULT_POINTS, tests/host.mk): there
 * PASSTHRU_FAULT=POINT ends the process with SIGKILL right after that step, as a
 * kill -9 would, and PASSTHRU_FAULT=POINT:pause stops there until killed (for the
 * lock tests). The installed passthru-ctl has no such code and ignores the variable.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>

#include "ctl/ctl.h"

#ifdef PT_FAULT_POINTS
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fault_point(const char *point)
{
	const char *want = getenv("PASSTHRU_FAULT");
	size_t len = strlen(point);
	bool pause_here;

	if (!want || strncmp(want, point, len) || (want[len] && strcmp(want + len, ":pause")))
		return;
	pause_here = want[len] != '\0';
	fprintf(stderr, "%s: fault point %s reached (pid %d)\n", program_invocation_short_name,
		point, (int)getpid());
	fflush(stderr);
	if (!pause_here)
		raise(SIGKILL);
	for (;;)
		pause();
}

pt_ctl_fault_fn pt_ctl_fault_hook(void)
{
	return fault_point;
}
#else
pt_ctl_fault_fn pt_ctl_fault_hook(void)
{
	return NULL;
}
#endif

void pt_ctl_fault(const char *point)
{
	pt_ctl_fault_fn f = pt_ctl_fault_hook();

	if (f)
		f(point);
}
