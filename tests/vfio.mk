# tests for src/vfio (see tests/local.mk for the conventions). They need VFIO and
# the testbed's devices: here they skip; the testbed runs them (KVM_TESTS).
check_PROGRAMS += tests/vfio/test-vfio-devices
tests_vfio_test_vfio_devices_SOURCES = tests/vfio/test-vfio-devices.c
tests_vfio_test_vfio_devices_CPPFLAGS = $(TEST_CPPFLAGS)
tests_vfio_test_vfio_devices_LDADD = src/vfio/libvfio.a src/common/libcommon.a
TESTS += tests/vfio/test-vfio-devices
KVM_TESTS += tests/vfio/test-vfio-devices
