/* The 16550 model: what Linux's 8250 driver and polled guests rely on. */
#include "config.h"

#include <string.h>

#include "tap.h"
#include "vmm/uart.h"

struct sink {
	char out[64];
	size_t n;
	int irq_changes;
	bool level;
};

static void tx(void *ctx, uint8_t b)
{
	struct sink *s = ctx;

	if (s->n < sizeof(s->out) - 1)
		s->out[s->n++] = (char)b;
}

static void irq(void *ctx, bool level)
{
	struct sink *s = ctx;

	s->irq_changes++;
	s->level = level;
}

static const struct pt_uart_ops ops = { tx, irq };

int main(void)
{
	struct tap t = { 0 };
	struct sink s = { 0 };
	struct pt_uart u;
	uint8_t in[PT_UART_RX_SIZE + 10];

	pt_uart_init(&u, &ops, &s);
	pt_uart_write(&u, PT_UART_THR, 'h');
	pt_uart_write(&u, PT_UART_THR, 'i');
	tap_is_str(&t, s.out, "hi", "bytes written to THR reach the console in order");
	tap_is_int(&t, pt_uart_read(&u, PT_UART_LSR) & 0x61, 0x60,
		   "LSR: THR empty and transmitter empty, no data ready");
	tap_is_int(&t, s.irq_changes, 0, "no interrupt while IER is 0");

	/* Divisor latch. */
	pt_uart_write(&u, PT_UART_LCR, 0x83);
	pt_uart_write(&u, 0, 0x01);
	pt_uart_write(&u, 1, 0x00);
	tap_is_int(&t, pt_uart_read(&u, 0), 1, "DLAB: offset 0 is DLL");
	pt_uart_write(&u, PT_UART_LCR, 0x03);
	tap_is_int(&t, s.n, 2, "writing DLL sends nothing");
	tap_is_int(&t, pt_uart_read(&u, PT_UART_LCR), 0x03, "LCR reads back");

	/* Scratch and loopback MSR test, as the 8250 autoconfig does it. */
	pt_uart_write(&u, PT_UART_SCR, 0xa5);
	tap_is_int(&t, pt_uart_read(&u, PT_UART_SCR), 0xa5, "scratch register holds a value");
	pt_uart_write(&u, PT_UART_MCR, PT_UART_MCR_LOOP | 0x0a);
	tap_is_int(&t, pt_uart_read(&u, PT_UART_MSR) & 0xf0, 0x90,
		   "loopback: RTS and OUT2 come back as CTS and DCD");
	pt_uart_write(&u, PT_UART_THR, 'x');
	tap_is_int(&t, s.n, 2, "loopback: a sent byte does not reach the console");
	tap_ok(&t, pt_uart_read(&u, PT_UART_LSR) & PT_UART_LSR_DR, "loopback: it is received");
	tap_is_int(&t, pt_uart_read(&u, PT_UART_RBR), 'x', "loopback: the same byte");
	pt_uart_write(&u, PT_UART_MCR, 0);
	tap_is_int(&t, pt_uart_read(&u, PT_UART_MSR), 0xb0, "MSR outside loopback: DCD DSR CTS");

	/* FIFO: IIR bits 7:6 say 16550A. */
	pt_uart_write(&u, PT_UART_FCR, 0x01);
	tap_is_int(&t, pt_uart_read(&u, PT_UART_IIR), 0xc1, "FIFO enabled, no interrupt pending");

	/* THRE interrupt: raised on enable, acknowledged by reading IIR; gated by OUT2. */
	pt_uart_write(&u, PT_UART_IER, PT_UART_IER_THRI);
	tap_ok(&t, !s.level, "no IRQ without OUT2");
	pt_uart_write(&u, PT_UART_MCR, PT_UART_MCR_OUT2);
	tap_ok(&t, s.level, "THRE interrupt asserts the line once OUT2 is set");
	tap_is_int(&t, pt_uart_read(&u, PT_UART_IIR), 0xc2, "IIR says THR empty");
	tap_ok(&t, !s.level, "reading IIR acknowledged it");
	pt_uart_write(&u, PT_UART_THR, '!');
	tap_ok(&t, s.level, "the next byte sent raises it again");
	pt_uart_write(&u, PT_UART_IER, 0);
	tap_ok(&t, !s.level, "disabling the interrupt lowers the line");

	/* Receive. */
	pt_uart_write(&u, PT_UART_IER, PT_UART_IER_RDI);
	tap_is_int(&t, pt_uart_receive(&u, (const uint8_t *)"ab", 2), 2, "two bytes received");
	tap_ok(&t, s.level, "received data raises the interrupt");
	tap_is_int(&t, pt_uart_read(&u, PT_UART_IIR), 0xc4, "IIR says data available");
	tap_is_int(&t, pt_uart_read(&u, PT_UART_RBR), 'a', "first byte");
	tap_is_int(&t, pt_uart_read(&u, PT_UART_RBR), 'b', "second byte");
	tap_ok(&t, !s.level, "the line drops when the buffer is empty");
	tap_is_int(&t, pt_uart_read(&u, PT_UART_LSR) & 1, 0, "no data ready");

	memset(in, 'z', sizeof(in));
	tap_is_int(&t, pt_uart_receive(&u, in, sizeof(in)), PT_UART_RX_SIZE,
		   "input beyond the buffer is refused");
	tap_ok(&t, pt_uart_read(&u, PT_UART_LSR) & PT_UART_LSR_OE, "and flagged as overrun");
	tap_is_int(&t, pt_uart_read(&u, PT_UART_LSR) & PT_UART_LSR_OE, 0, "reading LSR clears it");
	pt_uart_write(&u, PT_UART_FCR, 0x03);
	tap_is_int(&t, pt_uart_read(&u, PT_UART_LSR) & 1, 0, "FCR bit 1 clears the receive FIFO");
	tap_is_int(&t, pt_uart_read(&u, 9), 0xff, "an offset past 7 reads all ones");
	return tap_done(&t);
}
