/* Names for what KVM_RUN reports, so that every exit can be reported by name. */
#ifndef PT_VMM_EXIT_NAMES_H
#define PT_VMM_EXIT_NAMES_H

#include <stdint.h>

/* "KVM_EXIT_IO", ...; NULL for a number <linux/kvm.h> does not define. */
const char *pt_kvm_exit_name(uint32_t reason);

/* "KVM_INTERNAL_ERROR_EMULATION", ...; NULL if unknown. */
const char *pt_kvm_internal_error_name(uint32_t suberror);
/* A phrase saying what the suberror means: "the instruction emulator failed". */
const char *pt_kvm_internal_error_desc(uint32_t suberror);

/* "KVM_SYSTEM_EVENT_SHUTDOWN", ...; NULL if unknown. */
const char *pt_kvm_system_event_name(uint32_t type);

#endif
