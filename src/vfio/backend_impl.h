/* Inside the VFIO backend (src/vfio/backend.c, irq_state.c): not for other folders. */
#ifndef PT_VFIO_BACKEND_IMPL_H
#define PT_VFIO_BACKEND_IMPL_H

#include <stdbool.h>

#include "assign/backend.h"
#include "vfio/backend.h"
#include "vfio/container.h"
#include "vfio/device.h"
#include "vfio/irq.h"
#include "vfio/vm_share.h"

/* The interrupt mode in force, and the eventfds and GSIs it holds. */
struct pt_vfio_irq_state {
	enum pt_assign_irq_kind kind;
	unsigned intx_gsi;
	int intx_fd, resample_fd;        /* INTx: trigger (an irqfd) and unmask (its resamplefd) */
	unsigned nvec;                   /* MSI, MSI-X */
	struct pt_assign_vector *vec;    /* as the guest left them */
	int *gsi;                        /* per vector: its route's GSI, or -1 */
	int *fd;                         /* per vector: its trigger eventfd (an irqfd), or -1 */
	bool *on;                        /* per vector: VFIO has fd[i] as its trigger */
	unsigned enabled;                /* vectors VFIO enabled the index with (0: off) */
	struct pt_vfio_irq_stats stats;  /* kept across modes */
};

struct pt_vfio_assign {
	struct pt_assign_dev base;       /* first: backend.h's handle */
	struct pt_assign_env env;        /* lent by the VMM */
	int group_fd, group_id;          /* the handed-over group: ours after open */
	bool group_fd_borrowed;          /* a failed open: the fd stays the caller's */
	bool in_container, in_kvm;       /* this function put its group there */
	bool group_shared;               /* another function of the VM had put it there */
	bool member;                     /* in the share's list of the VM's devices */
	void **share_slot;               /* env->vm_state, else own_share */
	void *own_share;
	struct pt_vfio_vm_share *share;  /* the VM's container and KVM-VFIO device */
	struct pt_vfio_device *dev;
	void *maps[PT_ASSIGN_REGION_BARS];
	int request_fd;                  /* the REQ interrupt's eventfd, or -1 */
	int error_fd;                    /* the ERR interrupt's eventfd, or -1 */
	struct pt_vfio_irq_state irq;
};

void pt_vfio_irqs_init(struct pt_vfio_assign *v);
/* backend.h's irq_set for VFIO. */
int pt_vfio_irq_set(struct pt_assign_dev *d, const struct pt_assign_irqs *irqs);
/* Interrupts off: the device stops injecting, then its routes and eventfds go. */
void pt_vfio_irqs_off(struct pt_vfio_assign *v);

/* backend.h's reset for VFIO (reset.c). */
int pt_vfio_reset(struct pt_assign_dev *d, struct pt_assign_reset *ret);

#endif
