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

check_PROGRAMS += tests/assign/test-assign-select
TESTS += tests/assign/test-assign-select
tests_assign_test_assign_select_SOURCES = tests/assign/test-assign-select.c
tests_assign_test_assign_select_CPPFLAGS = $(ASSIGN_TEST_CPPFLAGS)
tests_assign_test_assign_select_LDADD = $(ASSIGN_TEST_LIBS) src/config/libconfig.a src/common/libcommon.a $(INIH_LIBS)

# Real KVM: skips without /dev/kvm; the testbed runs KVM_TESTS under nested KVM.
check_PROGRAMS += tests/assign/test-assign-kvm
TESTS += tests/assign/test-assign-kvm
KVM_TESTS += tests/assign/test-assign-kvm
tests_assign_test_assign_kvm_SOURCES = tests/assign/test-assign-kvm.c
tests_assign_test_assign_kvm_CPPFLAGS = $(ASSIGN_TEST_CPPFLAGS) $(LIBPCI_CFLAGS)
tests_assign_test_assign_kvm_LDADD = src/assign/libassign.a src/route/libroute.a $(HOST_LIBS)

# passthru-ctl start/run and passthru-vmm refuse backend = legacy before any host change.
TESTS += tests/assign/legacy-refusal.sh
EXTRA_DIST += tests/assign/legacy-refusal.sh
KVM_TESTS += tests/assign/legacy-refusal
check_DATA += tests/assign/legacy-refusal
CLEANFILES += tests/assign/legacy-refusal
tests/assign/legacy-refusal: $(top_srcdir)/tests/assign/legacy-refusal.sh $(STANDALONE_TEST_DEPS)
	$(AM_V_GEN)$(MKDIR_P) tests/assign && $(STANDALONE_TEST) $(top_srcdir)/tests/assign/legacy-refusal.sh \
		$(top_srcdir)/tests/host/tap.sh $(abs_top_builddir) >$@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@

# The guest's view of an assigned device's config space (src/assign/vconfig.c).
check_PROGRAMS += tests/assign/test-vconfig
tests_assign_test_vconfig_SOURCES = tests/assign/test-vconfig.c
tests_assign_test_vconfig_CPPFLAGS = $(ASSIGN_TEST_CPPFLAGS)
tests_assign_test_vconfig_LDADD = $(ASSIGN_TEST_LIBS)
TESTS += tests/assign/test-vconfig

# The VFIO backend's interrupt switch with the routing table full halfway through a
# device's vectors (white box, no VFIO needed; tests/vfio need the testbed).
check_PROGRAMS += tests/assign/test-vfio-msi-full
tests_assign_test_vfio_msi_full_SOURCES = tests/assign/test-vfio-msi-full.c
tests_assign_test_vfio_msi_full_CPPFLAGS = $(ASSIGN_TEST_CPPFLAGS)
tests_assign_test_vfio_msi_full_LDADD = src/vfio/libvfio.a $(ASSIGN_TEST_LIBS)
TESTS += tests/assign/test-vfio-msi-full
