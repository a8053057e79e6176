/* Exit statuses shared by every passthru program (documented in passthru-ctl(8)). */
#ifndef PT_COMMON_EXIT_STATUS_H
#define PT_COMMON_EXIT_STATUS_H

enum pt_exit_status {
	PT_EXIT_OK = 0,          /* done */
	PT_EXIT_FAILURE = 1,     /* the operation was tried and failed */
	PT_EXIT_USAGE = 2,       /* bad command line or bad input (config file, BDF) */
	PT_EXIT_UNSUPPORTED = 3, /* the host lacks what is needed (KVM, IOMMU, VFIO) */
	PT_EXIT_REFUSED = 4,     /* refused for safety: device not assignable, in use */
	PT_EXIT_NOT_FOUND = 5,   /* no such device, VM or running VMM */
	PT_EXIT_BACKEND_GONE = 6, /* backend = legacy on a kernel without KVM_ASSIGN_* (Linux >= 4.12) */
};

#endif
