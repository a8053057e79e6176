/*
 * A file that is also a lock, for pidfiles and the device state locks: its holder
 * keeps flock(LOCK_EX) on it and has written who it is into it, so a reader tells
 * a live holder from a stale file without trusting what the file says.
 */
#ifndef PT_COMMON_LOCKFILE_H
#define PT_COMMON_LOCKFILE_H

/*
 * Creates path (with its parent directories), takes its lock and writes text into
 * it. Returns the fd to keep, or -EBUSY when another process holds it (then, if
 * ret_busy_fd is not NULL, an fd open on the held file for reading who holds it,
 * which the caller closes), or another -errno.
 */
int pt_lockfile_acquire(const char *path, const char *text, int *ret_busy_fd);

/*
 * Removes the file and drops the lock. fd < 0 is fine. 0, or the unlink's -errno (the
 * lock is dropped all the same; the file stays, held by nobody).
 */
int pt_lockfile_release(const char *path, int fd);

#endif
