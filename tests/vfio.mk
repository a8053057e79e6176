# tests for src/vfio (see tests/local.mk for the conventions). They need VFIO and
# the testbed's devices: here they skip; the testbed runs them (KVM_TESTS).
check_PROGRAMS += tests/vfio/test-vfio-devices
tests_vfio_test_vfio_devices_SOURCES = tests/vfio/test-vfio-devices.c tests/vfio/fixture.h
tests_vfio_test_vfio_devices_CPPFLAGS = $(TEST_CPPFLAGS)
tests_vfio_test_vfio_devices_LDADD = src/vfio/libvfio.a src/common/libcommon.a
TESTS += tests/vfio/test-vfio-devices
KVM_TESTS += tests/vfio/test-vfio-devices

check_PROGRAMS += tests/vfio/test-vfio-backend
tests_vfio_test_vfio_backend_SOURCES = tests/vfio/test-vfio-backend.c tests/vfio/fixture.h
tests_vfio_test_vfio_backend_CPPFLAGS = $(TEST_CPPFLAGS) $(JANSSON_CFLAGS)
tests_vfio_test_vfio_backend_LDADD = src/vfio/libvfio.a src/assign/libassign.a \
	src/route/libroute.a src/config/libconfig.a src/common/libcommon.a $(JANSSON_LIBS)
TESTS += tests/vfio/test-vfio-backend
KVM_TESTS += tests/vfio/test-vfio-backend

# passthru-vmm with edu assigned, with pci-testdev, with e1000e and its MSI-X (and a
# vector added while it is enabled), with
# ivshmem-plain's 64-bit BAR above guest RAM, passthru-ctl attach/detach, and the
# reset at assignment and release, two edu sharing one INTx pin, guest RAM mapped for
# DMA while the guest runs (and a map that fails), in the testbed's
# nested KVM (each a self-contained copy).
VFIO_SH_TESTS = tests/vfio/vmm-edu.sh tests/vfio/vmm-testdev.sh tests/vfio/device-add.sh tests/vfio/attach.sh \
	tests/vfio/attach-faults.sh tests/vfio/vmm-e1000e.sh tests/vfio/linux-e1000e.sh \
	tests/vfio/vmm-bar64.sh tests/vfio/vmm-aer.sh tests/vfio/vmm-rom.sh tests/vfio/vmm-group2.sh tests/vfio/reset.sh \
	tests/vfio/attach-nth.sh tests/vfio/intx-shared.sh tests/vfio/msix-grow.sh \
	tests/vfio/vmm-dma-start.sh
TESTS += $(VFIO_SH_TESTS)
EXTRA_DIST += $(VFIO_SH_TESTS)
VFIO_SH_COPIES = tests/vfio/vmm-edu tests/vfio/vmm-testdev tests/vfio/device-add tests/vfio/attach \
	tests/vfio/attach-faults tests/vfio/vmm-e1000e tests/vfio/linux-e1000e tests/vfio/vmm-bar64 \
	tests/vfio/vmm-aer tests/vfio/vmm-rom tests/vfio/reset tests/vfio/vmm-group2 \
	tests/vfio/attach-nth tests/vfio/intx-shared tests/vfio/msix-grow tests/vfio/vmm-dma-start
KVM_TESTS += $(VFIO_SH_COPIES)
check_DATA += $(VFIO_SH_COPIES)
CLEANFILES += $(VFIO_SH_COPIES)
# Functions of one host slot in one guest slot: it needs an edu pair at functions 0
# and 1 of one slot, which the kvm-suite's topology does not have (a third and fourth
# edu there would change what its edu tests find), so it is built as a copy but not
# in KVM_TESTS: tests/testbed/multifunction.sh runs it in a testbed boot of its own.
VFIO_SH_TESTS += tests/vfio/vmm-multifunction.sh
VFIO_SH_OWN_TOPOLOGY = tests/vfio/vmm-multifunction
check_DATA += $(VFIO_SH_OWN_TOPOLOGY)
CLEANFILES += $(VFIO_SH_OWN_TOPOLOGY)
$(VFIO_SH_COPIES) $(VFIO_SH_OWN_TOPOLOGY): tests/vfio/%: $(top_srcdir)/tests/vfio/%.sh $(STANDALONE_TEST_DEPS)
	$(AM_V_GEN)$(MKDIR_P) tests/vfio && $(STANDALONE_TEST) $(top_srcdir)/tests/vfio/$*.sh \
		$(top_srcdir)/tests/host/tap.sh $(abs_top_builddir) >$@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@

# The reset decisions that need no device (hot reset allowed? which method?): everywhere.
check_PROGRAMS += tests/vfio/test-reset-plan
tests_vfio_test_reset_plan_SOURCES = tests/vfio/test-reset-plan.c
tests_vfio_test_reset_plan_CPPFLAGS = $(TEST_CPPFLAGS)
tests_vfio_test_reset_plan_LDADD = src/vfio/libvfio.a src/assign/libassign.a src/common/libcommon.a
TESTS += tests/vfio/test-reset-plan
