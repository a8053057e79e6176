/*
 * Memory slots at KVM's limit (KVM_CAP_NR_MEMSLOTS), on a real VM: device mappings fill
 * every slot guest RAM leaves; one more is -ENOSPC with a message that names the limit,
 * and changes nothing: a slot freed is taken again, and the guest still reads the first
 * mapped page. Skips without /dev/kvm; the testbed runs it (KVM_TESTS).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "kvm-common.h"
#include "route/fake_ops.h" /* struct capture: what the VMM logged */
#include "tap.h"
#include "vmm/vm.h"

#define FIRST_GPA 0xd0000000ULL /* the page the mini guest's "R" reads */
#define MORE_GPA 0x100000000ULL /* above 4 GiB: this VM has no RAM there */
#define PAGE 4096

int main(void)
{
	struct pt_vm_opts o = { .name = "slots", .memory = 64ULL << 20, .vcpus = 1 };
	struct tap t = { 0 };
	struct pt_vm *vm = NULL;
	struct pt_vm_exit ex;
	struct capture c;
	uint32_t *page;
	unsigned slot, last = 0, mapped = 0;
	int max, r = 0;
	const char *log;
	char want[96];

	kvm_test_require();
	if (pt_vm_create(&o, &vm) < 0)
		tap_skip_all("no VM could be created here");
	max = ioctl(pt_vm_fd(vm), KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	tap_diag("KVM_CAP_NR_MEMSLOTS: %d", max);
	page = aligned_alloc(PAGE, PAGE);
	if (!page || max <= 2)
		return 99;
	page[0] = 0x5eedf00d;

	tap_is_int(&t, pt_vm_map_memory(vm, FIRST_GPA, PAGE, page, false, &slot), 0,
		   "a page at 0x%llx", FIRST_GPA);
	mapped = 1;
	/* One host page behind every slot: KVM allows aliases, and it costs no memory. */
	while ((r = pt_vm_map_memory(vm, MORE_GPA + (uint64_t)mapped * PAGE, PAGE, page, true,
				     &last)) == 0)
		mapped++;
	tap_is_int(&t, r, -ENOSPC, "slots run out with -ENOSPC");
	tap_is_int(&t, mapped, max - 2, "after %d mappings beside the 2 RAM slots", max - 2);

	capture_begin(&c);
	r = pt_vm_map_memory(vm, MORE_GPA + (uint64_t)(mapped + 1) * PAGE, PAGE, page, true, &slot);
	log = capture_end(&c);
	snprintf(want, sizeof(want), "all %d of KVM's slots are in use (KVM_CAP_NR_MEMSLOTS", max);
	tap_ok(&t, r == -ENOSPC && strstr(log, "slots: no memory slot left for 4096 bytes at 0x") &&
	       strstr(log, want), "one more: -ENOSPC, and the message names the limit");
	tap_is_int(&t, pt_vm_unmap_memory(vm, last), 0, "the last slot (%u) unmapped", last);
	r = pt_vm_map_memory(vm, MORE_GPA, PAGE, page, true, &slot);
	tap_ok(&t, r == 0 && slot == last, "... is taken by the next mapping (%d, slot %u)", r, slot);

	if (pt_vm_load_multiboot(vm, MINIGUEST, "R") == 0 && pt_vm_start(vm) == 0 &&
	    pt_vm_wait(vm, KVM_TEST_TIMEOUT_MS, &ex) == 0)
		tap_ok(&t, ex.kind == PT_VM_EXIT_DEBUG && ex.code == 0x5eedf00d,
		       "with every slot in use the guest still reads the first page (0x%x)", ex.code);
	else
		tap_ok(&t, 0, "with every slot in use the guest still reads the first page");
	pt_vm_destroy(vm);
	free(page);
	return tap_done(&t);
}
