# tests for src/host and passthru-ctl (see tests/local.mk for the conventions)

check_PROGRAMS += tests/unit/test-host
tests_unit_test_host_SOURCES = tests/unit/test-host.c tests/tap.h
tests_unit_test_host_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_test_host_LDADD = $(HOST_LIBS)
TESTS += tests/unit/test-host

check_PROGRAMS += tests/unit/test-state
tests_unit_test_state_SOURCES = tests/unit/test-state.c tests/tap.h
tests_unit_test_state_CPPFLAGS = $(TEST_CPPFLAGS)
tests_unit_test_state_LDADD = $(HOST_LIBS)
TESTS += tests/unit/test-state

# passthru-ctl with fault points (src/ctl/fault.c): PASSTHRU_FAULT=POINT kills it
# right after that step of prepare or release. Never installed.
check_PROGRAMS += tests/host/passthru-ctl-faults
tests_host_passthru_ctl_faults_SOURCES = $(src_ctl_passthru_ctl_SOURCES)
tests_host_passthru_ctl_faults_CPPFLAGS = $(src_ctl_passthru_ctl_CPPFLAGS) -DPT_FAULT_POINTS
tests_host_passthru_ctl_faults_LDADD = $(src_ctl_passthru_ctl_LDADD)

# Scripts run the built passthru-ctl; the fixtures put passthru's state records
# where the program looks for them, under the configured runstatedir.
HOST_SH_TESTS = \
	tests/host/bdf-args.sh \
	tests/host/check-device-fixture.sh \
	tests/host/check-real.sh \
	tests/host/check-testbed.sh \
	tests/host/devices-real.sh \
	tests/host/fail-nth-fixture.sh \
	tests/host/fixture-check.sh \
	tests/host/fixture-devices.sh \
	tests/host/man.sh \
	tests/host/prepare-fixture.sh \
	tests/host/prepare-real.sh \
	tests/host/validate-list.sh
TESTS += $(HOST_SH_TESTS)
# Needs /dev/kvm and the testbed's IOMMU: skips here; the testbed runs its copy.
KVM_TESTS += tests/host/check-testbed
check_DATA += tests/host/check-testbed
CLEANFILES += tests/host/check-testbed
tests/host/check-testbed: $(top_srcdir)/tests/host/check-testbed.sh $(STANDALONE_TEST_DEPS)
	$(AM_V_GEN)$(MKDIR_P) tests/host && $(STANDALONE_TEST) $(top_srcdir)/tests/host/check-testbed.sh \
		$(top_srcdir)/tests/host/tap.sh $(abs_top_builddir) >$@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@
EXTRA_DIST += $(HOST_SH_TESTS) tests/host/tap.sh tests/fixtures/mksysroot.py
AM_TESTS_ENVIRONMENT += runstatedir='$(runstatedir)'; export runstatedir;
# Needs the testbed's devices: tests/testbed/host-prep.sh boots it and runs this copy.
check_DATA += tests/host/prepare-testbed
CLEANFILES += tests/host/prepare-testbed
tests/host/prepare-testbed: $(top_srcdir)/tests/host/prepare-testbed.sh $(STANDALONE_TEST_DEPS)
	$(AM_V_GEN)$(MKDIR_P) tests/host && $(STANDALONE_TEST) $(top_srcdir)/tests/host/prepare-testbed.sh \
		$(top_srcdir)/tests/host/tap.sh $(abs_top_builddir) >$@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@
EXTRA_DIST += tests/host/prepare-testbed.sh
