/* probe-kvm: check that /dev/kvm works.  Used by the testbed selftest.
 *
 * Prints "api N" (KVM_GET_API_VERSION), then creates a VM with one vCPU that
 * runs three real-mode instructions (out 'K' to port 0x3f8; hlt) and prints
 * "vcpu ok" when both exits arrive as expected.
 * Exit status: 0 if the API version is 12 and the vCPU ran, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

static int fail(const char *what)
{
    fprintf(stderr, "probe-kvm: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    /* mov al, 'K'; mov dx, 0x3f8; out dx, al; hlt */
    static const uint8_t code[] = { 0xb0, 'K', 0xba, 0xf8, 0x03, 0xee, 0xf4 };
    const char *path = argc > 1 ? argv[1] : "/dev/kvm";
    struct kvm_userspace_memory_region region;
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    struct kvm_run *run;
    uint8_t *mem;
    int kvm, vm, vcpu, api, runsz;

    kvm = open(path, O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        return fail(path);
    api = ioctl(kvm, KVM_GET_API_VERSION, 0);
    if (api < 0)
        return fail("KVM_GET_API_VERSION");
    printf("api %d\n", api);
    if (api != KVM_API_VERSION)
        return 1;

    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        return fail("KVM_CREATE_VM");
    mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return fail("mmap");
    memcpy(mem + 0x1000, code, sizeof code);
    memset(&region, 0, sizeof region);
    region.memory_size = 0x10000;
    region.userspace_addr = (uintptr_t)mem;
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return fail("KVM_SET_USER_MEMORY_REGION");

    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        return fail("KVM_CREATE_VCPU");
    runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (runsz < 0)
        return fail("KVM_GET_VCPU_MMAP_SIZE");
    run = mmap(NULL, runsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        return fail("mmap kvm_run");

    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        return fail("KVM_GET_SREGS");
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        return fail("KVM_SET_SREGS");
    memset(&regs, 0, sizeof regs);
    regs.rip = 0x1000;
    regs.rflags = 0x2;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        return fail("KVM_SET_REGS");

    if (ioctl(vcpu, KVM_RUN, 0) < 0)
        return fail("KVM_RUN");
    if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0x3f8 ||
        run->io.direction != KVM_EXIT_IO_OUT ||
        *((uint8_t *)run + run->io.data_offset) != 'K') {
        fprintf(stderr, "probe-kvm: unexpected exit %u (wanted I/O to 0x3f8)\n",
                run->exit_reason);
        return 1;
    }
    if (ioctl(vcpu, KVM_RUN, 0) < 0)
        return fail("KVM_RUN");
    if (run->exit_reason != KVM_EXIT_HLT) {
        fprintf(stderr, "probe-kvm: unexpected exit %u (wanted HLT)\n",
                run->exit_reason);
        return 1;
    }
    printf("vcpu ok\n");
    return 0;
}
