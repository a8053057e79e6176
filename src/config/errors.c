/* Validation problems as "FILE:LINE: message", collected rather than printed at once. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "config/parser.h"
#include "config/vm_def.h"

static int error_addv(struct pt_config_errors *errs, const char *file, unsigned line,
		      const char *fmt, va_list ap)
{
	struct pt_config_error *items;
	char *f, *raw, *msg;

	items = realloc(errs->items, (errs->n + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	errs->items = items;
	if (vasprintf(&raw, fmt, ap) < 0)
		return -ENOMEM;
	/* Values are echoed: their control bytes must not reach a terminal as they are. */
	msg = pt_text_escape(raw, strlen(raw));
	free(raw);
	f = pt_text_escape(file, strlen(file));
	if (!f || !msg) {
		free(f);
		free(msg);
		return -ENOMEM;
	}
	items[errs->n++] = (struct pt_config_error){ .file = f, .line = line, .message = msg };
	return 0;
}

int pt_config_error_add(struct pt_config_errors *errs, const char *file, unsigned line,
			const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = error_addv(errs, file, line, fmt, ap);
	va_end(ap);
	return r;
}

void pt_parser_error(struct pt_config_parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	p->invalid = true;
	if (p->n_errors >= PT_CONFIG_ERRORS_MAX) {
		p->n_unlisted++;
		return;
	}
	p->n_errors++;
	va_start(ap, fmt);
	if (error_addv(p->errs, p->path, line, fmt, ap) < 0)
		p->err = -ENOMEM;
	va_end(ap);
}

void pt_config_errors_sort(struct pt_config_errors *errs, size_t from)
{
	/* Insertion sort: stable, and a file has a handful of errors. */
	for (size_t i = from + 1; i < errs->n; i++) {
		struct pt_config_error e = errs->items[i];
		size_t j = i;

		while (j > from && errs->items[j - 1].line > e.line) {
			errs->items[j] = errs->items[j - 1];
			j--;
		}
		errs->items[j] = e;
	}
}

void pt_config_errors_clear(struct pt_config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		free(errs->items[i].file);
		free(errs->items[i].message);
	}
	free(errs->items);
	errs->items = NULL;
	errs->n = 0;
}

void pt_config_errors_print(struct pt_config_errors *errs, void *stream)
{
	for (size_t i = 0; i < errs->n; i++)
		fprintf(stream, "%s:%u: %s\n", errs->items[i].file, errs->items[i].line,
			errs->items[i].message);
	pt_config_errors_clear(errs);
}
