# Fault injection for the tests (tests/inject/fail-nth.c): preload libraries, built
# as programs linked -shared, never installed. Like bench's vfio-stamps.so they are
# built without the sanitizer flags of AM_CFLAGS/AM_LDFLAGS (an ASan program cannot
# have another allocator preloaded: the tests that use them skip in that build).
INJECT_CFLAGS = -fPIC -Wall -Wextra -Wno-format-truncation
check_PROGRAMS += tests/inject/fail-nth.so tests/inject/fixture-kernel.so
tests_inject_fail_nth_so_SOURCES = tests/inject/fail-nth.c
tests_inject_fail_nth_so_CFLAGS = $(INJECT_CFLAGS)
tests_inject_fail_nth_so_LDFLAGS = -shared
tests_inject_fail_nth_so_LDADD = -ldl
tests_inject_fixture_kernel_so_SOURCES = tests/inject/fixture-kernel.c
tests_inject_fixture_kernel_so_CFLAGS = $(INJECT_CFLAGS)
tests_inject_fixture_kernel_so_LDFLAGS = -shared
tests_inject_fixture_kernel_so_LDADD = -ldl
EXTRA_DIST += tests/inject/fail-nth-lib.sh
