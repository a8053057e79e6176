#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/cond.h"
#include "vmm/console.h"

void pt_console_fd_out(void *ctx, const uint8_t *buf, size_t n)
{
	int fd = *(int *)ctx;

	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the console is gone: the guest's output is dropped */
		buf += w;
		n -= (size_t)w;
	}
}

void pt_console_lines_init(struct pt_console_lines *c, int tee_fd)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	pt_cond_init_monotonic(&c->cond);
	c->tee_fd = tee_fd;
}

void pt_console_lines_destroy(struct pt_console_lines *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->lines[i]);
	free(c->lines);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
}

static void end_line(struct pt_console_lines *c)
{
	char *line;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char **l = realloc(c->lines, cap * sizeof(*l));

		if (!l)
			return;
		c->lines = l;
		c->cap = cap;
	}
	line = strndup(c->partial, c->partial_len);
	if (!line)
		return;
	c->lines[c->n++] = line;
	c->partial_len = 0;
	pthread_cond_broadcast(&c->cond);
}

void pt_console_lines_out(void *ctx, const uint8_t *buf, size_t n)
{
	struct pt_console_lines *c = ctx;

	if (c->tee_fd >= 0)
		pt_console_fd_out(&c->tee_fd, buf, n);
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			end_line(c);
		} else if (buf[i] != '\r') {
			if (c->partial_len == sizeof(c->partial) - 1)
				end_line(c);
			c->partial[c->partial_len++] = (char)buf[i];
		}
	}
	pthread_mutex_unlock(&c->lock);
}

char *pt_console_lines_wait(struct pt_console_lines *c, const char *prefix, size_t *from,
			    int timeout_ms)
{
	struct timespec deadline = pt_cond_deadline_ms(timeout_ms > 0 ? (unsigned)timeout_ms : 0);
	size_t plen = strlen(prefix), i = from ? *from : 0;
	char *found = NULL;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		for (; i < c->n; i++) {
			if (!strncmp(c->lines[i], prefix, plen)) {
				found = strdup(c->lines[i]);
				i++;
				goto out;
			}
		}
		if (pthread_cond_timedwait(&c->cond, &c->lock, &deadline))
			break;
	}
out:
	pthread_mutex_unlock(&c->lock);
	if (found && from)
		*from = i;
	return found;
}

char *pt_console_lines_text(struct pt_console_lines *c)
{
	size_t len = 1;
	char *s, *p;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n; i++)
		len += strlen(c->lines[i]) + 1;
	len += c->partial_len;
	s = p = malloc(len);
	if (s) {
		for (size_t i = 0; i < c->n; i++) {
			size_t l = strlen(c->lines[i]);

			memcpy(p, c->lines[i], l);
			p += l;
			*p++ = '\n';
		}
		memcpy(p, c->partial, c->partial_len);
		p[c->partial_len] = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return s;
}
