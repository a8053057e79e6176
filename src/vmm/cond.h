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

/* The monotonic time ms milliseconds from now, for pthread_cond_timedwait. */
static inline struct timespec pt_cond_deadline_ms(unsigned ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

#endif
