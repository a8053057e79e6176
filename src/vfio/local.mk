# src/vfio: the VFIO side of device assignment and the VFIO backend of
# src/assign/backend.h (see src/vfio/README.md). Users link src/vfio/libvfio.a
# src/assign/libassign.a src/route/libroute.a src/common/libcommon.a.
noinst_LIBRARIES += src/vfio/libvfio.a
src_vfio_libvfio_a_SOURCES = \
	src/vfio/backend.c src/vfio/backend.h src/vfio/backend_impl.h \
	src/vfio/container.c src/vfio/container.h \
	src/vfio/device.c src/vfio/device.h \
	src/vfio/group.c src/vfio/group.h \
	src/vfio/hot_reset.c src/vfio/hot_reset.h \
	src/vfio/irq.c src/vfio/irq.h \
	src/vfio/irq_state.c \
	src/vfio/kvm_vfio.c src/vfio/kvm_vfio.h \
	src/vfio/request.c src/vfio/request.h \
	src/vfio/reset.c \
	src/vfio/reset_plan.c src/vfio/reset_plan.h \
	src/vfio/vm_share.c src/vfio/vm_share.h
EXTRA_DIST += src/vfio/README.md
src_vfio_libvfio_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
