/*
 * The guest's serial output on its way to the VM's console_out, a line at a time.
 *
 * A guest writes its console a byte per port write. Handing each byte on at once
 * cost a write(2) per byte and, for a console that is a pipe, a wakeup of its reader
 * per byte: in the testbed about a third of the time from a test guest's start to its
 * read of an assigned device's register. Bytes now gather in a buffer that is handed
 * on at each newline, when it is full, and by a thread of the VM's 10 ms after a line
 * began that has not ended (a prompt; echoed input), so nothing waits longer than
 * that. What is left goes out when the VM has ended (pt_vm_wait) at the latest.
 *
 * Locking: the buffer is the UART's and lives under vm->serial_lock, which the port
 * handler holds while the UART calls pt_serial_out_byte; console_out is called with
 * it held, as before the buffer (a console that blocks holds up the guest's serial
 * port, not its other vCPUs' work).
 */
#ifndef PT_VMM_SERIAL_OUT_H
#define PT_VMM_SERIAL_OUT_H

#include <stdint.h>

struct pt_vm;

/* How long a line that has not ended waits before it is handed on. */
#define PT_SERIAL_OUT_DELAY_MS 10

void pt_serial_out_init(struct pt_vm *vm);
/* Starts the thread that hands on lines that have not ended (pt_vm_start). 0 or -errno. */
int pt_serial_out_start(struct pt_vm *vm);
/* Under serial_lock: one byte the guest wrote. */
void pt_serial_out_byte(struct pt_vm *vm, uint8_t byte);
/* Hands on what is left and ends the thread (the vCPUs are done). */
void pt_serial_out_stop(struct pt_vm *vm);
void pt_serial_out_free(struct pt_vm *vm);

#endif
