# src/vfio: the VFIO side of device assignment (see src/vfio/README.md). Users link
# src/vfio/libvfio.a src/common/libcommon.a.
noinst_LIBRARIES += src/vfio/libvfio.a
src_vfio_libvfio_a_SOURCES = \
	src/vfio/container.c src/vfio/container.h \
	src/vfio/device.c src/vfio/device.h \
	src/vfio/irq.c src/vfio/irq.h \
	src/vfio/kvm_vfio.c src/vfio/kvm_vfio.h
EXTRA_DIST += src/vfio/README.md
