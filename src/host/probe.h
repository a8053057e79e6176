/* Internal to the readiness probes (host/readiness.h): one file per area. */
#ifndef PT_HOST_PROBE_H
#define PT_HOST_PROBE_H

#include "host/readiness.h"

/* Sets item `id` (result, evidence from fmt); value only when has_value. 0 or -ENOMEM. */
int pt_probe_set(struct pt_readiness *r, enum pt_check_id id, enum pt_check_result result,
		 bool has_value, long long value, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

int pt_probe_kvm(const char *sysroot, struct pt_readiness *r);
int pt_probe_iommu(const char *sysroot, struct pt_readiness *r);
int pt_probe_intr_remap(const char *sysroot, struct pt_readiness *r);
int pt_probe_vfio(const char *sysroot, struct pt_readiness *r);
int pt_probe_memlock(struct pt_readiness *r);

#endif
