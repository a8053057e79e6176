# Unit tests (pure logic) and tests against the real kernel interfaces.
EXTRA_DIST += tests/tap.h

check_PROGRAMS += tests/unit/test-common
tests_unit_test_common_SOURCES = tests/unit/test-common.c tests/tap.h
tests_unit_test_common_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_common_LDADD = src/common/libcommon.a
TESTS += tests/unit/test-common
