# tests for src/route (see tests/local.mk for the conventions)
ROUTE_TEST_LIBS = src/route/libroute.a src/common/libcommon.a $(JANSSON_LIBS)
ROUTE_TEST_CPPFLAGS = $(TEST_CPPFLAGS) $(JANSSON_CFLAGS)
EXTRA_DIST += tests/route/fake_ops.h

# Host unit tests: the model through recording ops, no KVM.
check_PROGRAMS += tests/route/test-route-model tests/route/test-route-irqfd \
	tests/route/test-route-describe
TESTS += tests/route/test-route-model tests/route/test-route-irqfd \
	tests/route/test-route-describe
tests_route_test_route_model_SOURCES = tests/route/test-route-model.c
tests_route_test_route_model_CPPFLAGS = $(ROUTE_TEST_CPPFLAGS)
tests_route_test_route_model_LDADD = $(ROUTE_TEST_LIBS)
tests_route_test_route_irqfd_SOURCES = tests/route/test-route-irqfd.c
tests_route_test_route_irqfd_CPPFLAGS = $(ROUTE_TEST_CPPFLAGS)
tests_route_test_route_irqfd_LDADD = $(ROUTE_TEST_LIBS)
tests_route_test_route_describe_SOURCES = tests/route/test-route-describe.c
tests_route_test_route_describe_CPPFLAGS = $(ROUTE_TEST_CPPFLAGS)
tests_route_test_route_describe_LDADD = $(ROUTE_TEST_LIBS)

# Real KVM: skips on a host without /dev/kvm; the testbed runs KVM_TESTS under nested KVM.
check_PROGRAMS += tests/route/test-route-kvm
TESTS += tests/route/test-route-kvm
KVM_TESTS += tests/route/test-route-kvm
EXTRA_DIST += tests/route/kvm_vm.h
tests_route_test_route_kvm_SOURCES = tests/route/test-route-kvm.c
tests_route_test_route_kvm_CPPFLAGS = $(ROUTE_TEST_CPPFLAGS)
tests_route_test_route_kvm_LDADD = $(ROUTE_TEST_LIBS)

# The table at KVM's limit (real KVM): one route more is refused, nothing changes.
check_PROGRAMS += tests/route/test-route-limits
TESTS += tests/route/test-route-limits
KVM_TESTS += tests/route/test-route-limits
tests_route_test_route_limits_SOURCES = tests/route/test-route-limits.c
tests_route_test_route_limits_CPPFLAGS = $(ROUTE_TEST_CPPFLAGS)
tests_route_test_route_limits_LDADD = $(ROUTE_TEST_LIBS)

# Delivery proven by the test guest in a VM of the embedded VMM (needs KVM). Its
# build rules need libvmm ($(VMM_LIBS)) and tests/guest/guest.elf, which land with
# the vmm and guest branches: until then the source is only shipped, and these are
# the rules to enable (uncomment) once both are on main:
EXTRA_DIST += tests/route/test-route-guest.c
check_PROGRAMS += tests/route/test-route-guest
TESTS += tests/route/test-route-guest
KVM_TESTS += tests/route/test-route-guest
tests_route_test_route_guest_SOURCES = tests/route/test-route-guest.c
tests_route_test_route_guest_CPPFLAGS = $(ROUTE_TEST_CPPFLAGS) \
	-DTEST_GUEST='"$(abs_top_builddir)/tests/guest/guest.elf"' \
	-DPASSTHRU_CTL='"$(abs_top_builddir)/src/ctl/passthru-ctl"'
tests_route_test_route_guest_LDADD = src/route/libroute.a $(VMM_LIBS)
