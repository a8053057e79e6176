/*
 * A few hundred bytes of 32-bit guest for the run-loop tests (test-vm-kvm.c):
 * a Multiboot ELF whose command line's last character picks one scenario.
 * The project's full test guest lives in tests/guest; this one only pokes the
 * VMM's exits, so it stays in assembly and needs no IDT, paging or iret.
 */
	.code32
	.section .text
	.globl _start
	.align 4
mb_header:
	.long 0x1badb002, 0, -0x1badb002	/* Multiboot, no flags: ELF loading */

_start:
	movl $0x80000, %esp
	cmpl $0x2badb002, %eax
	jne fail
	movl %ebx, mbi
	movl 16(%ebx), %esi		/* the command line */
1:	cmpb $0, (%esi)
	je 2f
	incl %esi
	jmp 1b
2:	movb -1(%esi), %al
	cmpb $'h', %al
	je hello
	cmpb $'m', %al
	je memory
	cmpb $'p', %al
	je pci_host
	cmpb $'P', %al
	je pci_absent
	cmpb $'M', %al
	je mptable
	cmpb $'u', %al
	je unknown_port
	cmpb $'i', %al
	je exec_mmio
	cmpb $'d', %al
	je undefined
	cmpb $'s', %al
	je spin
	cmpb $'l', %al
	je halt
	cmpb $'r', %al
	je reset
	cmpb $'e', %al
	je echo
	cmpb $'w', %al
	je mmio_write
	cmpb $'R', %al
	je read_d0000000
	cmpb $'D', %al
	je read_d0001000
fail:
	movl $0xbad, %eax
	jmp exit

/* Debug exit with EAX. */
exit:
	movw $0x501, %dx
	outl %eax, %dx
	jmp .

puts:
	movw $0x3f8, %dx
3:	lodsb
	testb %al, %al
	jz 4f
	outb %al, %dx
	jmp 3b
4:	ret

hello:
	movl $msg_hello, %esi
	call puts
	xorl %eax, %eax
	jmp exit

memory:
	movl mbi, %ebx
	movl 8(%ebx), %eax		/* mem_upper, KiB */
	jmp exit

pci_host:
	movw $0xcf8, %dx
	movl $0x80000000, %eax
	outl %eax, %dx
	movw $0xcfc, %dx
	inl %dx, %eax
	jmp exit

pci_absent:
	movw $0xcf8, %dx
	movl $0x80000800, %eax		/* 00:01.0: nothing there */
	outl %eax, %dx
	movw $0xcfc, %dx
	inl %dx, %eax
	jmp exit

mptable:
	movl $0xf0000, %ebx
	cmpl $0x5f504d5f, (%ebx)	/* "_MP_" */
	jne fail
	movl 4(%ebx), %ebx		/* the configuration table */
	cmpl $0x504d4350, (%ebx)	/* "PCMP" */
	jne fail
	movzwl 34(%ebx), %eax		/* entry count */
	jmp exit

unknown_port:
	movw $0x1234, %dx
	movb $0x41, %al
	outb %al, %dx
	jmp fail

exec_mmio:
	movl $0xd0000000, %eax		/* in the PCI hole: no memory to fetch from */
	jmp *%eax

/* Reads what the VMM put at 0xd0000000 (a memory slot) or 0xd0001000 (a trapped MMIO range). */
read_d0000000:
	movl 0xd0000000, %eax
	jmp exit

read_d0001000:
	movl 0xd0001000, %eax
	jmp exit

mmio_write:
	movl $0xd0000000, %ebx
	movl $0x12345678, (%ebx)
	jmp fail

undefined:
	ud2

spin:
	movl $msg_spin, %esi
	call puts
	jmp .

halt:
	movl $msg_halt, %esi
	call puts
	cli
5:	hlt
	jmp 5b

reset:
	movb $0xfe, %al
	outb %al, $0x64
	jmp fail

/* Echo console input back until 'q', then exit with the number of bytes seen. */
echo:
	movl $msg_echo, %esi
	call puts
	xorl %ecx, %ecx
6:	movw $0x3fd, %dx		/* LSR */
	inb %dx, %al
	testb $1, %al
	jz 6b
	movw $0x3f8, %dx
	inb %dx, %al
	incl %ecx
	cmpb $'q', %al
	je 7f
	outb %al, %dx
	jmp 6b
7:	movl %ecx, %eax
	jmp exit

	.section .data
mbi:	.long 0
msg_hello:	.asciz "TG hello from the mini guest\n"
msg_spin:	.asciz "TG spinning\n"
msg_halt:	.asciz "TG halting\n"
msg_echo:	.asciz "TG echo ready\n"
