# src/host: host inventory (libpci, sysfs), assignable verdicts, readiness probes.
noinst_LIBRARIES += src/host/libhost.a
src_host_libhost_a_CPPFLAGS = $(AM_CPPFLAGS) $(LIBPCI_CFLAGS) $(JANSSON_CFLAGS)
src_host_libhost_a_SOURCES = \
	src/host/bind.c src/host/bind.h \
	src/host/inventory.c src/host/inventory.h \
	src/host/iommu_group.c src/host/iommu_group.h \
	src/host/json_oom.c src/host/json_oom.h \
	src/host/mounts.c src/host/mounts.h \
	src/host/preflight.c src/host/preflight.h \
	src/host/probe.h \
	src/host/probe_intr_remap.c \
	src/host/probe_iommu.c \
	src/host/probe_kvm.c \
	src/host/probe_memlock.c \
	src/host/probe_vfio.c \
	src/host/readiness.c src/host/readiness.h \
	src/host/state.c src/host/state.h \
	src/host/sysroot.c src/host/sysroot.h \
	src/host/verdict.c src/host/verdict.h
# What a program linking libhost.a needs after it.
HOST_LIBS = src/host/libhost.a src/common/libcommon.a $(LIBPCI_LIBS) $(JANSSON_LIBS)
