/*
 * Feeds inih one line at a time. inih splits "KEY = VALUE", trims blanks and drops
 * ';' comments; this reader counts lines (the packaged inih passes no line number to
 * the handler), reads section headers itself (inih does not report a section with no
 * keys) and keeps from inih what it would misread or reject without saying where:
 * indented lines (continuation lines to inih) and "KEY: VALUE" (accepted by inih, not
 * by this format). inih's line buffer is fixed when it is built (200 bytes in Debian's);
 * a longer line, up to PT_CONFIG_LINE_MAX, is split into KEY and VALUE here the way
 * inih would, so a long cmdline fits.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <string.h>

#include "config/parser.h"

char *pt_config_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

/*
 * A '#' or ';' after a blank starts a comment (inih's rule for ';'). Stripped here,
 * so neither counts against the line limit.
 */
void pt_config_strip_comment(char *s)
{
	for (char *c = strpbrk(s, "#;"); c; c = strpbrk(c + 1, "#;")) {
		if (c > s && (c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			pt_config_trim(s);
			return;
		}
	}
}

static bool too_long(struct pt_config_parser *p, size_t len, size_t max)
{
	if (len <= max)
		return false;
	pt_parser_error(p, p->lineno, "line is too long (%zu characters): lines may have at most %zu",
			len, max);
	return true;
}

static void header(struct pt_config_parser *p, char *s)
{
	char *end = strchr(s, ']'), *rest;

	if (!end) {
		pt_parser_error(p, p->lineno, "section header has no closing ']': "
				"expected [vm] or [device DDDD:BB:DD.F]");
		p->section = PT_SECTION_SKIP;
		return;
	}
	*end = '\0';
	rest = pt_config_trim(end + 1);
	if (*rest && *rest != ';' && *rest != '#')
		pt_parser_error(p, p->lineno, "unexpected text after ']': "
				"a section header stands alone on its line");
	pt_parser_section(p, pt_config_trim(s + 1));
}

/* inih had the last line and did not call the handler: it found no KEY = VALUE there. */
static void check_passed(struct pt_config_parser *p)
{
	if (p->passed_line && !p->handled)
		pt_parser_error(p, p->passed_line,
				"expected KEY = VALUE, a [section] header or a comment");
	p->passed_line = 0;
}

/* Reads the next physical line; false at the end of the file or on an error. */
static bool next_line(struct pt_config_parser *p)
{
	ssize_t n;

	if (p->bytes_read >= PT_CONFIG_FILE_MAX) {
		/* It grew after it was checked (a regular file being written). */
		if (fgetc(p->f) != EOF)
			pt_parser_error(p, 0, "the file is too large: a VM definition may have "
					"at most %d bytes", PT_CONFIG_FILE_MAX);
		return false;
	}
	errno = 0;
	n = getline(&p->line, &p->line_cap, p->f);
	if (n >= 0) {
		p->bytes_read += (size_t)n;
		p->lineno++;
		if ((size_t)n != strlen(p->line)) {
			pt_parser_error(p, p->lineno,
					"line contains a NUL byte: expected a text file");
			p->line[0] = '\0';
		}
		return true;
	}
	if (ferror(p->f)) {
		int e = errno ? errno : EIO;

		pt_parser_error(p, p->lineno + 1, "cannot read the file: %s", strerror(e));
		if (!p->err)
			p->err = -e;
	} else if (errno == ENOMEM) {
		p->err = -ENOMEM;
	}
	return false;
}

/* A KEY = VALUE line too long for inih's buffer: split as inih would. */
static void long_line(struct pt_config_parser *p, char *s, char *sep)
{
	*sep = '\0';
	p->handled = true;
	if (!p->err)
		pt_config_key_set(p, pt_config_trim(s), pt_config_trim(sep + 1));
}

/* inih's ini_reader: returns the next KEY = VALUE line, without leading blanks. */
static char *reader(char *buf, int num, void *stream)
{
	struct pt_config_parser *p = stream;

	check_passed(p);
	while (!p->err && next_line(p)) {
		char *s = p->line, *sep;
		size_t len;

		if (p->lineno == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
			s += 3; /* a UTF-8 byte order mark */
		s = pt_config_trim(s);
		if (!*s || *s == '#' || *s == ';')
			continue;
		pt_config_strip_comment(s);
		len = strlen(s);
		if (too_long(p, len, PT_CONFIG_LINE_MAX))
			continue;
		if (*s == '[') {
			header(p, s);
			continue;
		}
		sep = strpbrk(s, "=:");
		if (sep && *sep == ':') {
			pt_parser_error(p, p->lineno, "expected KEY = VALUE: "
					"use '=' between the key and its value");
			continue;
		}
		if (num < 2 || len > (size_t)num - 2) {
			if (sep)
				long_line(p, s, sep);
			else
				pt_parser_error(p, p->lineno, "expected KEY = VALUE, a [section] "
						"header or a comment");
			continue;
		}
		memcpy(buf, s, len);
		memcpy(buf + len, "\n", 2);
		p->passed_line = p->lineno;
		p->handled = false;
		return buf;
	}
	return NULL;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct pt_config_parser *p = user;

	(void)section; /* tracked by header(), which also sees sections with no keys */
	p->handled = true;
	if (!p->err)
		pt_config_key_set(p, name, value);
	return 1; /* keep going: every problem is collected */
}

int pt_parser_run(struct pt_config_parser *p)
{
	int r = ini_parse_stream(reader, p, handler, p);

	if (p->err)
		return p->err;
	if (r == -2)
		return -ENOMEM;
	if (r && !p->invalid)
		pt_parser_error(p, 0, "the INI parser rejected line %d", r);
	return p->err;
}
