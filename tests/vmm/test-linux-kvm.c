/*
 * Linux boots under passthru-vmm: Debian's kernel (the testbed's, or
 * $PASSTHRU_LINUX_KERNEL) with an initramfs made here around the static busybox.
 * Its init reports CPUs, memory, interrupts and the PCI bus on ttyS0, then ends
 * the VM through the debug-exit port. Needs /dev/kvm and a kernel: it runs in
 * the testbed (about 25 s there), and skips elsewhere.
 */
#include "config.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define VMM_PROC_TIMEOUT_S 200
#include "kvm-common.h"
#include "vmm-proc.h"

static const char init_script[] =
	"#!/bin/busybox sh\n"
	"/bin/busybox --install -s /bin\n"
	"mount -t proc proc /proc\n"
	"mount -t sysfs sysfs /sys\n"
	"mount -t devtmpfs devtmpfs /dev\n"
	"echo \"PTLINUX init: kernel $(uname -r)\"\n"
	"echo \"PTLINUX cpus: $(grep -c ^processor /proc/cpuinfo)\"\n"
	"echo \"PTLINUX memtotal_kb: $(sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo)\"\n"
	"echo \"PTLINUX serial_irq: $(sed -n 's/^ *\\([0-9]*\\):.*IO-APIC.*ttyS0.*/\\1/p' /proc/interrupts)\"\n"
	"echo \"PTLINUX pci: $(ls /sys/bus/pci/devices | tr '\\n' ' ')\"\n"
	"echo \"PTLINUX done\"\n"
	/* The lines may still sit in the serial driver's buffer: setting the terminal's
	 * modes (tcsetattr TCSADRAIN) returns once they are sent. */
	"stty -F /dev/console $(stty -F /dev/console -g)\n"
	/* Without ACPI the kernel's poweroff only halts: end through the debug-exit port. */
	"printf '\\000' | dd of=/dev/port bs=1 seek=1281 count=1 2>/dev/null\n"
	"poweroff -f\n";

static void cpio_entry(FILE *f, const char *name, unsigned mode, unsigned rmaj, unsigned rmin,
		       const void *data, size_t size)
{
	static unsigned ino = 1;
	size_t nlen = strlen(name) + 1;
	static const char zeros[4];

	fprintf(f, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", ino++, mode,
		0u, 0u, 1u, 0u, size, 0u, 0u, rmaj, rmin, nlen, 0u);
	fwrite(name, 1, nlen, f);
	fwrite(zeros, 1, (4 - (110 + nlen) % 4) % 4, f);
	if (size) {
		fwrite(data, 1, size, f);
		fwrite(zeros, 1, (4 - size % 4) % 4, f);
	}
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* A static ELF has no PT_INTERP. */
static bool is_static_elf(const uint8_t *p, size_t len)
{
	Elf64_Ehdr eh;

	if (len < sizeof(eh) || memcmp(p, ELFMAG, SELFMAG) || p[EI_CLASS] != ELFCLASS64)
		return false;
	memcpy(&eh, p, sizeof(eh));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (eh.e_phoff + (i + 1) * sizeof(ph) > len)
			return false;
		memcpy(&ph, p + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_INTERP)
			return false;
	}
	return true;
}

static int make_initramfs(const char *path, const char *busybox)
{
	size_t len = 0;
	uint8_t *bb = slurp(busybox, &len);
	FILE *f;

	if (!bb || !is_static_elf(bb, len)) {
		free(bb);
		return -1;
	}
	f = fopen(path, "wb");
	if (!f) {
		free(bb);
		return -1;
	}
	cpio_entry(f, "bin", S_IFDIR | 0755, 0, 0, NULL, 0);
	cpio_entry(f, "dev", S_IFDIR | 0755, 0, 0, NULL, 0);
	cpio_entry(f, "dev/console", S_IFCHR | 0600, 5, 1, NULL, 0);
	cpio_entry(f, "proc", S_IFDIR | 0755, 0, 0, NULL, 0);
	cpio_entry(f, "sys", S_IFDIR | 0755, 0, 0, NULL, 0);
	cpio_entry(f, "bin/busybox", S_IFREG | 0755, 0, 0, bb, len);
	cpio_entry(f, "init", S_IFREG | 0755, 0, 0, init_script, sizeof(init_script) - 1);
	cpio_entry(f, "TRAILER!!!", 0, 0, 0, NULL, 0);
	free(bb);
	return fclose(f) == 0 ? 0 : -1;
}

static const char *find_kernel(char *buf, size_t size)
{
	const char *k = getenv("PASSTHRU_LINUX_KERNEL"), *mods = getenv("PASSTHRU_TESTBED_MODULES");

	if (k && *k)
		return k;
	if (mods && *mods) {
		/* The testbed's cache: VERSION/root holds the modules, VERSION/vmlinuz the kernel. */
		snprintf(buf, size, "%s/../vmlinuz", mods);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}

static long find_value(const char *out, const char *key)
{
	const char *p = strstr(out, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

int main(void)
{
	struct tap t = { 0 };
	char kbuf[4096], dir[] = "/tmp/pt-linux-XXXXXX", initrd[64];
	const char *kernel;
	struct result *r = calloc(1, sizeof(*r));
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		tap_skip_all("cannot open /dev/kvm (%s): it runs in the testbed", strerror(errno));
	close(fd);
	kernel = find_kernel(kbuf, sizeof(kbuf));
	if (!kernel)
		tap_skip_all("no Linux kernel: set PASSTHRU_LINUX_KERNEL (the testbed provides its own)");
	if (!mkdtemp(dir))
		tap_skip_all("mkdtemp failed");
	snprintf(initrd, sizeof(initrd), "%s/initrd.cpio", dir);
	if (make_initramfs(initrd, "/bin/busybox") < 0)
		tap_skip_all("no static /bin/busybox to build an initramfs (Debian package busybox-static)");
	tap_diag("kernel %s", kernel);
	{
		char *const argv[] = {
			"passthru-vmm", "--kernel", (char *)kernel, "--initrd", initrd,
			"--append", "console=ttyS0 panic=-1 quiet", "--memory", "256M",
			"--vcpus", "2", NULL,
		};

		run_vmm(argv, NULL, NULL, NULL, r);
	}
	tap_is_int(&t, r->status, 0, "Linux booted and ended through the debug-exit port");
	if (r->status != 0) {
		tap_diag("stderr: %s", r->err);
		tap_diag("console tail: %s", strlen(r->out) > 1500 ? r->out + strlen(r->out) - 1500 : r->out);
	}
	tap_ok(&t, strstr(r->out, "PTLINUX init: kernel") != NULL, "its init ran and printed on ttyS0");
	tap_is_int(&t, find_value(r->out, "PTLINUX cpus: "), 2, "it found 2 CPUs (MP table, SIPI)");
	tap_ok(&t, find_value(r->out, "PTLINUX memtotal_kb: ") > 150 * 1024,
	       "it sees most of 256 MiB (%ld KiB)", find_value(r->out, "PTLINUX memtotal_kb: "));
	tap_is_int(&t, find_value(r->out, "PTLINUX serial_irq: "), 4,
		   "ttyS0 is on IRQ 4 through the IOAPIC (interrupt-driven output works)");
	tap_ok(&t, strstr(r->out, "PTLINUX pci: 0000:00:00.0") != NULL, "it found the PCI host bridge");
	tap_ok(&t, strstr(r->out, "PTLINUX done") != NULL, "init ran to its end");
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			tap_diag("could not remove %s", dir);
	}
	free(r);
	return tap_done(&t);
}
