/*
 * The text edits behind config/vm_edit.h: a file's bytes cut into lines, each line
 * read as the parser (reader.c) reads it, and one section added or taken out. The
 * rest of the text is copied byte for byte.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "config/parser.h"
#include "config/vm_edit_text.h"

#define BOM "\xef\xbb\xbf"

enum line_kind {
	LINE_BLANK,
	LINE_COMMENT,
	LINE_HEADER,  /* any line the parser reads as a section header */
	LINE_OTHER,   /* a key, or something the parser refuses */
};

struct line {
	size_t off;   /* where it starts in the text */
	enum line_kind kind;
	bool match;   /* the header of the section of the device looked for */
};

struct lines {
	struct line *v;
	size_t n;
};

/* For "[device ADDR] ..." (trimmed, comment cut): ADDR is bdf in some spelling. */
static bool header_names(char *s, const struct pt_bdf *bdf)
{
	char *end = strchr(s, ']');
	struct pt_bdf got;

	if (!end)
		return false;
	*end = '\0';
	s = pt_config_trim(s + 1);
	if (strncmp(s, "device", 6) || !isspace((unsigned char)s[6]))
		return false;
	s += 6;
	while (isspace((unsigned char)*s))
		s++;
	return pt_bdf_parse(s, &got, NULL) == 0 && pt_bdf_equal(&got, bdf);
}

/* What the parser (reader.c) makes of the line s[0..len), line end included. */
static int classify(const char *s, size_t len, bool first, const struct pt_bdf *bdf,
		    struct line *l)
{
	_cleanup_free_ char *copy = NULL;
	char *t;

	if (first && len >= 3 && !memcmp(s, BOM, 3)) {
		s += 3;
		len -= 3;
	}
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	l->kind = LINE_OTHER;
	l->match = false;
	if (!len) {
		l->kind = LINE_BLANK;
		return 0;
	}
	if (*s == '#' || *s == ';') {
		l->kind = LINE_COMMENT;
		return 0;
	}
	if (*s != '[' || memchr(s, '\0', len))
		return 0; /* the parser blanks a line with a NUL, and refuses the file */
	copy = strndup(s, len);
	if (!copy)
		return -ENOMEM;
	pt_config_strip_comment(copy);
	t = pt_config_trim(copy);
	if (strlen(t) > PT_CONFIG_LINE_MAX)
		return 0; /* too long: the parser skips it */
	l->kind = LINE_HEADER;
	l->match = header_names(t, bdf);
	return 0;
}

static int lines_split(const char *text, size_t len, const struct pt_bdf *bdf,
		       struct lines *ret)
{
	struct lines ls = { 0 };
	size_t cap = 0, off = 0;
	int r;

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - text) + 1 : len;

		if (ls.n == cap) {
			struct line *v;

			cap = cap ? 2 * cap : 64;
			v = realloc(ls.v, cap * sizeof(*v));
			if (!v) {
				free(ls.v);
				return -ENOMEM;
			}
			ls.v = v;
		}
		ls.v[ls.n].off = off;
		r = classify(text + off, end - off, off == 0, bdf, &ls.v[ls.n]);
		if (r < 0) {
			free(ls.v);
			return r;
		}
		ls.n++;
		off = end;
	}
	*ret = ls;
	return 0;
}

static bool kind_is(const struct lines *ls, size_t i, enum line_kind k)
{
	return ls->v[i].kind == k;
}

static bool is_note(const struct lines *ls, size_t i)
{
	return kind_is(ls, i, LINE_COMMENT) || kind_is(ls, i, LINE_BLANK);
}

/*
 * The lines [*ret_from, *ret_to) that the section headed at line h owns, by the
 * rule of vm_edit.h.
 */
static void section_span(const struct lines *ls, size_t h, size_t *ret_from, size_t *ret_to)
{
	size_t start = h, next = h + 1, end, touching, before, after;

	/* The comment lines on top of it. */
	while (start > 0 && kind_is(ls, start - 1, LINE_COMMENT))
		start--;
	/* Its body; then the comment and blank lines before what follows. */
	while (next < ls->n && !kind_is(ls, next, LINE_HEADER))
		next++;
	end = next;
	while (end > h + 1 && is_note(ls, end - 1))
		end--;
	/*
	 * Of those, the comment lines that touch its body are its own if a blank line
	 * or the end of the file follows them, not the next header.
	 */
	for (touching = end; touching < next && kind_is(ls, touching, LINE_COMMENT); touching++)
		;
	if (touching < next || next == ls->n)
		end = touching;
	/* One separator stays of the blank lines around it. */
	before = start;
	while (before > 0 && kind_is(ls, before - 1, LINE_BLANK))
		before--;
	after = end;
	while (after < next && kind_is(ls, after, LINE_BLANK))
		after++;

	if (after == ls->n) {
		/* Nothing kept after it: the blank lines before it go. */
		*ret_from = before;
		*ret_to = end;
	} else if (before < start || start == 0) {
		/* Set apart (or at the top): the blank lines after it go. */
		*ret_from = start;
		*ret_to = after;
	} else {
		*ret_from = start;
		*ret_to = end;
	}
}

/* The line end to write: the one the file's last line end is. */
static const char *line_end(const char *text, size_t len)
{
	const char *nl = len ? memrchr(text, '\n', len) : NULL;

	return nl && nl > text && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* The last line of text[0..len) (len > 0) holds only blanks. */
static bool last_line_blank(const char *text, size_t len)
{
	if (text[len - 1] == '\n')
		len--;
	while (len && text[len - 1] != '\n') {
		if (!isspace((unsigned char)text[len - 1]))
			return false;
		len--;
	}
	return true;
}

int pt_vm_text_add_device(const char *path, const char *text, size_t len,
			  const struct pt_bdf *bdf, int guest_slot, char **ret, size_t *ret_len,
			  struct pt_config_errors *errs)
{
	const char *eol = line_end(text, len);
	char canon[PT_BDF_STRLEN];
	struct lines ls;
	char *out = NULL;
	size_t out_len = 0;
	FILE *f;
	int r;

	pt_bdf_format(bdf, canon);
	r = lines_split(text, len, bdf, &ls);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ls.n; i++) {
		if (ls.v[i].match) {
			free(ls.v);
			if (pt_config_error_add(errs, path, (unsigned)(i + 1), "[device %s] is "
						"already in this definition", canon) < 0)
				return -ENOMEM;
			return -EEXIST;
		}
	}
	free(ls.v);

	f = open_memstream(&out, &out_len);
	if (!f)
		return -ENOMEM;
	fwrite(text, 1, len, f);
	if (len && text[len - 1] != '\n')
		fputs(eol, f);
	if (len && !last_line_blank(text, len))
		fputs(eol, f);
	fprintf(f, "[device %s]%s", canon, eol);
	if (guest_slot >= 0)
		fprintf(f, "guest-slot = %d%s", guest_slot, eol);
	if (ferror(f) | fclose(f)) {
		free(out);
		return -ENOMEM;
	}
	*ret = out;
	*ret_len = out_len;
	return 0;
}

/* Removes the first section for bdf from text[0..*len). 1 if it did, 0 if none. */
static int text_remove_one(char *text, size_t *len, const struct pt_bdf *bdf)
{
	struct lines ls;
	size_t h, from, to, cut_from, cut_to;
	int r;

	r = lines_split(text, *len, bdf, &ls);
	if (r < 0)
		return r;
	for (h = 0; h < ls.n && !ls.v[h].match; h++)
		;
	if (h == ls.n) {
		free(ls.v);
		return 0;
	}
	section_span(&ls, h, &from, &to);
	cut_from = ls.v[from].off;
	cut_to = to < ls.n ? ls.v[to].off : *len;
	free(ls.v);
	if (cut_from == 0 && *len >= 3 && !memcmp(text, BOM, 3))
		cut_from = 3; /* the byte order mark belongs to the file */
	memmove(text + cut_from, text + cut_to, *len - cut_to);
	*len -= cut_to - cut_from;
	return 1;
}

int pt_vm_text_remove_device(const char *path, const char *text, size_t len,
			     const struct pt_bdf *bdf, char **ret, size_t *ret_len,
			     struct pt_config_errors *errs)
{
	char canon[PT_BDF_STRLEN];
	char *out = malloc(len + 1);
	bool found = false;
	int r;

	if (!out)
		return -ENOMEM;
	memcpy(out, text, len);
	while ((r = text_remove_one(out, &len, bdf)) > 0)
		found = true;
	if (r < 0 || !found) {
		free(out);
		if (r < 0)
			return r;
		if (pt_config_error_add(errs, path, 0, "no [device %s] in this definition: "
					"nothing to remove", pt_bdf_format(bdf, canon)) < 0)
			return -ENOMEM;
		return -ESRCH;
	}
	*ret = out;
	*ret_len = len;
	return 0;
}
