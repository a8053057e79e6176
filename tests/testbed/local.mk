# the QEMU testbed
