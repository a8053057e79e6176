# bench
# Routing (issue 4): bench-route runs on a real KVM; route.sh goes to the testbed
# when this host has none.
BENCHES += bench/route.sh
EXTRA_DIST += bench/route.sh
check_PROGRAMS += bench/bench-route
bench_bench_route_SOURCES = bench/bench-route.c
bench_bench_route_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/tests/route $(JANSSON_CFLAGS)
bench_bench_route_LDADD = src/route/libroute.a src/common/libcommon.a $(JANSSON_LIBS)
# bench-irqfd-relay (irqfd vs a userspace relay, with the test guest in a VM of the
# embedded VMM) needs libvmm and the test guest: shipped only until both are on main,
# then these rules are to be enabled (route.sh runs it when it exists).
EXTRA_DIST += bench/bench-irqfd-relay.c
check_PROGRAMS += bench/bench-irqfd-relay
bench_bench_irqfd_relay_SOURCES = bench/bench-irqfd-relay.c
bench_bench_irqfd_relay_CPPFLAGS = $(TEST_CPPFLAGS) $(JANSSON_CFLAGS) \
	-DTEST_GUEST='"$(abs_top_builddir)/tests/guest/guest.elf"'
bench_bench_irqfd_relay_LDFLAGS = -Wl,--wrap=ioctl
bench_bench_irqfd_relay_LDADD = src/route/libroute.a $(VMM_LIBS)
# Host preparation (issue 9): prepare_ms/release_ms in the testbed.
BENCHES += bench/host-prep.sh
EXTRA_DIST += bench/host-prep.sh
# VFIO assignment (issue 10): attach_ms and its parts, dma_map_vs_raw and the
# side-by-side figures against QEMU's vfio-pci, all in one testbed boot with edu.
# bench-vfio-dma times the DMA map; vfio-stamps.so, preloaded into passthru-vmm,
# splits a device-add into VFIO open, DMA map and wiring.
BENCHES += bench/vfio.sh
EXTRA_DIST += bench/vfio.sh
CLEANFILES += bench/vfio-console.log bench/vfio-steps.log
check_PROGRAMS += bench/bench-vfio-dma bench/vfio-stamps.so
bench_bench_vfio_dma_SOURCES = bench/bench-vfio-dma.c
bench_bench_vfio_dma_LDADD = src/vfio/libvfio.a src/common/libcommon.a
# A preload library, built as a program linked -shared, and without the sanitizer
# flags of AM_CFLAGS/AM_LDFLAGS: its job is to stay out of the VMM's way.
bench_vfio_stamps_so_SOURCES = bench/vfio-stamps.c
bench_vfio_stamps_so_CFLAGS = -fPIC -Wall -Wextra
bench_vfio_stamps_so_LDFLAGS = -shared
bench_vfio_stamps_so_LDADD = -ldl
