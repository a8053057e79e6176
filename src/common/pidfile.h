/*
 * A pidfile that is also a lock: its owner holds flock(LOCK_EX) on it for as long
 * as it runs, so a reader tells a live owner from a stale file left by a crash
 * without trusting the pid (which may have been reused).
 */
#ifndef PT_COMMON_PIDFILE_H
#define PT_COMMON_PIDFILE_H

#include <sys/types.h>

/*
 * Creates (with its parent directories) and locks path, and writes our pid to it.
 * Returns the open fd to keep, or -EBUSY when a live process holds it (its pid in
 * *ret_holder when known, else 0), or another -errno.
 */
int pt_pidfile_acquire(const char *path, pid_t *ret_holder);

/* Removes the file and drops the lock. fd < 0 is fine. */
void pt_pidfile_release(const char *path, int fd);

/*
 * 1 if a live process holds path (its pid in *ret_pid), 0 if nobody does (absent
 * or stale; *ret_pid is the recorded pid or 0), or -errno. A recorded pid that is
 * not a number above 1 reads as 0.
 */
int pt_pidfile_probe(const char *path, pid_t *ret_pid);

#endif
