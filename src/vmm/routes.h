/* The control socket's view of the VM's GSI routing table (filled in by src/route). */
#ifndef PT_VMM_ROUTES_H
#define PT_VMM_ROUTES_H

#include <jansson.h>

struct pt_vm;

/* A new JSON array describing every route; NULL only on allocation failure. */
json_t *pt_vm_routes_json(struct pt_vm *vm);

#endif
