/* Condition variables whose timed waits run on CLOCK_MONOTONIC, so a wall-clock
 * step cannot stretch or cut a timeout. */
#ifndef PT_VMM_COND_H
#define PT_VMM_COND_H

#include <pthread.h>
#include <time.h>

static inline void pt_cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &a);
	pthread_condattr_destroy(&a);
}

#endif
