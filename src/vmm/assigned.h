/*
 * Assigned devices in the VM: the platform's half of device assignment. The backend
 * (src/assign/backend.h: VFIO or legacy) owns the device; this glue gives it a PCI
 * function on the guest's bus, the guest's RAM for its DMA, its BARs as memory slots
 * (where the backend can mmap them) or trapped ranges forwarded to the backend, the
 * page(s) of the MSI-X table and PBA trapped in any case (the table is vconfig's,
 * the PBA read from the device), and its config space through src/assign/vconfig.
 *
 * The VM owns its assigned devices and releases them in pt_vm_destroy before the
 * routing table and the VM fd (the order assign/README.md asks for). Add devices
 * before the guest is loaded: the loaders write the MP table from the PCI functions
 * registered so far.
 */
#ifndef PT_VMM_ASSIGNED_H
#define PT_VMM_ASSIGNED_H

#include <jansson.h>

#include "assign/backend.h"
#include "vmm/rom.h"
#include "vmm/vm.h"

/*
 * Opens bdf with backend (handed_fd: what passthru-ctl opened for it, the VFIO group;
 * owned by the VM on success, still the caller's on failure), resets it (a reset
 * that fails or does not exist is logged, not fatal) and puts it on the guest's bus
 * at slot.function (slot 1-31 and function 0-7; slot -1: chosen as
 * config/guest_layout.h says, beside a host slot-mate the VM has, else at function
 * 0 of the lowest empty slot), with its expansion ROM as rom says (rom.h: the
 * device's own, a file's, or none; NULL: the device's). A host function 0 whose
 * header says it has more functions is multifunction at guest function 0 too.
 * Errors are logged and name the device; -EBUSY for a place in use, -ENXIO for a
 * function > 0 in a slot with no function 0, -ENOSPC for no room, the ROM file's
 * read error.
 */
int pt_vm_assign_device(struct pt_vm *vm, const struct pt_assign_backend *backend,
			const struct pt_bdf *bdf, int handed_fd, int slot, int function,
			const struct pt_vm_rom_choice *rom);

/*
 * Takes bdf out of the running or stopped VM: its function leaves the guest's bus
 * (BARs unmapped, no handler of it running any more), its interrupts go off, it is
 * reset (not when host_asks: the host is taking it back, a VFIO request), then the
 * backend releases it. -ENOENT if it is not assigned; -EBUSY (nothing done) if it
 * is function 0 of a guest slot with other functions, through which a guest finds
 * them, unless host_asks (then it goes, with a warning).
 */
int pt_vm_remove_device(struct pt_vm *vm, const struct pt_bdf *bdf, bool host_asks);

/*
 * The other devices in bdf's guest slot, "HOST (guest 00:SS.F), ..." into buf (size
 * bytes, cut short if need be): how many there are.
 */
size_t pt_vm_slot_mates(struct pt_vm *vm, const struct pt_bdf *bdf, char *buf, size_t size);

/*
 * The assigned devices for the control socket: [{guest, guest_slot, guest_function,
 * multifunction, host, backend, vendor, device, gsi, irq, bars, rom, reset,
 * [reset_detail], [reset_error], [msix]}, ...] (multifunction: the header type's bit
 * 7 as the guest reads it);
 * each BAR "mapped", "trapped", "partly-trapped" (with its pieces) or "off"; rom
 * {source, size, [address]} (rom.h); reset the method the device was reset with at
 * assignment (backend.h's names, or "none"). NULL only when out of memory.
 */
json_t *pt_vm_assigned_json(struct pt_vm *vm);

/*
 * Guest RAM mapped for every assigned device's DMA (VFIO maps it once a VM; later
 * calls find it mapped). The caller holds assign_lock. 0, or the first error with
 * the device's name in who.
 */
int pt_vm_assigned_map_ram(struct pt_vm *vm, char *who, size_t who_size);

/* Releases every assigned device (pt_vm_destroy calls it first). */
void pt_vm_release_devices(struct pt_vm *vm);

/* How many devices are assigned. */
unsigned pt_vm_assigned_count(const struct pt_vm *vm);

#endif
