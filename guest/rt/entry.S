/* SPDX-License-Identifier: MIT */
/*
 * Guest entry points: the ELF entry (CPL0, state per guest/abi.h), the
 * syscall entry, exception stubs and the return to CPL3.  Only general
 * purpose registers are touched here: the guest's FPU state belongs to
 * the test body.
 */
#include "rt.h"

	.section .text.entry, "ax"
	.globl	_start
_start:
	cld
	xorl	%ebp, %ebp
	movq	%rsp, %rcx		/* 4th argument: boot stack top */
	call	kernel_start
1:	hlt
	jmp	1b

/* enter_user(rip, rsp): drop to CPL3 with interrupts off. */
	.text
	.globl	enter_user
enter_user:
	pushq	$USER_DS
	pushq	%rsi
	pushq	$0x2
	pushq	$USER_CS
	pushq	%rdi
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%edi, %edi
	swapgs
	iretq

/*
 * long rt_syscall(nr, a0, a1, a2), from CPL3.  The gate is INT3 through a
 * DPL-3 IDT gate rather than SYSCALL: on some nested hypervisors (this
 * project's PVM build hosts) SYSCALL reaches LSTAR without leaving CPL3,
 * while exception delivery switches privilege correctly everywhere.
 * trap_handler() recognises the gate by its return address.
 */
	.globl	rt_syscall
rt_syscall:
	movq	%rdi, %rax
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	movq	%rcx, %rdx
	int3
	.globl	rt_syscall_return
rt_syscall_return:
	ret

/*
 * Exception stubs.  Stack after the stub: vector, error code, then the
 * hardware frame; trap_common saves the GPRs in struct fpvm_exception's
 * order so trap_handler() can read and rewrite them.
 */
.macro	TRAP vec, has_error
	.balign	16
trap_\vec:
	.if	\has_error == 0
	pushq	$0
	.endif
	pushq	$\vec
	jmp	trap_common
.endm

	TRAP 0, 0
	TRAP 1, 0
	TRAP 2, 0
	TRAP 3, 0
	TRAP 4, 0
	TRAP 5, 0
	TRAP 6, 0
	TRAP 7, 0
	TRAP 8, 1
	TRAP 9, 0
	TRAP 10, 1
	TRAP 11, 1
	TRAP 12, 1
	TRAP 13, 1
	TRAP 14, 1
	TRAP 15, 0
	TRAP 16, 0
	TRAP 17, 1
	TRAP 18, 0
	TRAP 19, 0
	TRAP 20, 0
	TRAP 21, 1
	TRAP 22, 0
	TRAP 23, 0
	TRAP 24, 0
	TRAP 25, 0
	TRAP 26, 0
	TRAP 27, 0
	TRAP 28, 0
	TRAP 29, 1
	TRAP 30, 1
	TRAP 31, 0

trap_common:
	/* Vector at 0, error code at 8, RIP at 16, CS at 24. */
	testb	$3, 24(%rsp)
	jz	1f
	swapgs
1:	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%rax
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	call	trap_handler
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	testb	$3, 24(%rsp)
	jz	2f
	swapgs
2:	addq	$16, %rsp
	iretq

	.section .rodata
	.balign	8
	.globl	trap_stubs
trap_stubs:
	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	trap_\v
	.endr

/*
 * int guest_catch(fn, arg, trap), CPL3.  If fn traps, trap_handler()
 * resumes at 1: with the stack pointer saved here.
 */
	.text
	.globl	guest_catch
guest_catch:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rdx, %fs:TLS_CATCH_REC
	movq	%rsp, %fs:TLS_CATCH_RSP
	leaq	1f(%rip), %rax
	movq	%rax, %fs:TLS_CATCH_RIP
	movq	%rdi, %rax
	movq	%rsi, %rdi
	subq	$8, %rsp
	call	*%rax
	addq	$8, %rsp
	movl	$-1, %eax
	jmp	2f
1:	movq	%fs:TLS_CATCH_REC, %rax
	movl	(%rax), %eax		/* trap->vector */
2:	movq	$0, %fs:TLS_CATCH_RIP
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret

	.section .note.GNU-stack, "", @progbits
