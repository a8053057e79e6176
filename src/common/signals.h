/* The signals that ask a foreground program to stop, as a file descriptor to poll. */
#ifndef PT_COMMON_SIGNALS_H
#define PT_COMMON_SIGNALS_H

/*
 * Blocks SIGINT, SIGTERM and SIGHUP (threads created afterwards inherit the mask),
 * ignores SIGPIPE, and returns a signalfd that reports the three, or -errno.
 */
int pt_stop_signalfd(void);

#endif
