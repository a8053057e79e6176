# tests/fuzz: libFuzzer targets, built only in a clang build configured with
# --enable-fuzzing. "make fuzz FUZZ_SECONDS=N" makes that build in $(builddir)/fuzz
# (the build it is run from is not touched) and runs each target for N seconds.
FUZZ_TARGETS = tests/fuzz/fuzz-vm-def tests/fuzz/fuzz-bdf tests/fuzz/fuzz-control \
	tests/fuzz/fuzz-vconfig tests/fuzz/fuzz-vconfig-msix tests/fuzz/fuzz-iobus
FUZZ_SECONDS = 60

if FUZZING
noinst_PROGRAMS += $(FUZZ_TARGETS)
endif
tests_fuzz_fuzz_vm_def_SOURCES = tests/fuzz/fuzz-vm-def.c
tests_fuzz_fuzz_vm_def_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_vm_def_LDADD = $(PT_CONFIG_LIBS)
tests_fuzz_fuzz_bdf_SOURCES = tests/fuzz/fuzz-bdf.c
tests_fuzz_fuzz_bdf_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_bdf_LDADD = src/common/libcommon.a
# The protocol alone (no sockets, no KVM): its one source file and jansson.
tests_fuzz_fuzz_control_SOURCES = tests/fuzz/fuzz-control.c src/vmm/control_proto.c
tests_fuzz_fuzz_control_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_control_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_control_LDADD = src/common/libcommon.a $(JANSSON_LIBS)
# A guest's config-space accesses to an assigned device, on a fake backend.
tests_fuzz_fuzz_vconfig_SOURCES = tests/fuzz/fuzz-vconfig.c
tests_fuzz_fuzz_vconfig_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_vconfig_LDADD = src/assign/libassign.a src/route/libroute.a \
	src/common/libcommon.a $(JANSSON_LIBS)
# The same with BARs: the MSI-X capability shown, its table accessed by the guest.
tests_fuzz_fuzz_vconfig_msix_SOURCES = tests/fuzz/fuzz-vconfig-msix.c
tests_fuzz_fuzz_vconfig_msix_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_vconfig_msix_LDADD = src/assign/libassign.a src/route/libroute.a \
	src/common/libcommon.a $(JANSSON_LIBS)
# The VMM's port and MMIO dispatch with the PCI bus on it (iobus.o and pci.o alone).
tests_fuzz_fuzz_iobus_SOURCES = tests/fuzz/fuzz-iobus.c
tests_fuzz_fuzz_iobus_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_iobus_LDADD = src/vmm/libvmm.a

# make check replays the corpora of the vconfig and iobus targets (their seeds and the
# inputs that runs found wrong) without libFuzzer: tests/fuzz/replay.c, each input in a child.
FUZZ_REPLAY_LIBS = src/assign/libassign.a src/route/libroute.a src/common/libcommon.a \
	$(JANSSON_LIBS)
if !FUZZING
check_PROGRAMS += tests/fuzz/replay-vconfig tests/fuzz/replay-vconfig-msix \
	tests/fuzz/replay-iobus
TESTS += tests/fuzz/replay-vconfig tests/fuzz/replay-vconfig-msix tests/fuzz/replay-iobus
endif
tests_fuzz_replay_vconfig_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-vconfig.c
tests_fuzz_replay_vconfig_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DPT_FUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/vconfig"'
tests_fuzz_replay_vconfig_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_vconfig_msix_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-vconfig-msix.c
tests_fuzz_replay_vconfig_msix_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DPT_FUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/vconfig-msix"'
tests_fuzz_replay_vconfig_msix_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_iobus_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-iobus.c
tests_fuzz_replay_iobus_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DPT_FUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/iobus"'
tests_fuzz_replay_iobus_LDADD = src/vmm/libvmm.a

# Builds the targets (in a --enable-fuzzing build).
fuzz-build: $(FUZZ_TARGETS)

fuzz:
	$(SHELL) $(top_srcdir)/tests/fuzz/fuzz.sh $(abs_top_builddir)/fuzz $(FUZZ_SECONDS)

EXTRA_DIST += tests/fuzz/fuzz.sh tests/fuzz/README.md tests/fuzz/corpus tests/fuzz/.gitattributes
.PHONY: fuzz fuzz-build
