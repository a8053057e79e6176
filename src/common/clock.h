/* Milliseconds on the monotonic clock, for deadlines and polling loops. */
#ifndef PT_COMMON_CLOCK_H
#define PT_COMMON_CLOCK_H

#include <time.h>

static inline long long pt_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Microseconds on the monotonic clock, for timing a step. */
static inline long long pt_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif
