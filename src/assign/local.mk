# src/assign: the backend interface (backend.h), the legacy KVM_ASSIGN_* backend and
# backend selection (see src/assign/README.md). Users link
# src/assign/libassign.a src/route/libroute.a src/config/libconfig.a src/common/libcommon.a
noinst_LIBRARIES += src/assign/libassign.a
src_assign_libassign_a_SOURCES = \
	src/assign/backend.c src/assign/backend.h src/assign/reset.c \
	src/assign/legacy.c src/assign/legacy.h src/assign/legacy_abi.h \
	src/assign/legacy_impl.h \
	src/assign/legacy_irq.c \
	src/assign/legacy_probe.c \
	src/assign/legacy_sysfs.c \
	src/assign/select.c src/assign/select.h
EXTRA_DIST += src/assign/README.md
# The guest's view of an assigned device's config space, for every backend.
src_assign_libassign_a_SOURCES += src/assign/vconfig.c src/assign/vconfig.h \
	src/assign/vconfig_impl.h src/assign/vconfig_msix.c
