/*
 * Which backend takes a device: backend = auto picks VFIO whenever VFIO can do the job,
 * legacy only when the kernel still offers it and VFIO cannot; backend = vfio / legacy
 * are taken at their word, or refused with the reason. Pure decisions over facts the
 * caller gathered (pt_assign_facts_legacy() for the kernel's side; VFIO's from
 * host/readiness.h), so passthru-ctl check, attach and start give the same answer.
 */
#ifndef PT_ASSIGN_SELECT_H
#define PT_ASSIGN_SELECT_H

#include <stdbool.h>

#include "assign/legacy.h"
#include "config/vm_def.h"

struct pt_assign_facts {
	int kvm_error;                /* 0, or -errno of opening /dev/kvm (legacy unknown) */
	struct pt_legacy_caps legacy; /* valid when kvm_error is 0 */
	bool vfio;                    /* VFIO can take this device on this host */
	const char *vfio_why;         /* the evidence, for either answer (may be NULL) */
};

#define PT_ASSIGN_REASON_MAX 1024

struct pt_assign_choice {
	bool usable;             /* false: the definition's backend cannot be used here */
	enum pt_backend backend; /* PT_BACKEND_VFIO or PT_BACKEND_LEGACY when usable */
	char reason[PT_ASSIGN_REASON_MAX]; /* one sentence, both answers */
};

/* Always decides: *ret says which backend and why, or why none. */
void pt_assign_select(enum pt_backend wanted, const struct pt_assign_facts *f,
		      struct pt_assign_choice *ret);

/*
 * The kernel side of the facts: probes sysroot/dev/kvm (NULL or "/": the real one).
 * Never fails: an unopenable /dev/kvm is recorded in kvm_error. vfio stays false.
 */
void pt_assign_facts_legacy(const char *sysroot, struct pt_assign_facts *ret);

/*
 * Refuses a definition before anything on the host changes: every device with
 * backend = legacy on a kernel that lacks it is reported as
 * "FILE:LINE: device BDF: backend = legacy cannot be used: ... use backend = vfio".
 * Returns 0 (nothing to refuse; auto and vfio devices are not judged here), -EOPNOTSUPP
 * (refused: PT_EXIT_BACKEND_GONE) or -ENODEV (no /dev/kvm to ask: PT_EXIT_UNSUPPORTED).
 */
int pt_assign_check_def(const struct pt_vm_def *def, const char *sysroot);

/* pt_assign_check_def() as the exit status every program gives it: PT_EXIT_OK (0),
 * PT_EXIT_BACKEND_GONE or PT_EXIT_UNSUPPORTED. */
int pt_assign_check_def_status(const struct pt_vm_def *def, const char *sysroot);

#endif
