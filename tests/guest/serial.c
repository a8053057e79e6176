/* COM1: whole "TG ..." lines out, one CPU at a time; polled bytes in. */
#include "guest.h"

#define COM1 0x3f8
#define UART_THR 0
#define UART_RBR 0
#define UART_IER 1
#define UART_DLL 0
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define UART_FIFO 16
#define LINE_MAX 250

/* 0 when free, else the owning CPU's index + 1. */
static volatile uint32_t serial_owner;

void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, 0x80);	/* divisor latch: 115200 baud */
	outb(COM1 + UART_DLL, 0x01);
	outb(COM1 + UART_DLM, 0x00);
	outb(COM1 + UART_LCR, 0x03);	/* 8N1 */
	outb(COM1 + UART_FCR, 0x07);	/* FIFO on, cleared */
	outb(COM1 + UART_MCR, 0x03);	/* DTR, RTS; OUT2 off: no UART interrupts */
}

/*
 * Once the transmitter reports empty, a FIFO's worth of bytes can go without
 * polling again: half the port accesses (VM exits) of polling every byte.
 * The wait is bounded so that a missing or stuck UART cannot hang the guest.
 */
static void serial_write(const char *s, size_t n)
{
	while (n) {
		size_t chunk = n < UART_FIFO ? n : UART_FIFO;

		for (unsigned i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
			cpu_relax();
		for (size_t i = 0; i < chunk; i++)
			outb(COM1 + UART_THR, (uint8_t)s[i]);
		s += chunk;
		n -= chunk;
	}
}

void tg_line(const char *fmt, ...)
{
	char buf[LINE_MAX + 1];
	uint32_t me = tg_cpu_index() + 1;
	bool nested;
	uint64_t flags;
	va_list ap;
	int n;

	memcpy(buf, "TG ", 3);
	va_start(ap, fmt);
	n = tg_vsnprintf(buf + 3, sizeof(buf) - 4, fmt, ap) + 3;
	va_end(ap);
	if (n > LINE_MAX - 1)
		n = LINE_MAX - 1;
	buf[n++] = '\n';

	flags = irq_save();
	/* An exception while this CPU prints must still get its lines out. */
	nested = serial_owner == me;
	if (!nested)
		while (!__sync_bool_compare_and_swap(&serial_owner, 0, me))
			cpu_relax();
	serial_write(buf, (size_t)n);
	if (!nested)
		__atomic_store_n(&serial_owner, 0, __ATOMIC_RELEASE);
	irq_restore(flags);
}

/*
 * One received byte, or -1 when none is waiting. An overrun the UART reports
 * (input lost before the guest read it) adds one to *overruns. A floating bus
 * (no UART: LSR reads 0xff) has nothing to read.
 */
int serial_getc(unsigned *overruns)
{
	uint8_t lsr = inb(COM1 + UART_LSR);

	if (lsr == 0xff)
		return -1;
	if (lsr & LSR_OE)
		(*overruns)++;
	if (!(lsr & LSR_DR))
		return -1;
	return inb(COM1 + UART_RBR);
}
