# src/route: the VM's GSI routing table (see src/route/table.h). Users link
# src/route/libroute.a src/common/libcommon.a $(JANSSON_LIBS).
noinst_LIBRARIES += src/route/libroute.a
src_route_libroute_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
src_route_libroute_a_SOURCES = \
	src/route/default.c \
	src/route/describe.c src/route/describe.h \
	src/route/encode.c \
	src/route/gsi_alloc.c src/route/gsi_alloc.h \
	src/route/irqfd.c src/route/irqfd.h \
	src/route/json.c \
	src/route/kvm_ops.c src/route/kvm_ops.h \
	src/route/msi.c src/route/msi.h \
	src/route/table.c src/route/table.h src/route/table_impl.h
# route/table.h includes the VM definition's enum pt_irqchip; make sure the
# header is in the tarball whichever branch lands first (duplicates are harmless).
EXTRA_DIST += src/config/vm_def.h
EXTRA_DIST += src/route/README.md
