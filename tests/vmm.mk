# tests for src/vmm (see tests/local.mk for the conventions)
VMM_TEST_LIBS = $(VMM_LIBS)
VMM_TEST_CPPFLAGS = $(TEST_CPPFLAGS) $(JANSSON_CFLAGS)

check_PROGRAMS += tests/vmm/test-uart tests/vmm/test-pci tests/vmm/test-tables \
	tests/vmm/test-exit-names tests/vmm/test-control tests/vmm/test-iobus \
	tests/vmm/test-bar-layout tests/vmm/test-rom tests/vmm/test-ram tests/vmm/test-serial-out
tests_vmm_test_serial_out_SOURCES = tests/vmm/test-serial-out.c
tests_vmm_test_serial_out_CPPFLAGS = $(VMM_TEST_CPPFLAGS)
tests_vmm_test_serial_out_LDADD = $(VMM_TEST_LIBS)
tests_vmm_test_ram_SOURCES = tests/vmm/test-ram.c
tests_vmm_test_ram_CPPFLAGS = $(VMM_TEST_CPPFLAGS)
tests_vmm_test_ram_LDADD = $(VMM_TEST_LIBS)
tests_vmm_test_rom_SOURCES = tests/vmm/test-rom.c
tests_vmm_test_rom_CPPFLAGS = $(VMM_TEST_CPPFLAGS)
tests_vmm_test_rom_LDADD = $(VMM_TEST_LIBS)
tests_vmm_test_bar_layout_SOURCES = tests/vmm/test-bar-layout.c
tests_vmm_test_bar_layout_CPPFLAGS = $(VMM_TEST_CPPFLAGS)
tests_vmm_test_bar_layout_LDADD = $(VMM_TEST_LIBS)
tests_vmm_test_iobus_SOURCES = tests/vmm/test-iobus.c
tests_vmm_test_iobus_CPPFLAGS = $(VMM_TEST_CPPFLAGS)
tests_vmm_test_iobus_LDADD = $(VMM_TEST_LIBS)
tests_vmm_test_uart_SOURCES = tests/vmm/test-uart.c
tests_vmm_test_uart_CPPFLAGS = $(VMM_TEST_CPPFLAGS)
tests_vmm_test_uart_LDADD = $(VMM_TEST_LIBS)
tests_vmm_test_pci_SOURCES = tests/vmm/test-pci.c
tests_vmm_test_pci_CPPFLAGS = $(VMM_TEST_CPPFLAGS)
tests_vmm_test_pci_LDADD = $(VMM_TEST_LIBS)
tests_vmm_test_tables_SOURCES = tests/vmm/test-tables.c
tests_vmm_test_tables_CPPFLAGS = $(VMM_TEST_CPPFLAGS)
tests_vmm_test_tables_LDADD = $(VMM_TEST_LIBS)
tests_vmm_test_exit_names_SOURCES = tests/vmm/test-exit-names.c
tests_vmm_test_exit_names_CPPFLAGS = $(VMM_TEST_CPPFLAGS)
tests_vmm_test_exit_names_LDADD = $(VMM_TEST_LIBS)
tests_vmm_test_control_SOURCES = tests/vmm/test-control.c
tests_vmm_test_control_CPPFLAGS = $(VMM_TEST_CPPFLAGS)
tests_vmm_test_control_LDADD = $(VMM_TEST_LIBS)
TESTS += tests/vmm/test-uart tests/vmm/test-pci tests/vmm/test-tables \
	tests/vmm/test-exit-names tests/vmm/test-control tests/vmm/test-iobus \
	tests/vmm/test-bar-layout tests/vmm/test-rom tests/vmm/test-ram tests/vmm/test-serial-out

# Needs /dev/kvm: skips here, runs in the testbed. The mini guest is 32-bit assembly.
MINIGUEST = tests/vmm/miniguest.elf
check_DATA += $(MINIGUEST)
CLEANFILES += $(MINIGUEST)
EXTRA_DIST += tests/vmm/miniguest.S tests/vmm/kvm-common.h
$(MINIGUEST): tests/vmm/miniguest.S
	$(AM_V_GEN)$(MKDIR_P) tests/vmm && \
	$(CC) -m32 -nostdlib -static -ffreestanding -Wl,-N -Wl,-Ttext=0x100000 \
		-Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments \
		-o $@ $(srcdir)/tests/vmm/miniguest.S

check_PROGRAMS += tests/vmm/test-vm-kvm
tests_vmm_test_vm_kvm_SOURCES = tests/vmm/test-vm-kvm.c tests/vmm/kvm-common.h
tests_vmm_test_vm_kvm_CPPFLAGS = $(VMM_TEST_CPPFLAGS) \
	-DMINIGUEST='"$(abs_top_builddir)/$(MINIGUEST)"'
tests_vmm_test_vm_kvm_LDADD = $(VMM_TEST_LIBS)
TESTS += tests/vmm/test-vm-kvm
KVM_TESTS += tests/vmm/test-vm-kvm

check_PROGRAMS += tests/vmm/test-dma-map
tests_vmm_test_dma_map_SOURCES = tests/vmm/test-dma-map.c
tests_vmm_test_dma_map_CPPFLAGS = $(VMM_TEST_CPPFLAGS) \
	-DTEST_GUEST='"$(abs_top_builddir)/tests/guest/guest.elf"'
tests_vmm_test_dma_map_LDADD = $(VMM_TEST_LIBS)
TESTS += tests/vmm/test-dma-map
KVM_TESTS += tests/vmm/test-dma-map

check_PROGRAMS += tests/vmm/test-vm-memslots
tests_vmm_test_vm_memslots_SOURCES = tests/vmm/test-vm-memslots.c tests/vmm/kvm-common.h
tests_vmm_test_vm_memslots_CPPFLAGS = $(VMM_TEST_CPPFLAGS) \
	-DMINIGUEST='"$(abs_top_builddir)/$(MINIGUEST)"'
tests_vmm_test_vm_memslots_LDADD = $(VMM_TEST_LIBS)
TESTS += tests/vmm/test-vm-memslots
KVM_TESTS += tests/vmm/test-vm-memslots

check_PROGRAMS += tests/vmm/test-vmm-cli
tests_vmm_test_vmm_cli_SOURCES = tests/vmm/test-vmm-cli.c tests/vmm/kvm-common.h tests/vmm/vmm-proc.h
tests_vmm_test_vmm_cli_CPPFLAGS = $(VMM_TEST_CPPFLAGS) \
	-DMINIGUEST='"$(abs_top_builddir)/$(MINIGUEST)"' \
	-DPASSTHRU_VMM='"$(abs_top_builddir)/src/vmm/passthru-vmm"'
tests_vmm_test_vmm_cli_LDADD = $(VMM_TEST_LIBS)
TESTS += tests/vmm/test-vmm-cli
KVM_TESTS += tests/vmm/test-vmm-cli

check_PROGRAMS += tests/vmm/test-linux-kvm
tests_vmm_test_linux_kvm_SOURCES = tests/vmm/test-linux-kvm.c tests/vmm/kvm-common.h \
	tests/vmm/vmm-proc.h
tests_vmm_test_linux_kvm_CPPFLAGS = $(VMM_TEST_CPPFLAGS) \
	-DMINIGUEST='"$(abs_top_builddir)/$(MINIGUEST)"' \
	-DPASSTHRU_VMM='"$(abs_top_builddir)/src/vmm/passthru-vmm"'
tests_vmm_test_linux_kvm_LDADD = $(VMM_TEST_LIBS)
TESTS += tests/vmm/test-linux-kvm
KVM_TESTS += tests/vmm/test-linux-kvm

# make bench: passthru-vmm against QEMU microvm on the mini guest (in the testbed without KVM).
check_PROGRAMS += tests/vmm/bench-first-byte
tests_vmm_bench_first_byte_SOURCES = tests/vmm/bench-first-byte.c
tests_vmm_bench_first_byte_CPPFLAGS = $(TEST_CPPFLAGS)
BENCHES += bench/vmm-vs-qemu.sh
EXTRA_DIST += bench/vmm-vs-qemu.sh

# passthru-vmm under valgrind's memcheck on the test guest (needs valgrind and /dev/kvm;
# skips otherwise, and in an ASan build). The canary has one defect of each kind the
# script checks for, so that the script can prove its checks work before trusting them.
check_PROGRAMS += tests/vmm/valgrind-canary
tests_vmm_valgrind_canary_SOURCES = tests/vmm/valgrind-canary.c
TESTS += tests/vmm/valgrind.sh
EXTRA_DIST += tests/vmm/valgrind.sh

# A low RLIMIT_MEMLOCK with assigned devices: refused up front, naming the limit and the
# need (no VFIO or KVM needed: the check comes first).
TESTS += tests/vmm/memlock.sh
EXTRA_DIST += tests/vmm/memlock.sh

# device-add's slot and function arguments, and a function > 0 of an empty slot refused
# before any device is touched (needs /dev/kvm, no VFIO).
TESTS += tests/vmm/device-add-place.sh
EXTRA_DIST += tests/vmm/device-add-place.sh

# --group-fd (the VFIO groups passthru-ctl hands to passthru-vmm): usage errors.
TESTS += tests/vmm/group-fd.sh
EXTRA_DIST += tests/vmm/group-fd.sh

# Each start-up call of passthru-vmm failing in turn (tests/inject/fail-nth.so).
TESTS += tests/vmm/fail-nth-start.sh
EXTRA_DIST += tests/vmm/fail-nth-start.sh

# Each call passthru-vmm makes while serving its control socket failing in turn.
TESTS += tests/vmm/fail-nth-running.sh
EXTRA_DIST += tests/vmm/fail-nth-running.sh
