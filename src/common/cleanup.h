/* Scope-bound cleanup, as systemd's _cleanup_: early returns do not leak. */
#ifndef PT_COMMON_CLEANUP_H
#define PT_COMMON_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void pt_freep(void *p) { free(*(void **)p); }
static inline void pt_closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void pt_fclosep(FILE **f) { if (*f) fclose(*f); }

#define _cleanup_free_ __attribute__((cleanup(pt_freep)))
#define _cleanup_close_ __attribute__((cleanup(pt_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(pt_fclosep)))

/* Hand ownership out of a cleanup variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })
#define TAKE_FD(fd) ({ int _t = (fd); (fd) = -1; _t; })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
