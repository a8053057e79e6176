/*
 * Aligned columns for people, as lspci and lsblk print them: a header line, one line
 * per row with every column but the last padded to its widest cell, and optional
 * free-form note lines under a row (not part of the alignment).
 */
#ifndef PT_CTL_TABLE_H
#define PT_CTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct pt_table;

struct pt_table *pt_table_new(size_t ncols, const char *const *headers);

/* Appends a row of ncols cells (copied; NULL prints as "-"). 0 or -ENOMEM. */
int pt_table_row(struct pt_table *t, const char *const *cells);

/* Appends a note line under the last row, indented. 0 or -ENOMEM. */
int pt_table_note(struct pt_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void pt_table_print(const struct pt_table *t, FILE *out);

void pt_table_free(struct pt_table *t);

#endif
