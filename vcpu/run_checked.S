/* SPDX-License-Identifier: MIT */
/*
 * long kvm_run_checked(int fd, void *before, void *after, uint64_t mask)
 *
 * XSAVE this thread's registers, KVM_RUN, XSAVE again, with nothing in
 * between that could touch FPU or vector state (no libc, no compiler-
 * generated code).  Any difference between the two images is KVM failing
 * to restore the host's state.  Returns the raw syscall result (-errno).
 */
#include <asm/unistd.h>

#define KVM_RUN_IOCTL	0xae80	/* _IO(KVMIO, 0x80); checked in fpu.c */

	.text
	.globl	kvm_run_checked
	.type	kvm_run_checked, @function
kvm_run_checked:
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movl	%edi, %r12d
	movq	%rsi, %r13
	movq	%rdx, %r14
	movq	%rcx, %r15
	movl	%r15d, %eax
	movq	%r15, %rdx
	shrq	$32, %rdx
	xsave64	(%r13)
	movl	$__NR_ioctl, %eax
	movl	%r12d, %edi
	movl	$KVM_RUN_IOCTL, %esi
	xorl	%edx, %edx
	syscall
	movq	%rax, %rbx
	movl	%r15d, %eax
	movq	%r15, %rdx
	shrq	$32, %rdx
	xsave64	(%r14)
	movq	%rbx, %rax
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	ret
	.size	kvm_run_checked, .-kvm_run_checked

	.section .note.GNU-stack, "", @progbits
