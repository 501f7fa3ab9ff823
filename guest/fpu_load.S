/* SPDX-License-Identifier: MIT */
/* fpu_load_and_exit(struct fpu_load *): see fpu.c for the layout. */

#define ST	2048
#define K	2112
#define MXCSR	2176
#define FCW	2180
#define KMOVQ	2182
#define LEVEL	2184

	.text
	.globl	fpu_try_kmovq
fpu_try_kmovq:
	kmovq	%k0, %rax
	ret

	.globl	fpu_load_and_exit
fpu_load_and_exit:
	fninit
	fldcw	FCW(%rdi)
	.irp	i, 0,1,2,3,4,5,6,7
	fildq	ST+8*\i(%rdi)
	.endr
	ldmxcsr	MXCSR(%rdi)
	cmpl	$1, LEVEL(%rdi)
	je	.Lavx
	ja	.Lavx512
	.irp	i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu	64*\i(%rdi), %xmm\i
	.endr
	jmp	.Lexit
.Lavx:
	.irp	i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu	64*\i(%rdi), %ymm\i
	.endr
	jmp	.Lexit
.Lavx512:
	.irp	i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vmovdqu64 64*\i(%rdi), %zmm\i
	.endr
	cmpw	$0, KMOVQ(%rdi)
	je	.Lkmovw
	.irp	i, 0,1,2,3,4,5,6,7
	kmovq	K+8*\i(%rdi), %k\i
	.endr
	jmp	.Lexit
.Lkmovw:
	.irp	i, 0,1,2,3,4,5,6,7
	kmovw	K+8*\i(%rdi), %k\i
	.endr
.Lexit:
	/* guest_exit() is general-registers-only C: the values stay put. */
	xorl	%edi, %edi
	jmp	guest_exit

	.section .note.GNU-stack, "", @progbits
