/*
 * A 16550A UART register model: enough for Linux's 8250 driver (autoconfig,
 * loopback test, FIFO, THRE and receive interrupts) and for polled guests.
 * Transmission is instantaneous. Pure logic, not thread-safe: the serial
 * device wraps it in a lock.
 */
#ifndef PT_VMM_UART_H
#define PT_VMM_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_UART_RX_SIZE 1024

struct pt_uart_ops {
	void (*tx)(void *ctx, uint8_t byte);      /* a byte the guest sent */
	void (*irq)(void *ctx, bool level);       /* called when the IRQ line changes */
};

struct pt_uart {
	const struct pt_uart_ops *ops;
	void *ctx;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	uint8_t lsr_errors;     /* overrun: cleared by reading LSR */
	bool thri_pending;      /* THR-empty interrupt not yet acknowledged */
	bool irq_level;
	uint8_t rx[PT_UART_RX_SIZE];
	size_t rx_head, rx_len;
};

void pt_uart_init(struct pt_uart *u, const struct pt_uart_ops *ops, void *ctx);

/* Register access at offset 0-7 from the base port. */
uint8_t pt_uart_read(struct pt_uart *u, unsigned offset);
void pt_uart_write(struct pt_uart *u, unsigned offset, uint8_t val);

/* Console input for the guest. Returns how many bytes were taken (the rest would overrun). */
size_t pt_uart_receive(struct pt_uart *u, const uint8_t *buf, size_t n);

/* Free space in the receive buffer. */
size_t pt_uart_rx_room(const struct pt_uart *u);

/* Register offsets and bits, as in the 16550 datasheet. */
#define PT_UART_RBR 0
#define PT_UART_THR 0
#define PT_UART_IER 1
#define PT_UART_IIR 2
#define PT_UART_FCR 2
#define PT_UART_LCR 3
#define PT_UART_MCR 4
#define PT_UART_LSR 5
#define PT_UART_MSR 6
#define PT_UART_SCR 7

#define PT_UART_IER_RDI 0x01
#define PT_UART_IER_THRI 0x02
#define PT_UART_IER_RLSI 0x04
#define PT_UART_IER_MSI 0x08

#define PT_UART_IIR_NO_INT 0x01
#define PT_UART_IIR_THRI 0x02
#define PT_UART_IIR_RDI 0x04
#define PT_UART_IIR_RLSI 0x06
#define PT_UART_IIR_FIFO 0xc0

#define PT_UART_LCR_DLAB 0x80
#define PT_UART_MCR_DTR 0x01
#define PT_UART_MCR_RTS 0x02
#define PT_UART_MCR_OUT1 0x04
#define PT_UART_MCR_OUT2 0x08
#define PT_UART_MCR_LOOP 0x10

#define PT_UART_LSR_DR 0x01
#define PT_UART_LSR_OE 0x02
#define PT_UART_LSR_THRE 0x20
#define PT_UART_LSR_TEMT 0x40

#endif
