/* The VFIO backend of src/assign/backend.h (src/vfio/backend.c). */
#ifndef PT_VFIO_BACKEND_H
#define PT_VFIO_BACKEND_H

#include "assign/backend.h"

extern const struct pt_assign_backend pt_assign_vfio;

#endif
