/*
 * Where the guest's serial output goes. A pt_console_lines collects it as lines
 * so that a test (or passthru-vmm itself) can wait for a given line.
 */
#ifndef PT_VMM_CONSOLE_H
#define PT_VMM_CONSOLE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct pt_console_lines {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char **lines;
	size_t n, cap;
	char partial[4096];
	size_t partial_len;
	int tee_fd;  /* also write every byte here (-1: don't) */
};

void pt_console_lines_init(struct pt_console_lines *c, int tee_fd);
void pt_console_lines_destroy(struct pt_console_lines *c);

/* A pt_console_out_fn: ctx is the struct pt_console_lines. */
void pt_console_lines_out(void *ctx, const uint8_t *buf, size_t n);

/*
 * Waits until a complete line starting with prefix has arrived (counting lines
 * from index *from on, which is advanced past the match). Returns a copy of the
 * line (free it), or NULL after timeout_ms.
 */
char *pt_console_lines_wait(struct pt_console_lines *c, const char *prefix, size_t *from,
			    int timeout_ms);

/* All output so far as one string, lines joined by '\n' (free it). */
char *pt_console_lines_text(struct pt_console_lines *c);

/* A pt_console_out_fn writing to a file descriptor (ctx: an int * to it). */
void pt_console_fd_out(void *ctx, const uint8_t *buf, size_t n);

#endif
