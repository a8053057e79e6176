# the test guest: a freestanding Multiboot image (tests/guest/PROTOCOL.md)
#
# Built with the same $(CC) but none of the project's flags: no sanitizers,
# no libc, no SSE, no red zone (interrupts run on the same stack). Linked as
# x86-64 at 1 MiB, then put in an ELF32 container because QEMU's Multiboot
# loader refuses 64-bit ELF files; the Multiboot header's address fields
# describe the same bytes, for loaders that ignore ELF.

GUEST_CC_FLAGS = -std=gnu11 -O2 -g -m64 -ffreestanding -fno-pic -fno-pie -mcmodel=small \
	-mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-avx -mno-80387 \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fcf-protection=none -fno-tree-loop-distribute-patterns -fno-common \
	-Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
	-Wno-unused-parameter -Wno-missing-field-initializers
GUEST_LINK_FLAGS = -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -Wl,-T,$(srcdir)/tests/guest/guest.ld
GUEST_OBJCOPY = objcopy

GUEST_SRCS = \
	tests/guest/boot.S \
	tests/guest/apic.c \
	tests/guest/cmdline.c \
	tests/guest/cpu.c \
	tests/guest/echo.c \
	tests/guest/lib.c \
	tests/guest/main.c \
	tests/guest/pci.c \
	tests/guest/scenarios.c \
	tests/guest/serial.c \
	tests/guest/tables.c \
	tests/guest/time.c

# One compiler run for the whole guest: it is small, and this needs no
# per-object rules (and so no suffix rules that would clash with automake's).
tests/guest/guest64.elf: $(GUEST_SRCS) tests/guest/guest.h tests/guest/guest.ld
	@$(MKDIR_P) tests/guest
	$(AM_V_CCLD)srcs=; for f in $(GUEST_SRCS); do srcs="$$srcs $(srcdir)/$$f"; done; \
	$(CC) $(GUEST_CC_FLAGS) $(filter -Werror,$(PT_CFLAGS)) $(GUEST_LINK_FLAGS) -o $@ $$srcs

tests/guest/guest.elf: tests/guest/guest64.elf
	$(AM_V_GEN)$(GUEST_OBJCOPY) -O elf32-i386 --strip-debug tests/guest/guest64.elf $@

noinst_DATA += tests/guest/guest.elf
CLEANFILES += tests/guest/guest.elf tests/guest/guest64.elf

# The same checks on a real in-kernel irqchip: QEMU with -accel kvm, in the
# testbed's nested KVM (it skips where /dev/kvm is missing), from a self-contained
# copy in the build tree (tests/local.mk, STANDALONE_TEST).
tests/guest/test-guest-qemu-kvm: $(top_srcdir)/tests/guest/test-guest-qemu.sh $(STANDALONE_TEST_DEPS)
	$(AM_V_GEN)$(MKDIR_P) tests/guest && $(STANDALONE_TEST) \
		$(top_srcdir)/tests/guest/test-guest-qemu.sh $(top_srcdir)/tests/host/tap.sh \
		$(abs_top_builddir) ACCEL=kvm >$@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@

# When does this KVM end a level-triggered interrupt (at the guest's EOI, or at
# delivery as some software backends do)? test-guest-qemu-kvm asks it first.
check_PROGRAMS += tests/guest/probe-level-eoi
tests_guest_probe_level_eoi_SOURCES = tests/guest/probe-level-eoi.c

check_DATA += tests/guest/test-guest-qemu-kvm
CLEANFILES += tests/guest/test-guest-qemu-kvm
TESTS += tests/guest/test-guest-qemu.sh tests/guest/test-guest-qemu-kvm
KVM_TESTS += tests/guest/test-guest-qemu-kvm
EXTRA_DIST += $(GUEST_SRCS) tests/guest/guest.h tests/guest/guest.ld \
	tests/guest/PROTOCOL.md tests/guest/test-guest-qemu.sh
