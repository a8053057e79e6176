# The QEMU testbed (tests/testbed/README.md): `make check-testbed` boots it.
TESTBED_TESTS += tests/testbed/selftest.sh tests/testbed/kvm-suite.sh tests/testbed/host-prep.sh \
	tests/testbed/multifunction.sh
AM_TESTS_ENVIRONMENT += KVM_TESTS='$(KVM_TESTS)'; export KVM_TESTS;
EXTRA_DIST += tests/testbed/testbed-run tests/testbed/selftest.sh tests/testbed/kvm-suite.sh \
	tests/testbed/host-prep.sh tests/testbed/multifunction.sh \
	tests/testbed/probe-kvm.c tests/testbed/probe-vfio.c tests/testbed/README.md \
	tests/testbed/stall-hunt.sh tests/testbed/qmp-hmp.py
