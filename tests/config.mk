# tests for src/config (see tests/local.mk for the conventions)

# Table-driven: tests/config/bad/NAME.conf gives exactly NAME.expected; good/ files and
# the shipped example load with the values the test lists; the man page's keys are
# the parser's.
check_PROGRAMS += tests/config/test-config
tests_config_test_config_SOURCES = tests/config/test-config.c tests/tap.h
tests_config_test_config_CPPFLAGS = $(TEST_CPPFLAGS) -DPT_TOP_SRCDIR='"$(abs_top_srcdir)"'
tests_config_test_config_LDADD = $(PT_CONFIG_LIBS)
TESTS += tests/config/test-config

# Adding and removing [device] sections in place (config/vm_edit.h), on scratch files.
check_PROGRAMS += tests/config/test-vm-edit
tests_config_test_vm_edit_SOURCES = tests/config/test-vm-edit.c tests/tap.h
tests_config_test_vm_edit_CPPFLAGS = $(TEST_CPPFLAGS)
tests_config_test_vm_edit_LDADD = $(PT_CONFIG_LIBS)
TESTS += tests/config/test-vm-edit

# Guest slots and functions for a VM's devices (config/guest_layout.h), pure logic.
check_PROGRAMS += tests/config/test-guest-layout
tests_config_test_guest_layout_SOURCES = tests/config/test-guest-layout.c tests/tap.h
tests_config_test_guest_layout_CPPFLAGS = $(TEST_CPPFLAGS)
tests_config_test_guest_layout_LDADD = $(PT_CONFIG_LIBS)
TESTS += tests/config/test-guest-layout

# The data directories as a whole (automake copies directories recursively).
EXTRA_DIST += tests/config/good tests/config/bad tests/config/.gitattributes
