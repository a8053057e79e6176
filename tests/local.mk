# Unit tests (pure logic) and tests against the real kernel interfaces.
EXTRA_DIST += tests/tap.h

check_PROGRAMS += tests/unit/test-common
tests_unit_test_common_SOURCES = tests/unit/test-common.c tests/tap.h
tests_unit_test_common_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_common_LDADD = src/common/libcommon.a
TESTS += tests/unit/test-common

check_PROGRAMS += tests/unit/test-memlock
tests_unit_test_memlock_SOURCES = tests/unit/test-memlock.c tests/tap.h
tests_unit_test_memlock_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_memlock_LDADD = src/common/libcommon.a
TESTS += tests/unit/test-memlock

# Conventions for every test:
# - a program or script in TESTS that prints TAP; "1..0 # SKIP reason" when it cannot run here;
# - C tests include tests/tap.h and add -I$(top_srcdir)/tests to their CPPFLAGS;
# - a test that needs /dev/kvm goes in TESTS and KVM_TESTS too (tests/testbed runs it there).
TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
# - a script in KVM_TESTS runs in the testbed as a self-contained copy in the build
#   tree (the testbed may not see the source tree): STANDALONE_TEST makes it.
STANDALONE_TEST = $(SHELL) $(top_srcdir)/tests/standalone-test.sh
STANDALONE_TEST_DEPS = $(top_srcdir)/tests/standalone-test.sh $(top_srcdir)/tests/vfio/testbed-lib.sh \
	$(top_srcdir)/tests/inject/fail-nth-lib.sh \
	$(top_srcdir)/tests/host/tap.sh Makefile
EXTRA_DIST += tests/standalone-test.sh tests/vfio/testbed-lib.sh

TESTS += tests/man-lint.sh
EXTRA_DIST += tests/man-lint.sh
AM_TESTS_ENVIRONMENT += MANPAGES='$(dist_man_MANS)'; export MANPAGES;

TESTS += tests/tools/test-summary.sh
EXTRA_DIST += tests/tools/test-summary.sh
