# tests for src/assign: the legacy ABI, the backend against a simulated Linux 3.17,
# backend selection, and the real /dev/kvm (see tests/local.mk for the conventions).
ASSIGN_TEST_LIBS = src/assign/libassign.a src/route/libroute.a src/common/libcommon.a $(JANSSON_LIBS)
ASSIGN_TEST_CPPFLAGS = $(TEST_CPPFLAGS) $(JANSSON_CFLAGS)
EXTRA_DIST += tests/assign/fake_kernel.h tests/assign/fixture.h

check_PROGRAMS += tests/assign/test-assign-abi tests/assign/test-assign-legacy
TESTS += tests/assign/test-assign-abi tests/assign/test-assign-legacy
tests_assign_test_assign_abi_SOURCES = tests/assign/test-assign-abi.c
tests_assign_test_assign_abi_CPPFLAGS = $(ASSIGN_TEST_CPPFLAGS)
tests_assign_test_assign_abi_LDADD = $(ASSIGN_TEST_LIBS)
# The simulated kernel is linked here only, never into the programs.
tests_assign_test_assign_legacy_SOURCES = tests/assign/test-assign-legacy.c tests/assign/fake_kernel.c
tests_assign_test_assign_legacy_CPPFLAGS = $(ASSIGN_TEST_CPPFLAGS)
tests_assign_test_assign_legacy_LDADD = $(ASSIGN_TEST_LIBS)
