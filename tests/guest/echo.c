/*
 * The echo scenario: lines typed on COM1 come back as TG echo lines, so that a
 * host can prove its console input reaches the guest (PROTOCOL.md, section 3).
 * The UART is polled in a busy loop: waiting for its interrupt with sti;hlt is
 * not reliable in nested KVM.
 */
#include "guest.h"

#define ECHO_LINE_MAX 200
#define ECHO_DEFAULT_WAIT_MS 30000

struct echo_state {
	char line[ECHO_LINE_MAX + 1];
	size_t len;
	bool cut;		/* this line was longer than ECHO_LINE_MAX */
	unsigned lines, cuts;
};

/* Ends the current line; returns true when it was "quit". */
static bool echo_line_end(struct echo_state *e)
{
	bool quit;

	if (!e->len)
		return false;	/* empty lines, and the LF of a CR LF, are not echoed */
	e->line[e->len] = '\0';
	tg_line("echo text=\"%s\"", e->line);
	quit = !e->cut && tg_streq_n(e->line, e->len, "quit");
	e->lines++;
	if (e->cut)
		e->cuts++;
	e->len = 0;
	e->cut = false;
	return quit;
}

bool echo_run(const struct tg_opts *o, char *detail, size_t detail_size)
{
	uint32_t wait_ms = o->wait_ms_set ? o->wait_ms : ECHO_DEFAULT_WAIT_MS;
	struct echo_state e = { .len = 0 };
	unsigned overruns = 0;
	uint64_t start, deadline;
	bool quit = false;

	tg_line("ready scenario=echo");
	start = rdtsc();
	deadline = tg_deadline_ms(wait_ms);
	while (!quit && !tg_passed(deadline)) {
		int c = serial_getc(&overruns);

		if (c < 0) {
			cpu_relax();
		} else if (c == '\r' || c == '\n') {
			quit = echo_line_end(&e);
		} else if (e.len < ECHO_LINE_MAX) {
			e.line[e.len++] = tg_quotable((char)c);
		} else {
			e.cut = true;
		}
	}
	tg_snprintf(detail, detail_size,
		    "lines=%u cut=%u overruns=%u wait_ms=%u elapsed_ms=%u ended=%s", e.lines,
		    e.cuts, overruns, wait_ms, tg_ms_since(start), quit ? "quit" : "timeout");
	return quit;
}
