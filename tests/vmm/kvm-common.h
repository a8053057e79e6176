/* Shared by the tests that need /dev/kvm (they skip without it, and run in the testbed). */
#ifndef PT_TESTS_VMM_KVM_COMMON_H
#define PT_TESTS_VMM_KVM_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

/* Every KVM test waits this long at most for one guest step (nested KVM under TCG is slow). */
#define KVM_TEST_TIMEOUT_MS 60000

static inline void kvm_test_require(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		tap_skip_all("cannot open /dev/kvm (%s): run it in the testbed (make check-testbed)",
			     strerror(errno));
	close(fd);
	if (access(MINIGUEST, R_OK) < 0)
		tap_skip_all("the mini guest %s was not built", MINIGUEST);
}

#endif
