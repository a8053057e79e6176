/*
 * Device interrupts delivered to the test guest: irqfd route vs a userspace relay.
 *
 * A ping-pong with the test guest (tests/guest/PROTOCOL.md, irq-wait with ack_port): after
 * each interrupt's EOI the guest writes its vector to port 0x510, which is a KVM
 * ioeventfd; a separate "device" process waits on it and signals the device's eventfd,
 * as a device raising its next interrupt would. Two delivery paths, each in its own VM in
 * this one run:
 *   irqfd: the device eventfd is bound to an MSI route with KVM_IRQFD (the VMM does nothing);
 *   relay: a VMM thread reads the device eventfd and calls KVM_SIGNAL_MSI.
 * Printed: interrupts per second of each path and their ratio (irqfd/relay, >= 1 wanted);
 * the VMM's CPU time outside the guest per interrupt, as the ratio irqfd/relay: the CPU
 * clocks of the VMM's own threads (the waiting main thread, and the relay thread on the
 * relay path; the device is another process); and the VMM's userspace exits and wakeups
 * per interrupt on the irqfd path: vCPU exits to userspace (KVM_RUN returns, counted by
 * wrapping ioctl) plus relay wakeups. vCPU threads' own userspace time is not in the CPU
 * figure: it is what the exit counts (printed for both paths) measure.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "route/irqfd.h"
#include "route/kvm_ops.h"
#include "route/table.h"
#include "vmm/console.h"
#include "vmm/vm.h"

#define ACK_PORT 0x510
#define VECTOR 0x41
#define STEP_MS 120000

/* Every ioctl of this program and its libraries passes here (-Wl,--wrap=ioctl). */
int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);
static atomic_ulong kvm_runs;

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == KVM_RUN)
		atomic_fetch_add(&kvm_runs, 1);
	return __real_ioctl(fd, req, arg);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) < 0)
		return 0;
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The device: after each ack, raise the next interrupt; after n acks, report the time. */
static void device(int ack_fd, int irq_fd, int report_fd, unsigned n)
{
	uint64_t v, one = 1;
	double t;

	for (unsigned acks = 0; acks < n;) {
		struct pollfd p = { .fd = ack_fd, .events = POLLIN };

		if (poll(&p, 1, STEP_MS) != 1)
			_exit(1);
		if (read(ack_fd, &v, sizeof(v)) != sizeof(v))
			continue;
		acks += (unsigned)v;
		if (acks < n && write(irq_fd, &one, sizeof(one)) != sizeof(one))
			_exit(1);
	}
	t = now();
	if (write(report_fd, &t, sizeof(t)) != sizeof(t))
		_exit(1);
	_exit(0);
}

struct relay {
	struct pt_route_table *tab;
	struct pt_msi_msg msg;
	int irq_fd, quit_fd;
	unsigned long wakeups;
};

static void *relay_main(void *opaque)
{
	struct relay *r = opaque;
	struct pollfd p[2] = { { .fd = r->irq_fd, .events = POLLIN },
			       { .fd = r->quit_fd, .events = POLLIN } };
	uint64_t v;

	for (;;) {
		if (poll(p, 2, -1) < 0)
			continue;
		r->wakeups++;
		if (p[1].revents)
			return NULL;
		if (read(r->irq_fd, &v, sizeof(v)) == sizeof(v))
			pt_route_signal_msi(r->tab, &r->msg);
	}
}

struct result {
	double seconds, vmm_cpu;
	unsigned long exits, wakeups;
};

static int run_path(bool use_irqfd, unsigned n, struct result *res)
{
	struct pt_console_lines con;
	struct pt_vm_opts o = {
		.name = use_irqfd ? "irqfd" : "relay", .memory = 64ULL << 20, .vcpus = 1,
		.irqchip = PT_IRQCHIP_KERNEL,
		.console_out = pt_console_lines_out, .console_ctx = &con,
	};
	struct relay relay = { .wakeups = 0 };
	struct pt_route_table *tab = NULL;
	struct pt_vm *vm = NULL;
	struct pt_vm_exit ex;
	pthread_t relay_thread;
	bool relay_started = false;
	int ack_fd, irq_fd, quit_fd, report[2], gsi, r = -1;
	pid_t child = -1;
	char cmdline[256], *line;
	double t0, t1, cpu0, relay0 = 0;
	clockid_t relay_clock = CLOCK_THREAD_CPUTIME_ID;
	unsigned long runs0;
	uint64_t one = 1;

	pt_console_lines_init(&con, -1);
	ack_fd = eventfd(0, EFD_CLOEXEC);
	irq_fd = eventfd(0, EFD_CLOEXEC);
	quit_fd = eventfd(0, EFD_CLOEXEC);
	if (ack_fd < 0 || irq_fd < 0 || quit_fd < 0 || pipe(report) < 0)
		goto out;
	/* The device is its own process (forked before any VMM thread exists). */
	child = fork();
	if (child == 0)
		device(ack_fd, irq_fd, report[1], n);
	if (child < 0)
		goto out;

	snprintf(cmdline, sizeof(cmdline), "scenario=irq-wait vectors=0x%x print=summary "
		 "ack_port=0x%x expect=%u wait_ms=%d", VECTOR, ACK_PORT, n, STEP_MS);
	if (pt_vm_create(&o, &vm) < 0 ||
	    !(tab = *pt_vm_routes(vm)))
		goto out;
	{
		struct kvm_ioeventfd io = {
			.addr = ACK_PORT, .len = 1, .fd = ack_fd, .flags = KVM_IOEVENTFD_FLAG_PIO,
		};

		if (ioctl(pt_vm_fd(vm), KVM_IOEVENTFD, &io) < 0) {
			fprintf(stderr, "bench-irqfd-relay: KVM_IOEVENTFD: %s\n", strerror(errno));
			goto out;
		}
	}
	relay = (struct relay){ .tab = tab, .msg = pt_msi_compose(0, VECTOR), .irq_fd = irq_fd,
				.quit_fd = quit_fd };
	if (use_irqfd) {
		if (pt_route_msi_add(tab, "bench-device", 0, PT_VECTOR_LIVE, &relay.msg, &gsi) < 0 ||
		    pt_route_irqfd_assign(tab, (unsigned)gsi, irq_fd, -1) < 0)
			goto out;
	} else {
		if (pthread_create(&relay_thread, NULL, relay_main, &relay))
			goto out;
		relay_started = true;
		if (pthread_getcpuclockid(relay_thread, &relay_clock))
			goto out;
	}
	if (pt_vm_load_multiboot(vm, TEST_GUEST, cmdline) < 0 || pt_vm_start(vm) < 0)
		goto out;
	line = pt_console_lines_wait(&con, "TG ready", NULL, STEP_MS);
	if (!line) {
		fprintf(stderr, "bench-irqfd-relay: the guest did not get ready\n");
		goto out;
	}
	free(line);

	cpu0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
	if (relay_started)
		relay0 = cpu_seconds(relay_clock);
	runs0 = atomic_load(&kvm_runs);
	relay.wakeups = 0;
	t0 = now();
	if (write(irq_fd, &one, sizeof(one)) != sizeof(one))
		goto out;
	if (read(report[0], &t1, sizeof(t1)) != sizeof(t1)) {
		fprintf(stderr, "bench-irqfd-relay: the device stopped early\n");
		goto out;
	}
	res->vmm_cpu = cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	if (relay_started)
		res->vmm_cpu += cpu_seconds(relay_clock) - relay0;
	res->exits = atomic_load(&kvm_runs) - runs0;
	res->wakeups = relay.wakeups;
	res->seconds = t1 - t0;
	line = pt_console_lines_wait(&con, "TG result scenario=irq-wait status=PASS", NULL, STEP_MS);
	if (!line) {
		char *all = pt_console_lines_text(&con);

		fprintf(stderr, "bench-irqfd-relay: irq-wait did not pass:\n%s\n", all);
		free(all);
		goto out;
	}
	free(line);
	r = 0;
out:
	if (vm) {
		pt_vm_stop(vm);
		pt_vm_wait(vm, STEP_MS, &ex);
	}
	if (relay_started) {
		if (write(quit_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(relay_thread, NULL);
	}
	pt_vm_destroy(vm);
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	close(ack_fd);
	close(irq_fd);
	close(quit_fd);
	close(report[0]);
	close(report[1]);
	pt_console_lines_destroy(&con);
	return r;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 10000;
	struct result irqfd, relay;
	double cpu_irqfd, cpu_relay;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		fprintf(stderr, "bench-irqfd-relay: no usable /dev/kvm\n");
		return 1;
	}
	if (run_path(true, n, &irqfd) < 0 || run_path(false, n, &relay) < 0)
		return 1;
	cpu_irqfd = irqfd.vmm_cpu / n;
	cpu_relay = relay.vmm_cpu / n;
	printf("irqfd_interrupts: %u\n", n);
	printf("irqfd_rate_per_second: %.0f\n", n / irqfd.seconds);
	printf("relay_rate_per_second: %.0f\n", n / relay.seconds);
	printf("irqfd_vs_relay_rate: %.3f\n", relay.seconds / irqfd.seconds);
	printf("irqfd_vmm_cpu_us_per_interrupt: %.3f\n", cpu_irqfd * 1e6);
	printf("relay_vmm_cpu_us_per_interrupt: %.3f\n", cpu_relay * 1e6);
	if (cpu_relay > 0)
		printf("irqfd_vs_relay_vmm_cpu: %.4f\n", cpu_irqfd / cpu_relay);
	else
		printf("irqfd_vs_relay_vmm_cpu: n/a (no VMM CPU time measured on the relay path)\n");
	printf("relay_wakeups_per_interrupt: %.3f\n", (double)relay.wakeups / n);
	printf("relay_exits_per_interrupt: %.3f\n", (double)relay.exits / n);
	printf("irqfd_exits_per_interrupt: %.3f\n", (double)(irqfd.exits + irqfd.wakeups) / n);
	return 0;
}
