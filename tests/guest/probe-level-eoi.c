/*
 * probe-level-eoi: when does this KVM end a level-triggered interrupt?
 *
 * Upstream KVM keeps an IOAPIC level interrupt in service (remote IRR) until the
 * guest's EOI, and only then signals an irqfd's resamplefd. The software KVM of some
 * build machines (HOST-KVM.md) completes it at delivery instead, so the resamplefd
 * fires before the guest has run a single instruction of its handler. Tests that
 * check level semantics choose their expectations from this probe.
 *
 * A real-mode vCPU enables interrupts and halts; IOAPIC pin 20 (level, vector
 * 0x51, routed to no PIC) is asserted through an irqfd with a resamplefd. The
 * handler writes to port 0x500, then EOIs (the LAPIC's EOI register through a
 * data segment based at 0xfee00000) and writes to port 0x501. The resamplefd is
 * read at each of the two exits.
 *
 * Prints one line and exits 0:
 *   level-eoi: at-eoi          resampled only after the guest's EOI (upstream)
 *   level-eoi: at-delivery     resampled before the handler's EOI
 * Exit 1 with a reason on stderr when the probe itself failed (including "never
 * resampled at all"), 77 without a usable /dev/kvm.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#define PIN 20
#define VECTOR 0x51
#define CODE 0x1000
#define HANDLER 0x2000
#define PORT_DELIVERED 0x500
#define PORT_EOI_DONE 0x501
#define LAPIC_BASE 0xfee00000u
#define APIC_SVR 0xf0
#define APIC_LVT0 0x350
#define RUN_TIMEOUT_S 60 /* nested KVM under TCG is slow */

struct probe {
	int kvm, vm, vcpu, irqfd, resamplefd;
	struct kvm_run *run;
	uint8_t *mem;
};

static int fail(const char *what)
{
	fprintf(stderr, "probe-level-eoi: %s: %s\n", what, strerror(errno));
	return 1;
}

static void on_alarm(int sig)
{
	(void)sig; /* interrupts KVM_RUN with EINTR */
}

static void write_guest(uint8_t *mem)
{
	/* sti; hlt; jmp back to hlt */
	static const uint8_t code[] = { 0xfb, 0xf4, 0xeb, 0xfd };
	static const uint8_t handler[] = {
		0xba, PORT_DELIVERED & 0xff, PORT_DELIVERED >> 8, /* mov dx, 0x500 */
		0xee,                                             /* out dx, al */
		0x66, 0x31, 0xc0,                                 /* xor eax, eax */
		0x66, 0xa3, 0xb0, 0x00,                           /* mov [ds:0xb0], eax: EOI
								     (KVM ignores LAPIC writes
								     that are not 4 bytes) */
		0xba, PORT_EOI_DONE & 0xff, PORT_EOI_DONE >> 8,   /* mov dx, 0x501 */
		0xee,                                             /* out dx, al */
		0xeb, 0xfe,                                       /* jmp $ */
	};

	memcpy(mem + CODE, code, sizeof(code));
	memcpy(mem + HANDLER, handler, sizeof(handler));
	/* real-mode IVT entry: offset, then segment 0 */
	mem[VECTOR * 4] = HANDLER & 0xff;
	mem[VECTOR * 4 + 1] = HANDLER >> 8;
}

static int setup_vm(struct probe *p)
{
	struct kvm_userspace_memory_region region = { .memory_size = 0x10000 };
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	int runsz;

	p->vm = ioctl(p->kvm, KVM_CREATE_VM, 0);
	if (p->vm < 0)
		return fail("KVM_CREATE_VM");
	if (ioctl(p->vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return fail("KVM_CREATE_IRQCHIP");
	p->mem = mmap(NULL, region.memory_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED)
		return fail("mmap guest memory");
	write_guest(p->mem);
	region.userspace_addr = (uintptr_t)p->mem;
	if (ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");

	if (ioctl(p->vm, KVM_GET_IRQCHIP, &chip) < 0)
		return fail("KVM_GET_IRQCHIP (IOAPIC)");
	memset(&chip.chip.ioapic.redirtbl[PIN], 0, sizeof(chip.chip.ioapic.redirtbl[PIN]));
	chip.chip.ioapic.redirtbl[PIN].fields.vector = VECTOR;
	chip.chip.ioapic.redirtbl[PIN].fields.trig_mode = 1; /* level */
	chip.chip.ioapic.redirtbl[PIN].fields.dest_id = 0;   /* physical, APIC 0 */
	if (ioctl(p->vm, KVM_SET_IRQCHIP, &chip) < 0)
		return fail("KVM_SET_IRQCHIP (IOAPIC)");

	p->vcpu = ioctl(p->vm, KVM_CREATE_VCPU, 0);
	if (p->vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	runsz = ioctl(p->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (runsz < 0)
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	p->run = mmap(NULL, runsz, PROT_READ | PROT_WRITE, MAP_SHARED, p->vcpu, 0);
	if (p->run == MAP_FAILED)
		return fail("mmap kvm_run");
	return 0;
}

static int setup_vcpu(struct probe *p)
{
	struct kvm_lapic_state lapic;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = CODE, .rsp = 0x8000, .rflags = 0x2 };
	uint32_t v;

	/* Software-enable the LAPIC (fixed interrupts are dropped otherwise) and mask
	 * LINT0, so that nothing but the IOAPIC reaches the vCPU. */
	if (ioctl(p->vcpu, KVM_GET_LAPIC, &lapic) < 0)
		return fail("KVM_GET_LAPIC");
	v = 0x1ff;
	memcpy(&lapic.regs[APIC_SVR], &v, sizeof(v));
	memcpy(&v, &lapic.regs[APIC_LVT0], sizeof(v));
	v |= 1u << 16;
	memcpy(&lapic.regs[APIC_LVT0], &v, sizeof(v));
	if (ioctl(p->vcpu, KVM_SET_LAPIC, &lapic) < 0)
		return fail("KVM_SET_LAPIC");

	if (ioctl(p->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ss.base = 0;
	sregs.ss.selector = 0;
	sregs.ds.base = LAPIC_BASE; /* a hidden base: the handler's EOI store */
	sregs.ds.selector = 0;
	sregs.ds.limit = 0xffff;
	if (ioctl(p->vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	if (ioctl(p->vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");
	return 0;
}

static int setup_irqfd(struct probe *p)
{
	struct kvm_irqfd irqfd = { .gsi = PIN, .flags = KVM_IRQFD_FLAG_RESAMPLE };
	uint64_t one = 1;

	p->irqfd = eventfd(0, EFD_CLOEXEC);
	p->resamplefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->irqfd < 0 || p->resamplefd < 0)
		return fail("eventfd");
	irqfd.fd = (uint32_t)p->irqfd;
	irqfd.resamplefd = (uint32_t)p->resamplefd;
	if (ioctl(p->vm, KVM_IRQFD, &irqfd) < 0)
		return fail("KVM_IRQFD with resample");
	if (write(p->irqfd, &one, sizeof(one)) != sizeof(one))
		return fail("asserting the line through the irqfd");
	return 0;
}

/* Runs the vCPU to its next exit, which must be an OUT to port. */
static int run_to_port(struct probe *p, uint16_t port)
{
	int r;

	alarm(RUN_TIMEOUT_S);
	r = ioctl(p->vcpu, KVM_RUN, 0);
	alarm(0);
	if (r < 0) {
		if (errno == EINTR)
			fprintf(stderr, "probe-level-eoi: no exit to port 0x%x within %d s "
				"(the interrupt was not delivered?)\n", port, RUN_TIMEOUT_S);
		else
			fail("KVM_RUN");
		return 1;
	}
	if (p->run->exit_reason != KVM_EXIT_IO || p->run->io.port != port ||
	    p->run->io.direction != KVM_EXIT_IO_OUT) {
		fprintf(stderr, "probe-level-eoi: exit %u (port 0x%x), wanted an OUT to 0x%x\n",
			p->run->exit_reason, p->run->io.port, port);
		return 1;
	}
	return 0;
}

/* 1 if the resamplefd was signalled (within wait_ms), 0 if not; its count is reset. */
static int resampled(const struct probe *p, int wait_ms)
{
	struct pollfd pfd = { .fd = p->resamplefd, .events = POLLIN };
	uint64_t n;

	if (poll(&pfd, 1, wait_ms) <= 0)
		return 0;
	return read(p->resamplefd, &n, sizeof(n)) == sizeof(n) && n > 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	const char *path = argc > 1 ? argv[1] : "/dev/kvm";
	struct probe p = { 0 };
	int before_eoi;

	p.kvm = open(path, O_RDWR | O_CLOEXEC);
	if (p.kvm < 0) {
		fprintf(stderr, "probe-level-eoi: %s: %s\n", path, strerror(errno));
		return 77;
	}
	sigaction(SIGALRM, &sa, NULL);
	if (setup_vm(&p) || setup_vcpu(&p) || setup_irqfd(&p))
		return 1;
	if (run_to_port(&p, PORT_DELIVERED))
		return 1;
	/* The handler runs and has not EOI'd: upstream KVM must not resample now. */
	before_eoi = resampled(&p, 500);
	if (run_to_port(&p, PORT_EOI_DONE))
		return 1;
	if (!before_eoi && !resampled(&p, 5000)) {
		fprintf(stderr, "probe-level-eoi: the resamplefd never fired, not even after "
			"the guest's EOI\n");
		return 1;
	}
	printf("level-eoi: %s\n", before_eoi ? "at-delivery" : "at-eoi");
	return 0;
}
