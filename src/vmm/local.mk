# src/vmm: the embedded VMM (libvmm.a, used in-process by tests) and passthru-vmm.
noinst_LIBRARIES += src/vmm/libvmm.a
src_vmm_libvmm_a_SOURCES = src/vmm/cond.h \
	src/vmm/layout.h \
	src/vmm/e820.c src/vmm/e820.h \
	src/vmm/mptable.c src/vmm/mptable.h \
	src/vmm/uart.c src/vmm/uart.h \
	src/vmm/serial_out.c src/vmm/serial_out.h src/vmm/thread.h \
	src/vmm/iobus.c src/vmm/iobus.h \
	src/vmm/pci.c src/vmm/pci.h \
	src/vmm/exit_names.c src/vmm/exit_names.h \
	src/vmm/multiboot.c src/vmm/multiboot.h \
	src/vmm/bzimage.c src/vmm/bzimage.h \
	src/vmm/vm.c src/vmm/vm.h src/vmm/vm_internal.h \
	src/vmm/vcpu.c src/vmm/vm_exit.c src/vmm/devices.c src/vmm/vm_load.c \
	src/vmm/vm_devices.c \
	src/vmm/ram.c src/vmm/ram.h \
	src/vmm/dma_map.c src/vmm/dma_map.h \
	src/vmm/dma_limit.c src/vmm/dma_limit.h \
	src/vmm/group_fds.c src/vmm/group_fds.h \
	src/vmm/assigned.c src/vmm/assigned.h \
	src/vmm/rom.c src/vmm/rom.h \
	src/vmm/requests.c src/vmm/requests.h \
	src/vmm/bar_layout.c src/vmm/bar_layout.h \
	src/vmm/routes.c src/vmm/routes.h \
	src/vmm/console.c src/vmm/console.h \
	src/vmm/control_proto.c src/vmm/control_proto.h \
	src/vmm/control.c src/vmm/control.h \
	src/vmm/vm_control.c src/vmm/vm_control.h
src_vmm_libvmm_a_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)

# What a program linking libvmm.a needs after it.
VMM_LIBS = src/vmm/libvmm.a src/vfio/libvfio.a src/assign/libassign.a src/route/libroute.a \
	$(PT_CONFIG_LIBS) $(JANSSON_LIBS) -lpthread

sbin_PROGRAMS += src/vmm/passthru-vmm
src_vmm_passthru_vmm_SOURCES = src/vmm/main.c
src_vmm_passthru_vmm_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
src_vmm_passthru_vmm_LDADD = $(VMM_LIBS)

dist_man_MANS += man/passthru-vmm.8

# The systemd template unit, with the install paths filled in.
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = etc/systemd/passthru@.service
EXTRA_DIST += etc/systemd/passthru@.service.in src/vmm/README.md
CLEANFILES += etc/systemd/passthru@.service
etc/systemd/passthru@.service: etc/systemd/passthru@.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/systemd && \
	$(SED) -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/etc/systemd/passthru@.service.in > $@.tmp && mv $@.tmp $@
