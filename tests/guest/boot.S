/*
 * The test guest's entry: Multiboot v1 header, 32-bit start, long mode,
 * the application processors' real-mode start-up code, interrupt stubs.
 *
 * Nothing here uses iret or int n outside long mode: the build machine's
 * KVM cannot emulate them (see PROTOCOL.md and HOST-KVM.md).
 */
#include "guest.h"

#define MB_MAGIC	0x1BADB002
/* bit 1: give us a memory map; bit 16: the address fields below are valid */
#define MB_FLAGS	0x00010002

#define CR0_PE		0x00000001
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xC0000080
#define EFER_LME	0x00000100

/* 2 MiB page: present, writable, page size; from 3 GiB on also cache-disabled. */
#define PDE_2M		0x83
#define PDE_UC		0x18

	.section .multiboot, "a"
	.align 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long mb_header		/* header_addr */
	.long __image_start	/* load_addr */
	.long __load_end	/* load_end_addr */
	.long __bss_end		/* bss_end_addr */
	.long _start		/* entry_addr */

/* Enter long mode from flat 32-bit protected mode and jump to \target. */
.macro ENTER_LONG_MODE target
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$tg_pml4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	%cr0, %eax
	or	$(CR0_PG | CR0_PE), %eax
	mov	%eax, %cr0
	ljmp	$TG_SEL_CODE64, $\target
.endm

.macro LOAD_DATA_SEGMENTS
	mov	$TG_SEL_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
.endm

	.section .text.boot, "ax"
	.code32
	.globl	_start
_start:
	cli
	cld
	mov	%eax, %esi		/* Multiboot magic */
	mov	%ebx, %ebp		/* Multiboot information */
	lgdt	tg_gdt_ptr
	ljmp	$TG_SEL_CODE32, $1f
1:	LOAD_DATA_SEGMENTS
	mov	$(tg_stacks + TG_STACK_SIZE), %esp

	/* Loaders zero the bss; do it again for everything but the stacks. */
	mov	$__bss_start, %edi
	mov	$__bss_clear_end, %ecx
	sub	%edi, %ecx
	shr	$2, %ecx
	xor	%eax, %eax
	rep stosl
	mov	%esi, tg_entry_magic
	mov	%ebp, tg_entry_mbi

	/*
	 * Identity map 0-16 GiB with 2 MiB pages: PML4[0] -> PDPT[0..15] -> 16 PDs
	 * (from 4 GiB on: the VMM's window for 64-bit BARs, above a small guest's RAM).
	 */
	mov	$tg_pdpt, %eax
	or	$3, %eax
	mov	%eax, tg_pml4
	mov	$tg_pd, %eax
	or	$3, %eax
	xor	%ecx, %ecx
2:	mov	%eax, tg_pdpt(,%ecx,8)
	add	$4096, %eax
	inc	%ecx
	cmp	$TG_MAP_GIB, %ecx
	jb	2b

	xor	%ecx, %ecx
3:	mov	%ecx, %eax
	shl	$21, %eax
	or	$PDE_2M, %eax
	cmp	$1536, %ecx		/* from 3 GiB on: uncached (APICs, PCI) */
	jb	4f
	or	$PDE_UC, %eax
4:	mov	%eax, tg_pd(,%ecx,8)
	mov	%ecx, %edx		/* the address's bits 32 and up */
	shr	$11, %edx
	mov	%edx, tg_pd+4(,%ecx,8)
	inc	%ecx
	cmp	$(TG_MAP_GIB * 512), %ecx
	jb	3b

	ENTER_LONG_MODE bsp_long

	.code64
bsp_long:
	LOAD_DATA_SEGMENTS
	mov	$(tg_stacks + TG_STACK_SIZE), %rsp
	xor	%ebp, %ebp
	call	tg_main
	jmp	tg_halt_forever

/* An application processor arrives here from the real-mode page, in 32-bit mode. */
	.code32
	.globl	tg_ap_entry32
tg_ap_entry32:
	LOAD_DATA_SEGMENTS
	ENTER_LONG_MODE ap_long

	.code64
ap_long:
	LOAD_DATA_SEGMENTS
	mov	tg_ap_boot_stack(%rip), %rsp
	xor	%ebp, %ebp
	call	tg_ap_main
tg_halt_forever:
	cli
	hlt
	jmp	tg_halt_forever

/*
 * Real-mode start-up code for the application processors: copied to
 * TG_AP_TRAMPOLINE, entered with CS = TG_AP_TRAMPOLINE >> 4, IP = 0.
 * It only loads the GDT (the guest's own, above 1 MiB) and jumps to 32-bit code there.
 */
	.section .rodata
	.code16
	.globl	tg_ap_tramp_start, tg_ap_tramp_end
tg_ap_tramp_start:
	cli
	cld
	mov	%cs, %ax
	mov	%ax, %ds
	lgdtl	tramp_gdt_ptr - tg_ap_tramp_start
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	$TG_SEL_CODE32, $tg_ap_entry32
	.align 4
tramp_gdt_ptr:
	.word	tg_gdt_end - tg_gdt - 1
	.long	tg_gdt
tg_ap_tramp_end:

	.code64
	.section .data
	.align 16
tg_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: flat data */
	.quad	0x00cf9a000000ffff	/* 0x18: flat 32-bit code */
tg_gdt_end:
	.align 8
tg_gdt_ptr:
	.word	tg_gdt_end - tg_gdt - 1
	.long	tg_gdt

	.section .bss
	.globl	tg_entry_magic, tg_entry_mbi
	.align 4
tg_entry_magic:
	.skip	4
tg_entry_mbi:
	.skip	4
	.align 4096
tg_pml4:
	.skip	4096
tg_pdpt:
	.skip	4096
tg_pd:
	.skip	TG_MAP_GIB * 4096

	/* Not cleared by _start (the loader zeroes it): one stack per CPU. */
	.section .stack, "aw", @nobits
	.align 4096
	.globl	tg_stacks
tg_stacks:
	.skip	TG_MAX_CPUS * TG_STACK_SIZE

/*
 * Interrupt stubs, 16 bytes apart (vector n at tg_isr_stubs + 16 n; each is
 * at most 12 bytes long): push a zero error code where the CPU pushes none,
 * push the vector, save the registers as struct tg_frame, call tg_isr,
 * return with iretq.
 */
	.text
	.code64
	.align 16
	.globl	tg_isr_stubs
tg_isr_stubs:
	.set	vec, 0
	.rept	256
	.align	16
	.if !((vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30))
	pushq	$0
	.endif
	pushq	$vec
	jmp	isr_common
	.set	vec, vec + 1
	.endr

isr_common:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rbx
	push	%rbp
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	cld
	mov	%rsp, %rdi
	call	tg_isr
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rbp
	pop	%rbx
	pop	%rdx
	pop	%rcx
	pop	%rax
	add	$16, %rsp
	iretq

/*
 * int tg_guarded_call(void (*fn)(void *), void *arg): calls fn(arg) and
 * returns 0; if an exception interrupts it, the handler resumes at
 * guarded_recover with the stack as it was here, and this returns 1.
 */
	.globl	tg_guarded_call
tg_guarded_call:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	sub	$8, %rsp
	mov	%rsp, tg_recover_rsp(%rip)
	lea	guarded_recover(%rip), %rax
	mov	%rax, tg_recover_rip(%rip)
	mov	%rdi, %rax
	mov	%rsi, %rdi
	call	*%rax
	movq	$0, tg_recover_rip(%rip)
	xor	%eax, %eax
	jmp	1f
guarded_recover:
	mov	$1, %eax
1:	add	$8, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

	.section .note.GNU-stack, "", @progbits
