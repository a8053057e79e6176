/* The VMM's helper threads take no signal: the main thread handles them (vcpu.c's
 * threads unblock only their kick signal themselves). */
#ifndef PT_VMM_THREAD_H
#define PT_VMM_THREAD_H

#include <pthread.h>
#include <signal.h>

/* pthread_create with every signal blocked in the new thread: 0 or an errno value. */
static inline int pt_vmm_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

#endif
