#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/table.h"

struct line {
	bool note;
	char **cells; /* ncols cells, or one note */
};

struct pt_table {
	size_t ncols;
	size_t n, cap;
	struct line *lines;
	char **headers;
};

static void line_free(const struct pt_table *t, struct line *l)
{
	size_t n = l->note ? 1 : t->ncols;

	if (!l->cells)
		return;
	for (size_t i = 0; i < n; i++)
		free(l->cells[i]);
	free(l->cells);
}

void pt_table_free(struct pt_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		line_free(t, &t->lines[i]);
	free(t->lines);
	if (t->headers)
		for (size_t i = 0; i < t->ncols; i++)
			free(t->headers[i]);
	free(t->headers);
	free(t);
}

struct pt_table *pt_table_new(size_t ncols, const char *const *headers)
{
	struct pt_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	t->headers = calloc(ncols, sizeof(*t->headers));
	if (!t->headers) {
		free(t);
		return NULL;
	}
	for (size_t i = 0; i < ncols; i++) {
		t->headers[i] = strdup(headers[i]);
		if (!t->headers[i]) {
			pt_table_free(t);
			return NULL;
		}
	}
	return t;
}

static struct line *next_line(struct pt_table *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct line *l = reallocarray(t->lines, cap, sizeof(*l));

		if (!l)
			return NULL;
		t->lines = l;
		t->cap = cap;
	}
	t->lines[t->n] = (struct line){ 0 };
	return &t->lines[t->n];
}

int pt_table_row(struct pt_table *t, const char *const *cells)
{
	struct line *l = next_line(t);

	if (!l)
		return -ENOMEM;
	l->cells = calloc(t->ncols, sizeof(*l->cells));
	if (!l->cells)
		return -ENOMEM;
	t->n++;
	for (size_t i = 0; i < t->ncols; i++) {
		l->cells[i] = strdup(cells[i] ? cells[i] : "-");
		if (!l->cells[i])
			return -ENOMEM;
	}
	return 0;
}

int pt_table_note(struct pt_table *t, const char *fmt, ...)
{
	struct line *l = next_line(t);
	va_list ap;
	int r;

	if (!l)
		return -ENOMEM;
	l->note = true;
	l->cells = calloc(1, sizeof(*l->cells));
	if (!l->cells)
		return -ENOMEM;
	t->n++;
	va_start(ap, fmt);
	r = vasprintf(&l->cells[0], fmt, ap);
	va_end(ap);
	if (r < 0) {
		l->cells[0] = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void print_cells(const struct pt_table *t, char *const *cells, const size_t *width,
			FILE *out)
{
	for (size_t c = 0; c < t->ncols; c++) {
		if (c + 1 == t->ncols)
			fprintf(out, "%s\n", cells[c]);
		else
			fprintf(out, "%-*s  ", (int)width[c], cells[c]);
	}
}

void pt_table_print(const struct pt_table *t, FILE *out)
{
	size_t width[t->ncols];

	for (size_t c = 0; c < t->ncols; c++)
		width[c] = strlen(t->headers[c]);
	for (size_t i = 0; i < t->n; i++) {
		if (t->lines[i].note)
			continue;
		for (size_t c = 0; c < t->ncols; c++) {
			size_t w = strlen(t->lines[i].cells[c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	print_cells(t, t->headers, width, out);
	for (size_t i = 0; i < t->n; i++) {
		if (t->lines[i].note)
			fprintf(out, "    %s\n", t->lines[i].cells[0]);
		else
			print_cells(t, t->lines[i].cells, width, out);
	}
}
