#include "config.h"

#include <string.h>

#include "vmm/uart.h"

void pt_uart_init(struct pt_uart *u, const struct pt_uart_ops *ops, void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->ops = ops;
	u->ctx = ctx;
	u->dll = 12; /* 9600 baud, as after a BIOS */
	u->lcr = 0x03;
}

static uint8_t iir(const struct pt_uart *u)
{
	uint8_t fifo = (u->fcr & 1) ? PT_UART_IIR_FIFO : 0;

	if ((u->ier & PT_UART_IER_RLSI) && u->lsr_errors)
		return fifo | PT_UART_IIR_RLSI;
	if ((u->ier & PT_UART_IER_RDI) && u->rx_len)
		return fifo | PT_UART_IIR_RDI;
	if ((u->ier & PT_UART_IER_THRI) && u->thri_pending)
		return fifo | PT_UART_IIR_THRI;
	return fifo | PT_UART_IIR_NO_INT;
}

/* On a PC, OUT2 gates the UART's interrupt onto the ISA line; loopback disconnects it. */
static void update_irq(struct pt_uart *u)
{
	bool level = (iir(u) & PT_UART_IIR_NO_INT) == 0 && (u->mcr & PT_UART_MCR_OUT2) &&
		     !(u->mcr & PT_UART_MCR_LOOP);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->ops && u->ops->irq)
			u->ops->irq(u->ctx, level);
	}
}

size_t pt_uart_rx_room(const struct pt_uart *u)
{
	return PT_UART_RX_SIZE - u->rx_len;
}

static size_t rx_push(struct pt_uart *u, const uint8_t *buf, size_t n)
{
	size_t taken = 0;

	while (taken < n && u->rx_len < PT_UART_RX_SIZE) {
		u->rx[(u->rx_head + u->rx_len) % PT_UART_RX_SIZE] = buf[taken++];
		u->rx_len++;
	}
	if (taken < n)
		u->lsr_errors |= PT_UART_LSR_OE;
	return taken;
}

size_t pt_uart_receive(struct pt_uart *u, const uint8_t *buf, size_t n)
{
	size_t taken;

	/* In loopback mode the line is disconnected from the outside world. */
	if (u->mcr & PT_UART_MCR_LOOP)
		return n;
	taken = rx_push(u, buf, n);
	update_irq(u);
	return taken;
}

static uint8_t msr(const struct pt_uart *u)
{
	uint8_t m = u->mcr;

	if (!(m & PT_UART_MCR_LOOP))
		return 0xb0; /* DCD, DSR, CTS: a terminal is always there */
	/* Loopback: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD. */
	return (uint8_t)(((m & PT_UART_MCR_RTS) ? 0x10 : 0) | ((m & PT_UART_MCR_DTR) ? 0x20 : 0) |
			 ((m & PT_UART_MCR_OUT1) ? 0x40 : 0) | ((m & PT_UART_MCR_OUT2) ? 0x80 : 0));
}

uint8_t pt_uart_read(struct pt_uart *u, unsigned offset)
{
	uint8_t v = 0xff;

	switch (offset) {
	case PT_UART_RBR:
		if (u->lcr & PT_UART_LCR_DLAB) {
			v = u->dll;
			break;
		}
		v = 0;
		if (u->rx_len) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % PT_UART_RX_SIZE;
			u->rx_len--;
		}
		break;
	case PT_UART_IER:
		v = (u->lcr & PT_UART_LCR_DLAB) ? u->dlm : u->ier;
		break;
	case PT_UART_IIR:
		v = iir(u);
		/* Reading IIR acknowledges a THR-empty interrupt it reports. */
		if ((v & 0x0f) == PT_UART_IIR_THRI)
			u->thri_pending = false;
		break;
	case PT_UART_LCR:
		v = u->lcr;
		break;
	case PT_UART_MCR:
		v = u->mcr;
		break;
	case PT_UART_LSR:
		v = PT_UART_LSR_THRE | PT_UART_LSR_TEMT | u->lsr_errors |
		    (u->rx_len ? PT_UART_LSR_DR : 0);
		u->lsr_errors = 0;
		break;
	case PT_UART_MSR:
		v = msr(u);
		break;
	case PT_UART_SCR:
		v = u->scr;
		break;
	}
	update_irq(u);
	return v;
}

void pt_uart_write(struct pt_uart *u, unsigned offset, uint8_t val)
{
	switch (offset) {
	case PT_UART_THR:
		if (u->lcr & PT_UART_LCR_DLAB) {
			u->dll = val;
			break;
		}
		if (u->mcr & PT_UART_MCR_LOOP)
			rx_push(u, &val, 1);
		else if (u->ops && u->ops->tx)
			u->ops->tx(u->ctx, val);
		/* Sent at once: the holding register is empty again. */
		u->thri_pending = true;
		break;
	case PT_UART_IER:
		if (u->lcr & PT_UART_LCR_DLAB) {
			u->dlm = val;
			break;
		}
		/* Enabling the THRE interrupt while THR is empty raises it (16550 behaviour). */
		if (!(u->ier & PT_UART_IER_THRI) && (val & PT_UART_IER_THRI))
			u->thri_pending = true;
		u->ier = val & 0x0f;
		break;
	case PT_UART_FCR:
		u->fcr = val & 0xc9;
		if (val & 0x02) { /* clear the receive FIFO */
			u->rx_head = 0;
			u->rx_len = 0;
		}
		break;
	case PT_UART_LCR:
		u->lcr = val;
		break;
	case PT_UART_MCR:
		u->mcr = val & 0x1f;
		break;
	case PT_UART_SCR:
		u->scr = val;
		break;
	default:
		/* LSR and MSR are read-only. */
		break;
	}
	update_irq(u);
}
