/* The assignable verdict: every reason a function cannot be given to a VM. */
#ifndef PT_HOST_VERDICT_H
#define PT_HOST_VERDICT_H

#include "host/inventory.h"

/*
 * Fills d->assigned_vm (from the state record), d->assignable and d->reasons from
 * what the inventory found. Returns 0 or -ENOMEM.
 */
int pt_verdict_compute(const char *sysroot, struct pt_pci_dev *d);

/*
 * Adds what depends on the other functions of inv, once every one has its record
 * read: group members assigned to a VM, multifunction siblings outside the group on
 * host drivers. Returns 0 or -ENOMEM.
 */
int pt_verdict_neighbours(const struct pt_inventory *inv, struct pt_pci_dev *d);

/*
 * The reasons of d's verdict as one line, "; " between them (malloc'ed; NULL in
 * *ret when it has none). 0 or -ENOMEM.
 */
int pt_verdict_reasons_text(const struct pt_pci_dev *d, char **ret);

#endif
